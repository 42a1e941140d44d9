// Notes for the session report: sent as `note`, listed here as written.
import { NOTE_MAX } from '../generated/protocol.js';
import { el, part } from './dom.js';
import { addNote, notesOf } from './history.js';

export function wireNotes(entry, ctx) {
  const { panel, id } = entry;
  const list = part(panel, 'notes');
  for (const text of notesOf(id)) list.append(el('li', 'note', text));
  part(panel, 'note-text').maxLength = NOTE_MAX;
  part(panel, 'note-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = part(panel, 'note-text');
    const text = input.value.trim();
    if (!text) return;
    ctx.commands.note(id, text.slice(0, NOTE_MAX));
    addNote(id, text);
    list.append(el('li', 'note', text));
    input.value = '';
  });
}
