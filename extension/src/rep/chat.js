// Chat in a session: log (with each line's time, and the chat so far when the
// rep joins a session already under way), input, the canned-reply picker and
// the reps-only switch; unread counts for the session tab, the Chat heading
// and the compact bar.
import { CHAT_MAX } from '../generated/protocol.js';
import { cannedPicker, insertReply } from '../lib/canned-replies.js';
import { el, part } from './dom.js';
import { addChatLine, chatLines } from './history.js';
import { t } from './i18n.js';

let clock = null;

// A line's time, as the UI's language writes hours and minutes.
export function chatTime(at) {
  if (!clock) clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }); // the browser's own language
  const time = el('time', 'chat-time', clock.format(new Date(at * 1000)));
  time.dateTime = new Date(at * 1000).toISOString();
  return time;
}

function render(entry, line) {
  const log = part(entry.panel, 'chat-log');
  const li = el('li', 'chat-line' + (line.mine ? ' mine' : '') + (line.repsOnly ? ' reps-only' : ''));
  li.dataset.id = String(line.id);
  const who = el('span', 'chat-name', line.mine ? t('chat_you') : line.name);
  if (line.repsOnly) who.append(' ', el('span', 'badge warn', t('chat_reps_only')));
  li.append(line.at ? chatTime(line.at) : '', who, el('span', 'chat-text', line.text));
  const after = [...log.children].find((x) => Number(x.dataset.id) > line.id);
  log.insertBefore(li, after || null);
  part(entry.panel, 'chat-empty').hidden = true;
  log.scrollTop = log.scrollHeight;
}

// The chat before this console saw the session (an assistant who joins, a
// rep who takes a transferred session): asked once from the relay.
async function loadEarlier(entry, ctx) {
  const { relay, token } = ctx.settings();
  let data = null;
  try {
    const response = await fetch(`${relay}/api/sessions/${encodeURIComponent(entry.id)}/chat`, {
      credentials: 'omit', headers: { Authorization: 'Bearer ' + token },
    });
    if (response.ok) data = await response.json();
  } catch (_) { /* offline: the live chat still arrives */ }
  if (!data || !Array.isArray(data.lines)) return;
  for (const c of data.lines) {
    const line = { id: c.id, name: c.name || '', text: c.text, mine: c.pid === entry.state.you, repsOnly: c.reps_only, at: c.at };
    if (addChatLine(entry.id, line)) render(entry, line);
  }
}

export function wireChat(entry, ctx) {
  const { panel, id } = entry;
  entry.unread = 0;
  for (const line of chatLines(id)) render(entry, line);
  if (entry.state.state !== 'waiting') loadEarlier(entry, ctx);
  const picker = cannedPicker({
    label: t('canned_label'), choose: t('canned_choose'), onPick: (text) => insertReply(part(panel, 'chat-text'), text),
  });
  part(panel, 'chat-form').before(picker.element);
  const { relay, token } = ctx.settings();
  picker.load(relay, token);
  part(panel, 'chat-text').maxLength = CHAT_MAX;
  part(panel, 'chat-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = part(panel, 'chat-text');
    const text = input.value.trim();
    if (!text) return;
    ctx.commands.chat(id, text.slice(0, CHAT_MAX), part(panel, 'chat-reps-only').checked);
    input.value = '';
    input.focus();
  });
}

// Chat with customers turned off by policy: every line goes to the reps only.
export function renderChatPolicy(entry) {
  const off = entry.state.customer_chat === false;
  const repsOnly = part(entry.panel, 'chat-reps-only');
  if (off !== Boolean(entry.chatOff)) repsOnly.checked = off;
  entry.chatOff = off;
  repsOnly.disabled = off;
  part(entry.panel, 'chat-off').hidden = !off;
}

// A chat_message from the relay.
export function receiveChat(entry, msg, ctx) {
  const mine = msg.pid === entry.state.you;
  const line = { id: msg.id, name: msg.name, text: msg.text, mine, repsOnly: msg.reps_only, at: msg.at };
  if (!addChatLine(entry.id, line)) return;
  render(entry, line);
  if (!mine && !ctx.chatVisible(entry)) entry.unread += 1;
  showUnread(entry, ctx);
}

export function markRead(entry, ctx) {
  if (!entry.unread) return;
  entry.unread = 0;
  showUnread(entry, ctx);
}

function showUnread(entry, ctx) {
  const badge = part(entry.panel, 'chat-badge');
  badge.textContent = String(entry.unread);
  badge.hidden = entry.unread === 0;
  ctx.unreadChanged(entry);
}
