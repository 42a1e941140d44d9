// Runs in the page's own JavaScript world of a tab shared with the extension
// (chrome.scripting, world MAIN). The capture runs in the content script's
// isolated world, whose hooks on HTMLInputElement and friends do not see the
// page's own scripts set a value or a checkbox (each world has its own
// prototypes). Here, every such set (through the prototypes, and through the
// own accessors a framework such as React gave fields before this ran) sends
// a `tandem-value` event from the field; value-echo.js, in the isolated
// world, has the capture record the field's value. The event carries
// nothing: the value is read from the field itself. Same-origin iframes have
// prototypes of their own: each one's window is hooked as its document loads.
import { eachFrameDocument } from './frame-documents.js';

(() => {
  const FLAG = Symbol.for('tandem.valueHook');
  if (window[FLAG]) return;

  const tell = (el) => el.dispatchEvent(new CustomEvent('tandem-value', { bubbles: true, composed: true }));

  function wrap(target, key) {
    const own = Object.getOwnPropertyDescriptor(target, key);
    if (!own || !own.set || !own.configurable) return;
    Object.defineProperty(target, key, { ...own, set(value) { own.set.call(this, value); tell(this); } });
  }

  function hookWindow(win) {
    if (!win || win[FLAG]) return;
    win[FLAG] = true;
    for (const [proto, key] of [[win.HTMLInputElement.prototype, 'value'], [win.HTMLInputElement.prototype, 'checked'],
      [win.HTMLTextAreaElement.prototype, 'value'], [win.HTMLSelectElement.prototype, 'value'],
      [win.HTMLSelectElement.prototype, 'selectedIndex']]) wrap(proto, key);
  }

  const visit = (root) => {
    for (const el of root.querySelectorAll('input, textarea, select')) { wrap(el, 'value'); wrap(el, 'checked'); }
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) visit(el.shadowRoot);
  };

  eachFrameDocument(document, (doc) => { hookWindow(doc.defaultView); visit(doc); });
})();
