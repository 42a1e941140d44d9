// Cobrowse control: the rep's clicks, typing, select changes, hover and
// scrolling on the replay become CONTROL frame bodies addressed by rrweb
// mirror node ids (what the customer's page applies), for nodes in the page,
// its same-origin iframes and open shadow roots alike. The replay iframe
// takes no pointer events: a transparent layer over it does, and finds the
// replayed node under the pointer. Typing goes into a local input laid over
// the replayed field; each change is sent with the text it was made on
// (`was`), so the customer's page makes it on the field's live value. When
// the replay shows the field changed by the page, the editor takes that text.
import { el } from './dom.js';
import { EventType, IncrementalSource } from './replay.js';
import { boxIn, composedParent, deepElementAt } from './replay-tree.js';

const TEXT_TYPES = new Set(['', 'text', 'search', 'email', 'url', 'tel', 'number', 'password']);
const SCROLL_MS = 50;
const HOVER_MS = 50;

export function createRemoteControl(layer, { replay, send, isOn, hover }) {
  let editor = null; // the overlay input or select
  let editing = null; // { id, input, node, sent }: the text field being typed into

  const scale = () => layer.getBoundingClientRect().width / (Number(replay.iframe().width) || 1);

  // The replayed node under a pointer event, and its rrweb id.
  function nodeAt(event) {
    const iframe = replay.iframe();
    const mirror = replay.mirror();
    if (!iframe || !mirror) return null;
    const rect = layer.getBoundingClientRect();
    const s = scale();
    const top = iframe.contentDocument;
    let node = deepElementAt(top, (event.clientX - rect.left) / s, (event.clientY - rect.top) / s);
    while (node && mirror.getId(node) < 0) node = composedParent(node, top);
    return node ? { node, id: mirror.getId(node) } : null;
  }

  function closeEditor() {
    editing = null;
    if (editor) { const e = editor; editor = null; e.remove(); }
  }

  function place(control, node) {
    const r = boxIn(node, replay.document());
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
    const edit = { id, input, node, sent: input.value };
    input.addEventListener('input', () => {
      send({ type: 'input', id, value: input.value, was: edit.sent });
      edit.sent = input.value;
      node.value = input.value; // the customer's page does not echo the rep's own input
    });
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && input.tagName === 'INPUT') send({ type: 'key', id, key: 'Enter' });
      if (event.key === 'Escape' || event.key === 'Tab' || event.key === 'Enter') { event.preventDefault(); closeEditor(); }
    });
    input.addEventListener('blur', () => setTimeout(() => { if (editor === input) closeEditor(); }, 0));
    place(input, node);
    editing = edit;
  }

  // The page changed the field the rep is typing in (the app cleared or
  // rewrote it): the editor shows what the field holds now.
  replay.onCast((event) => {
    if (!editing || event.type !== EventType.IncrementalSnapshot || event.data.source !== IncrementalSource.Input) return;
    const { id, text } = event.data;
    if (id !== editing.id || typeof text !== 'string' || /^\*+$/.test(text) || text === editing.input.value) return;
    editing.input.value = text;
    editing.sent = text;
  });

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

  // Hover: shown in the replay at once (view or control); with control, the
  // customer's page gets the pointer's over/enter/out/leave too (menus that
  // open on mouseenter), at most every HOVER_MS.
  let hoverSent = 0;
  let hoverTimer = null;
  let hoverId = 0;
  function sendHover() {
    hoverTimer = null;
    if (!isOn() || hoverId === hoverSent) return;
    hoverSent = hoverId;
    send({ type: 'hover', id: hoverId });
  }
  layer.addEventListener('pointermove', (event) => {
    if (!replay.started()) return;
    const hit = event.target === layer ? nodeAt(event) : null;
    hover.set(hit ? hit.node : null);
    hoverId = hit ? hit.id : 0;
    if (!hoverTimer) hoverTimer = setTimeout(sendHover, HOVER_MS);
  });
  layer.addEventListener('pointerleave', () => {
    hover.clear();
    hoverId = 0;
    if (!hoverTimer) hoverTimer = setTimeout(sendHover, HOVER_MS);
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

  return {
    stop() { closeEditor(); hoverSent = 0; },
    navigate: (url) => send({ type: 'navigate', url }),
  };
}
