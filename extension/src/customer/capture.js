// Cobrowse capture: rrweb records this page while a view activity shares it,
// and its events leave as COBROWSE frames.
//
// Body of a COBROWSE frame: UTF-8 JSON. Normally an array of rrweb events
// (`[event, ...]`, in order). An event too large for one frame (a full
// snapshot of a big page) is cut into parts: bodies
// `{"part": i, "parts": n, "data": "..."}`, i = 0..n-1, sent back to back on
// the same stream, whose `data` strings joined make the JSON text of an
// array as above. A body starting with `[` is whole; with `{`, a part.
//
// Batching: the first event after a quiet spell leaves in a microtask (low
// latency); under load, events leave together at most every ~16 ms.
//
// Besides rrweb's own events: a Custom event {tag: "location", payload:
// {href}} whenever the address changes without a page load (hash, History
// API), so the rep's address bar follows.
import { record, EventType, IncrementalSource } from 'rrweb';
import { KIND } from '../lib/frames.js';
import { watchLocation } from './location-watch.js';

export const LOCATION_TAG = 'location';

const BATCH_MS = 16;
// A frame's most: the relay reads each frame whole into its connection's read
// buffer, which keeps the size of the largest frame for the connection's life
// (a full snapshot of a big page in one 700 KB frame held 700 KB of the relay
// per customer); parts of at most 32 KiB keep that to ~35 kB, for ~30 µs of
// relay CPU per part (BENCHMARKS.md, Capacity).
const PART_BYTES = 32 * 1024;
const encoder = new TextEncoder();

export function createCapture({ send, recordOptions, blockSelector, echo }) {
  let stopRecording = null;
  let stopWatching = null;
  let stream = null;
  let queue = [];
  let timer = null;
  let lastFlush = 0;

  let lost = false; // a frame could not leave: the viewer needs a full snapshot

  function sendBody(text) {
    if (!send(KIND.cobrowse, stream, encoder.encode(text))) lost = true;
  }

  function flush() {
    timer = null;
    lastFlush = performance.now();
    const events = queue;
    queue = [];
    if (stream == null || !events.length) return;
    const whole = JSON.stringify(events);
    if (whole.length * 3 <= PART_BYTES) { // fits even if every unit takes 3 bytes in UTF-8
      sendBody(whole);
      return;
    }
    let batch = [];
    let size = 2;
    const out = () => { if (batch.length) sendBody('[' + batch.join(',') + ']'); batch = []; size = 2; };
    for (const event of events) {
      const text = JSON.stringify(event);
      const bytes = encoder.encode(text).length;
      if (bytes + 2 > PART_BYTES) {
        out();
        const whole = '[' + text + ']';
        // At most 6 bytes per UTF-16 unit once JSON-escaped (\u00XX).
        const parts = Math.ceil(whole.length / Math.floor(PART_BYTES / 6));
        const step = Math.ceil(whole.length / parts);
        for (let i = 0; i < parts; i += 1) {
          sendBody(JSON.stringify({ part: i, parts, data: whole.slice(i * step, (i + 1) * step) }));
        }
        continue;
      }
      if (size + bytes + 1 > PART_BYTES) out();
      batch.push(text);
      size += bytes + 1;
    }
    out();
  }

  function schedule() {
    if (timer) return;
    const since = performance.now() - lastFlush;
    if (since >= BATCH_MS) {
      timer = true;
      queueMicrotask(flush);
    } else {
      timer = setTimeout(flush, BATCH_MS - since);
    }
  }

  function emit(event) {
    if (echo && !echo.keep(event)) return;
    queue.push(event);
    schedule();
  }

  return {
    get stream() { return stream; },
    // Start recording for `streamId` (a view activity's stream); rrweb's first
    // events are a meta event and a full snapshot.
    start(streamId) {
      if (stopRecording && stream === streamId) return;
      this.stop();
      stream = streamId;
      lost = false;
      stopRecording = record({
        emit,
        ...recordOptions,
        blockSelector,
        // The rep's viewer shows every interaction; nothing here needs canvas.
        recordCanvas: false,
        collectFonts: false,
        inlineStylesheet: true,
      }) || null;
      stopWatching = watchLocation((href) => {
        if (stopRecording) record.addCustomEvent(LOCATION_TAG, { href });
      });
    },
    stop() {
      if (stopRecording) stopRecording();
      if (stopWatching) stopWatching();
      stopRecording = null;
      stopWatching = null;
      if (timer && timer !== true) clearTimeout(timer);
      timer = null;
      queue = [];
      stream = null;
    },
    // A fresh full snapshot, for a viewer who just joined.
    snapshot() {
      if (!stopRecording) return;
      flush();
      lost = false;
      record.takeFullSnapshot(true);
    },
    // Frames can flow again: if any were lost, start the viewer afresh.
    resync() { if (lost) this.snapshot(); },
    get mirror() { return record.mirror; },
    recording: () => Boolean(stopRecording),
  };
}

export { EventType, IncrementalSource };
