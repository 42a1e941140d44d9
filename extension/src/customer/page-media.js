// Video and voice on the customer's session page (media.js does the WebRTC).
// The customer sees and hears whoever shares; their own camera and
// microphone are used only after they say so: a prompt when a rep starts
// video or voice, and their own Share buttons.
import { createMedia, mediaActivities, mediaError, unanswered } from '../lib/media.js';
import { playAll, renderTiles, watchLevels } from '../lib/media-tiles.js';

const ERROR_MS = 10000;

export function createCustomerMedia({ t, send }) {
  const $ = (id) => document.getElementById(id);
  const ui = {
    section: $('media'), prompt: $('media-prompt'), promptText: $('media-prompt-text'),
    allow: $('media-allow'), decline: $('media-decline'), tiles: $('media-tiles'),
    video: $('media-video'), audio: $('media-audio'), mute: $('media-mute'), play: $('media-play'),
    error: $('media-error'),
  };
  let state = null;
  let errorTimer = null;
  const answered = new Set(); // rep activity ids the customer has answered
  const text = (key, vars) => t('customer.media.' + key, vars);
  const mine = (kind) => (state && (mediaActivities(state).get(state.you) || {})[kind]) || null;

  const media = createMedia({
    signal: (to, data) => state && send('signal', { session: state.session, to, data }),
    onChange: render,
    onError(kind, err) {
      const [key, device] = mediaError(kind, err);
      showError(text(key, { device: text(device) }));
      const act = mine(kind);
      if (act) send('stop_activity', { session: state.session, activity: act.id });
    },
  });
  watchLevels(ui.tiles, media);

  function showError(message) {
    ui.error.textContent = message;
    ui.error.hidden = false;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(() => { ui.error.hidden = true; }, ERROR_MS);
  }

  // Reps' video and voice this customer has not answered yet.
  const asking = () => unanswered(state, answered);

  function renderPrompt() {
    const open = asking();
    ui.prompt.hidden = open.length === 0;
    if (!open.length) return;
    const kinds = new Set(open.map((x) => x.act.kind));
    const what = kinds.size === 2 ? 'both' : [...kinds][0];
    ui.promptText.textContent = text('prompt.' + what, { name: open[0].who.name });
  }

  function render() {
    if (!state) return;
    const live = state.state === 'open' || state.state === 'active';
    ui.section.hidden = !live;
    if (!live) { renderTiles(ui.tiles, media, null, text); return; }
    renderPrompt();
    renderTiles(ui.tiles, media, state, text, () => { ui.play.hidden = false; });
    const video = mine('video');
    const audio = mine('audio');
    ui.video.textContent = text(video ? 'stop_video' : 'start_video');
    ui.audio.textContent = text(audio ? 'stop_voice' : 'start_voice');
    ui.mute.hidden = !audio;
    ui.mute.textContent = text(media.muted() ? 'unmute' : 'mute');
    ui.mute.setAttribute('aria-pressed', String(media.muted()));
  }

  function toggle(kind) {
    if (!state) return;
    const act = mine(kind);
    if (act) { send('stop_activity', { session: state.session, activity: act.id }); return; }
    media.start(kind, () => send('start_activity', { session: state.session, kind }));
  }

  // Allow: the customer's camera and/or microphone join what the rep started.
  function answer(allow) {
    const open = asking();
    for (const { act } of open) answered.add(act.id);
    playAll(ui.tiles); // a click: the browser now plays sound
    ui.play.hidden = true;
    if (allow) for (const kind of new Set(open.map((x) => x.act.kind))) if (!mine(kind)) toggle(kind);
    render();
  }

  ui.allow.addEventListener('click', () => answer(true));
  ui.decline.addEventListener('click', () => answer(false));
  ui.video.addEventListener('click', () => toggle('video'));
  ui.audio.addEventListener('click', () => toggle('audio'));
  ui.mute.addEventListener('click', () => media.setMuted(!media.muted()));
  ui.play.addEventListener('click', () => { playAll(ui.tiles); ui.play.hidden = true; });

  return {
    welcome(msg) { media.setIceServers(msg.ice_servers); },
    update(next) { state = next; media.update(next); render(); },
    signal(msg) { if (state && msg.session === state.session) media.receive(msg.sender, msg.data); },
    end() { media.close(); renderTiles(ui.tiles, media, null, text); ui.section.hidden = true; },
  };
}
