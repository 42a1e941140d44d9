// The tool buttons of the Tools, Desktop, Application and Session tabs.
// Buttons that need a customer stay disabled until one joins and say why.
// Desktop and application requests (and browsing the customer's files) need
// the customer's Support Manager; sharing the rep's own screen needs the
// rep's. Those buttons say which one is missing (agent-status.js).
import { action, part, setDisabled } from './dom.js';
import { t } from './i18n.js';
import { agentWhy, customerAgent, renderAgentStatus } from './agent-status.js';
import { wirePairing } from './agent-pairing.js';
import { wirePublish } from './files-publish.js';
import { openCall, renderMedia, toggleMedia } from './media-launch.js';
import {
  desktopView, filesActivity, openDesktopViewer, openFilesBrowser, openViewer, tabControl, tabView,
} from './viewer-launch.js';

const ONLY_PRIMARY = new Set(['cobrowse-control', 'desktop-request-control', 'app-request-control', 'record']);

const recording = (state) => state.activities.find((a) => a.kind === 'recording');

// A desktop or application someone else shares (the rep's own is not watched here).
function watchable(state) {
  const view = desktopView(state);
  if (!view) return null;
  const sharer = state.participants.find((x) => x.pid === view.sharer);
  return sharer && (sharer.pid === state.you || sharer.owner === state.you) ? null : view;
}

export function wireTools(entry, ctx) {
  const { panel, id } = entry;
  const c = ctx.commands;
  const filesHint = part(panel, 'files-agent-hint');
  const on = {
    invite: () => ctx.openInvite(entry),
    'copy-link': () => ctx.copyLink(entry),
    video: () => toggleMedia(entry, 'video', c),
    audio: () => toggleMedia(entry, 'audio', c),
    'open-call': () => openCall(id),
    files: () => {
      // Without the customer's Support Manager there is nothing to browse: say so.
      if (!customerAgent(entry.state)) { filesHint.hidden = false; return; }
      c.requestGrant(id, 'files', 'desktop');
    },
    'files-open-browser': () => openFilesBrowser(id),
    'desktop-request-view': () => c.requestGrant(id, 'view', 'desktop'),
    'desktop-request-control': () => c.requestGrant(id, 'control', 'desktop'),
    'desktop-share-view': () => c.requestGrant(id, 'view', 'desktop', 'share'),
    'desktop-share-control': () => c.requestGrant(id, 'control', 'desktop', 'share'),
    'desktop-open-viewer': () => openDesktopViewer(id),
    'app-request-view': () => c.requestGrant(id, 'view', 'application'),
    'app-request-control': () => c.requestGrant(id, 'control', 'application'),
    'app-share-view': () => c.requestGrant(id, 'view', 'application', 'share'),
    'app-share-control': () => c.requestGrant(id, 'control', 'application', 'share'),
    'app-open-viewer': () => openDesktopViewer(id),
    'cobrowse-view': () => c.requestGrant(id, 'view', 'tab'),
    'cobrowse-control': () => c.requestGrant(id, 'control', 'tab'),
    'open-viewer': () => { const view = tabView(entry.state); if (view) openViewer(id, view.stream); },
    record: () => {
      const live = recording(entry.state);
      if (live) c.stopActivity(id, live.id); else c.startActivity(id, 'recording');
    },
  };
  for (const [name, run] of Object.entries(on)) action(panel, name).addEventListener('click', run);
  wirePairing(entry, ctx);
  wirePublish(entry, ctx);
}

export function renderTools(entry) {
  const { state, panel } = entry;
  const amPrimary = state.role === 'primary';
  const noCustomer = !state.tools_available;
  part(panel, 'tools-note').hidden = !noCustomer;
  for (const button of panel.querySelectorAll('[data-needs-customer]')) {
    const needs = button.dataset.needsAgent;
    const why = noCustomer ? t('tools_unavailable')
      : ONLY_PRIMARY.has(button.dataset.action) && !amPrimary ? t('only_primary')
        : needs ? agentWhy(state, needs) : null;
    setDisabled(button, Boolean(why), why);
  }
  renderAgentStatus(entry);
  renderMedia(entry);
  part(panel, 'files-agent-hint').hidden = noCustomer || Boolean(customerAgent(state));
  const files = filesActivity(state);
  setDisabled(action(panel, 'files-open-browser'), !files, files ? null : t('files_browser_none'));
  const view = tabView(state);
  setDisabled(action(panel, 'open-viewer'), !view, view ? null : t('open_viewer_none'));
  const desktop = watchable(state);
  for (const name of ['desktop-open-viewer', 'app-open-viewer']) {
    setDisabled(action(panel, name), !desktop, desktop ? null : t('open_desktop_viewer_none'));
  }
  const control = tabControl(state);
  const cobrowseControl = action(panel, 'cobrowse-control');
  if (control && control.peer === state.you) setDisabled(cobrowseControl, true, t('control_on'));
  const record = action(panel, 'record');
  record.hidden = state.auto_record;
  record.dataset.i18n = recording(state) ? 'record_stop' : 'record_start';
  record.textContent = t(record.dataset.i18n);
  record.setAttribute('aria-pressed', String(Boolean(recording(state))));
  part(panel, 'auto-record').hidden = !state.auto_record;
  action(panel, 'copy-link').hidden = !state.join_link;
}
