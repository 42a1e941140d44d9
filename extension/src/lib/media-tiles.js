// The video tiles of a call: one per person who shares video or voice (this
// page's own camera included), drawn from media.js and the session state.
// Shared by the customer's session page and the rep's call page; each hands
// in its own `text(key, vars)` for the strings (keys: you, connecting, video,
// voice, muted, play_sound, level).
import { mediaActivities } from './media.js';

const LEVEL_MS = 500;

function attach(element, track) {
  const current = element.srcObject && element.srcObject.getTracks()[0];
  if (current === track) return;
  element.srcObject = track ? new MediaStream([track]) : null;
}

function buildTile(pid, text) {
  const tile = document.createElement('figure');
  tile.className = 'media-tile';
  tile.dataset.pid = pid;
  const video = document.createElement('video');
  video.className = 'media-video';
  video.autoplay = true;
  video.muted = true; // sound comes from the audio element
  video.playsInline = true;
  const audio = document.createElement('audio');
  audio.className = 'media-audio';
  audio.autoplay = true;
  const caption = document.createElement('figcaption');
  const name = document.createElement('span');
  name.className = 'media-name';
  const badges = document.createElement('span');
  badges.className = 'media-badges';
  const meter = document.createElement('meter');
  meter.className = 'media-level';
  meter.min = 0;
  meter.max = 1;
  meter.value = 0;
  meter.setAttribute('aria-label', text('level'));
  caption.append(name, badges, meter);
  tile.append(video, audio, caption);
  return tile;
}

// Draws the tiles into `container`; `onBlocked()` is called when the browser
// will not play sound before the person has clicked something.
export function renderTiles(container, media, state, text, onBlocked = () => {}) {
  const shares = state ? mediaActivities(state) : new Map();
  const present = new Map(((state && state.participants) || []).filter((p) => p.present).map((p) => [p.pid, p]));
  const people = [...shares.keys()].filter((pid) => present.has(pid) && (pid !== state.you
    || media.local('video') || media.local('audio')));
  const wanted = new Set(people);
  for (const tile of [...container.children]) if (!wanted.has(tile.dataset.pid)) tile.remove();
  for (const pid of people) {
    let tile = [...container.children].find((x) => x.dataset.pid === pid);
    if (!tile) { tile = buildTile(pid, text); container.append(tile); }
    const self = pid === state.you;
    const kinds = shares.get(pid);
    const r = self ? { video: media.local('video'), audio: null, state: 'connected' } : media.remote(pid);
    const video = tile.querySelector('video');
    const audio = tile.querySelector('audio');
    const videoTrack = kinds.video ? r.video : null;
    attach(video, videoTrack);
    video.hidden = !kinds.video;
    video.dataset.state = videoTrack ? 'live' : 'waiting';
    attach(audio, kinds.audio ? r.audio : null);
    if (audio.srcObject && audio.paused) audio.play().catch(() => onBlocked());
    tile.dataset.self = self ? '1' : '0';
    tile.dataset.video = kinds.video ? 'on' : 'off';
    tile.dataset.audio = kinds.audio ? 'on' : 'off';
    tile.dataset.connection = r.state;
    const who = present.get(pid);
    tile.querySelector('.media-name').textContent = self ? text('you', { name: who.name }) : who.name;
    const badges = [];
    if (kinds.video) badges.push(text('video'));
    if (kinds.audio) badges.push(self && media.muted() ? text('muted') : text('voice'));
    if (!self && r.state !== 'connected') badges.push(text('connecting'));
    tile.querySelector('.media-badges').textContent = badges.join(' · ');
    tile.querySelector('.media-level').hidden = self || !kinds.audio;
  }
}

// Every LEVEL_MS: how loud each person's voice arrives (a "speaking" meter),
// with the sound energy and packets received so far, on the tile's
// data-audio-level, -energy and -packets.
export function watchLevels(container, media) {
  return setInterval(async () => {
    for (const tile of container.querySelectorAll('.media-tile[data-audio="on"][data-self="0"]')) {
      const stats = await media.audioLevel(tile.dataset.pid).catch(() => null);
      if (!stats) continue;
      tile.dataset.audioLevel = String(stats.level);
      tile.dataset.audioEnergy = String(stats.energy);
      tile.dataset.audioPackets = String(stats.packets);
      tile.querySelector('.media-level').value = stats.level;
    }
  }, LEVEL_MS);
}

// After a click: play the sound the browser held back.
export function playAll(container) {
  for (const audio of container.querySelectorAll('audio')) if (audio.srcObject) audio.play().catch(() => {});
}
