// Live replay of the customer's tab with rrweb's Replayer, scaled to fit the
// stage. A replayer starts at the first full snapshot (a viewer that joins
// late waits for the fresh one the customer's page takes for it).
//
// onMeta({href}) is called with the page's address: from rrweb's Meta event
// (each page load and full snapshot) and from the capture's Custom
// "location" events (hash and History API navigation inside the page).
import { EventType, IncrementalSource, Replayer } from 'rrweb';

const LOCATION_TAG = 'location'; // capture.js's Custom event for a new address

export function createReplay(root, { onLive, onMeta, onResize }) {
  let replayer = null;
  let pending = []; // events before the first full snapshot: only the Meta matters
  const starts = []; // (replayer) => void, for every new replayer
  const casts = []; // (event) => void, after each event is applied

  function fit() {
    if (!replayer) return;
    const iframe = replayer.iframe;
    const width = Number(iframe.width) || iframe.offsetWidth;
    const height = Number(iframe.height) || iframe.offsetHeight;
    if (!width || !height) return;
    const scale = Math.min(root.clientWidth / width, root.clientHeight / height, 1);
    replayer.wrapper.style.transform = `scale(${scale})`;
    replayer.wrapper.style.transformOrigin = '0 0';
    onResize({ width, height, scale });
  }

  function start(first) {
    replayer = new Replayer([], {
      root,
      liveMode: true,
      mouseTail: false,
      showWarning: false,
      triggerFocus: false,
    });
    // Events are stamped with this page's clock as they arrive (see add), so
    // each plays at once: neither the customer's clock nor the time the first
    // full snapshot took to serialize and travel delays the ones after it.
    replayer.startLive(first.timestamp);
    replayer.on('resize', () => requestAnimationFrame(fit));
    replayer.on('event-cast', (event) => { for (const fn of casts) fn(event); });
    for (const fn of starts) fn(replayer);
    onLive();
  }

  function add(original) {
    if (!original || typeof original.type !== 'number') return;
    const event = { ...original, timestamp: Date.now() };
    if (event.type === EventType.Meta && event.data && event.data.href) onMeta(event.data);
    if (event.type === EventType.Custom && event.data && event.data.tag === LOCATION_TAG
      && event.data.payload && typeof event.data.payload.href === 'string') onMeta({ href: event.data.payload.href });
    if (!replayer) {
      if (event.type === EventType.Meta) pending = [event];
      if (event.type !== EventType.FullSnapshot) return;
      const events = [...pending, event];
      pending = [];
      start(events[0]);
      for (const e of events) replayer.addEvent(e);
      return;
    }
    replayer.addEvent(event);
  }

  function reset() {
    if (replayer) { try { replayer.destroy(); } catch (_) { /* already gone */ } }
    replayer = null;
    pending = [];
    root.replaceChildren();
  }

  window.addEventListener('resize', fit);
  return {
    add,
    reset,
    fit,
    started: () => Boolean(replayer),
    iframe: () => (replayer ? replayer.iframe : null),
    document: () => (replayer ? replayer.iframe.contentDocument : null),
    mirror: () => (replayer ? replayer.getMirror() : null),
    onStart: (fn) => starts.push(fn),
    onCast: (fn) => casts.push(fn),
  };
}

export { EventType, IncrementalSource };
