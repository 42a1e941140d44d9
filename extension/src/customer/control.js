// Cobrowse control: the rep's actions, applied in this page by rrweb mirror
// node ids (nodes in same-origin iframes and open shadow roots included).
// Body of a CONTROL frame (UTF-8 JSON, one action):
//   {"type":"click","id"}            pointer/mouse down, focus, up, click
//   {"type":"hover","id"}            the rep's pointer is over this element (id 0: over none)
//   {"type":"input","id","value","was"}  the rep changed the field's text from `was` to
//                                    `value`; applied to the field's live value (React-safe)
//   {"type":"select","id","value"}   choose a <select> option
//   {"type":"scroll","id","x","y"}   id 0 or absent: the window
//   {"type":"key","id","key"}        keydown/keypress/keyup; Enter submits a form
//   {"type":"navigate","url"}        same origin only
// Masked fields, and the widget itself, are never acted on. `apply` answers
// "done", "refused", or "gone" when the element is no longer in the page (the
// rep saw an older picture): nothing is then done anywhere else.
import { rebase } from './rebase.js';

const FIELDS = new Set(['INPUT', 'TEXTAREA']);

// The setter of the element's own prototype, not the instance's: frameworks
// (React's value tracker) shadow `value` on the instance, and only a change
// made beneath them is seen as the user's when the input event arrives. The
// prototype of the element's own window: a field in an iframe has its own.
function setNativeValue(el, value) {
  const win = el.ownerDocument.defaultView || window;
  const proto = el.tagName === 'TEXTAREA' ? win.HTMLTextAreaElement.prototype
    : el.tagName === 'SELECT' ? win.HTMLSelectElement.prototype : win.HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, value);
}

function fire(el, type, init) {
  const view = el.ownerDocument.defaultView || window;
  const opts = { bubbles: true, cancelable: true, composed: true, view, ...init };
  const Ctor = type.startsWith('pointer') && typeof view.PointerEvent === 'function' ? view.PointerEvent : view.MouseEvent;
  return el.dispatchEvent(new Ctor(type, opts));
}

function changed(el) {
  el.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
  el.dispatchEvent(new Event('change', { bubbles: true }));
}

function centre(el) {
  const box = el.getBoundingClientRect();
  return { clientX: box.left + box.width / 2, clientY: box.top + box.height / 2 };
}

// The parent across shadow roots (to the host) and iframes (to the <iframe>).
function composedParent(node) {
  if (node.parentNode && node.parentNode.nodeType === 11 && node.parentNode.host) return node.parentNode.host;
  if (node.parentElement) return node.parentElement;
  const win = node.ownerDocument && node.ownerDocument.defaultView;
  try { return win && win.frameElement; } catch (_) { return null; }
}

function chain(el) {
  const out = [];
  for (let node = el; node; node = composedParent(node)) out.push(node);
  return out;
}

