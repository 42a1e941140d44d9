// The tool buttons of the Tools, Desktop, Application and Session tabs.
// Buttons that need a customer stay disabled until one joins and say why.
// Tools whose back end is not there yet still send their request; the pane
// says plainly that nothing can serve them yet.
import { action, part, setDisabled } from './dom.js';
import { t } from './i18n.js';
import { openViewer, tabControl, tabView } from './viewer-launch.js';

const ONLY_PRIMARY = new Set(['cobrowse-control', 'desktop-request-control', 'app-request-control', 'record']);

export function wireTools(entry, ctx) {
  const { panel, id } = entry;
  const c = ctx.commands;
  const on = {
    invite: () => ctx.openInvite(entry),
    'copy-link': () => ctx.copyLink(entry),
    video: () => c.startActivity(id, 'video'),
    audio: () => c.startActivity(id, 'audio'),
    files: () => c.requestGrant(id, 'files', 'desktop'),
    'desktop-request-view': () => c.requestGrant(id, 'view', 'desktop'),
    'desktop-request-control': () => c.requestGrant(id, 'control', 'desktop'),
    'desktop-share-view': () => c.requestGrant(id, 'view', 'desktop', 'share'),
    'desktop-share-control': () => c.requestGrant(id, 'control', 'desktop', 'share'),
    'app-request-view': () => c.requestGrant(id, 'view', 'application'),
    'app-request-control': () => c.requestGrant(id, 'control', 'application'),
    'app-share-view': () => c.requestGrant(id, 'view', 'application', 'share'),
    'app-share-control': () => c.requestGrant(id, 'control', 'application', 'share'),
    'cobrowse-view': () => c.requestGrant(id, 'view', 'tab'),
    'cobrowse-control': () => c.requestGrant(id, 'control', 'tab'),
    'open-viewer': () => { const view = tabView(entry.state); if (view) openViewer(id, view.stream); },
    record: () => c.startActivity(id, 'recording'),
  };
  for (const [name, run] of Object.entries(on)) action(panel, name).addEventListener('click', run);
}

export function renderTools(entry) {
  const { state, panel } = entry;
  const amPrimary = state.role === 'primary';
  const noCustomer = !state.tools_available;
  part(panel, 'tools-note').hidden = !noCustomer;
  for (const button of panel.querySelectorAll('[data-needs-customer]')) {
    const why = noCustomer ? t('tools_unavailable')
      : ONLY_PRIMARY.has(button.dataset.action) && !amPrimary ? t('only_primary') : null;
    setDisabled(button, Boolean(why), why);
  }
  const view = tabView(state);
  setDisabled(action(panel, 'open-viewer'), !view, view ? null : t('open_viewer_none'));
  const control = tabControl(state);
  const cobrowseControl = action(panel, 'cobrowse-control');
  if (control && control.peer === state.you) setDisabled(cobrowseControl, true, t('control_on'));
  action(panel, 'record').hidden = state.auto_record;
  part(panel, 'auto-record').hidden = !state.auto_record;
  action(panel, 'copy-link').hidden = !state.join_link;
}
