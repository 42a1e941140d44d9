// The playback clock: a position in ms since the recording started, moving
// with real time (times `rate`) while playing; stops at the end.
export function createClock(duration, { onTick, onSeek, onPlaying }) {
  let position = 0;
  let startedAt = 0; // performance.now() when play began at `position`
  let playing = false;
  let frame = 0;
  let rate = 1;

  const now = () => (playing ? Math.min(duration, position + (performance.now() - startedAt) * rate) : position);

  function loop() {
    const at = now();
    onTick(at, playing);
    if (at >= duration) { pause(); return; }
    frame = requestAnimationFrame(loop);
  }

  function pause() {
    if (!playing) return;
    position = now();
    playing = false;
    cancelAnimationFrame(frame);
    onPlaying(false);
    onTick(position, false);
  }

  return {
    get playing() { return playing; },
    play() {
      if (playing) return;
      if (position >= duration) seekTo(0);
      playing = true;
      startedAt = performance.now();
      onPlaying(true);
      onSeek(position, true);
      frame = requestAnimationFrame(loop);
    },
    pause,
    seek: seekTo,
    // Faster or slower from here on; the stages start again from the position.
    setRate(value) {
      position = now();
      rate = value;
      seekTo(position);
    },
  };

  function seekTo(value) {
    position = Math.max(0, Math.min(duration, value));
    startedAt = performance.now();
    onSeek(position, playing);
    onTick(position, playing);
  }
}