// The focused element, inside shadow roots and same-origin iframes.
function deepActive(doc) {
  let el = doc.activeElement;
  for (;;) {
    if (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    else if (el && el.tagName === 'IFRAME' && el.contentDocument && el.contentDocument.activeElement) el = el.contentDocument.activeElement;
    else return el;
  }
}

export function createControl({ mirror, isMasked, isOurs, echo }) {
  let hovered = null;

  // The element `id` stands for, or why not: "gone" or "refused".
  function target(id) {
    const node = mirror().getNode(Number(id));
    if (!node || !node.isConnected) return 'gone';
    if (node.nodeType !== 1 || isOurs(node) || isMasked(node)) return 'refused';
    return node;
  }

  // The rep's pointer leaves `hovered` for `el`: out/leave events on what it
  // leaves, over/enter and a move on what it reaches, as a mouse would.
  function hoverTo(el) {
    const before = hovered ? chain(hovered) : [];
    const after = el ? chain(el) : [];
    if (hovered && hovered.isConnected) {
      fire(hovered, 'pointerout', { pointerId: 1, isPrimary: true, relatedTarget: el });
      fire(hovered, 'mouseout', { relatedTarget: el });
      for (const node of before.filter((n) => !after.includes(n))) {
        fire(node, 'pointerleave', { bubbles: false, pointerId: 1, isPrimary: true });
        fire(node, 'mouseleave', { bubbles: false });
      }
    }
    hovered = el;
    if (!el) return;
    const at = centre(el);
    fire(el, 'pointerover', { ...at, pointerId: 1, isPrimary: true });
    fire(el, 'mouseover', at);
    for (const node of after.filter((n) => !before.includes(n)).reverse()) {
      fire(node, 'pointerenter', { ...at, bubbles: false, pointerId: 1, isPrimary: true });
      fire(node, 'mouseenter', { ...at, bubbles: false });
    }
    fire(el, 'pointermove', { ...at, pointerId: 1, isPrimary: true });
    fire(el, 'mousemove', at);
  }

  const actions = {
    click({ id }) {
      const el = target(id);
      if (typeof el === 'string') return el;
      const at = { ...centre(el), button: 0 };
      fire(el, 'pointerdown', { ...at, pointerId: 1, isPrimary: true, buttons: 1 });
      fire(el, 'mousedown', { ...at, buttons: 1 });
      if (typeof el.focus === 'function') el.focus({ preventScroll: true });
      fire(el, 'pointerup', { ...at, pointerId: 1, isPrimary: true });
      fire(el, 'mouseup', at);
      fire(el, 'click', { ...at, detail: 1 });
      return 'done';
    },
    hover({ id }) {
      if (!id) { hoverTo(null); return 'done'; }
      const el = target(id);
      if (typeof el === 'string') { hoverTo(null); return el; }
      if (el !== hovered) hoverTo(el);
      return 'done';
    },
    input({ id, value, was }) {
      const el = target(id);
      if (typeof el === 'string') return el;
      if (!FIELDS.has(el.tagName) || typeof value !== 'string' || el.readOnly || el.disabled) return 'refused';
      const live = el.value;
      // The app may have changed the field since the rep's picture of it:
      // the rep's change is made on what the field holds now.
      const next = typeof was === 'string' && live !== was ? rebase(was, value, live) : value;
      // A rebased value is news to the rep: let rrweb report it.
      if (next === value) echo.applied(Number(id), next);
      else echo.forget(Number(id));
      setNativeValue(el, next);
      changed(el);
      return 'done';
    },
    select({ id, value }) {
      const el = target(id);
      if (typeof el === 'string') return el;
      if (el.tagName !== 'SELECT' || el.disabled || typeof value !== 'string') return 'refused';
      if (![...el.options].some((o) => o.value === value)) return 'refused';
      echo.applied(Number(id), value);
      setNativeValue(el, value);
      changed(el);
      return 'done';
    },
    scroll({ id, x, y }) {
      const left = Number(x) || 0;
      const top = Number(y) || 0;
      if (!id) { window.scrollTo(left, top); return 'done'; }
      const el = target(id);
      if (typeof el === 'string') return el;
      el.scrollTo(left, top);
      return 'done';
    },
    key({ id, key }) {
      if (typeof key !== 'string' || !key || key.length > 32) return 'refused';
      const el = id ? target(id) : deepActive(document);
      if (typeof el === 'string') return el;
      if (!el || (!id && (isOurs(el) || isMasked(el)))) return 'refused';
      const init = { key, bubbles: true, cancelable: true, composed: true };
      const Keyboard = (el.ownerDocument.defaultView || window).KeyboardEvent;
      const go = el.dispatchEvent(new Keyboard('keydown', init));
      if (go && key.length === 1) el.dispatchEvent(new Keyboard('keypress', init));
      el.dispatchEvent(new Keyboard('keyup', init));
      // Implicit submission, as a real Enter in a single-line field does.
      if (go && key === 'Enter' && el.tagName === 'INPUT' && el.form) {
        if (typeof el.form.requestSubmit === 'function') el.form.requestSubmit();
        else el.form.submit();
      }
      return 'done';
    },
    navigate({ url }) {
      let next;
      try { next = new URL(String(url), location.href); } catch (_) { return 'refused'; }
      if (next.origin !== location.origin) return 'refused';
      location.assign(next.href);
      return 'done';
    },
  };

  // Applies one action: "done", "refused" (not allowed, or does not fit this
  // page) or "gone" (its element is no longer here).
  return function apply(action) {
    const handler = action && Object.prototype.hasOwnProperty.call(actions, action.type) && actions[action.type];
    if (!handler) return 'refused';
    try { return handler(action); } catch (_) { return 'refused'; }
  };
}
