// A tiny element builder for the widget: text only ever via textContent.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children) if (child != null) el.append(child);
  return el;
}

// Keyed list: keep the nodes that stay, so focus and clicks are not lost.
export function syncList(container, items, key, build) {
  const wanted = new Map(items.map((item) => [String(key(item)), item]));
  for (const node of [...container.children]) if (!wanted.has(node.dataset.key)) node.remove();
  for (const [k, item] of wanted) {
    if ([...container.children].some((node) => node.dataset.key === k)) continue;
    const node = build(item);
    node.dataset.key = k;
    container.append(node);
  }
}

// A constructable stylesheet, made on first use: sites embedding the snippet
// often allow only `style-src 'self'`, which forbids <style> text but not
// adoptedStyleSheets (styles.js).
export function lazySheet(css) {
  let sheet = null;
  return () => {
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
    }
    return sheet;
  };
}
