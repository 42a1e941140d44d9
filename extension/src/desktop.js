// The desktop viewer: a tab of its own (?session=) showing a desktop or an
// application that a Support Manager shares (agent/webrtc.py). Its own
// connection as the same rep asks the agent for a WebRTC offer and shows the
// video; when WebRTC cannot connect, the agent sends FRAMES over the relay and
// they are painted on a canvas instead. With a control activity of this rep,
// the rep's input goes back in CONTROL frames. The view mode (Standard or
// Screen sampling) is the session's, set by the primary in the side panel's
// Session tab: this page only shows it.
import { KIND, encodeJson } from './lib/frames.js';
import { createCommands } from './rep/commands.js';
import { createDesktopCanvas } from './rep/desktop-canvas.js';
import { createDesktopInput } from './rep/desktop-input.js';
import { createDesktopPeer } from './rep/desktop-peer.js';
import { $, formatNumber } from './rep/dom.js';
import { has, t } from './rep/i18n.js';
import { openSessionTab } from './rep/session-tab.js';
import { DOWNSCALE, viewModeName, viewModeOf } from './rep/view-mode.js';
import { desktopControl, desktopView } from './rep/viewer-launch.js';

const ASK_MS = 10000; // ask for a new offer while WebRTC is not up
const REPAINT_MS = 3000; // ask for a whole picture over the relay while none shows
const params = new URLSearchParams(location.search);
const sessionId = params.get('session');
const useWebRTC = params.get('webrtc') !== '0'; // ?webrtc=0: relay frames only

let state = null;
let view = null; // the desktop/application activity shown
let control = null; // its control activity, when this rep holds it
let ended = false;
let connection = null;
let askedAt = 0;
let repaintAt = 0;
let asked = null; // the nonce of our latest request: only its offer is answered

const stage = $('desktop-stage');
const video = $('desktop-video');
const canvas = $('desktop-canvas');
const commands = createCommands((type, fields) => connection.send(type, fields));
const frames = createDesktopCanvas(canvas);
const peer = createDesktopPeer({
  onStream: (stream) => { video.srcObject = stream; video.play().catch(() => {}); },
  onState: (s) => { video.dataset.connectionState = s; render(); },
  sendAnswer: (answer) => view && commands.signal(sessionId, view.sharer, { webrtc: answer, activity: view.id }),
});

const overWebRTC = () => peer.state() === 'connected';

// WebRTC when it is up; else the relay's picture, which stays valid while the
// screen is still (the agent sends only changes). When WebRTC takes over, the
// canvas is forgotten: should WebRTC drop, a whole picture is asked for anew.
function render() {
  fitPicture();
  if (overWebRTC()) frames.reset();
  const transport = overWebRTC() ? 'webrtc' : frames.shown() ? 'relay' : 'none';
  stage.dataset.transport = transport;
  video.hidden = transport === 'relay';
  canvas.hidden = transport !== 'relay';
  const status = ended ? 'ended' : !state ? 'connecting' : !view ? 'no_view'
    : transport === 'none' ? 'connecting' : control ? 'control' : transport;
  $('desktop-status').dataset.state = status;
  $('desktop-status').textContent = t('desktop_status_' + status);
  stage.dataset.control = control ? 'on' : 'off';
  const amRep = state && state.role !== 'customer';
  $('desktop-request-control').hidden = !view || Boolean(control) || !amRep || ended;
  $('desktop-stop-control').hidden = !control;
}

function askForOffer() {
  if (!useWebRTC || !view || ended || !connection || !connection.isReady()) return;
  askedAt = Date.now();
  asked = Math.random().toString(36).slice(2, 10);
  commands.signal(sessionId, view.sharer, { webrtc: { type: 'request', activity: view.id, request: asked }, activity: view.id });
}

// A still screen sends no frames: a viewer that opens on one asks for a whole picture.
function askForRepaint() {
  if (!view || ended || !connection || !connection.isReady()) return;
  repaintAt = Date.now();
  commands.signal(sessionId, view.sharer, { frames: 'full', activity: view.id });
}

