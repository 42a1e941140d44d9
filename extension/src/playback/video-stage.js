// The recorded screen: FRAMES bodies (agent/fallback.py: "!6H" x, y, w, h,
// full_w, full_h, then a JPEG) painted on a canvas at their time, fetched a
// stretch at a time. A seek repaints from the last whole picture before the
// position.
const RECORD = 16; // "!dII": at (ms, float64), stream, length (server/recording/read.py)
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

const WINDOW_MS = 30000; // the stretch of the recording fetched at a time
const AHEAD_MS = 10000; // fetch the next stretch this long before it is needed

// load(from, to): a promise of the updates from `from` to before `to` (ms),
// preceded by the last whole picture before `from` and what follows it
// (server/recording/read.py `video`). Only a stretch or two is held at a
// time, so an hour-long recording plays in the memory of a minute.
export function createVideoStage(canvas, load, end) {
  const ctx = canvas.getContext('2d');
  let frames = [];
  let next = 0; // index of the first frame not painted yet
  let loadedTo = 0; // frames are known up to (not including) this time
  let loading = false;
  let position = 0;
  let work = Promise.resolve();
  let generation = 0;
  let busy = false;
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

  function paintUpTo(target, mine) {
    busy = true;
    work = work.then(async () => {
      while (mine === generation && next < frames.length && frames[next].t <= target) {
        await paint(frames[next]);
        if (mine === generation) next += 1;
      }
    }).catch((err) => console.error(err)).finally(() => {
      if (mine === generation) {
        busy = false;
        canvas.dataset.painted = String(Math.round(target));
      }
    });
  }

  // The stretch from `from`; `fresh`: after a seek (what is held is dropped
  // and painting starts again from the whole picture the stretch begins with).
  function fetchStretch(from, fresh) {
    const mine = generation;
    const to = from + WINDOW_MS;
    loading = true;
    load(Math.floor(from), Math.ceil(to)).then((buffer) => {
      if (mine !== generation) return;
      const got = parse(buffer);
      if (fresh) {
        frames = got;
        next = 0;
        canvas.hidden = true; // repainted from the whole picture
        busy = false;
      } else {
        frames = frames.slice(next).concat(got.filter((f) => f.t >= from)); // painted ones go
        next = 0;
      }
      loadedTo = to;
      if (!busy) paintUpTo(position, mine);
    }).catch((err) => {
      console.error(err);
      if (mine !== generation || !fresh) return; // the next advance asks again
      frames = []; // a failed seek: go on from there, painting from the next whole picture
      next = 0;
      loadedTo = from;
      busy = false;
    }).finally(() => {
      if (mine === generation) loading = false;
    });
  }

  return {
    seek(at) {
      generation += 1;
      position = at;
      busy = true; // nothing is painted from what is held until the new stretch is here
      fetchStretch(at, true);
    },
    advance(at) {
      position = at;
      if (!busy && next < frames.length && frames[next].t <= at) paintUpTo(at, generation);
      if (!loading && loadedTo <= end && at > loadedTo - AHEAD_MS) fetchStretch(loadedTo, false);
    },
    pause() {},
  };
}
