// The service worker: opens the side panel on the toolbar button and serves
// requests from the extension's own pages through a name -> handler map. It
// holds no state: Chrome may evict it at any time.
import { onPageMessage, openOrFocusTab, openPanelOnActionClick, pageUrl } from './rep/browser.js';

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
};

onPageMessage((msg) => {
  const handler = msg && handlers[msg.type];
  if (!handler) return { error: `unknown message ${msg && msg.type}` };
  return handler(msg);
});

openPanelOnActionClick().catch(() => { /* an older Chrome without the side panel API */ });
