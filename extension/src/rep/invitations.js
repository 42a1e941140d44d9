// Invitations are a request, not a message: POST with the rep's token.
// Resolves { ok, invitation } or { ok: false, message }.
import { t } from './i18n.js';

export async function requestInvitation({ relay, token }, session, body) {
  let response;
  try {
    response = await fetch(`${relay}/api/sessions/${encodeURIComponent(session)}/invitations`, {
      method: 'POST',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token },
      body: JSON.stringify(body),
    });
  } catch (_) {
    return { ok: false, message: t('error_network') };
  }
  let data = null;
  try { data = await response.json(); } catch (_) { /* an empty or HTML answer */ }
  if (response.ok && data) return { ok: true, invitation: data };
  return { ok: false, message: (data && data.error && data.error.message) || t('error_unknown') };
}
