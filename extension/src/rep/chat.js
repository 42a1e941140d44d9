// Chat in a session: log, input, the canned-reply picker and the reps-only
// switch; unread counts for the session tab, the Chat heading and the compact bar.
import { cannedPicker, insertReply } from '../../../server/static/canned-replies.js';
import { el, part } from './dom.js';
import { addChatLine, chatLines } from './history.js';
import { t } from './i18n.js';

function render(entry, line) {
  const log = part(entry.panel, 'chat-log');
  const li = el('li', 'chat-line' + (line.mine ? ' mine' : '') + (line.repsOnly ? ' reps-only' : ''));
  const who = el('span', 'chat-name', line.mine ? t('chat_you') : line.name);
  if (line.repsOnly) who.append(' ', el('span', 'badge warn', t('chat_reps_only')));
  li.append(who, el('span', 'chat-text', line.text));
  log.append(li);
  part(entry.panel, 'chat-empty').hidden = true;
  log.scrollTop = log.scrollHeight;
}

export function wireChat(entry, ctx) {
  const { panel, id } = entry;
  entry.unread = 0;
  for (const line of chatLines(id)) render(entry, line);
  const picker = cannedPicker({
    label: t('canned_label'), choose: t('canned_choose'), onPick: (text) => insertReply(part(panel, 'chat-text'), text),
  });
  part(panel, 'chat-form').before(picker.element);
  const { relay, token } = ctx.settings();
  picker.load(relay, token);
  part(panel, 'chat-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = part(panel, 'chat-text');
    const text = input.value.trim();
    if (!text) return;
    ctx.commands.chat(id, text.slice(0, 4000), part(panel, 'chat-reps-only').checked);
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
  const line = { id: msg.id, name: msg.name, text: msg.text, mine, repsOnly: msg.reps_only };
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
