// The bootstrap both viewer tabs (cobrowse viewer.html, desktop.html) share:
// localize the page, read the rep's settings, and open the tab's own
// connection to the relay for one session (?session=…).
import { createConnection } from '../lib/connection.js';
import { $ } from './dom.js';
import { localize, setDocumentLanguage, t } from './i18n.js';
import { loadSettings, wsUrlOf } from './settings.js';

// Returns the open connection, or null when the tab cannot work (no session
// in its URL, or the rep is signed out) after saying so in `statusId`.
export async function openSessionTab({ sessionId, statusId, storePrefix, handlers, onConnected, onFrame }) {
  setDocumentLanguage();
  localize();
  const settings = await loadSettings();
  if (!sessionId || !settings.token) {
    $(statusId).textContent = t(sessionId ? 'status_signed_out' : 'viewer_no_session');
    return null;
  }
  const connection = createConnection({
    url: wsUrlOf(settings.relay),
    token: settings.token,
    storeKey: storePrefix + sessionId,
    client: 'extension',
    onMessage: (msg) => { const handler = handlers[msg.type]; if (handler) handler(msg); },
    onStatus: (s) => {
      if (s === 'connected') onConnected();
      else $(statusId).textContent = t('status_' + s);
    },
    onFrame,
  });
  return connection;
}
