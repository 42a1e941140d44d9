// Whether the extension may capture a tab's page: Chrome lets no extension
// script its own pages (chrome://, the New Tab page, other extensions) or the
// Chrome Web Store, and this one runs only on web pages (http, https).
// Returns null when it may, else why not: "browser_page", "web_store" or
// "not_web".
const STORES = ['chromewebstore.google.com', 'chrome.google.com/webstore'];

export function notCapturable(url) {
  let parsed;
  try { parsed = new URL(String(url || '')); } catch (_) { return 'not_web'; }
  if (['chrome:', 'chrome-extension:', 'chrome-untrusted:', 'devtools:', 'edge:', 'about:', 'view-source:'].includes(parsed.protocol)) {
    return 'browser_page';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'not_web';
  const where = parsed.host + parsed.pathname;
  if (STORES.some((store) => where === store || where.startsWith(store + '/'))) return 'web_store';
  return null;
}
