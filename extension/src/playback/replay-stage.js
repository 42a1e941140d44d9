// The recorded browser tab: rrweb's Replayer over the recorded events, whose
// timestamps are ms on the playback clock (server/recording/read.py).
import { Replayer } from 'rrweb';

export function createReplayStage(root, events) {
  const first = Math.round(events[0].timestamp);
  const replayer = new Replayer(events.map((e) => ({ ...e, timestamp: Math.round(e.timestamp) })), {
    root,
    skipInactive: false,
    showWarning: false,
    mouseTail: false,
    triggerFocus: false,
  });
  let running = false;
  root.hidden = true;

  function fit() {
    const iframe = replayer.iframe;
    const width = Number(iframe.width) || iframe.offsetWidth;
    const height = Number(iframe.height) || iframe.offsetHeight;
    if (!width || !height || !root.clientWidth) return;
    const scale = Math.min(root.clientWidth / width, 1);
    replayer.wrapper.style.transform = `scale(${scale})`;
    replayer.wrapper.style.transformOrigin = '0 0';
    root.style.height = `${Math.ceil(height * scale)}px`;
  }
  replayer.on('resize', () => requestAnimationFrame(fit));
  window.addEventListener('resize', fit);

  function seek(position, playing) {
    running = false;
    root.hidden = position < first;
    if (root.hidden) return;
    if (playing) {
      replayer.play(position - first);
      running = true;
    } else {
      replayer.pause(position - first);
    }
    requestAnimationFrame(fit);
  }

  return {
    seek,
    setRate(rate) { replayer.setConfig({ speed: rate }); },
    // Playing from before the first event: the replay starts when its time comes.
    advance(position, playing) { if (playing && !running && position >= first) seek(position, true); },
    pause() { if (running) replayer.pause(); running = false; },
  };
}
