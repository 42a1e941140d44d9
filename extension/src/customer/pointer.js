// The rep's pointer, drawn over the customer's page: `signal` messages
// {"pointer": {"x", "y"}} in viewport fractions (null hides it).
import { h } from './dom.js';

const IDLE_MS = 4000;

export function createPointer(root) {
  const label = h('span', { class: 'label' });
  const el = h('div', { class: 'pointer', hidden: true, 'aria-hidden': 'true' }, h('span', { class: 'dot' }), label);
  root.append(el);
  let timer = null;

  function hide() { el.hidden = true; clearTimeout(timer); }

  return {
    show(pointer, name) {
      const x = Number(pointer && pointer.x);
      const y = Number(pointer && pointer.y);
      if (!Number.isFinite(x) || !Number.isFinite(y) || x < 0 || x > 1 || y < 0 || y > 1) { hide(); return; }
      label.textContent = name;
      el.style.transform = `translate(${Math.round(x * window.innerWidth)}px, ${Math.round(y * window.innerHeight)}px)`;
      el.hidden = false;
      clearTimeout(timer);
      timer = setTimeout(hide, IDLE_MS);
    },
    hide,
  };
}
