// Measures a desktop viewer page from inside it (bench/desktop.py). Added as
// an init script, so it wraps WebSocket and RTCPeerConnection before the page
// creates them; `__probe.start(selector, box)` then watches the element that
// shows the remote screen (a <video> or a <canvas>) on every frame it paints:
//  - changes: how often the animation's flat box changed colour (the frames of
//    the animation that reached the screen),
//  - painted: frames presented (video) or animation frames seen (canvas),
//  - input-to-photon: `arm(rect)` keeps the rect's pixels; the next keydown
//    starts the clock and the first painted frame whose rect differs stops it.
// Bytes: WebSocket messages received, and WebRTC transport bytesReceived.
(() => {
  const P = {
    videoCopy: () => videoCopy,
    wsBytes: 0, changes: 0, painted: 0, last: null, el: null, box: null, armed: null, lat: [], recv: [],
  };
  window.__probe = P;

  const Native = window.WebSocket;
  const count = (e) => {
    const d = e.data;
    const n = d.byteLength !== undefined ? d.byteLength : d.size !== undefined ? d.size : d.length;
    P.wsBytes += n;
  };
  function Counted(...args) {
    const ws = new Native(...args);
    ws.addEventListener('message', count);
    return ws;
  }
  Counted.prototype = Native.prototype;
  for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) Counted[k] = Native[k];
  window.WebSocket = Counted;
  const pcs = [];
  if (window.RTCPeerConnection) {
    const NativePC = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends NativePC {
      constructor(...args) { super(...args); pcs.push(this); }
    };
  }

  const scratch = document.createElement('canvas');
  const ctx = scratch.getContext('2d', { willReadFrequently: true });

  function size(el) {
    return el.tagName === 'VIDEO' ? [el.videoWidth, el.videoHeight] : [el.width, el.height];
  }

  // Pixels of a rect of the remote screen (screen coordinates; the element may be scaled).
  function read(el, [x, y, w, h], screenW) {
    const s = size(el)[0] / screenW;
    if (scratch.width < w || scratch.height < h) { scratch.width = Math.max(w, scratch.width); scratch.height = Math.max(h, scratch.height); }
    ctx.drawImage(el, x * s, y * s, Math.max(1, w * s), Math.max(1, h * s), 0, 0, w, h);
    return ctx.getImageData(0, 0, w, h).data;
  }

  // The same from a <video>, without converting its whole frame for a canvas
  // (a 1080p conversion per painted frame would itself make the page drop
  // frames): WebCodecs copies just the rect, as RGBA.
  async function readVideo(el, [x, y, w, h], screenW) {
    const s = el.videoWidth / screenW;
    const even = (v) => 2 * Math.floor(v / 2); // I420 frames: whole chroma samples
    const rect = { x: even(x * s), y: even(y * s), width: Math.max(2, even(w * s)), height: Math.max(2, even(h * s)) };
    const frame = new VideoFrame(el);
    try {
      const buf = new Uint8Array(rect.width * rect.height * 4);
      await frame.copyTo(buf, { rect, format: 'RGBA' });
      return buf;
    } finally {
      frame.close();
    }
  }
  let videoCopy = null; // whether readVideo works here (checked on the first frame)
  async function pixels(el, rect) {
    if (el.tagName === 'VIDEO' && videoCopy !== false && window.VideoFrame) {
      try {
        const px = await readVideo(el, rect, P.screenW);
        videoCopy = true;
        return px;
      } catch (e) {
        if (videoCopy) throw e;
        videoCopy = false;
      }
    }
    return read(el, rect, P.screenW);
  }

  function maxDiff(a, b) {
    let m = 0;
    for (let i = 0; i < a.length; i += 4) {
      m = Math.max(m, Math.abs(a[i] - b[i]), Math.abs(a[i + 1] - b[i + 1]), Math.abs(a[i + 2] - b[i + 2]));
    }
    return m;
  }

  async function tick(meta) {
    const el = P.el;
    if (!el || !size(el)[0]) return;
    const now = performance.now();
    P.painted += 1;
    const px = await pixels(el, P.box);
    const colour = [px[0], px[2]];
    if (!P.last || Math.abs(colour[0] - P.last[0]) > 12 || Math.abs(colour[1] - P.last[1]) > 12) {
      if (P.last) P.changes += 1;
      P.last = colour;
    }
    const a = P.armed;
    if (a && a.keyAt !== null && maxDiff(await pixels(el, a.rect), a.before) > 60) {
      P.lat.push(now - a.keyAt);
      // WebRTC video: when its last packet arrived, split from the browser's own part
      if (meta && meta.receiveTime) P.recv.push(meta.receiveTime - a.keyAt);
      P.armed = null;
    }
  }

  function loop(el) {
    if (el.tagName === 'VIDEO' && el.requestVideoFrameCallback) {
      const again = () => el.requestVideoFrameCallback(async (now, meta) => { if (P.el === el) { await tick(meta); again(); } });
      again();
    } else {
      const again = () => requestAnimationFrame(async () => { if (P.el === el) { await tick(); again(); } });
      again();
    }
  }

  window.addEventListener('keydown', () => {
    if (P.armed && P.armed.keyAt === null) P.armed.keyAt = performance.now();
  }, true);

  P.start = (selector, box, screenW) => {
    P.el = document.querySelector(selector);
    P.box = box;
    P.screenW = screenW;
    P.last = null;
    loop(P.el);
    return Boolean(P.el);
  };
  P.reset = () => { P.changes = 0; P.painted = 0; };
  P.arm = async (rect) => {
    P.armed = { rect, before: (await pixels(P.el, rect)).slice(), keyAt: null };
  };
  P.rtc = async () => {
    const out = { bytes: 0, framesDecoded: 0, framesDropped: 0, jitterDelay: 0, jitterCount: 0, codec: '' };
    for (const pc of pcs) {
      if (pc.connectionState !== 'connected') continue;
      const stats = await pc.getStats();
      const codecs = {};
      stats.forEach((s) => { if (s.type === 'codec') codecs[s.id] = s.mimeType; });
      stats.forEach((s) => {
        if (s.type === 'transport') out.bytes += s.bytesReceived || 0;
        if (s.type === 'inbound-rtp' && s.kind === 'video') {
          out.framesDecoded += s.framesDecoded || 0;
          out.framesDropped += s.framesDropped || 0;
          out.jitterDelay += s.jitterBufferDelay || 0;
          out.jitterCount += s.jitterBufferEmittedCount || 0;
          out.codec = codecs[s.codecId] || out.codec;
          out.width = s.frameWidth;
          out.height = s.frameHeight;
        }
      });
    }
    return out;
  };
})();
