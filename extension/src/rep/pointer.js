// The rep's pointer, shown on the customer's page: viewport fractions sent as
// a `signal` to the customer, at most about 20 times a second.
const INTERVAL_MS = 50;

export function trackPointer(layer, send) {
  let last = 0;
  let timer = null;
  let latest = null;

  function flush() {
    timer = null;
    last = Date.now();
    if (latest) send(latest);
  }

  layer.addEventListener('pointermove', (event) => {
    const rect = layer.getBoundingClientRect();
    if (!rect.width || !rect.height) return;
    const clamp = (v) => Math.min(1, Math.max(0, Math.round(v * 10000) / 10000));
    latest = { x: clamp((event.clientX - rect.left) / rect.width), y: clamp((event.clientY - rect.top) / rect.height) };
    if (timer) return;
    timer = setTimeout(flush, Math.max(0, INTERVAL_MS - (Date.now() - last)));
  });
  // Off the replay: the customer's page hides the rep's pointer.
  layer.addEventListener('pointerleave', () => {
    clearTimeout(timer);
    timer = null;
    latest = null;
    send(null);
  });
}
