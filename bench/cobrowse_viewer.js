// The rep's cobrowse viewer, reduced to what bench/cobrowse.py measures:
// the extension's own transport (extension/src/lib/connection.js), frame
// decoding (extension/src/lib/frames.js) and live replay
// (extension/src/rep/replay.js, rrweb's Replayer in live mode), with
// extension/src/viewer.js's onFrame, and none of its chrome.* plumbing.
// Bundled by cobrowse.py with esbuild (IIFE) and served on the relay's origin.
//
// Latency probe: the customer's page sets the text of #bench-stamp to
// performance.timeOrigin + performance.now() at the moment of the change; a
// MutationObserver inside the replay iframe sees the replayed text and records
// (this page's timeOrigin + now) - stamp, both pages on the same machine.
import 'rrweb/dist/style.css';
import { createConnection } from '../extension/src/lib/connection.js';
import { KIND, decodeJson } from '../extension/src/lib/frames.js';
import { createReplay } from '../extension/src/rep/replay.js';
import { Replayer } from 'rrweb';

const params = new URLSearchParams(location.search);
const now = () => performance.timeOrigin + performance.now();
const tabView = (state) => state.activities.find((a) => a.kind === 'view' && a.scope === 'tab') || null;

const bench = {
  welcomed: false,
  state: null,
  view: null,
  frames: 0,
  events: 0,
  snapshots: 0,
  latencies: [], // [stamp text, ms]: replayed in the iframe
  received: [], // [stamp text, ms]: the frame carrying it reached this page
  seen: new Set(),
  errors: [],
  arrivals: [], // [type, ms from the event's timestamp (Date.now) to arrival]: Meta and FullSnapshot
};
window.bench = bench;

// ?replay=arrival, a what-if (not Tandem's viewer): every event is stamped
// with this page's clock on arrival and the live baseline is "now", so events
// play at the next animation frame after they arrive. replay.js instead
// baselines at the first (Meta) event's timestamp, which is taken before the
// full snapshot is serialized: that wait then delays every later event.
if (params.get('replay') === 'arrival') {
  const { addEvent, startLive } = Replayer.prototype;
  Replayer.prototype.startLive = function () { return startLive.call(this, Date.now()); };
  Replayer.prototype.addEvent = function (event) { return addEvent.call(this, { ...event, timestamp: Date.now() }); };
}

const replay = createReplay(document.getElementById('replay-root'), {
  onLive() {}, onMeta() {}, onResize() {},
});

// --- the latency probe -------------------------------------------------------

let observedDoc = null;
let observer = null;

function probe(records) {
  const at = now();
  // Every value the stamp held: each record's old value, then the current one
  // (two changes replayed in one animation frame are both counted).
  const values = records.filter((r) => r.type === 'characterData').map((r) => r.oldValue);
  const el = observedDoc && observedDoc.getElementById('bench-stamp');
  if (el) values.push(el.textContent);
  for (const text of values) {
    if (text == null || bench.seen.has(text)) continue;
    bench.seen.add(text);
    if (Number(text) > 0) bench.latencies.push([text, at - Number(text)]);
  }
}

// The replay iframe's document is rebuilt by every full snapshot: follow it.
function watch() {
  const iframe = replay.iframe();
  const doc = iframe && iframe.contentDocument;
  if (doc && doc !== observedDoc) {
    if (observer) observer.disconnect();
    observedDoc = doc;
    observer = new MutationObserver(probe);
    observer.observe(doc, { subtree: true, childList: true, characterData: true, characterDataOldValue: true });
  }
}
setInterval(watch, 20);

// --- extension/src/viewer.js's frame handling ----------------------------------

let parts = [];

function onFrame(frame) {
  const at = now();
  if (frame.kind !== KIND.cobrowse || !bench.view || frame.stream !== bench.view.stream) return;
  bench.frames += 1;
  let body;
  try { body = decodeJson(frame.body); } catch (_) { return; }
  if (!Array.isArray(body) && body && Number.isInteger(body.part)) {
    if (body.part === 0) parts = [];
    parts[body.part] = body.data;
    if (body.part !== body.parts - 1) return;
    const whole = parts.join('');
    parts = [];
    try { body = JSON.parse(whole); } catch (_) { return; }
  }
  for (const event of Array.isArray(body) ? body : [body]) {
    bench.events += 1;
    if (event && event.type === 3 && event.data && event.data.texts) {
      for (const t of event.data.texts) if (Number(t.value) > 1e12) bench.received.push([t.value, at - Number(t.value)]);
    }
    if (event && event.type === 2) bench.snapshots += 1;
    if (event && (event.type === 2 || event.type === 4)) bench.arrivals.push([event.type, Date.now() - event.timestamp, at]);
    replay.add(event);
    if (event && event.type === 2) watch();
  }
}

function onSessionState(msg) {
  bench.state = msg;
  const next = tabView(msg);
  if (!next || !bench.view || next.stream !== bench.view.stream) replay.reset();
  bench.view = next;
}

const connection = createConnection({
  url: location.origin.replace(/^http/, 'ws') + '/ws',
  token: params.get('token'),
  storeKey: 'tandem-bench-viewer',
  storage: null,
  client: 'extension',
  onMessage(msg) {
    if (msg.type === 'welcome') bench.welcomed = true;
    else if (msg.type === 'session_state' && msg.state !== 'ended') onSessionState(msg);
    else if (msg.type === 'error' && msg.code !== 'resync') bench.errors.push(msg);
  },
  onFrame,
});
connection.open();

bench.started = () => replay.started();
bench.acceptNext = () => connection.send('accept_next', {});
bench.end = () => bench.state && connection.send('end_session', { session: bench.state.session });
bench.stampShown = () => Boolean(observedDoc && observedDoc.getElementById('bench-stamp'));
