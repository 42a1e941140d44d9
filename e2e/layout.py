"""What a person notices in a page's layout, read from the live page: text
that overflows its box, text drawn over other text, and a page that scrolls
sideways. Open shadow roots (the help widget) are looked into."""

from __future__ import annotations

from playwright.sync_api import Page

_PROBLEMS = r"""() => {
  const problems = [];
  const describe = (el) => {
    const id = el.id ? '#' + el.id : '';
    const cls = typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().split(/\s+/).slice(0, 2).join('.') : '';
    const text = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40);
    return `<${el.tagName.toLowerCase()}${id}${cls}> "${text}"`;
  };
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) {
    problems.push(`the page scrolls sideways: ${root.scrollWidth} px wide in ${root.clientWidth} px`);
  }
  // Every element in the document and in open shadow roots.
  const elements = [];
  const walk = (scope) => {
    for (const el of scope.querySelectorAll('*')) {
      elements.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  const up = (node) => node.parentElement || (node.parentNode && node.parentNode.host) || null;
  const shown = (el) => {
    if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) return false;
    const r = el.getBoundingClientRect();
    return r.width > 2 && r.height > 2;
  };
  const skipped = (el) => el.closest('script,style,template,svg,noscript,.visually-hidden,[aria-hidden="true"],'
    + 'option,iframe,canvas,video,pre,textarea,[data-layout-scrolls]');
  const textNodes = (el) => [...el.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim());
  const withText = elements.filter((el) => !skipped(el) && textNodes(el).length && shown(el));

  // Text wider than its box (a box that does not scroll).
  for (const el of withText) {
    const s = getComputedStyle(el);
    if (s.display === 'inline' || s.display === 'contents') continue; // inline boxes wrap in their parent's box
    if (['auto', 'scroll'].includes(s.overflowX)) continue;
    if (s.textOverflow === 'ellipsis' && el.title) continue; // cut short on purpose, whole in its tooltip
    if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) {
      problems.push(`text overflows its box: ${describe(el)} (${el.scrollWidth} px in ${el.clientWidth} px)`);
    }
  }

  // Text drawn over other text: the line boxes of different elements' text
  // intersect. Fixed and sticky layers (banners, the help button) float over
  // the page on purpose and are left out; so is text clipped by a scroller.
  const floating = (el) => {
    for (let node = el; node; node = up(node)) {
      const p = getComputedStyle(node).position;
      if (p === 'fixed' || p === 'sticky') return true;
    }
    return false;
  };
  // What of a box a person can see: scrolling and clipping ancestors cut it.
  const visiblePart = (el, r) => {
    let { left, top, right, bottom } = r;
    for (let node = up(el); node && node !== document.documentElement; node = up(node)) {
      const st = getComputedStyle(node);
      if (st.overflowX === 'visible' && st.overflowY === 'visible') continue;
      const c = node.getBoundingClientRect();
      left = Math.max(left, c.left); top = Math.max(top, c.top);
      right = Math.min(right, c.right); bottom = Math.min(bottom, c.bottom);
    }
    return right - left > 1 && bottom - top > 1 ? { left, top, right, bottom, height: bottom - top } : null;
  };
  const boxes = [];
  for (const el of withText) {
    if (floating(el)) continue;
    for (const node of textNodes(el)) {
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const whole of range.getClientRects()) {
        const r = whole.width > 1 && whole.height > 1 ? visiblePart(el, whole) : null;
        if (r) boxes.push({ el, r });
      }
    }
  }
  const seen = new Set();
  for (let i = 0; i < boxes.length; i += 1) {
    for (let j = i + 1; j < boxes.length; j += 1) {
      const a = boxes[i], b = boxes[j];
      if (a.el === b.el || a.el.contains(b.el) || b.el.contains(a.el)) continue;
      const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
      const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
      if (w > 2 && h > Math.min(a.r.height, b.r.height) / 3) {
        const key = describe(a.el) + ' / ' + describe(b.el);
        if (!seen.has(key)) { seen.add(key); problems.push(`text over text: ${key}`); }
      }
    }
  }
  return problems;
}"""


def layout_problems(page: Page) -> list[str]:
    """What is wrong with the page's layout as it is drawn now (empty: nothing)."""
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready")
    return page.evaluate(_PROBLEMS)
