// The relay's /console: the side panel and its pages served as web pages by
// the relay (build.mjs bundles them with this module in place of
// rep/browser.js). Same exports the rep side uses, over web APIs:
//   strings     _locales/<lang>/messages.json, the extension's own catalogs,
//               in the browser's language (English for what one lacks);
//   storage     localStorage ("local") and sessionStorage ("session"), with
//               chrome.storage's get/set/remove shapes;
//   sign-in     the relay's /console page hands over the signed-in rep's token
//               (#tandem-web-signin), so its cookie sign-in is the console's;
//   tabs        pages open as named windows, so an open one is focused.
// The relay the console speaks to is the one that served it.

const LOCALES = ['en', 'da', 'nb', 'sr', 'sv', 'zh_CN'];
const ALIASES = { no: 'nb', nn: 'nb', zh: 'zh_CN' };

function chooseLocale() {
  for (const tag of navigator.languages || [navigator.language || 'en']) {
    const [base, region] = String(tag).split('-');
    const full = region ? `${base}_${region.toUpperCase()}` : base;
    for (const name of [full, base, ALIASES[base]]) if (LOCALES.includes(name)) return name;
  }
  return 'en';
}

async function readCatalog(locale) {
  try {
    const response = await fetch(new URL(`_locales/${locale}/messages.json`, import.meta.url));
    return response.ok ? await response.json() : {};
  } catch (_) {
    return {}; // keys are shown instead of text
  }
}

const LOCALE = chooseLocale();
const [ENGLISH, CATALOG] = await Promise.all(
  LOCALE === 'en' ? [readCatalog('en'), Promise.resolve(null)] : [readCatalog('en'), readCatalog(LOCALE)]);

document.documentElement.dataset.host = 'web';

export const extensionId = () => null;
export const pageUrl = (path) => new URL(path, import.meta.url).href;
export function message(key) {
  if (key === '@@ui_locale') return LOCALE;
  const entry = (CATALOG && CATALOG[key]) || ENGLISH[key];
  return entry ? entry.message : '';
}
export const uiLanguage = () => LOCALE.replace('_', '-');

// --- storage ---------------------------------------------------------------

const listeners = [];

function area(storage, prefix, notify) {
  const read = (key) => {
    try {
      const raw = storage.getItem(prefix + key);
      return raw === null ? undefined : JSON.parse(raw);
    } catch (_) {
      return undefined;
    }
  };
  const allKeys = () => Object.keys(storage).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  return {
    async get(keys) {
      const defaults = keys && typeof keys === 'object' && !Array.isArray(keys) ? keys : {};
      const names = keys == null ? allKeys() : typeof keys === 'string' ? [keys] : Array.isArray(keys) ? keys : Object.keys(keys);
      const out = {};
      for (const name of names) {
        const value = read(name);
        if (value !== undefined) out[name] = value;
        else if (name in defaults) out[name] = defaults[name];
      }
      return out;
    },
    async set(items) {
      const changes = {};
      for (const [name, value] of Object.entries(items)) {
        changes[name] = { oldValue: read(name), newValue: value };
        storage.setItem(prefix + name, JSON.stringify(value));
      }
      if (notify) notify(changes);
    },
    async remove(keys) {
      const changes = {};
      for (const name of typeof keys === 'string' ? [keys] : keys) {
        changes[name] = { oldValue: read(name) };
        storage.removeItem(prefix + name);
      }
      if (notify) notify(changes);
    },
  };
}

const LOCAL_PREFIX = 'tandem.local.';
const notifyLocal = (changes) => { for (const callback of listeners) callback(changes); };
export const local = area(localStorage, LOCAL_PREFIX, notifyLocal);
export const session = area(sessionStorage, 'tandem.session.', null);
export const sessionRemove = (keys) => session.remove(keys);

// Other pages of the console (another tab) changed local storage.
window.addEventListener('storage', (event) => {
  if (!event.key || !event.key.startsWith(LOCAL_PREFIX)) return;
  const parse = (raw) => { try { return raw === null ? undefined : JSON.parse(raw); } catch (_) { return undefined; } };
  notifyLocal({ [event.key.slice(LOCAL_PREFIX.length)]: { oldValue: parse(event.oldValue), newValue: parse(event.newValue) } });
});

export function onLocalChanged(callback) { listeners.push(callback); }

// The page the relay served for a signed-in rep carries their token; the
// console always speaks to the relay that served it.
function adoptSignIn() {
  localStorage.setItem(LOCAL_PREFIX + 'relay', JSON.stringify(location.origin));
  const node = document.getElementById('tandem-web-signin');
  if (!node) return;
  let given = null;
  try { given = JSON.parse(node.textContent); } catch (_) { return; }
  if (!given || !given.token) return;
  localStorage.setItem(LOCAL_PREFIX + 'token', JSON.stringify(given.token));
  localStorage.setItem(LOCAL_PREFIX + 'account', JSON.stringify(given.account));
}
adoptSignIn();

// --- pages -----------------------------------------------------------------

// One window per page and query: opening it again focuses the open one.
function openNamed(url) {
  const target = new URL(url, location.href);
  const opened = window.open(target.href, 'tandem' + target.pathname.replace(/\W/g, '-') + target.search.replace(/\W/g, '-'));
  if (opened) opened.focus();
  return opened;
}

export async function openOrFocusTab(url) { openNamed(url); return null; }

// What the side panel asks the extension's background: here, done in the page.
const handlers = {
  'open-viewer'({ session: sessionId, stream }) {
    const query = new URLSearchParams({ session: sessionId });
    if (Number.isInteger(stream)) query.set('stream', String(stream));
    openNamed(pageUrl('viewer.html?' + query));
    return { tab: null };
  },
};
export async function toBackground(msg) {
  const handler = msg && handlers[msg.type];
  if (!handler) return { error: `unknown message ${msg && msg.type}` };
  return handler(msg);
}

// The relay's own sign-in page stands in for the extension's options.
export const openOptions = () => { location.assign('/signin?next=/console/'); };
