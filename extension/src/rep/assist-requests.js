// Assisting by session number under the approval policy. The primary sees
// who asks (session_state.assist_requests) and lets them in or not
// (decide_assist); a rep who asked hears how it went (assist_answer) under
// the Assist form; every rep of the session is told when an assistant
// arrives or asks (session_notice).
import { $, el, formatNumber, part, syncList } from './dom.js';
import { t } from './i18n.js';
import { showNotice } from './notices.js';

export function renderAssistRequests(entry, ctx) {
  const requests = entry.state.assist_requests || [];
  const box = part(entry.panel, 'assist-requests');
  box.hidden = requests.length === 0;
  syncList(part(box, 'assist-request-list'), requests, (r) => r.id, (r) => {
    const li = el('li', 'assist-request');
    const approve = el('button', 'button small primary', t('assist_request_approve'));
    const deny = el('button', 'button small', t('assist_request_deny'));
    for (const [button, yes] of [[approve, true], [deny, false]]) {
      button.type = 'button';
      button.dataset.action = yes ? 'approve-assist' : 'deny-assist';
      button.addEventListener('click', () => {
        approve.disabled = deny.disabled = true; // the next state removes the line
        ctx.commands.decideAssist(entry.id, r.id, yes);
      });
    }
    li.append(el('span', 'assist-request-name'), approve, deny);
    return li;
  }, (li, r) => {
    li.querySelector('.assist-request-name').textContent = t('assist_request_text', { name: r.name });
  });
}

// session_notice: to every rep of the session.
export function showSessionNotice(msg, entry) {
  const number = entry ? formatNumber(entry.state.number) : '';
  showNotice(t('notice_' + msg.event, { name: msg.name, number }), '', 'notice');
}

// assist_answer: to the rep who asked, while the primary decides.
export function showAssistAnswer(msg) {
  const status = $('assist-status');
  const number = formatNumber(msg.number);
  status.textContent = msg.state === 'waiting' ? t('assist_waiting', { number }) : '';
  status.hidden = msg.state !== 'waiting';
  if (msg.state !== 'waiting') {
    showNotice(t('assist_' + msg.state, { number }), '', msg.state === 'approved' ? 'notice' : 'error');
  }
}
