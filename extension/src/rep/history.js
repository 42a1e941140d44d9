// Chat lines and notes per session, kept in chrome.storage.session: the relay
// sends a reconnecting console its sessions afresh but not their chat, and
// the side panel may be closed and opened again at any time.
import { session } from './browser.js';

const KEY = 'rep-history';
const CHAT_MAX = 300;
let data = { chats: {}, notes: {} };
let timer = null;

export async function loadHistory() {
  const got = await session.get(KEY);
  if (got[KEY] && typeof got[KEY] === 'object') data = { chats: {}, notes: {}, ...got[KEY] };
}

function save() {
  clearTimeout(timer);
  timer = setTimeout(() => session.set({ [KEY]: data }), 200);
}

export const chatLines = (id) => data.chats[id] || [];
export const notesOf = (id) => data.notes[id] || [];

// False when the line was already there (a resent message).
export function addChatLine(id, line) {
  const log = (data.chats[id] = data.chats[id] || []);
  if (log.some((l) => l.id === line.id)) return false;
  log.push(line);
  if (log.length > CHAT_MAX) log.shift();
  save();
  return true;
}

export function addNote(id, text) {
  (data.notes[id] = data.notes[id] || []).push(text);
  save();
}

export function forget(id) {
  delete data.chats[id];
  delete data.notes[id];
  save();
}
