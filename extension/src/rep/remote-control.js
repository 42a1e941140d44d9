// Cobrowse control: the rep's clicks, typing, select changes and scrolling on
// the replay become CONTROL frame bodies addressed by rrweb mirror node ids
// (what the customer's page applies). The replay iframe takes no pointer
// events: a transparent layer over it does, and finds the replayed node
// under the pointer. Typing goes into a local input laid over the replayed
// field, which sends the field's whole value as it changes.
import { el } from './dom.js';

const TEXT_TYPES = new Set(['', 'text', 'search', 'email', 'url', 'tel', 'number', 'password']);
const SCROLL_MS = 50;

export function createRemoteControl(layer, { replay, send, isOn }) {
  let editor = null; // the overlay input or select

  const scale = () => layer.getBoundingClientRect().width / (Number(replay.iframe().width) || 1);

  function nodeAt(event) {
    const iframe = replay.iframe();
    const mirror = replay.mirror();
    if (!iframe || !mirror) return null;
    const rect = layer.getBoundingClientRect();
    const s = scale();
    let node = iframe.contentDocument.elementFromPoint((event.clientX - rect.left) / s, (event.clientY - rect.top) / s);
    while (node && mirror.getId(node) < 0) node = node.parentNode;
    return node ? { node, id: mirror.getId(node) } : null;
  }

  function closeEditor() { if (editor) { const e = editor; editor = null; e.remove(); } }

  function place(control, node) {
    const r = node.getBoundingClientRect();
    const s = scale();
    Object.assign(control.style, {
      left: r.left * s + 'px', top: r.top * s + 'px', width: Math.max(r.width * s, 60) + 'px', height: Math.max(r.height * s, 22) + 'px',
    });
    layer.append(control);
    editor = control;
    control.focus();
  }

  function editText(node, id) {
    const input = el(node.tagName === 'TEXTAREA' ? 'textarea' : 'input', 'control-editor');
    const value = node.value || '';
    input.value = /^\*+$/.test(value) ? '' : value; // a masked field: the rep starts afresh
    input.addEventListener('input', () => {
      send({ type: 'input', id, value: input.value });
      node.value = input.value; // the customer's page does not echo the rep's own input
    });
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && input.tagName === 'INPUT') send({ type: 'key', id, key: 'Enter' });
      if (event.key === 'Escape' || event.key === 'Tab' || event.key === 'Enter') { event.preventDefault(); closeEditor(); }
    });
    input.addEventListener('blur', () => setTimeout(() => { if (editor === input) closeEditor(); }, 0));
    place(input, node);
  }

  function editSelect(node, id) {
    const select = el('select', 'control-editor');
    for (const option of node.options) select.append(new Option(option.text, option.value));
    select.value = node.value;
    select.addEventListener('change', () => {
      send({ type: 'select', id, value: select.value });
      node.value = select.value; // no echo from the customer's page either
      closeEditor();
    });
    select.addEventListener('blur', () => setTimeout(() => { if (editor === select) closeEditor(); }, 0));
    place(select, node);
    try { select.showPicker(); } catch (_) { /* needs a user gesture in some versions: the rep clicks again */ }
  }

  layer.addEventListener('click', (event) => {
    if (!isOn() || event.target !== layer) return;
    closeEditor();
    const hit = nodeAt(event);
    if (!hit) return;
    const { node, id } = hit;
    send({ type: 'click', id });
    const tag = node.tagName;
    if (tag === 'SELECT') editSelect(node, id);
    else if (tag === 'TEXTAREA' || (tag === 'INPUT' && TEXT_TYPES.has((node.getAttribute('type') || '').toLowerCase()))) editText(node, id);
  });

  // Scrolling: the nearest scrollable element under the pointer, else the
  // window (id 0); positions add up locally until the replay catches up.
  let scroll = null;
  let scrollTimer = null;
  layer.addEventListener('wheel', (event) => {
    if (!isOn()) return;
    event.preventDefault();
    const hit = nodeAt(event);
    const win = replay.iframe().contentWindow;
    let target = hit && hit.node;
    while (target && target.nodeType === 1 && !(target.scrollHeight > target.clientHeight + 1 &&
      /(auto|scroll)/.test(win.getComputedStyle(target).overflowY)) && target !== target.ownerDocument.body) target = target.parentNode;
    const element = target && target.nodeType === 1 && target !== target.ownerDocument.body ? target : null;
    const id = element ? replay.mirror().getId(element) : 0;
    if (!scroll || scroll.id !== id) {
      scroll = { id, x: element ? element.scrollLeft : win.scrollX, y: element ? element.scrollTop : win.scrollY };
    }
    scroll.x = Math.max(0, scroll.x + event.deltaX);
    scroll.y = Math.max(0, scroll.y + event.deltaY);
    if (!scrollTimer) {
      scrollTimer = setTimeout(() => {
        scrollTimer = null;
        send({ type: 'scroll', id: scroll.id, x: Math.round(scroll.x), y: Math.round(scroll.y) });
        setTimeout(() => { if (!scrollTimer) scroll = null; }, 400); // then read the replay again
      }, SCROLL_MS);
    }
  }, { passive: false });

  return { stop: closeEditor, navigate: (url) => send({ type: 'navigate', url }) };
}
