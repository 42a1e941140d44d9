// Video and voice from the side panel: the panel may not show camera and
// microphone prompts, so the call lives in a tab of its own (call.html,
// one per session) that holds the media and shows the tiles. The panel
// starts and stops the rep's own video and voice, opens the call tab, and
// says who is on. The call tab opens by itself once when someone else
// starts video or voice (kept in chrome.storage.session, like the viewers).
import { mediaActivities } from '../lib/media.js';
import { openOrFocusTab, pageUrl, session } from './browser.js';
import { action, part } from './dom.js';
import { t } from './i18n.js';
import { nameOf } from './participants.js';

const KEY = 'calls-opened';

export function openCall(sessionId) {
  const url = pageUrl('call.html?' + new URLSearchParams({ session: sessionId }));
  return openOrFocusTab(url, (u) =>
    new URL(u).pathname === '/call.html' && new URL(u).searchParams.get('session') === sessionId);
}

const mine = (state, kind) => (mediaActivities(state).get(state.you) || {})[kind] || null;

// The Video and Voice buttons: stop the rep's own, or start it in the call tab.
export function toggleMedia(entry, kind, commands) {
  const act = mine(entry.state, kind);
  if (act) { commands.stopActivity(entry.id, act.id); return; }
  commands.startActivity(entry.id, kind);
  openCall(entry.id);
}

export function renderMedia(entry) {
  const { state, panel } = entry;
  action(panel, 'video').textContent = t(mine(state, 'video') ? 'video_stop' : 'video_start');
  action(panel, 'audio').textContent = t(mine(state, 'audio') ? 'audio_stop' : 'audio_start');
  const on = [...mediaActivities(state)].map(([pid, kinds]) =>
    `${nameOf(state, pid)}: ${Object.keys(kinds).sort().reverse().map((k) => t('activity_' + k)).join(', ')}`);
  part(panel, 'media-status').textContent = on.length ? t('media_status_on', { list: on.join('; ') }) : t('media_status_none');
}

export async function maybeOpenCall(state) {
  if (state.state !== 'open' && state.state !== 'active') return;
  const others = [...mediaActivities(state)].filter(([pid]) => pid !== state.you)
    .flatMap(([, kinds]) => Object.values(kinds).map((a) => `${state.session}:${a.id}`));
  if (!others.length) return;
  const opened = (await session.get(KEY))[KEY] || [];
  const fresh = others.filter((id) => !opened.includes(id));
  if (!fresh.length) return;
  await session.set({ [KEY]: [...opened, ...fresh].slice(-100) });
  openCall(state.session);
}
