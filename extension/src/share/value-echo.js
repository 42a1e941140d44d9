// In the shared tab's content script: a `tandem-value` event (value-hook.js,
// the page's world) says the page set a field in code. Setting the field to
// its own value through this world's prototype does not change it, and goes
// through rrweb's hook there, so the capture records the new value. The
// events of same-origin iframes are heard in their own documents.
import { eachFrameDocument } from './frame-documents.js';

const EVENT = 'tandem-value';

function poke(el) {
  const win = el.ownerDocument && el.ownerDocument.defaultView;
  if (!win) return;
  const tag = el.tagName;
  const proto = tag === 'TEXTAREA' ? win.HTMLTextAreaElement.prototype
    : tag === 'SELECT' ? win.HTMLSelectElement.prototype
      : tag === 'INPUT' ? win.HTMLInputElement.prototype : null;
  if (!proto) return;
  const key = tag === 'INPUT' && (el.type === 'checkbox' || el.type === 'radio') ? 'checked' : 'value';
  const setter = Object.getOwnPropertyDescriptor(proto, key).set;
  setter.call(el, el[key]);
}

export function echoPageValues(doc = document) {
  const handle = (event) => {
    const el = event.composedPath()[0];
    if (el && el.nodeType === 1) poke(el);
  };
  const heard = [];
  const stop = eachFrameDocument(doc, (d) => { d.addEventListener(EVENT, handle, true); heard.push(d); });
  return () => {
    stop();
    for (const d of heard) d.removeEventListener(EVENT, handle, true);
  };
}
