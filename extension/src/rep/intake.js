// What a customer entered before joining (their intake: a description of
// the problem and the queue's extra fields), shown to reps in the queue
// panel, in offers and beside the customer in the participants list.
// Always set as text: customers typed it.
import { el } from './dom.js';
import { t } from './i18n.js';

// A <dl class="intake"> for `intake` (protocol `Intake`), or null for none.
export function intakeList(intake) {
  if (!intake || (!intake.description && !(intake.fields || []).length)) return null;
  const list = el('dl', 'intake');
  if (intake.description) list.append(el('dt', null, t('intake_description')), el('dd', 'intake-description', intake.description));
  for (const f of intake.fields || []) list.append(el('dt', null, f.label), el('dd', 'intake-value', f.value));
  return list;
}

// Put the intake list into `slot` (replacing what was there), hide it when empty.
export function showIntake(slot, intake) {
  const list = intakeList(intake);
  slot.replaceChildren(...(list ? [list] : []));
  slot.hidden = !list;
}
