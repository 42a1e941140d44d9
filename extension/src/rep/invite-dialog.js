// The Invite dialog: a customer or a colleague (picked from the roster with
// their presence and load, or by email); the relay sends the email (or keeps
// it in its outbox when it has no mail server), or "send with my own email
// program" opens the prefilled mailto: link; copy the link; the text to read
// out on the phone.
import { $ } from './dom.js';
import { requestInvitation } from './invitations.js';
import { t } from './i18n.js';
import { repPicker } from './roster.js';

export function createInviteDialog(ctx) {
  const dialog = $('invite-dialog');
  let session = null;
  const colleagues = repPicker({ multiple: false, name: 'invite-rep-pick', emptyKey: 'invite_no_reps' });
  $('invite-colleague').append(colleagues.element);
  ctx.roster.watch({ visible: () => dialog.open && invitee() === 'rep', render: (roster) => colleagues.render(roster) });

  const invitee = () => ($('invitee-rep').checked ? 'rep' : 'customer');
  const email = () => $('invite-email').value.trim();
  const picked = () => (invitee() === 'rep' ? colleagues.selected()[0] : undefined);
  const nameOf = (id) => {
    const rep = (ctx.roster.current() || { reps: [] }).reps.find((r) => r.id === id);
    return rep ? rep.name : '';
  };

  function result(text, ok) {
    $('invite-result').textContent = text;
    $('invite-result').className = ok ? 'alert notice' : 'alert error';
    $('invite-result').hidden = !text;
  }

  function show(invitation) {
    $('invite-link').value = invitation.link;
    $('invite-phone').textContent = invitation.phone;
    if (typeof invitation.mailto === 'string' && invitation.mailto.startsWith('mailto:')) $('invite-mailto').href = invitation.mailto;
  }

  function showInvitee() {
    const rep = invitee() === 'rep';
    $('invite-colleague').hidden = !rep;
    $('invite-email-label').textContent = t(rep ? 'invite_email_other' : 'invite_email');
    if (rep) ctx.roster.refresh();
  }

  // Builds the texts (no email sent) for the chosen invitee and address.
  async function refresh() {
    if (!session) return;
    const body = { invitee: invitee() };
    if (email() && $('invite-email').checkValidity()) body.email = email();
    const answer = await requestInvitation(ctx.settings(), session, body);
    if (answer.ok) show(answer.invitation);
    else result(t('invite_failed', { message: answer.message }), false);
  }

  async function send() {
    const rep = email() ? undefined : picked();
    if (rep === undefined && (!email() || !$('invite-email').checkValidity())) {
      result(t(invitee() === 'rep' ? 'invite_pick_or_email' : 'invite_bad_email'), false);
      return;
    }
    const body = { invitee: invitee(), send: true };
    if (rep !== undefined) body.rep = rep; else body.email = email();
    $('invite-send').disabled = true;
    const answer = await requestInvitation(ctx.settings(), session, body);
    $('invite-send').disabled = false;
    if (!answer.ok) { result(t('invite_failed', { message: answer.message }), false); return; }
    show(answer.invitation);
    const to = rep !== undefined ? nameOf(rep) : email();
    result(t(answer.invitation.outbox ? 'invite_outbox' : 'invite_sent', { email: to }), true);
  }

  $('invite-send').addEventListener('click', send);
  $('invite-email').addEventListener('change', refresh);
  for (const radio of dialog.querySelectorAll('input[name="invitee"]')) {
    radio.addEventListener('change', () => { showInvitee(); refresh(); });
  }
  $('invite-copy').addEventListener('click', () => ctx.copyText($('invite-link').value, $('invite-copy-state')));

  return {
    open(entry) {
      session = entry.id;
      $('invitee-customer').checked = true;
      $('invite-email').value = '';
      $('invite-link').value = entry.state.join_link || '';
      $('invite-phone').textContent = '';
      $('invite-mailto').href = 'mailto:';
      colleagues.clear();
      showInvitee();
      result('', true);
      if (!dialog.open) dialog.showModal();
      refresh();
      $('invite-email').focus();
    },
    closeFor(id) { if (session === id && dialog.open) dialog.close(); },
  };
}
