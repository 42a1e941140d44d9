// Remote control of a shared desktop or application: the rep's mouse, wheel
// and keys on the shown picture become CONTROL frame bodies for the agent
// (agent/control.py), with coordinates as fractions of the picture.
const MOVE_MS = 16; // ~60 moves a second
const BUTTONS = ['left', 'middle', 'right'];

// Where the picture is drawn inside an element that letterboxes it (object-fit: contain).
function pictureRect(node) {
  const box = node.getBoundingClientRect();
  const w = node.videoWidth || node.width || box.width;
  const h = node.videoHeight || node.height || box.height;
  const scale = Math.min(box.width / w, box.height / h) || 1;
  const width = w * scale;
  const height = h * scale;
  return { left: box.left + (box.width - width) / 2, top: box.top + (box.height - height) / 2, width, height };
}

// `takesKey(event)` says whether a key belongs to the picture; by default
// every key but those typed in the page's header (the desktop viewer's bar).
export function createDesktopInput(stage, { surface, send, isOn, takesKey = (event) => !event.target.closest('header') }) {
  let movedAt = 0;
  let pending = null;
  let last = null;
  const pressed = new Set();

  function at(event) {
    const r = pictureRect(surface());
    const x = (event.clientX - r.left) / r.width;
    const y = (event.clientY - r.top) / r.height;
    return { x: Math.min(1, Math.max(0, x)), y: Math.min(1, Math.max(0, y)), inside: x >= 0 && x <= 1 && y >= 0 && y <= 1 };
  }

  function onMove(event) {
    if (!isOn()) return;
    const p = at(event);
    if (!p.inside) return;
    const wait = MOVE_MS - (Date.now() - movedAt);
    if (wait <= 0) { movedAt = Date.now(); send({ t: 'move', x: p.x, y: p.y }); return; }
    if (!pending) {
      pending = setTimeout(() => { pending = null; movedAt = Date.now(); send({ t: 'move', x: last.x, y: last.y }); }, wait);
    }
    last = p;
  }

  function onButton(event) {
    if (!isOn()) return;
    const p = at(event);
    const b = BUTTONS[event.button] || 'left';
    if (event.type === 'mousedown') {
      if (!p.inside) return;
      pressed.add(b);
      surface().focus();
    } else if (!pressed.delete(b)) return; // released what was pressed elsewhere
    event.preventDefault();
    send({ t: event.type === 'mousedown' ? 'down' : 'up', x: p.x, y: p.y, b });
  }

  function onWheel(event) {
    if (!isOn()) return;
    const p = at(event);
    if (!p.inside) return;
    event.preventDefault();
    send({ t: 'wheel', x: p.x, y: p.y, dx: Math.sign(event.deltaX), dy: Math.sign(event.deltaY) });
  }

  function onKey(event) {
    if (!isOn() || !takesKey(event)) return;
    event.preventDefault();
    send({ t: 'key', key: event.key, down: event.type === 'keydown' });
  }

  stage.addEventListener('mousemove', onMove);
  stage.addEventListener('mousedown', onButton);
  window.addEventListener('mouseup', onButton);
  stage.addEventListener('contextmenu', (event) => { if (isOn()) event.preventDefault(); });
  stage.addEventListener('wheel', onWheel, { passive: false });
  window.addEventListener('keydown', onKey);
  window.addEventListener('keyup', onKey);
}
