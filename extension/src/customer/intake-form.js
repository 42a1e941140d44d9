// The intake form in the website widget: before a customer waits in a queue
// they give their name and, as the queue asks (its `intake` from
// /api/queues), a short description of the problem and the admin's extra
// fields. The relay checks everything again (server/core/intake.py).
import { INTAKE_LIMITS as LIMITS } from '../generated/protocol.js';
import { h, lazySheet } from './dom.js';

const DEFAULT_FORM = { description: 'optional', fields: [] };

const CSS = `
form.intake { flex-direction: column; align-items: stretch; gap: 8px; }
.intake label { display: flex; flex-direction: column; gap: 2px; font-weight: 600; }
.intake .mark { font-weight: 400; color: #4b5563; }
.intake textarea { font: inherit; padding: 6px 8px; border: 1px solid #9ca3af; border-radius: 6px; resize: vertical;
  color: #111827; background: #fff; }
.intake textarea:focus-visible { outline: 3px solid #f59e0b; outline-offset: 1px; }
.intake .row { display: flex; justify-content: flex-end; gap: 6px; }
`;

export const intakeSheet = lazySheet(CSS);

// The intake form of queue `queue` at `relay` ({description, fields}); the
// default form when the relay cannot say.
export async function fetchIntake(relay, queue) {
  try {
    const response = await fetch(`${relay}/api/queues`, { credentials: 'omit' });
    if (!response.ok) return DEFAULT_FORM;
    const { queues } = await response.json();
    const found = (queues || []).find((q) => q.name === queue);
    return (found && found.intake) || DEFAULT_FORM;
  } catch (_) {
    return DEFAULT_FORM;
  }
}

// The form element: `onSubmit({name, description, fields})`, `onCancel()`.
export function intakeForm(t, form, { onSubmit, onCancel }) {
  const label = (text, required, control) => h('label', {}, h('span', {}, text,
    required ? h('span', { class: 'mark', text: ' ' + t('intakeRequired') }) : null), control);
  const name = h('input', { type: 'text', name: 'name', maxlength: String(LIMITS.name_max), autocomplete: 'name' });
  const asksDescription = form.description !== 'off';
  const description = asksDescription ? h('textarea', {
    name: 'description', rows: '3', maxlength: String(LIMITS.description_max), required: form.description === 'required',
  }) : null;
  const fields = (form.fields || []).map((f) => ({
    label: f.label,
    input: h('input', { type: 'text', maxlength: String(LIMITS.value_max), autocomplete: 'off', required: f.required, 'data-label': f.label }),
    required: f.required,
  }));
  const element = h('form', {
    class: 'intake',
    onsubmit: (event) => {
      event.preventDefault();
      const answers = {};
      for (const f of fields) if (f.input.value.trim()) answers[f.label] = f.input.value.trim();
      onSubmit({ name: name.value.trim(), description: description ? description.value.trim() : '', fields: answers });
    },
  },
  h('p', { class: 'status', text: t('intakeIntro') }),
  label(t('intakeName'), false, name),
  description ? label(t('intakeDescription'), form.description === 'required', description) : null,
  ...fields.map((f) => label(f.label, f.required, f.input)),
  h('div', { class: 'row' },
    h('button', { type: 'button', class: 'quiet', text: t('intakeCancel'), onclick: () => onCancel() }),
    h('button', { type: 'submit', class: 'intake-submit', text: t('intakeSubmit') })));
  return { element, focus: () => name.focus() };
}
