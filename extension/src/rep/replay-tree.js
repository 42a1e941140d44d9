// Finding replayed nodes through the replay's shadow roots and same-origin
// iframes (rrweb rebuilds both as real ones inside the replay iframe).

// The parent across a shadow root (to its host) and an iframe's document
// (to the <iframe>); null at the replay's own document.
export function composedParent(node, top) {
  const parent = node.parentNode;
  if (parent && parent.nodeType === 11 && parent.host) return parent.host;
  if (node.parentElement) return node.parentElement;
  const doc = node.nodeType === 9 ? node : node.ownerDocument;
  if (!doc || doc === top) return null;
  try { return doc.defaultView && doc.defaultView.frameElement; } catch (_) { return null; }
}

// The deepest element at (x, y) of `doc`'s viewport.
export function deepElementAt(doc, x, y) {
  let node = doc.elementFromPoint(x, y);
  for (let depth = 0; node && depth < 32; depth += 1) {
    if (node.shadowRoot) {
      const inner = node.shadowRoot.elementFromPoint(x, y);
      if (inner && inner !== node) { node = inner; continue; }
    }
    if (node.tagName === 'IFRAME' && node.contentDocument) {
      const r = node.getBoundingClientRect();
      x -= r.left + node.clientLeft;
      y -= r.top + node.clientTop;
      const inner = node.contentDocument.elementFromPoint(x, y);
      if (inner) { node = inner; continue; }
    }
    break;
  }
  return node;
}

// `node`'s box in the coordinates of the replay's own viewport.
export function boxIn(node, top) {
  const r = node.getBoundingClientRect();
  let left = r.left;
  let topY = r.top;
  for (let doc = node.ownerDocument; doc && doc !== top;) {
    let frame = null;
    try { frame = doc.defaultView && doc.defaultView.frameElement; } catch (_) { frame = null; }
    if (!frame) break;
    const f = frame.getBoundingClientRect();
    left += f.left + frame.clientLeft;
    topY += f.top + frame.clientTop;
    doc = frame.ownerDocument;
  }
  return { left, top: topY, width: r.width, height: r.height };
}
