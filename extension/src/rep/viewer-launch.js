// Opening the cobrowse viewer: by hand ("Open viewer"), and by itself once
// when the rep has just accepted an inbound customer, whose tab view starts
// at once. Which sessions already had one is kept in chrome.storage.session,
// so a reopened side panel does not open it again.
import { session, toBackground } from './browser.js';

const KEY = 'viewers-opened';
let acceptedAt = 0;

export const tabView = (state) => state.activities.find((a) => a.kind === 'view' && a.scope === 'tab') || null;
export const tabControl = (state) => state.activities.find((a) => a.kind === 'control' && a.scope === 'tab') || null;

export function openViewer(sessionId, stream) {
  return toBackground({ type: 'open-viewer', session: sessionId, stream });
}

// The rep pressed Accept next or accepted an offer.
export function noteAccepted() { acceptedAt = Date.now(); }

export async function maybeOpenViewer(state) {
  const view = tabView(state);
  if (!view || state.kind !== 'inbound' || state.role !== 'primary') return;
  if (Date.now() - acceptedAt > 60000) return;
  const opened = (await session.get(KEY))[KEY] || [];
  if (opened.includes(state.session)) return;
  await session.set({ [KEY]: [...opened.slice(-50), state.session] });
  openViewer(state.session, view.stream);
}
