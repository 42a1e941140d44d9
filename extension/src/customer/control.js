// Cobrowse control: the rep's actions, applied in this page by rrweb mirror
// node ids. Body of a CONTROL frame (UTF-8 JSON, one action):
//   {"type":"click","id"}            pointer/mouse down, focus, up, click
//   {"type":"input","id","value"}    set a text field's value (React-safe)
//   {"type":"select","id","value"}   choose a <select> option
//   {"type":"scroll","id","x","y"}   id 0 or absent: the window
//   {"type":"key","id","key"}        keydown/keypress/keyup; Enter submits a form
//   {"type":"navigate","url"}        same origin only
// Masked fields, and the widget itself, are never acted on.

const FIELDS = new Set(['INPUT', 'TEXTAREA']);

// The setter of the element's own prototype, not the instance's: frameworks
// (React's value tracker) shadow `value` on the instance, and only a change
// made beneath them is seen as the user's when the input event arrives.
function setNativeValue(el, value) {
  const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype
    : el instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
  const setter = Object.getOwnPropertyDescriptor(proto, 'value').set;
  setter.call(el, value);
}

function fire(el, type, init) {
  const opts = { bubbles: true, cancelable: true, composed: true, view: window, ...init };
  const Ctor = type.startsWith('pointer') && typeof PointerEvent === 'function' ? PointerEvent : MouseEvent;
  return el.dispatchEvent(new Ctor(type, opts));
}

function changed(el) {
  el.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
  el.dispatchEvent(new Event('change', { bubbles: true }));
}

export function createControl({ mirror, isMasked, isOurs, echo }) {
  function target(id) {
    const node = mirror().getNode(Number(id));
    if (!node || node.nodeType !== 1 || !node.isConnected) return null;
    if (isOurs(node) || isMasked(node)) return null;
    return node;
  }

  const actions = {
    click({ id }) {
      const el = target(id);
      if (!el) return false;
      const box = el.getBoundingClientRect();
      const at = { clientX: box.left + box.width / 2, clientY: box.top + box.height / 2, button: 0 };
      fire(el, 'pointerdown', { ...at, pointerId: 1, isPrimary: true, buttons: 1 });
      fire(el, 'mousedown', { ...at, buttons: 1 });
      if (typeof el.focus === 'function') el.focus({ preventScroll: true });
      fire(el, 'pointerup', { ...at, pointerId: 1, isPrimary: true });
      fire(el, 'mouseup', at);
      fire(el, 'click', { ...at, detail: 1 });
      return true;
    },
    input({ id, value }) {
      const el = target(id);
      if (!el || !FIELDS.has(el.tagName) || typeof value !== 'string') return false;
      if (el.readOnly || el.disabled) return false;
      echo.applied(Number(id), value);
      setNativeValue(el, value);
      changed(el);
      return true;
    },
    select({ id, value }) {
      const el = target(id);
      if (!el || el.tagName !== 'SELECT' || el.disabled || typeof value !== 'string') return false;
      if (![...el.options].some((o) => o.value === value)) return false;
      echo.applied(Number(id), value);
      setNativeValue(el, value);
      changed(el);
      return true;
    },
    scroll({ id, x, y }) {
      const left = Number(x) || 0;
      const top = Number(y) || 0;
      if (!id) { window.scrollTo(left, top); return true; }
      const el = target(id);
      if (!el) return false;
      el.scrollTo(left, top);
      return true;
    },
    key({ id, key }) {
      if (typeof key !== 'string' || !key || key.length > 32) return false;
      const el = id ? target(id) : document.activeElement;
      if (!el || (!id && (isOurs(el) || isMasked(el)))) return false;
      const init = { key, bubbles: true, cancelable: true, composed: true };
      const go = el.dispatchEvent(new KeyboardEvent('keydown', init));
      if (go && key.length === 1) el.dispatchEvent(new KeyboardEvent('keypress', init));
      el.dispatchEvent(new KeyboardEvent('keyup', init));
      // Implicit submission, as a real Enter in a single-line field does.
      if (go && key === 'Enter' && el.tagName === 'INPUT' && el.form) {
        if (typeof el.form.requestSubmit === 'function') el.form.requestSubmit();
        else el.form.submit();
      }
      return true;
    },
    navigate({ url }) {
      let next;
      try { next = new URL(String(url), location.href); } catch (_) { return false; }
      if (next.origin !== location.origin) return false;
      location.assign(next.href);
      return true;
    },
  };

  // Applies one action; false when it was refused or did not fit this page.
  return function apply(action) {
    const handler = action && Object.prototype.hasOwnProperty.call(actions, action.type) && actions[action.type];
    if (!handler) return false;
    try { return handler(action); } catch (_) { return false; }
  };
}
