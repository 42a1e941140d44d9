// The Invite dialog: a customer or a rep; the relay sends the email, or "send
// with my own email program" opens the prefilled mailto: link; copy the link;
// the text to read out on the phone.
import { $ } from './dom.js';
import { requestInvitation } from './invitations.js';
import { t } from './i18n.js';

export function createInviteDialog(ctx) {
  const dialog = $('invite-dialog');
  let session = null;

  const invitee = () => (document.getElementById('invitee-rep').checked ? 'rep' : 'customer');
  const email = () => $('invite-email').value.trim();

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
    if (!email() || !$('invite-email').checkValidity()) { result(t('invite_bad_email'), false); return; }
    $('invite-send').disabled = true;
    const answer = await requestInvitation(ctx.settings(), session, { invitee: invitee(), email: email(), send: true });
    $('invite-send').disabled = false;
    if (answer.ok) { show(answer.invitation); result(t('invite_sent', { email: email() }), true); }
    else result(t('invite_failed', { message: answer.message }), false);
  }

  $('invite-send').addEventListener('click', send);
  $('invite-email').addEventListener('change', refresh);
  for (const radio of dialog.querySelectorAll('input[name="invitee"]')) radio.addEventListener('change', refresh);
  $('invite-copy').addEventListener('click', () => ctx.copyText($('invite-link').value, $('invite-copy-state')));

  return {
    open(entry) {
      session = entry.id;
      $('invitee-customer').checked = true;
      $('invite-email').value = '';
      $('invite-link').value = entry.state.join_link || '';
      $('invite-phone').textContent = '';
      $('invite-mailto').href = 'mailto:';
      result('', true);
      if (!dialog.open) dialog.showModal();
      refresh();
      $('invite-email').focus();
    },
    closeFor(id) { if (session === id && dialog.open) dialog.close(); },
  };
}
