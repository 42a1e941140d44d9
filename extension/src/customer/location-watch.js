// The page's address, as it changes without a page load: hash changes,
// history.pushState/replaceState (a single-page app's routes), back and
// forward. Chrome's Navigation API reports all of them, in the page and in
// an extension's content script alike; without it, the address is read on
// the events a page gets and every POLL_MS.
const POLL_MS = 500;

export function watchLocation(onChange) {
  let last = location.href;
  const check = () => {
    if (location.href === last) return;
    last = location.href;
    onChange(last);
  };
  const nav = typeof navigation !== 'undefined' && navigation && typeof navigation.addEventListener === 'function' ? navigation : null;
  const events = ['hashchange', 'popstate'];
  for (const name of events) window.addEventListener(name, check);
  if (nav) nav.addEventListener('currententrychange', check);
  const timer = nav ? null : setInterval(check, POLL_MS);
  return () => {
    for (const name of events) window.removeEventListener(name, check);
    if (nav) nav.removeEventListener('currententrychange', check);
    clearInterval(timer);
  };
}
