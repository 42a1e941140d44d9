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
