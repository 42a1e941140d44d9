// Transfer control (to an assistant) and transfer session (queue reps: to a
// queue or to queue reps, with a message of at most 345 characters).
import { part } from './dom.js';
import { t } from './i18n.js';
import { nameOf } from './participants.js';

const MESSAGE_MAX = 345; // protocol.TRANSFER_MESSAGE_MAX

export function wireTransfer(entry, ctx) {
  const { panel, id } = entry;
  part(panel, 'transfer-control-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const to = part(panel, 'assistants').value;
    if (!to) return;
    if (!window.confirm(t('transfer_control_confirm', { name: nameOf(entry.state, to) }))) return;
    ctx.commands.transferControl(id, to);
  });

  const message = part(panel, 'transfer-message-text');
  const count = () => {
    part(panel, 'transfer-count').textContent = t('transfer_session_count', { count: message.value.length, max: MESSAGE_MAX });
  };
  message.addEventListener('input', count);
  count();

  part(panel, 'transfer-session-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const error = part(panel, 'transfer-error');
    const queue = part(panel, 'transfer-queue').value.trim();
    const repsText = part(panel, 'transfer-reps').value.trim();
    const reps = repsText ? repsText.split(/[\s,;]+/).filter(Boolean) : [];
    const fail = (key) => { error.textContent = t(key); error.hidden = false; };
    error.hidden = true;
    if (reps.some((x) => !/^\d{1,9}$/.test(x))) return fail('transfer_session_bad_reps');
    if (!queue && reps.length === 0) return fail('transfer_session_need_target');
    if (!window.confirm(t('transfer_session_confirm'))) return;
    ctx.commands.transferSession(id, {
      queue, reps: [...new Set(reps.map(Number))], message: message.value.trim().slice(0, MESSAGE_MAX),
    });
  });
}

export function renderTransfer(entry, ctx) {
  const { state, panel } = entry;
  const amPrimary = state.role === 'primary';
  const assistants = state.participants.filter((p) => p.kind === 'rep' && p.role === 'assistant');
  part(panel, 'transfer-control').hidden = !amPrimary;
  const select = part(panel, 'assistants');
  const chosen = select.value;
  select.replaceChildren(...assistants.map((p) => {
    const option = document.createElement('option');
    option.value = p.pid;
    option.textContent = p.present ? p.name : t('participants_away_name', { name: p.name });
    return option;
  }));
  if (assistants.some((p) => p.pid === chosen)) select.value = chosen;
  select.closest('label').hidden = assistants.length === 0;
  part(panel, 'no-assistants').hidden = assistants.length > 0;
  part(panel, 'transfer-control-form').querySelector('button').disabled = assistants.length === 0;

  const account = ctx.account();
  const queueRep = Boolean(account && account.queue_rep);
  part(panel, 'transfer-session').hidden = !amPrimary;
  part(panel, 'transfer-session-form').hidden = !queueRep;
  part(panel, 'transfer-session-why').hidden = queueRep;
  const board = ctx.board();
  const names = new Set([...(account ? account.queues : []), ...(board ? board.queues.map((q) => q.name) : [])]);
  part(panel, 'queue-names').replaceChildren(...[...names].sort().map((name) => {
    const option = document.createElement('option');
    option.value = name;
    return option;
  }));
}
