// Transfer control (to an assistant) and transfer session (queue reps: to a
// queue or to queue reps, picked from the roster with their presence, load and
// waiting counts, with a message of at most 345 characters).
import { TRANSFER_MESSAGE_MAX as MESSAGE_MAX } from '../generated/protocol.js';
import { part } from './dom.js';
import { t } from './i18n.js';
import { nameOf } from './participants.js';
import { queuePicker, repPicker } from './roster.js';


// The parts, found once: compact mode shows the two sections in a dialog,
// outside the panel, for a while (compact-transfer.js).
const ROLES = ['transfer-control', 'transfer-control-form', 'assistants', 'no-assistants', 'transfer-session',
  'transfer-session-form', 'transfer-session-why', 'transfer-message-text', 'transfer-count', 'transfer-error',
  'transfer-queue', 'transfer-reps'];

export function wireTransfer(entry, ctx) {
  const { panel, id } = entry;
  const parts = entry.transferParts = Object.fromEntries(ROLES.map((role) => [role, part(panel, role)]));
  const at = (role) => parts[role];
  at('transfer-control-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const to = at('assistants').value;
    if (!to) return;
    if (!window.confirm(t('transfer_control_confirm', { name: nameOf(entry.state, to) }))) return;
    ctx.commands.transferControl(id, to);
  });

  const message = at('transfer-message-text');
  message.maxLength = MESSAGE_MAX;
  const count = () => {
    at('transfer-count').textContent = t('transfer_session_count', { count: message.value.length, max: MESSAGE_MAX });
  };
  message.addEventListener('input', count);
  count();

  const queues = queuePicker({ name: `transfer-queue-${id}` });
  const reps = repPicker({ multiple: true, name: `transfer-reps-${id}`, emptyKey: 'transfer_session_no_reps',
    include: (r) => r.queue_rep });
  at('transfer-queue').append(queues.element);
  at('transfer-reps').append(reps.element);
  ctx.roster.watch({
    visible: () => Boolean(at('transfer-session-form').offsetParent), // on screen
    gone: () => !panel.isConnected,
    render: (roster) => { queues.render(roster); reps.render(roster); },
  });

  at('transfer-session-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const error = at('transfer-error');
    const queue = queues.selected();
    const chosen = reps.selected();
    error.hidden = true;
    if (!queue && chosen.length === 0) {
      error.textContent = t('transfer_session_need_target');
      error.hidden = false;
      return;
    }
    if (!window.confirm(t('transfer_session_confirm'))) return;
    ctx.commands.transferSession(id, { queue, reps: chosen, message: message.value.trim().slice(0, MESSAGE_MAX) });
  });
}

export function renderTransfer(entry, ctx) {
  const { state } = entry;
  const at = (role) => entry.transferParts[role];
  const amPrimary = state.role === 'primary';
  const assistants = state.participants.filter((p) => p.kind === 'rep' && p.role === 'assistant');
  at('transfer-control').hidden = !amPrimary;
  const select = at('assistants');
  const chosen = select.value;
  select.replaceChildren(...assistants.map((p) => {
    const option = document.createElement('option');
    option.value = p.pid;
    option.textContent = p.present ? p.name : t('participants_away_name', { name: p.name });
    return option;
  }));
  if (assistants.some((p) => p.pid === chosen)) select.value = chosen;
  select.closest('label').hidden = assistants.length === 0;
  at('no-assistants').hidden = assistants.length > 0;
  at('transfer-control-form').querySelector('button').disabled = assistants.length === 0;

  const account = ctx.account();
  const queueRep = Boolean(account && account.queue_rep);
  at('transfer-session').hidden = !amPrimary;
  at('transfer-session-form').hidden = !queueRep;
  at('transfer-session-why').hidden = queueRep;
}
