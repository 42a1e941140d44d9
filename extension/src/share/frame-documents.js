// A page's document and those of its same-origin iframes, as they come:
// visit(doc) is called for the page's document, then for the document of each
// same-origin <iframe> or <frame> in it (nested ones too), now and each time
// one loads a document (a new iframe, or one that went to another page).
// Cross-origin frames are passed by. Returns a function that stops watching.
export function eachFrameDocument(doc, visit) {
  const seen = new WeakSet();
  const watched = [];
  const reach = (frame) => {
    let inner = null;
    try { inner = frame.contentDocument; } catch (_) { /* cross-origin */ }
    if (inner) add(inner);
  };
  // A frame's load event does not bubble, but passes its document's capture phase.
  const onLoad = (event) => {
    const target = event.target;
    if (target && (target.tagName === 'IFRAME' || target.tagName === 'FRAME')) reach(target);
  };
  function add(d) {
    if (seen.has(d)) return;
    seen.add(d);
    visit(d);
    d.addEventListener('load', onLoad, true);
    watched.push(d);
    for (const frame of d.querySelectorAll('iframe, frame')) reach(frame);
  }
  add(doc);
  return () => { for (const d of watched) d.removeEventListener('load', onLoad, true); };
}
