// Video and voice in the widget, for customers who came through the website
// snippet or the extension's content script: the same WebRTC mesh and tiles
// as the customer's session page (lib/media.js, media-tiles.js).
// The customer sees and hears whoever shares; their own camera and
// microphone are opened only after they say so: Allow when a rep starts
// video or voice, or their own Share buttons.
//
//   const media = createWidgetMedia({ t, send, onAsk })
//     t      the widget's translator (strings.js, keys media*)
//     send   (type, fields) => void: a message for the relay, this session
//     onAsk  () => void: a rep asks; the panel should be seen
//   media.element                 the section to place in the panel
//   media.welcome(msg), media.update(state), media.signal(msg), media.end()
import { createMedia, mediaActivities, mediaError, unanswered } from '../lib/media.js';
import { playAll, renderTiles, watchLevels } from '../lib/media-tiles.js';
import { h } from './dom.js';

const ERROR_MS = 10000;

// 'prompt.both' -> 'mediaPromptBoth', 'play_sound' -> 'mediaPlaySound'
const keyOf = (key) => 'media' + key.split(/[._]/).map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');

export function createWidgetMedia({ t, send, onAsk = () => {} }) {
  const text = (key, vars) => t(keyOf(key), vars);
  const promptText = h('span', { class: 'media-prompt-text' });
  const allow = h('button', { type: 'button', class: 'approve media-allow', text: text('allow'), onclick: () => answer(true) });
  const decline = h('button', { type: 'button', class: 'deny media-decline', text: text('decline'), onclick: () => answer(false) });
  const prompt = h('div', { class: 'prompt media-prompt', role: 'alertdialog', hidden: true },
    promptText, h('div', { class: 'row' }, allow, decline));
  const tiles = h('div', { class: 'media-tiles' });
  const play = h('button', { type: 'button', class: 'media-play', hidden: true, text: text('play_sound'),
    onclick: () => { playAll(tiles); play.hidden = true; } });
  const video = h('button', { type: 'button', class: 'media-video-toggle', onclick: () => toggle('video') });
  const audio = h('button', { type: 'button', class: 'media-audio-toggle', onclick: () => toggle('audio') });
  const mute = h('button', { type: 'button', class: 'quiet media-mute', hidden: true,
    onclick: () => media.setMuted(!media.muted()) });
  const error = h('p', { class: 'error media-error', role: 'alert', hidden: true });
  const element = h('section', { class: 'media', hidden: true, 'aria-label': text('title') },
    prompt, tiles, play, h('div', { class: 'row media-controls' }, video, audio, mute), error);

  let state = null;
  let errorTimer = null;
  const answered = new Set(); // rep activity ids the customer has answered
  const mine = (kind) => (state && (mediaActivities(state).get(state.you) || {})[kind]) || null;

  const media = createMedia({
    signal: (to, data) => { if (state) send('signal', { to, data }); },
    onChange: render,
    onError(kind, err) {
      const [key, device] = mediaError(kind, err);
      showError(text(key, { device: text(device) }));
      const act = mine(kind);
      if (act) send('stop_activity', { activity: act.id });
    },
  });
  const levels = watchLevels(tiles, media);

  function showError(message) {
    error.textContent = message;
    error.hidden = false;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(() => { error.hidden = true; }, ERROR_MS);
  }

  // Reps' video and voice this customer has not answered yet.
  const asking = () => unanswered(state, answered);

  function renderPrompt() {
    const open = asking();
    const was = !prompt.hidden;
    prompt.hidden = open.length === 0;
    if (!open.length) return;
    const kinds = new Set(open.map((x) => x.act.kind));
    const what = kinds.size === 2 ? 'both' : [...kinds][0];
    promptText.textContent = text('prompt.' + what, { name: open[0].who.name });
    if (!was) onAsk();
  }

  function render() {
    if (!state) return;
    const live = state.state === 'open' || state.state === 'active';
    // Shown while anyone shares, or a rep is here to share with.
    const reps = state.participants.some((p) => p.kind === 'rep' && p.present);
    element.hidden = !live || (!reps && mediaActivities(state).size === 0);
    if (!live) { renderTiles(tiles, media, null, text); return; }
    renderPrompt();
    renderTiles(tiles, media, state, text, () => { play.hidden = false; });
    video.textContent = text(mine('video') ? 'stop_video' : 'start_video');
    audio.textContent = text(mine('audio') ? 'stop_voice' : 'start_voice');
    mute.hidden = !mine('audio');
    mute.textContent = text(media.muted() ? 'unmute' : 'mute');
    mute.setAttribute('aria-pressed', String(media.muted()));
  }

  function toggle(kind) {
    if (!state) return;
    const act = mine(kind);
    if (act) { send('stop_activity', { activity: act.id }); return; }
    media.start(kind, () => send('start_activity', { kind }));
  }

  // Allow: the customer's camera and/or microphone join what the rep started.
  function answer(yes) {
    const open = asking();
    for (const { act } of open) answered.add(act.id);
    playAll(tiles); // a click: the browser now plays sound
    play.hidden = true;
    if (yes) for (const kind of new Set(open.map((x) => x.act.kind))) if (!mine(kind)) toggle(kind);
    render();
  }

  return {
    element,
    welcome(msg) { media.setIceServers(msg.ice_servers); },
    update(next) { state = next; media.update(next); render(); },
    signal(msg) { if (state && msg.session === state.session) media.receive(msg.sender, msg.data); },
    // The session is over here: every track ends, nothing is shown.
    end() {
      state = null;
      clearInterval(levels);
      clearTimeout(errorTimer);
      media.destroy();
      renderTiles(tiles, media, null, text);
      element.hidden = true;
    },
  };
}
