// The recorded screen: FRAMES bodies (agent/fallback.py: "!6H" x, y, w, h,
// full_w, full_h, then a JPEG) painted on a canvas at their time. A seek
// repaints from the last whole picture before the position.
const RECORD = 16; // "!dII": at (ms, float64), stream, length (server/recording_read.py)
const HEAD = 12;

function parse(buffer) {
  const view = new DataView(buffer);
  const frames = [];
  for (let at = 0; at + RECORD <= buffer.byteLength;) {
    const t = view.getFloat64(at);
    const stream = view.getUint32(at + 8);
    const length = view.getUint32(at + 12);
    const body = at + RECORD;
    at = body + length;
    if (length < HEAD || at > buffer.byteLength) break;
    const [x, y, w, h, fw, fh] = [0, 2, 4, 6, 8, 10].map((o) => view.getUint16(body + o));
    frames.push({
      t, stream, x, y, w, h, fw, fh,
      full: x === 0 && y === 0 && w === fw && h === fh,
      jpeg: new Blob([new Uint8Array(buffer, body + HEAD, length - HEAD)], { type: 'image/jpeg' }),
    });
  }
  return frames;
}

export function createVideoStage(canvas, buffer) {
  const frames = parse(buffer);
  const ctx = canvas.getContext('2d');
  let next = 0; // index of the first frame not painted yet
  let work = Promise.resolve();
  let generation = 0;
  canvas.hidden = true;

  async function paint(frame) {
    if (frame.full && (canvas.width !== frame.fw || canvas.height !== frame.fh || canvas.hidden)) {
      canvas.width = frame.fw;
      canvas.height = frame.fh;
    }
    if (canvas.hidden && !frame.full) return;
    canvas.hidden = false;
    const k = canvas.width / frame.fw; // pictures of another scale (Standard vs Screen sampling) fit alike
    const bitmap = await createImageBitmap(frame.jpeg);
    ctx.drawImage(bitmap, frame.x * k, frame.y * k, frame.w * k, frame.h * k);
    bitmap.close();
  }

  let busy = false;
  function paintUpTo(position, from, mine) {
    busy = true;
    next = from;
    work = work.then(async () => {
      while (mine === generation && next < frames.length && frames[next].t <= position) {
        await paint(frames[next]);
        if (mine === generation) next += 1;
      }
    }).catch((err) => console.error(err)).finally(() => {
      if (mine === generation) {
        busy = false;
        canvas.dataset.painted = String(Math.round(position));
      }
    });
  }

  return {
    seek(position) {
      generation += 1;
      busy = false;
      let start = -1;
      for (let i = 0; i < frames.length && frames[i].t <= position; i += 1) if (frames[i].full) start = i;
      if (start < 0) {
        canvas.hidden = true;
        next = frames.findIndex((f) => f.t > position);
        if (next < 0) next = frames.length;
        return;
      }
      canvas.hidden = true; // repainted from the whole picture
      next = start;
      paintUpTo(position, start, generation);
    },
    advance(position) {
      if (!busy && next < frames.length && frames[next].t <= position) paintUpTo(position, next, generation);
    },
    pause() {},
  };
}
