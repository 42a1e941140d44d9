// The relay fallback of the desktop viewer: FRAMES bodies (agent/fallback.py)
// painted onto a canvas. A body is a 12-byte big-endian header u16 x, y, w, h,
// full_w, full_h, then a JPEG of that rectangle of the full_w × full_h picture.
export function createDesktopCanvas(canvas) {
  let chain = Promise.resolve(); // paint in arrival order
  let lastAt = 0;

  async function paint(body) {
    if (body.byteLength < 12) return;
    const view = new DataView(body.buffer, body.byteOffset, 12);
    const [x, y, , , fullW, fullH] = [0, 2, 4, 6, 8, 10].map((at) => view.getUint16(at));
    const bitmap = await createImageBitmap(new Blob([body.subarray(12)], { type: 'image/jpeg' }));
    if (canvas.width !== fullW || canvas.height !== fullH) { canvas.width = fullW; canvas.height = fullH; }
    canvas.getContext('2d').drawImage(bitmap, x, y);
    bitmap.close();
    lastAt = Date.now();
  }

  return {
    add(body) { chain = chain.then(() => paint(body)).catch(() => { /* a broken tile: the next one repairs */ }); },
    // A picture is on the canvas (a still screen sends nothing more: it stays right).
    shown: () => lastAt > 0,
    reset() { lastAt = 0; },
  };
}
