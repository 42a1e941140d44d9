// On the relay's own customer page (/s/TOKEN, server/static/customer.js): the
// page learns that this extension is here and whether it shares a tab for
// this session, and its "Share a tab" button hands the session to the
// extension, which asks the customer which tab (share.html).
//
// window messages, same window and origin only:
//   extension -> page  {tandem: 'extension', type: 'share-status', shared, problem, title}
//   page -> extension  {tandem: 'page', type: 'share-tab'}
import { toBackground } from '../rep/browser.js';

const STATUS_MS = 1500;

export function customerPageToken() {
  const root = document.getElementById('tandem-customer');
  const token = root && root.dataset.token;
  return token && location.pathname === `/s/${encodeURIComponent(token)}` ? token : null;
}

export function bridgeCustomerPage(token) {
  const relay = location.origin;
  let last = '';

  async function tellStatus() {
    let status;
    try { status = await toBackground({ type: 'share-status', token }); } catch (_) { return; }
    const value = { tandem: 'extension', type: 'share-status', shared: Boolean(status && status.shared),
      problem: (status && status.problem) || null, title: (status && status.title) || null };
    const text = JSON.stringify(value);
    if (text === last) return;
    last = text;
    window.postMessage(value, relay);
  }

  window.addEventListener('message', (event) => {
    const data = event.data;
    if (event.source !== window || event.origin !== relay || !data || data.tandem !== 'page') return;
    if (data.type === 'share-tab') toBackground({ type: 'share-begin', relay, token }).then(tellStatus, () => {});
    if (data.type === 'share-status') { last = ''; tellStatus(); }
  });
  document.documentElement.dataset.tandemExtension = 'customer-mode';
  tellStatus();
  setInterval(tellStatus, STATUS_MS);
}
