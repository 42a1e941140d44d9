// The customer's session page and the web page they show the rep. This page
// cannot be cobrowsed itself; a tab of the customer's can, with the Tandem
// extension (its customer mode), which says here that it is installed and
// what it shares (extension/src/share/page-bridge.js, window messages).
//
// Shown while a rep asks for, or has, the view of the customer's tab. A
// rep's viewer that asks for a snapshot no page answers is told what the
// customer still has to do: add the extension, or pick the tab. Where to
// get the extension is linked when the relay names a place
// (TANDEM_EXTENSION_INSTALL_URL: the #tab-share-install link).
const PROBLEMS = ['browser_page', 'web_store', 'not_web', 'blocked'];

export function createCustomerTab({ ui, t, send }) {
  let state = null;
  let extension = null; // { shared, problem, title } once the extension has spoken

  window.addEventListener('message', (event) => {
    const data = event.data;
    if (event.source !== window || event.origin !== location.origin || !data || data.tandem !== 'extension') return;
    if (data.type !== 'share-status') return;
    extension = { shared: Boolean(data.shared), problem: PROBLEMS.includes(data.problem) ? data.problem : null,
      title: typeof data.title === 'string' ? data.title : '' };
    render();
  });
  // Asked once more, in case the extension spoke before this page listened.
  window.postMessage({ tandem: 'page', type: 'share-status' }, location.origin);

  function mine(s) {
    return s.grants.some((g) => g.grantor === s.you && g.scope === 'tab' && g.direction === 'request'
      && (g.kind === 'view' || g.kind === 'control') && (g.state === 'pending' || g.state === 'approved'));
  }

  function render() {
    const live = state && (state.state === 'open' || state.state === 'active');
    ui.section.hidden = !live || !mine(state);
    if (ui.section.hidden) return;
    // Without the extension: where to get it, when the relay names a place.
    if (ui.install) ui.install.hidden = Boolean(extension);
    if (!extension) {
      ui.text.textContent = t(ui.install ? 'customer.tab.no_extension_install' : 'customer.tab.no_extension');
      ui.pick.hidden = true;
      return;
    }
    if (extension.shared && extension.problem) ui.text.textContent = t('customer.tab.problem.' + extension.problem);
    else if (extension.shared) ui.text.textContent = t('customer.tab.sharing', { title: extension.title });
    else ui.text.textContent = t('customer.tab.lead');
    ui.pick.textContent = t(extension.shared ? 'customer.tab.another' : 'customer.tab.share');
    ui.pick.hidden = false;
  }

  ui.pick.addEventListener('click', () => window.postMessage({ tandem: 'page', type: 'share-tab' }, location.origin));

  return {
    update(s) { state = s; render(); },
    // A rep's viewer asks for a full snapshot of the customer's tab.
    signal(msg) {
      if (!state || !msg.data || msg.data.cobrowse !== 'snapshot' || (extension && extension.shared)) return;
      const rep = state.participants.find((p) => p.pid === msg.sender && p.kind === 'rep');
      const viewed = state.activities.some((a) => a.kind === 'view' && a.scope === 'tab' && a.sharer === state.you);
      if (!rep || !viewed) return;
      send('signal', { session: state.session, to: rep.pid,
        data: { cobrowse: 'status', need: extension ? 'share_tab' : 'extension' } });
    },
  };
}
