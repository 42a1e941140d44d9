// Opening the viewers: the cobrowse viewer (viewer.html) for a browser tab,
// the desktop viewer (desktop.html) for a desktop or an application that a
// Support Manager shares, the file browser (files.html) for a files grant.
// By hand ("Open viewer"), and by itself once: the cobrowse viewer when the
// rep has just accepted an inbound customer, whose tab view starts at once;
// the desktop viewer when a desktop or application view starts; the file
// browser when a files activity of this rep starts. What was already opened
// is kept in chrome.storage.session, so a reopened side panel does not open
// it again.
import { openOrFocusTab, pageUrl, session, toBackground } from './browser.js';

const KEY = 'viewers-opened';
const DESKTOP_KEY = 'desktop-viewers-opened';
const FILES_KEY = 'file-browsers-opened';
const AGENT_SCOPES = ['desktop', 'application'];
let acceptedAt = 0;

export const tabView = (state) => state.activities.find((a) => a.kind === 'view' && a.scope === 'tab') || null;
export const tabControl = (state) => state.activities.find((a) => a.kind === 'control' && a.scope === 'tab') || null;

// The desktop or application shown: its view activity, else a control
// activity without one (agent/webrtc.py serves the same one).
export function desktopView(state) {
  const shared = state.activities.filter((a) => AGENT_SCOPES.includes(a.scope) && (a.kind === 'view' || a.kind === 'control'));
  return shared.find((a) => a.kind === 'view') || shared[0] || null;
}
export const desktopControl = (state) =>
  state.activities.find((a) => a.kind === 'control' && AGENT_SCOPES.includes(a.scope)) || null;

// The live files activity this rep is the peer of (the customer's Support
// Manager shares the folders), the newest one; null when there is none.
export const filesActivity = (state) =>
  state.activities.filter((a) => a.kind === 'files' && a.peer === state.you).pop() || null;

// The file browser (files.html) for one session, as a tab; an open one is focused.
export function openFilesBrowser(sessionId) {
  const url = pageUrl('files.html?' + new URLSearchParams({ session: sessionId }));
  return openOrFocusTab(url, (u) =>
    new URL(u).pathname === '/files.html' && new URL(u).searchParams.get('session') === sessionId);
}

export function openViewer(sessionId, stream) {
  return toBackground({ type: 'open-viewer', session: sessionId, stream });
}

// The desktop viewer for one session, as a tab; an open one is focused.
export function openDesktopViewer(sessionId) {
  const url = pageUrl('desktop.html?' + new URLSearchParams({ session: sessionId }));
  return openOrFocusTab(url, (u) =>
    new URL(u).pathname === '/desktop.html' && new URL(u).searchParams.get('session') === sessionId);
}

// The rep pressed Accept next or accepted an offer.
export function noteAccepted() { acceptedAt = Date.now(); }

async function once(key, id) {
  const opened = (await session.get(key))[key] || [];
  if (opened.includes(id)) return false;
  await session.set({ [key]: [...opened.slice(-50), id] });
  return true;
}

export async function maybeOpenViewer(state) {
  const desktop = desktopView(state);
  const sharer = desktop && state.participants.find((x) => x.pid === desktop.sharer);
  const mine = sharer && sharer.owner === state.you; // the rep's own screen: nothing to watch
  if (desktop && state.role !== 'customer' && !mine
      && await once(DESKTOP_KEY, `${state.session}:${desktop.id}`)) {
    openDesktopViewer(state.session);
  }
  const files = filesActivity(state);
  if (files && await once(FILES_KEY, `${state.session}:${files.id}`)) openFilesBrowser(state.session);
  const view = tabView(state);
  if (!view || state.kind !== 'inbound' || state.role !== 'primary') return;
  if (Date.now() - acceptedAt > 60000) return;
  if (await once(KEY, state.session)) openViewer(state.session, view.stream);
}
