// Joining a session as a customer from the extension: the session number
// (with the relay's address), the customer's own session page link
// (RELAY/s/TOKEN), or a join link a rep sent (RELAY/invite/TOKEN).
// Resolves { relay, token, number } or throws an Error whose message is a
// catalog key (share_error_*).

const NUMBER = /^\s*(\d{3})\s*(\d{3})\s*(\d{3})\s*$/;

function fail(key) { return new Error(key); }

// A join link's token is itsdangerous's: base64url JSON [session, number,
// invitee], a timestamp, a signature. Only the number is read here; the
// relay checks everything when /api/join is called with it.
function numberOfInvite(token) {
  try {
    const payload = token.split('.')[0];
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const value = JSON.parse(json);
    if (Array.isArray(value) && value[2] === 'customer' && /^\d{9}$/.test(String(value[1]))) return String(value[1]);
  } catch (_) { /* not one of ours */ }
  return null;
}

async function joinByNumber(relay, number, name) {
  let response;
  try {
    response = await fetch(`${relay}/api/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ number, name }),
      credentials: 'omit',
    });
  } catch (_) {
    throw fail('share_error_relay');
  }
  if (response.status === 404) throw fail('share_error_number');
  if (response.status === 429) throw fail('share_error_rate');
  if (response.status === 409 || response.status === 403) throw fail('share_error_full');
  if (!response.ok) throw fail('share_error_relay');
  const body = await response.json();
  if (!body.token) throw fail('share_error_relay');
  return { relay, token: body.token, number };
}

export function relayOf(text) {
  let url;
  try { url = new URL(String(text || '').trim()); } catch (_) { return null; }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return url.origin;
}

// `what`: a number or a link; `relay`: the relay's address when `what` is a number.
export async function join({ what, relay, name = '' }) {
  const text = String(what || '').trim();
  const digits = NUMBER.exec(text);
  if (digits) {
    const base = relayOf(relay);
    if (!base) throw fail('share_error_relay_address');
    return joinByNumber(base, digits.slice(1).join(''), name);
  }
  const base = relayOf(text);
  if (!base) throw fail('share_error_what');
  const path = new URL(text).pathname;
  const page = /^\/s\/([^/]+)$/.exec(path);
  if (page) return { relay: base, token: decodeURIComponent(page[1]), number: null };
  const invite = /^\/invite\/([^/]+)$/.exec(path);
  const number = invite && numberOfInvite(decodeURIComponent(invite[1]));
  if (number) return joinByNumber(base, number, name);
  throw fail('share_error_what');
}
