// Every chrome.* call of the rep side goes through here, so the rest of the
// code reads as plain functions and the extension API stays in one place.

export const extensionId = () => chrome.runtime.id;
export const pageUrl = (path) => chrome.runtime.getURL(path);
export const message = (key, subs) => chrome.i18n.getMessage(key, subs);
export const uiLanguage = () => chrome.i18n.getUILanguage();

// chrome.storage.local: what must outlive a browser restart (relay, sign-in).
export const local = {
  get: (keys) => chrome.storage.local.get(keys),
  set: (items) => chrome.storage.local.set(items),
  remove: (keys) => chrome.storage.local.remove(keys),
};

// chrome.storage.session: what must outlive an evicted service worker or a
// reloaded page, but not the browser session.
export const session = {
  get: (keys) => chrome.storage.session.get(keys),
  set: (items) => chrome.storage.session.set(items),
};

// Calls back with (changes) when chrome.storage.local changes in any page.
export function onLocalChanged(callback) {
  chrome.storage.onChanged.addListener((changes, area) => { if (area === 'local') callback(changes); });
}

// To the background service worker; resolves with its answer.
export const toBackground = (msg) => chrome.runtime.sendMessage(msg);

// In the background: answer messages from this extension's own pages only.
export function onPageMessage(handle) {
  chrome.runtime.onMessage.addListener((msg, sender, respond) => {
    // Not from a content script or another extension: from our own pages.
    const own = sender.id === chrome.runtime.id && (sender.url || '').startsWith(pageUrl(''));
    if (!own) return false;
    Promise.resolve(handle(msg, sender)).then(respond, (err) => respond({ error: String(err) }));
    return true; // the answer comes asynchronously
  });
}

export const openOptions = () => chrome.runtime.openOptionsPage();

export async function openOrFocusTab(url, matches) {
  const tabs = await chrome.tabs.query({});
  const found = tabs.find((tab) => (tab.url || '').startsWith(pageUrl('')) && matches(tab.url));
  if (found) {
    await chrome.tabs.update(found.id, { active: true });
    await chrome.windows.update(found.windowId, { focused: true });
    return found.id;
  }
  return (await chrome.tabs.create({ url })).id;
}

export const openPanelOnActionClick = () =>
  chrome.sidePanel.setPanelBehavior({ openPanelOnActionClick: true });

// --- customer mode (src/share/): one tab the customer shares ----------------

export const sessionRemove = (keys) => chrome.storage.session.remove(keys);

// Our own content scripts (the shared tab) may message the background too:
// `handle(msg, sender)` sees sender.tab; pages of the extension are answered
// by onPageMessage above.
export function onContentMessage(handle) {
  chrome.runtime.onMessage.addListener((msg, sender, respond) => {
    const content = sender.id === chrome.runtime.id && sender.tab && !(sender.url || '').startsWith(pageUrl(''));
    if (!content) return false;
    Promise.resolve(handle(msg, sender)).then(respond, (err) => respond({ error: String(err) }));
    return true;
  });
}

// Long-lived ports from our content scripts (`name`): (port, tabId, frameId).
export function onContentPort(name, handle) {
  chrome.runtime.onConnect.addListener((port) => {
    const sender = port.sender || {};
    if (port.name !== name || sender.id !== chrome.runtime.id || !sender.tab) return;
    handle(port, sender.tab.id, sender.frameId || 0);
  });
}

export const connectPort = (name) => chrome.runtime.connect({ name });

// In a content script: messages the background sends to this tab; `handle`
// answers (a value or a promise).
export function onTabMessage(handle) {
  chrome.runtime.onMessage.addListener((msg, sender, respond) => {
    if (sender.id !== chrome.runtime.id) return false;
    Promise.resolve(handle(msg)).then(respond, () => respond(false));
    return true;
  });
}

export const queryTabs = (query) => chrome.tabs.query(query);
export const getTab = (tabId) => chrome.tabs.get(tabId);
export const focusTab = async (tab) => {
  await chrome.tabs.update(tab.id, { active: true });
  await chrome.windows.update(tab.windowId, { focused: true });
};
export const createTab = (url) => chrome.tabs.create({ url });
export const tellTab = (tabId, msg) => chrome.tabs.sendMessage(tabId, msg).catch(() => { /* no listener there now */ });
export const onTabUpdated = (fn) => chrome.tabs.onUpdated.addListener(fn);
export const onTabRemoved = (fn) => chrome.tabs.onRemoved.addListener(fn);

// Runs our files in a tab's top frame: `world` ISOLATED (a content script) or MAIN (the page's own).
export const injectFiles = (tabId, files, world = 'ISOLATED') =>
  chrome.scripting.executeScript({ target: { tabId }, files, world });

export async function setTabBadge(tabId, text, title) {
  await chrome.action.setBadgeBackgroundColor({ tabId, color: '#b3261e' });
  await chrome.action.setBadgeText({ tabId, text });
  await chrome.action.setTitle({ tabId, title });
}
export const clearTabBadge = (tabId) => Promise.all([
  chrome.action.setBadgeText({ tabId, text: '' }), chrome.action.setTitle({ tabId, title: message('extName') }),
]).catch(() => { /* the tab is gone */ });
