// "Pair my Support Manager": a one-time pairing code for the rep's own agent
// (POST /api/sessions/{session}/pairing with the rep's token), shown with the
// command to run on the rep's computer.
import { action, part } from './dom.js';
import { t } from './i18n.js';

export async function requestPairing({ relay, token }, session) {
  let response;
  try {
    response = await fetch(`${relay}/api/sessions/${encodeURIComponent(session)}/pairing`, {
      method: 'POST', credentials: 'omit', headers: { Authorization: 'Bearer ' + token },
    });
  } catch (_) {
    return { ok: false, message: t('error_network') };
  }
  let data = null;
  try { data = await response.json(); } catch (_) { /* not JSON */ }
  if (response.ok && data && data.code) return { ok: true, pairing: data };
  return { ok: false, message: (data && data.error && data.error.message) || t('error_unknown') };
}

export function wirePairing(entry, ctx) {
  const { panel, id } = entry;
  const button = action(panel, 'pair-own-agent');
  const error = part(panel, 'own-pairing-error');
  button.addEventListener('click', async () => {
    button.disabled = true;
    error.hidden = true;
    const answer = await requestPairing(ctx.settings(), id);
    button.disabled = false;
    if (!answer.ok) {
      error.textContent = t('agent_pair_failed', { message: answer.message });
      error.hidden = false;
      return;
    }
    const { code, command, expires_in: ttl } = answer.pairing;
    part(panel, 'own-pairing-code').textContent = code;
    part(panel, 'own-pairing-expiry').textContent =
      t('agent_pair_expires', { minutes: Math.max(1, Math.round(ttl / 60)) });
    part(panel, 'own-pairing-command').value = command;
    part(panel, 'own-pairing').hidden = false;
  });
  action(panel, 'copy-pairing-command').addEventListener('click', () =>
    ctx.copyText(part(panel, 'own-pairing-command').value, part(panel, 'own-pairing-copy-state')));
}
