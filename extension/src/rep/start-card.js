// Start session (with "email invitation on start") and Assist session by number.
import { local } from './browser.js';
import { $ } from './dom.js';

export function wireStartCard(ctx, { start }) {
  const emailInvite = $('email-invite-on-start');
  local.get('emailInviteOnStart').then((got) => { emailInvite.checked = Boolean(got.emailInviteOnStart); });
  emailInvite.addEventListener('change', () => local.set({ emailInviteOnStart: emailInvite.checked }));
  $('start-session').addEventListener('click', () => start(emailInvite.checked));

  $('assist-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('assist-number');
    const digits = input.value.replace(/\D/g, '');
    const valid = digits.length === 9;
    $('assist-error').hidden = valid;
    input.setAttribute('aria-invalid', String(!valid));
    if (!valid) return;
    ctx.commands.assistSession(digits);
    input.value = '';
  });
  // An invitation to assist opens the console with ?assist=NUMBER (the relay's
  // /console): the number is filled in, for the rep to confirm.
  const invited = new URLSearchParams(location.search).get('assist');
  if (invited) $('assist-number').value = invited.replace(/\D/g, '').slice(0, 9);
}
