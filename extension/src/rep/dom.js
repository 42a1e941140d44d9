// Small DOM helpers shared by the rep pages. What people typed is only ever
// set with textContent.
export const $ = (id) => document.getElementById(id);
export const part = (node, role) => node.querySelector(`[data-role="${role}"]`);
export const action = (node, name) => node.querySelector(`[data-action="${name}"]`);

export function fromTemplate(id) {
  return $(id).content.firstElementChild.cloneNode(true);
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

export function formatNumber(number) {
  const digits = String(number).replace(/\D/g, '');
  return digits.length === 9 ? digits.replace(/(\d{3})(\d{3})(\d{3})/, '$1 $2 $3') : String(number);
}

export function formatDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

// Keyed lists: keep the nodes that stay, so focus and clicks are not lost.
export function syncList(container, items, keyOf, build, update) {
  const wanted = new Map(items.map((item) => [String(keyOf(item)), item]));
  for (const node of [...container.children]) if (!wanted.has(node.dataset.key)) node.remove();
  let previous = null;
  for (const [key, item] of wanted) {
    let node = [...container.children].find((n) => n.dataset.key === key);
    if (!node) { node = build(item); node.dataset.key = key; }
    update(node, item);
    const at = previous ? previous.nextElementSibling : container.firstElementChild;
    if (at !== node) container.insertBefore(node, at);
    previous = node;
  }
}

// A disabled button says why, as a tooltip.
export function setDisabled(button, disabled, why) {
  button.disabled = disabled;
  if (disabled && why) button.title = why;
  else button.removeAttribute('title');
}
