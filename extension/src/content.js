// The extension's content script, on every web page:
// - on the relay's own customer page, a bridge that lets the page hand the
//   session to the extension (share/page-bridge.js);
// - in the tab a customer shares with the extension (customer mode), the
//   customer side (capture, control, widget) with the session held by the
//   extension's background (share/relay-link.js), across the tab's pages;
// - on pages opened from a Tandem session link, which hold the session in
//   this origin's sessionStorage, the same customer code as the snippet.
import { startCustomer } from './customer/index.js';
import { store } from './customer/store.js';
import { onTabMessage, toBackground } from './rep/browser.js';
import { bridgeCustomerPage, customerPageToken } from './share/page-bridge.js';
import { createPortConnection } from './share/port-connection.js';
import { echoPageValues } from './share/value-echo.js';

let shared = null;

async function startSharing() {
  if (shared) return true;
  let config;
  try { config = await toBackground({ type: 'share-config' }); } catch (_) { return false; }
  if (!config || !config.shared || shared) return false;
  const stopEcho = echoPageValues();
  const customer = startCustomer({ connect: createPortConnection });
  if (!customer) { stopEcho(); return false; } // the site's own snippet runs here
  shared = { stop() { stopEcho(); customer.stop(); } };
  return true;
}

const token = customerPageToken();
if (token) {
  bridgeCustomerPage(token);
} else {
  onTabMessage((msg) => {
    if (msg && msg.type === 'share-start') return startSharing();
    if (msg && msg.type === 'share-stop' && shared) { shared.stop(); shared = null; return true; }
    return false;
  });
  const stored = store.session();
  if (stored && stored.relay) startCustomer({ relay: stored.relay, queue: null, maskSelectors: [] });
  else startSharing();
}
