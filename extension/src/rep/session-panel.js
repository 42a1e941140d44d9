// One session's panel: head (number, state, role, customer), participants,
// the Tools / Desktop / Application / Session tabs, and End or Leave.
import { action, formatNumber, fromTemplate, part } from './dom.js';
import { renderChatPolicy, wireChat } from './chat.js';
import { renderAssistRequests } from './assist-requests.js';
import { localize, t } from './i18n.js';
import { wireNotes } from './notes.js';
import { currentCustomer, renderParticipants } from './participants.js';
import { renderGrants } from './grants.js';
import { renderTools, wireTools } from './tools.js';
import { renderTransfer, wireTransfer } from './transfer.js';
import { renderViewMode, wireViewMode } from './view-mode.js';

export function buildPanel(entry, ctx) {
  const panel = fromTemplate('session-template');
  localize(panel);
  entry.panel = panel;
  entry.toolTab = 'tools';
  const slug = entry.id.replace(/[^A-Za-z0-9_-]/g, '_');
  panel.id = 'panel-' + slug;
  panel.dataset.session = entry.id;

  for (const tab of panel.querySelectorAll('[data-tool-tab]')) {
    tab.id = `${slug}-${tab.dataset.toolTab}-tab`;
    tab.addEventListener('click', () => showToolTab(entry, tab.dataset.toolTab, ctx));
  }
  showToolTab(entry, 'tools', ctx);

  action(panel, 'end').addEventListener('click', () => ctx.end(entry));
  action(panel, 'leave').addEventListener('click', () => ctx.leave(entry));
  wireChat(entry, ctx);
  wireNotes(entry, ctx);
  wireTools(entry, ctx);
  wireTransfer(entry, ctx);
  wireViewMode(entry, ctx);
  return panel;
}

export function showToolTab(entry, name, ctx) {
  entry.toolTab = name;
  for (const tab of entry.panel.querySelectorAll('[data-tool-tab]')) {
    const on = tab.dataset.toolTab === name;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
  }
  for (const pane of entry.panel.querySelectorAll('[data-tool-pane]')) pane.hidden = pane.dataset.toolPane !== name;
  ctx.toolTabShown(entry);
}

export function renderPanel(entry, ctx) {
  const { state, panel } = entry;
  const number = formatNumber(state.number);
  part(panel, 'number').textContent = t('session_number', { number });
  part(panel, 'state').textContent = t('session_state_' + state.state);
  part(panel, 'role').textContent = t('role_' + state.role);
  part(panel, 'queue').textContent = state.queue ? t('session_queue', { queue: state.queue }) : '';
  const customer = currentCustomer(state);
  part(panel, 'customer').textContent = customer ? t('session_customer', { name: customer.name }) : t('session_no_customer');
  const transferred = part(panel, 'transfer-message');
  transferred.textContent = state.transfer_message ? t('transfer_message', { message: state.transfer_message }) : '';
  transferred.hidden = !state.transfer_message;
  renderParticipants(entry, ctx);
  renderAssistRequests(entry, ctx);
  renderGrants(entry, ctx);
  renderTools(entry);
  renderTransfer(entry, ctx);
  renderViewMode(entry);
  renderChatPolicy(entry);
  action(panel, 'end').hidden = !state.can_end;
  action(panel, 'leave').hidden = state.can_end;
}
