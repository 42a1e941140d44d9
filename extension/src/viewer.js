// The cobrowse viewer: a tab of its own, opened from the side panel for one
// session (?session=). Its own connection as the same rep (the relay gives
// every connection of a rep the rep's stream) receives the customer's rrweb
// events in COBROWSE frames and replays them live; with a control activity
// of this rep it sends the rep's input back in CONTROL frames.
// rrweb's replayer styles: esbuild emits them as viewer.css next to viewer.js.
import 'rrweb/dist/style.css';
import { KIND, encodeJson, decodeJson } from './lib/frames.js';
import { createCommands } from './rep/commands.js';
import { $, formatNumber } from './rep/dom.js';
import { has, t } from './rep/i18n.js';
import { trackPointer } from './rep/pointer.js';
import { createRemoteControl } from './rep/remote-control.js';
import { createReplay } from './rep/replay.js';
import { createReplayHover } from './rep/replay-hover.js';
import { openSessionTab } from './rep/session-tab.js';
import { tabControl, tabView } from './rep/viewer-launch.js';

const SNAPSHOT_ASK_MS = 3000;
const sessionId = new URLSearchParams(location.search).get('session');
let state = null; // this session's last session_state
let view = null; // its tab view activity
let control = null; // its tab control activity, when this rep holds it
let ended = false;
let connection = null;
let askedAt = 0; // when the customer's page was last asked for a full snapshot
let need = null; // what the customer still has to do, from their page or extension ('status' signals)
let customerLeft = false; // the customer whose tab was viewed left the session

// What a customer's side says when no page of theirs can be replayed.
const NEEDS = { extension: 'need_extension', share_tab: 'need_share_tab', not_capturable: 'not_capturable', loading: 'tab_loading' };

const layer = $('control-layer');
const replay = createReplay($('replay-root'), {
  onLive: () => { need = null; showStatus(); },
  onMeta: (meta) => { if (document.activeElement !== $('navigate-url')) $('navigate-url').value = meta.href; },
  onResize: ({ width, height, scale }) => {
    layer.style.width = width * scale + 'px';
    layer.style.height = height * scale + 'px';
  },
});
const commands = createCommands((type, fields) => connection.send(type, fields));
const remote = createRemoteControl(layer, {
  replay,
  hover: createReplayHover(replay),
  isOn: () => Boolean(control) && replay.started(),
  send: (body) => control && connection.sendFrame(KIND.control, control.stream, encodeJson(body)),
});

// The viewer never waits silently: it says whose move it is.
function showStatus() {
  const sharer = state && view && state.participants.find((p) => p.pid === view.sharer);
  const status = ended ? 'ended' : !state ? 'connecting' : !view ? (customerLeft ? 'customer_left' : 'no_view')
    : sharer && !sharer.present ? 'customer_away'
      : !replay.started() ? (need ? NEEDS[need] : 'waiting') : control ? 'control' : 'live';
  $('viewer-status').dataset.state = status;
  $('viewer-status').textContent = t('viewer_status_' + status);
  layer.dataset.control = control ? 'on' : 'off';
  const amRep = state && state.role !== 'customer';
  $('request-control').hidden = !view || Boolean(control) || !amRep || ended;
  $('stop-control').hidden = !control;
  $('navigate-url').disabled = !control;
  $('navigate-go').disabled = !control;
}

function onSessionState(msg) {
  state = msg;
  $('viewer-session').textContent = t('session_number', { number: formatNumber(msg.number) });
  const nextView = tabView(msg);
  if (view && !nextView) customerLeft = !msg.participants.some((p) => p.pid === view.sharer);
  if (nextView) customerLeft = false;
  if (!nextView || !view || nextView.stream !== view.stream) {
    replay.reset(); // a new view starts with a fresh full snapshot
    askedAt = 0;
    need = null;
  }
  view = nextView;
  const c = tabControl(msg);
  control = c && c.peer === msg.you ? c : null;
  if (!control) remote.stop();
  showStatus();
}

// A viewer that joins an ongoing view asks the customer's page for a fresh
// full snapshot, and asks again while none arrives.
setInterval(() => {
  if (!view || replay.started() || ended || !connection || !connection.isReady()) return;
  if (Date.now() - askedAt < SNAPSHOT_ASK_MS) return;
  askedAt = Date.now();
  commands.signal(sessionId, view.sharer, { cobrowse: 'snapshot' });
}, 500);

// A body is a JSON array of rrweb events, or one part of a large one:
// {"part": i, "parts": n, "data": "..."}; the parts' data joined is the array.
let parts = [];

function onFrame(frame) {
  if (frame.kind !== KIND.cobrowse || !view || frame.stream !== view.stream) return;
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
  for (const event of Array.isArray(body) ? body : [body]) replay.add(event);
}

function showError(text) {
  $('viewer-error').textContent = text;
  $('viewer-error').hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => { $('viewer-error').hidden = true; }, 8000);
}

const handlers = {
  session_state(msg) { if (msg.session === sessionId) onSessionState(msg); },
  signal(msg) {
    if (msg.session !== sessionId || !msg.data || !view || msg.sender !== view.sharer) return;
    // The customer's page had no longer the element the rep acted on.
    if (msg.data.cobrowse === 'gone') showError(t('viewer_control_gone'));
    // Why no page of the customer's can be replayed (their session page, or
    // the extension sharing their tab): shown instead of a silent wait.
    if (msg.data.cobrowse === 'status' && Object.prototype.hasOwnProperty.call(NEEDS, msg.data.need)) {
      need = msg.data.need;
      if (replay.started()) { replay.reset(); askedAt = 0; } // the picture is stale
      showStatus();
    }
  },
  session_ended(msg) {
    if (msg.session !== sessionId) return;
    ended = true;
    view = null;
    control = null;
    remote.stop();
    showStatus();
  },
  error(msg) {
    // Frames were missed for good (a long drop): the picture cannot be
    // brought up to date, so it starts again from a fresh full snapshot.
    if (msg.code === 'resync' || msg.code === 'frames_skipped') {
      if (replay.started()) { replay.reset(); askedAt = 0; }
      return;
    }
    if (msg.code === 'unauthorized') return;
    showError(`${has('error_' + msg.code) ? t('error_' + msg.code) : t('error_unknown')} ${msg.message}`);
  },
};

function wire() {
  trackPointer(layer, (pointer) => {
    if (view && !ended && connection.isReady()) commands.signal(sessionId, view.sharer, { pointer });
  });
  $('navigate-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const url = $('navigate-url').value.trim();
    if (control && /^https?:\/\//i.test(url)) remote.navigate(url);
  });
  $('request-control').addEventListener('click', () => commands.requestGrant(sessionId, 'control', 'tab'));
  $('stop-control').addEventListener('click', () => { if (control && control.grant) commands.revokeGrant(sessionId, control.grant); });
}

async function main() {
  wire();
  connection = await openSessionTab({
    sessionId,
    statusId: 'viewer-status',
    storePrefix: 'tandem-viewer:',
    handlers,
    onConnected: showStatus,
    onFrame,
  });
  if (!connection) return;
  connection.open();
  showStatus();
}

main();
