// The rep's settings: relay URL and sign-in, kept in chrome.storage.local so
// a browser restart keeps the rep signed in; signing out removes the token.
import { local, onLocalChanged } from './browser.js';

export const DEFAULT_RELAY = 'http://127.0.0.1:8000';
const KEYS = ['relay', 'token', 'account'];

export async function loadSettings() {
  const got = await local.get(KEYS);
  return { relay: got.relay || DEFAULT_RELAY, token: got.token || null, account: got.account || null };
}

// A relay URL is http(s), without path, query or trailing slash.
export function normalizeRelay(text) {
  let url;
  try { url = new URL(String(text).trim()); } catch (_) { return null; }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return url.origin;
}

export const wsUrlOf = (relay) => relay.replace(/^http/, 'ws') + '/ws';

export const saveRelay = (relay) => local.set({ relay });

// POST /api/signin. Resolves { ok, account } or { ok: false, message }.
export async function signIn(relay, email, password) {
  let response;
  try {
    response = await fetch(relay + '/api/signin', {
      method: 'POST',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
  } catch (_) {
    return { ok: false, network: true };
  }
  let data = null;
  try { data = await response.json(); } catch (_) { /* not JSON: no detail */ }
  if (!response.ok || !data || !data.token) {
    return { ok: false, status: response.status, message: data && data.error && data.error.message };
  }
  await local.set({ relay, token: data.token, account: data.account });
  return { ok: true, account: data.account };
}

export const signOut = () => local.remove(['token', 'account']);

// Calls back with the new settings whenever the relay or sign-in changes.
export function onSettingsChanged(callback) {
  onLocalChanged(async (changes) => {
    if (KEYS.some((key) => key in changes)) callback(await loadSettings());
  });
}
