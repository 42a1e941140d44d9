// The desktop viewer: a tab of its own (?session=) showing a desktop or an
// application that a Support Manager shares (agent/webrtc.py). Its own
// connection as the same rep asks the agent for a WebRTC offer and shows the
// video; when WebRTC cannot connect, the agent sends FRAMES over the relay and
// they are painted on a canvas instead. With a control activity of this rep,
// the rep's input goes back in CONTROL frames (rep/desktop-stream.js and
// rep/desktop-input.js, shared with the customer's page, which shows a rep's
// own screen the same way). The view mode (Standard or
// Screen sampling) is the session's, set by the primary in the side panel's
// Session tab: this page only shows it.
import { KIND, encodeJson } from './lib/frames.js';
import { createCommands } from './rep/commands.js';
import { createDesktopInput } from './rep/desktop-input.js';
import { createDesktopStream } from './rep/desktop-stream.js';
import { $, formatNumber } from './rep/dom.js';
import { has, t } from './rep/i18n.js';
import { openSessionTab } from './rep/session-tab.js';
import { DOWNSCALE, viewModeName, viewModeOf } from './rep/view-mode.js';
import { desktopControl, desktopView } from './rep/viewer-launch.js';

const params = new URLSearchParams(location.search);
const sessionId = params.get('session');
const useWebRTC = params.get('webrtc') !== '0'; // ?webrtc=0: relay frames only

let state = null;
let view = null; // the desktop/application activity shown
let control = null; // its control activity, when this rep holds it
let ended = false;
let connection = null;

const stage = $('desktop-stage');
const video = $('desktop-video');
const canvas = $('desktop-canvas');
const commands = createCommands((type, fields) => connection.send(type, fields));
const stream = createDesktopStream({
  video,
  canvas,
  signal: (to, data) => commands.signal(sessionId, to, data),
  ready: () => Boolean(connection && connection.isReady()),
  onChange: () => render(),
  onError: (err) => showError(String(err)),
  webrtc: useWebRTC,
});

// A rep's own screen that the rep shares (Share view / Share control): not
// this page's to ask control of.
function repsScreen(msg, activity) {
  const sharer = msg.participants.find((p) => p.pid === activity.sharer);
  const owner = sharer && msg.participants.find((p) => p.pid === sharer.owner);
  return Boolean(owner && owner.kind === 'rep');
}

function render() {
  fitPicture();
  const transport = stream.transport();
  stage.dataset.transport = transport;
  const status = ended ? 'ended' : !state ? 'connecting' : !view ? 'no_view'
    : transport === 'none' ? 'connecting' : control ? 'control' : transport;
  $('desktop-status').dataset.state = status;
  $('desktop-status').textContent = t('desktop_status_' + status);
  stage.dataset.control = control ? 'on' : 'off';
  const mayAsk = state && state.role === 'primary' && view && !repsScreen(state, view); // the relay checks it too
  $('desktop-request-control').hidden = !mayAsk || Boolean(control) || ended;
  $('desktop-stop-control').hidden = !control;
}

function onSessionState(msg) {
  state = msg;
  $('desktop-session').textContent = t('session_number', { number: formatNumber(msg.number) });
  view = ended ? null : desktopView(msg);
  stream.show(view);
  showViewMode(viewModeOf(msg));
  const c = desktopControl(msg);
  control = c && c.peer === msg.you ? c : null;
  render();
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
  welcome(msg) { stream.setIceServers(msg.ice_servers); },
  session_state(msg) { if (msg.session === sessionId) onSessionState(msg); },
  signal(msg) { if (msg.session === sessionId) stream.receive(msg.sender, msg.data); },
  session_ended(msg) {
    if (msg.session !== sessionId) return;
    ended = true;
    view = null;
    control = null;
    stream.show(null);
    render();
  },
  error(msg) {
    if (msg.code === 'resync' || msg.code === 'frames_skipped' || msg.code === 'unauthorized') return;
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
}

async function main() {
  wire();
  connection = await openSessionTab({
    sessionId,
    statusId: 'desktop-status',
    storePrefix: 'tandem-desktop:',
    handlers,
    onConnected: () => {
      stream.connected();
      render();
    },
    onFrame: (frame) => stream.frame(frame),
  });
  if (!connection) return;
  connection.open();
  render();
}

main();
