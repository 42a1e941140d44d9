// The relay URL and sign-in form, used by the options page and inline in the
// side panel, so the side panel works on its own. Expects in the page:
// #signin-form (#relay-url, #signin-email, #signin-password, #signin-error),
// #signed-in (#signed-in-as, #sign-out).
import { t } from './i18n.js';
import { loadSettings, normalizeRelay, onSettingsChanged, saveRelay, signIn, signOut } from './settings.js';

const $ = (id) => document.getElementById(id);

function showError(text) {
  $('signin-error').textContent = text || '';
  $('signin-error').hidden = !text;
}

function show(settings) {
  const relayInput = $('relay-url');
  if (document.activeElement !== relayInput) relayInput.value = settings.relay;
  const signedIn = Boolean(settings.token);
  $('signed-in').hidden = !signedIn;
  $('signin-fields').hidden = signedIn;
  relayInput.disabled = signedIn; // a token belongs to one relay: sign out to change it
  if (signedIn && settings.account) {
    $('signed-in-as').textContent = t('signed_in', { name: settings.account.name || settings.account.email });
  }
}

function failure(answer) {
  if (answer.network) return t('error_network');
  if (answer.status === 429) return t('signin_error_rate');
  if (answer.status === 401) return t('signin_error_wrong');
  return answer.message || t('error_unknown');
}

export async function mountSignInForm() {
  const form = $('signin-form');
  const submit = form.querySelector('button[type="submit"]');
  show(await loadSettings());
  onSettingsChanged(show);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const relay = normalizeRelay($('relay-url').value);
    if (!relay) { showError(t('relay_invalid')); return; }
    await saveRelay(relay);
    $('relay-url').value = relay;
    const email = $('signin-email').value.trim();
    const password = $('signin-password').value;
    if (!email || !password) { showError(t('signin_missing')); return; }
    submit.disabled = true;
    showError('');
    const answer = await signIn(relay, email, password);
    submit.disabled = false;
    if (!answer.ok) { showError(failure(answer)); return; }
    $('signin-password').value = '';
  });

  $('sign-out').addEventListener('click', () => signOut());
}