function onSessionState(msg) {
  state = msg;
  $('desktop-session').textContent = t('session_number', { number: formatNumber(msg.number) });
  const next = desktopView(msg);
  const changed = !next || !view || next.id !== view.id;
  view = next;
  if (changed) {
    peer.close();
    frames.reset();
    if (view) askForOffer();
  }
  showViewMode(viewModeOf(msg));
  const c = desktopControl(msg);
  control = c && c.peer === msg.you ? c : null;
  render();
}

function onSignal(msg) {
  if (msg.session !== sessionId || !view || msg.sender !== view.sharer) return;
  const offer = msg.data && msg.data.webrtc;
  if (!useWebRTC || !offer || offer.type !== 'offer' || typeof offer.sdp !== 'string') return;
  if (offer.activity != null && offer.activity !== view.id) return;
  if (!asked || offer.request !== asked) return; // unasked, replayed, or another tab's
  peer.answer(offer).catch((err) => showError(String(err)));
}

function onFrame(frame) {
  if (frame.kind !== KIND.frames || !view || frame.stream !== view.stream) return;
  const first = !frames.shown();
  frames.add(frame.body);
  if (first) setTimeout(render, 50); // the first picture: show the canvas
}

// Screen sampling sends a smaller picture: show it at the screen's size (the
// stage still caps it), so switching modes does not make the desktop jump.
function fitPicture() {
  const k = DOWNSCALE[stage.dataset.viewMode] || 1;
  for (const node of [video, canvas]) {
    const width = node === video ? video.videoWidth : canvas.width;
    node.style.width = k > 1 && width ? `${width * k}px` : '';
  }
}

function showViewMode(mode) {
  const node = $('desktop-view-mode');
  node.dataset.mode = mode;
  node.textContent = t('desktop_view_mode', { mode: viewModeName(mode) });
  stage.dataset.viewMode = mode;
  fitPicture();
}

function showError(text) {
  $('desktop-error').textContent = text;
  $('desktop-error').hidden = false;
  setTimeout(() => { $('desktop-error').hidden = true; }, 8000);
}

const handlers = {
  welcome(msg) { peer.setIceServers(msg.ice_servers); },
  session_state(msg) { if (msg.session === sessionId) onSessionState(msg); },
  signal: onSignal,
  session_ended(msg) {
    if (msg.session !== sessionId) return;
    ended = true;
    view = null;
    control = null;
    peer.close();
    render();
  },
  error(msg) {
    if (msg.code === 'resync' || msg.code === 'unauthorized') return;
    showError(`${has('error_' + msg.code) ? t('error_' + msg.code) : t('error_unknown')} ${msg.message}`);
  },
};

function wire() {
  video.addEventListener('resize', fitPicture); // the agent sends another size
  createDesktopInput(stage, {
    surface: () => (canvas.hidden ? video : canvas),
    isOn: () => Boolean(control) && stage.dataset.transport !== 'none',
    send: (body) => control && connection.sendFrame(KIND.control, control.stream, encodeJson(body)),
  });
  $('desktop-request-control').addEventListener('click', () => {
    if (view) commands.requestGrant(sessionId, 'control', view.scope);
  });
  $('desktop-stop-control').addEventListener('click', () => { if (control && control.grant) commands.revokeGrant(sessionId, control.grant); });
  // The relay stopped sending frames, or WebRTC never came: look again.
  setInterval(() => {
    render();
    if (view && !overWebRTC() && Date.now() - askedAt > ASK_MS) askForOffer();
    if (view && stage.dataset.transport === 'none' && Date.now() - repaintAt > REPAINT_MS) askForRepaint();
  }, 1000);
}

async function main() {
  wire();
  connection = await openSessionTab({
    sessionId,
    statusId: 'desktop-status',
    storePrefix: 'tandem-desktop:',
    handlers,
    onConnected: () => {
      if (view) askForOffer();
      render();
    },
    onFrame,
  });
  if (!connection) return;
  connection.open();
  render();
}

main();
