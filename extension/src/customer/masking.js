// Masking by default (docs/architecture.md, "Cobrowse"): password fields, payment fields
// (autocomplete="cc-*"), anything marked data-tandem-mask (with its subtree),
// and whatever selectors the site adds, are masked by rrweb in this page, so
// their values never enter a frame.
//
// rrweb only calls maskInputFn for tags or types listed in maskInputOptions,
// so every input, textarea and select goes through `maskInput`, which keeps
// unmasked values as they are. Text inside a masked subtree (a masked
// select's option labels, say) is masked through maskTextSelector.

const ALWAYS = '[data-tandem-mask]';

// Selectors from the script tag's data-mask="css, selectors"; ones the
// browser cannot parse are dropped rather than breaking every match.
export function parseSelectors(text) {
  return String(text || '').split(',').map((s) => s.trim()).filter((s) => {
    if (!s) return false;
    try { document.createDocumentFragment().querySelector(s); return true; } catch (_) { return false; }
  });
}

// el.closest() that goes on from a shadow root to its host and from a
// same-origin iframe's document to the <iframe>: a masked host or iframe
// masks everything inside it.
function closestComposed(el, selector) {
  for (let node = el; node;) {
    const found = node.closest(selector);
    if (found) return found;
    const root = node.getRootNode();
    if (root && root.host) node = root.host;
    else {
      try { node = root && root.defaultView ? root.defaultView.frameElement : null; } catch (_) { node = null; }
    }
  }
  return null;
}

function isPayment(el) {
  const tokens = String(el.getAttribute && el.getAttribute('autocomplete') || '').toLowerCase().split(/\s+/);
  return tokens.some((t) => t.startsWith('cc-'));
}

export function createMasking(extraSelectors = []) {
  const subtree = [ALWAYS, ...extraSelectors].join(', ');
  // A password field that is switched to type=text ("show password") stays
  // masked: whatever was masked once is masked for the life of the page.
  const once = new WeakSet();

  function isMasked(node) {
    const el = node && node.nodeType === 1 ? node : node && node.parentElement;
    if (!el) return false;
    if (once.has(el)) return true;
    const tag = el.tagName;
    const field = tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT';
    const masked = (tag === 'INPUT' && String(el.type).toLowerCase() === 'password')
      || (field && isPayment(el))
      || Boolean(closestComposed(el, subtree));
    if (masked && field) once.add(el);
    return masked;
  }

  const maskInput = (text, element) => (isMasked(element) ? '*'.repeat(String(text || '').length) : text);

  return {
    isMasked,
    recordOptions: {
      maskInputOptions: { password: true, input: true, textarea: true, select: true },
      maskInputFn: maskInput,
      maskTextSelector: subtree,
    },
  };
}
