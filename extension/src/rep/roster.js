// The roster (GET /api/roster): reps by name with presence (available, busy,
// away) and load, and queues with how many wait in each. The invite and
// transfer pickers list it; it is fetched when one opens and every few
// seconds while one is on screen. Picking only chooses: every invitation and
// transfer is still checked by the relay.
import { el, syncList } from './dom.js';
import { t } from './i18n.js';

const EVERY_MS = 5000;

export function createRoster(ctx) {
  let roster = null;
  let timer = null;
  const watchers = new Set(); // { visible(): bool, render(roster), gone?(): bool }

  async function refresh() {
    const { relay, token } = ctx.settings();
    if (!relay || !token) return;
    let data = null;
    try {
      const response = await fetch(`${relay}/api/roster`, {
        credentials: 'omit', headers: { Authorization: 'Bearer ' + token },
      });
      if (response.ok) data = await response.json();
    } catch (_) { /* offline: the pickers keep what they showed */ }
    if (!data) return;
    roster = data;
    for (const w of watchers) w.render(roster);
  }

  function tick() {
    timer = null;
    for (const w of [...watchers]) if (w.gone && w.gone()) watchers.delete(w);
    if ([...watchers].some((w) => w.visible())) refresh();
    timer = setTimeout(tick, EVERY_MS);
  }

  return {
    current: () => roster,
    refresh,
    watch(watcher) {
      watchers.add(watcher);
      if (roster) watcher.render(roster);
      if (!timer) timer = setTimeout(tick, EVERY_MS);
    },
  };
}

// A list of reps to pick from: radio buttons (one) or checkboxes (several).
export function repPicker({ multiple, name, emptyKey, include = () => true }) {
  const element = el('div', 'roster-picker');
  const list = el('div', 'roster-list');
  list.setAttribute('role', 'group');
  const empty = el('p', 'muted roster-empty', t(emptyKey));
  element.append(list, empty);
  const chosen = new Set();

  function build(rep) {
    const label = el('label', 'roster-rep');
    const input = el('input');
    input.type = multiple ? 'checkbox' : 'radio';
    input.name = name;
    input.value = String(rep.id);
    input.addEventListener('change', () => {
      if (!multiple) chosen.clear();
      if (input.checked) chosen.add(rep.id); else chosen.delete(rep.id);
    });
    label.append(input, el('span', 'presence-dot'), el('span', 'roster-name'), el('span', 'roster-presence'),
      el('span', 'roster-load'));
    return label;
  }

  function update(label, rep) {
    label.dataset.rep = String(rep.id);
    label.dataset.presence = rep.presence;
    label.querySelector('input').checked = chosen.has(rep.id);
    label.querySelector('.roster-name').textContent = rep.name;
    label.querySelector('.roster-presence').textContent = t('presence_' + rep.presence);
    label.querySelector('.roster-load').textContent = t('roster_load', { customers: rep.customers, max: rep.max_customers });
    label.title = t('roster_sessions', { count: rep.sessions });
  }

  return {
    element,
    render(roster) {
      const reps = roster.reps.filter((r) => !r.you && include(r));
      for (const id of [...chosen]) if (!reps.some((r) => r.id === id)) chosen.delete(id);
      syncList(list, reps, (r) => r.id, build, update);
      empty.hidden = reps.length > 0;
    },
    selected: () => [...chosen],
    clear() { chosen.clear(); for (const input of list.querySelectorAll('input')) input.checked = false; },
  };
}

// A list of queues, with how many wait in each, to pick one from (or none).
export function queuePicker({ name }) {
  const element = el('div', 'roster-picker roster-list');
  element.setAttribute('role', 'radiogroup');
  let chosen = '';

  function build(queue) {
    const label = el('label', 'roster-queue');
    const input = el('input');
    input.type = 'radio';
    input.name = name;
    input.value = queue.name;
    input.addEventListener('change', () => { if (input.checked) chosen = queue.name; });
    label.append(input, el('span', 'roster-name'), el('span', 'roster-waiting'));
    return label;
  }

  function update(label, queue) {
    label.dataset.queue = queue.name;
    label.querySelector('input').checked = chosen === queue.name;
    label.querySelector('.roster-name').textContent = queue.name ? queue.title : t('transfer_session_no_queue');
    label.querySelector('.roster-waiting').textContent = queue.name ? t('roster_waiting', { count: queue.waiting }) : '';
  }

  return {
    element,
    render(roster) {
      const queues = [{ name: '', title: '', waiting: 0 }, ...roster.queues];
      if (!queues.some((q) => q.name === chosen)) chosen = '';
      syncList(element, queues, (q) => q.name || '-', build, update);
    },
    selected: () => chosen,
    clear() { chosen = ''; for (const input of element.querySelectorAll('input')) input.checked = input.value === ''; },
  };
}
