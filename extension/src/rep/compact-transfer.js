// Transfer from compact mode: the active session's own Transfer control and
// Transfer session sections are shown in a dialog (moved there while it is
// open, and back into the session's Session tab when it closes), so the
// pickers, checks and messages are the same ones.
import { $, part } from './dom.js';

export function createTransferDialog(ctx) {
  const dialog = $('transfer-dialog');
  let moved = []; // [section, parent, next sibling]

  function putBack() {
    for (const [section, parent, next] of moved) parent.insertBefore(section, next);
    moved = [];
  }

  dialog.addEventListener('close', putBack);
  $('transfer-dialog-close').addEventListener('click', () => dialog.close());

  return {
    open(entry) {
      putBack();
      for (const role of ['transfer-control', 'transfer-session']) {
        const section = part(entry.panel, role);
        moved.push([section, section.parentNode, section.nextSibling]);
        $('transfer-dialog-body').append(section);
      }
      if (!dialog.open) dialog.showModal();
      ctx.roster.refresh();
    },
    // The session ended or is no longer the active one: nothing to transfer here.
    closeFor(id) { if (dialog.open && moved.length && moved[0][1].closest(`[data-session="${CSS.escape(id)}"]`)) dialog.close(); },
  };
}
