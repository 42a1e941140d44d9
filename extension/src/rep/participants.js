// The participants panel: everyone in the session; the primary picks the
// customer to help (select_customer).
import { el, part, syncList } from './dom.js';
import { t } from './i18n.js';
import { showIntake } from './intake.js';

export function renderParticipants(entry, ctx) {
  const state = entry.state;
  const amPrimary = state.role === 'primary';
  syncList(part(entry.panel, 'participants'), state.participants, (p) => p.pid, (p) => {
    const li = el('li', 'participant');
    li.dataset.pid = p.pid;
    const select = el('button', 'button small select-customer', t('participants_select'));
    select.type = 'button';
    select.addEventListener('click', () => ctx.commands.selectCustomer(entry.id, p.pid));
    const intake = el('div', 'participant-intake');
    intake.hidden = true;
    li.append(el('span', 'participant-name'), el('span', 'participant-badges'), select, intake);
    return li;
  }, (li, p) => {
    li.querySelector('.participant-name').textContent =
      p.pid === state.you ? t('participants_you', { name: p.name }) : p.name;
    const badges = [[t('role_' + p.role), 'badge role-' + p.role]];
    if (!p.present) badges.push([t('participants_away'), 'badge warn']);
    if (p.selected) badges.push([t('participants_selected'), 'badge ok']);
    li.querySelector('.participant-badges').replaceChildren(...badges.map(([text, cls]) => el('span', cls, text)));
    li.querySelector('button').hidden = !(amPrimary && p.kind === 'customer' && !p.selected);
    showIntake(li.querySelector('.participant-intake'), p.intake);
  });
}

// The customer being helped: the selected one, else the first present.
export function currentCustomer(state) {
  const customers = state.participants.filter((p) => p.kind === 'customer');
  return customers.find((p) => p.selected) || customers.find((p) => p.present) || customers[0] || null;
}

export function nameOf(state, pid) {
  const p = state.participants.find((x) => x.pid === pid);
  return p ? p.name : t('someone');
}
