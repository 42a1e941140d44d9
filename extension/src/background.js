// The service worker: opens the side panel on the toolbar button and serves
// requests from the extension's own pages, and from its content scripts,
// through name -> handler maps. What must survive its eviction lives in
// chrome.storage.session (share/state.js).
import {
  onContentMessage, onContentPort, onPageMessage, onTabRemoved, onTabUpdated, openOrFocusTab,
  openPanelOnActionClick, pageUrl,
} from './rep/browser.js';
import { SHARE_PORT } from './share/port-connection.js';
import { createShareService } from './share/share-service.js';

const share = createShareService();

const handlers = {
  // The cobrowse viewer for one session, as a tab; an open one is focused.
  async 'open-viewer'({ session, stream }) {
    if (typeof session !== 'string' || !session) throw new Error('open-viewer needs a session');
    const query = new URLSearchParams({ session });
    if (Number.isInteger(stream)) query.set('stream', String(stream));
    const tab = await openOrFocusTab(pageUrl('viewer.html?' + query), (url) =>
      new URL(url).pathname === '/viewer.html' && new URL(url).searchParams.get('session') === session);
    return { tab };
  },
  // Customer mode (share.html).
  ...share.page,
};

onPageMessage((msg) => {
  const handler = msg && handlers[msg.type];
  if (!handler) return { error: `unknown message ${msg && msg.type}` };
  return handler(msg);
});

// Content scripts: the relay's customer page and the shared tab.
onContentMessage((msg, sender) => {
  const handler = msg && Object.prototype.hasOwnProperty.call(share.content, msg.type) && share.content[msg.type];
  if (!handler) return { error: `unknown message ${msg && msg.type}` };
  return handler(msg, sender);
});
onContentPort(SHARE_PORT, (port, tabId, frameId) => { share.attach(port, tabId, frameId); });
onTabUpdated((tabId, change, tab) => { share.tabUpdated(tabId, change, tab); });
onTabRemoved((tabId) => { share.tabRemoved(tabId); });

openPanelOnActionClick().catch(() => { /* an older Chrome without the side panel API */ });
