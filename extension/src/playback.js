// The recording player (/recordings/{id}, built into server/static/playback.js):
// one clock drives the cobrowse replay (rrweb's Replayer), the desktop video
// (a canvas) and the chat; the seek bar moves all three.
import 'rrweb/dist/style.css';
import './playback/playback.css';
import { createClock } from './playback/clock.js';
import { createReplayStage } from './playback/replay-stage.js';
import { createVideoStage } from './playback/video-stage.js';
import { createChat } from './playback/chat.js';

const root = document.getElementById('playback');
const strings = JSON.parse(document.getElementById('tandem-strings').textContent || '{}');
const t = (key) => strings[`playback.${key}`] || key;
const $ = (id) => document.getElementById(id);
const status = $('playback-status');
const play = $('playback-play');
const seek = $('playback-seek');
const time = $('playback-time');
const rate = $('playback-rate');

function clockText(ms) {
  const s = Math.floor(Math.max(0, ms) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function setStatus(state, text) {
  status.dataset.state = state;
  status.textContent = text;
}

async function fetchOk(url) {
  const response = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response;
}

async function main() {
  const id = root.dataset.recording;
  const data = await (await fetchOk(`/api/recordings/${id}`)).json();
  const duration = Math.max(data.duration, ...data.chat.map((c) => c.t),
    ...data.cobrowse.slice(-1).map((e) => e.timestamp));
  const videoStretch = async (from, to) =>
    (await fetchOk(`/api/recordings/${id}/video?from=${from}&to=${to}`)).arrayBuffer();

  const stages = [];
  if (data.cobrowse.length) stages.push(createReplayStage($('replay-root'), data.cobrowse));
  else $('replay-stage').hidden = true;
  if (data.video_frames) stages.push(createVideoStage($('video'), videoStretch, duration));
  else $('video-stage').hidden = true;
  stages.push(createChat($('playback-chat'), $('chat-empty'), data.chat, t('reps_only')));

  seek.max = String(Math.ceil(duration));
  const clock = createClock(duration, {
    onTick(position, playing) {
      for (const stage of stages) stage.advance(position, playing);
      seek.value = String(Math.round(position));
      time.textContent = `${clockText(position)} / ${clockText(duration)}`;
      root.dataset.position = String(Math.round(position));
    },
    onSeek(position, playing) { for (const stage of stages) stage.seek(position, playing); },
    onPlaying(playing) {
      setStatus(playing ? 'playing' : 'paused', t(playing ? 'playing' : 'paused'));
      play.textContent = playing ? t('pause') : t('play');
      play.setAttribute('aria-pressed', String(playing));
      for (const stage of stages) if (!playing) stage.pause();
    },
  });
  play.addEventListener('click', () => (clock.playing ? clock.pause() : clock.play()));
  seek.addEventListener('input', () => clock.seek(Number(seek.value)));
  rate.addEventListener('change', () => {
    const value = Number(rate.value) || 1;
    for (const stage of stages) if (stage.setRate) stage.setRate(value);
    clock.setRate(value);
  });
  play.disabled = false;
  seek.disabled = false;
  rate.disabled = false;
  clock.seek(0);
  setStatus('ready', t('ready'));
}

main().catch((err) => {
  console.error(err);
  setStatus('error', t('error'));
});
