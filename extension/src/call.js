// The rep's call tab (?session=): holds the rep's camera and microphone and
// shows everyone's video and voice in one session (lib/media.js,
// shared with the customer's page). Its own connection as the same rep; the
// side panel's Video and Voice buttons start and stop, and so do these.
import { createMedia, mediaActivities, mediaError } from './lib/media.js';
import { playAll, renderTiles, watchLevels } from './lib/media-tiles.js';
import { createCommands } from './rep/commands.js';
import { $, formatNumber } from './rep/dom.js';
import { has, t } from './rep/i18n.js';
import { openSessionTab } from './rep/session-tab.js';

const ERROR_MS = 10000;
const sessionId = new URLSearchParams(location.search).get('session');

let state = null;
let ended = false;
let connection = null;
let errorTimer = null;

const ready = () => Boolean(connection && connection.isReady());
const commands = createCommands((type, fields) => connection.send(type, fields));
const text = (key, vars) => t('media_' + key.replace('.', '_'), vars);
// The sender's own running video or audio (none once the session has ended).
const mine = (kind) => (state && !ended && (mediaActivities(state).get(state.you) || {})[kind]) || null;
const tiles = $('call-tiles');

const media = createMedia({
  signal: (to, data) => { if (ready()) commands.signal(sessionId, to, data); },
  onChange: render,
  onError(kind, err) {
    const [key, device] = mediaError(kind, err);
    showError(text(key, { device: text(device) }));
    const act = mine(kind);
    if (act) commands.stopActivity(sessionId, act.id);
  },
});

function showError(message) {
  $('call-error').textContent = message;
  $('call-error').hidden = false;
  clearTimeout(errorTimer);
  errorTimer = setTimeout(() => { $('call-error').hidden = true; }, ERROR_MS);
}

function render() {
  const live = Boolean(state) && !ended && (state.state === 'open' || state.state === 'active');
  if (ended) {
    $('call-status').dataset.state = 'ended';
    $('call-status').textContent = t('desktop_status_ended');
  }
  renderTiles(tiles, media, live ? state : null, text, () => { $('call-play').hidden = false; });
  $('call-nobody').hidden = tiles.children.length > 0;
  const canStart = live && state.tools_available;
  $('call-video').disabled = !canStart && !mine('video');
  $('call-audio').disabled = !canStart && !mine('audio');
  $('call-video').textContent = t(mine('video') ? 'video_stop' : 'video_start');
  $('call-audio').textContent = t(mine('audio') ? 'audio_stop' : 'audio_start');
  $('call-mute').hidden = !mine('audio');
  $('call-mute').textContent = text(media.muted() ? 'unmute' : 'mute');
  $('call-mute').setAttribute('aria-pressed', String(media.muted()));
}

function toggle(kind) {
  if (!state || ended) return;
  const act = mine(kind);
  if (act) { commands.stopActivity(sessionId, act.id); return; }
  media.start(kind, () => commands.startActivity(sessionId, kind));
}

const handlers = {
  welcome(msg) { media.setIceServers(msg.ice_servers); },
  session_state(msg) {
    if (msg.session !== sessionId) return;
    state = msg;
    $('call-session').textContent = t('session_number', { number: formatNumber(msg.number) });
    media.update(msg);
    render();
  },
  signal(msg) { if (msg.session === sessionId && !ended) media.receive(msg.sender, msg.data); },
  session_ended(msg) {
    if (msg.session !== sessionId) return;
    ended = true;
    media.close();
    render();
  },
  error(msg) {
    if (msg.code === 'resync' || msg.code === 'frames_skipped' || msg.code === 'unauthorized') return;
    showError(`${has('error_' + msg.code) ? t('error_' + msg.code) : t('error_unknown')} ${msg.message}`);
  },
};

async function main() {
  $('call-video').addEventListener('click', () => toggle('video'));
  $('call-audio').addEventListener('click', () => toggle('audio'));
  $('call-mute').addEventListener('click', () => media.setMuted(!media.muted()));
  $('call-play').addEventListener('click', () => { playAll(tiles); $('call-play').hidden = true; });
  watchLevels(tiles, media);
  connection = await openSessionTab({
    sessionId,
    statusId: 'call-status',
    storePrefix: 'tandem-call:',
    handlers,
    onConnected: () => {
      $('call-status').dataset.state = 'connected';
      $('call-status').textContent = t('status_connected');
      render();
    },
  });
  if (!connection) return;
  connection.open();
  render();
}

main();
