// The rep's sessions: one tab per session id (multi-session mode shows
// several), the active one's panel, and closing them when they end.
import { $, el, formatNumber } from './dom.js';
import { forget } from './history.js';
import { has, t } from './i18n.js';
import { showNotice } from './notices.js';
import { currentCustomer } from './participants.js';
import { buildPanel, renderPanel } from './session-panel.js';

export function createSessions(ctx) {
  const sessions = new Map(); // id -> entry { id, state, tab, panel, unread, seenAt }
  let activeId = null;

  function select(id, focus) {
    activeId = id;
    for (const [sid, entry] of sessions) {
      const on = sid === id;
      entry.tab.setAttribute('aria-selected', String(on));
      entry.tab.tabIndex = on ? 0 : -1;
      entry.panel.hidden = !on;
    }
    if (focus && sessions.has(id)) sessions.get(id).tab.focus();
    ctx.activeChanged(active());
  }

  function open(state) {
    const entry = { id: state.session, state };
    const tab = el('button', 'session-tab');
    tab.type = 'button';
    tab.setAttribute('role', 'tab');
    tab.dataset.session = entry.id;
    tab.append(el('span', 'tab-number'), el('span', 'tab-customer'), el('span', 'badge unread'));
    tab.addEventListener('click', () => select(entry.id));
    tab.addEventListener('keydown', (event) => {
      if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
      const ids = [...sessions.keys()];
      const step = event.key === 'ArrowRight' ? 1 : -1;
      select(ids[(ids.indexOf(entry.id) + step + ids.length) % ids.length], true);
      event.preventDefault();
    });
    entry.tab = tab;
    sessions.set(entry.id, entry);
    buildPanel(entry, ctx);
    tab.id = entry.panel.id.replace(/^panel-/, 'tab-');
    tab.setAttribute('aria-controls', entry.panel.id);
    entry.panel.setAttribute('aria-labelledby', tab.id);
    $('session-tabs').append(tab);
    $('session-panels').append(entry.panel);
    $('no-sessions').hidden = true;
    return entry;
  }

  function render(state) {
    const fresh = !sessions.has(state.session);
    const entry = sessions.get(state.session) || open(state);
    entry.state = state;
    entry.seenAt = Date.now();
    renderPanel(entry, ctx);
    renderTab(entry);
    $('session-tabs').hidden = false;
    if (fresh || activeId === null || !sessions.has(activeId)) select(state.session); // new ones come to the front
    else if (entry.id === activeId) ctx.activeChanged(entry);
    return entry;
  }

  function renderTab(entry) {
    const { tab, state } = entry;
    const customer = currentCustomer(state);
    tab.querySelector('.tab-number').textContent = formatNumber(state.number);
    const name = tab.querySelector('.tab-customer');
    name.textContent = customer ? customer.name : '';
    name.title = name.textContent; // a long name is cut short in the tab
    const badge = tab.querySelector('.unread');
    badge.textContent = String(entry.unread || 0);
    badge.hidden = !entry.unread;
    tab.title = t('session_number', { number: formatNumber(state.number) }) + ' · ' + t('session_state_' + state.state);
    tab.classList.toggle('waiting', state.state === 'waiting');
  }

  function close(id, reason) {
    forget(id);
    const entry = sessions.get(id);
    if (!entry) return;
    const key = has('ended_' + reason) ? 'ended_' + reason : 'ended_ended';
    showNotice(t(key, { number: formatNumber(entry.state.number) }), '', 'notice');
    entry.tab.remove();
    entry.panel.remove();
    sessions.delete(id);
    if (activeId === id) {
      activeId = null;
      const next = sessions.keys().next();
      if (!next.done) select(next.value);
      else ctx.activeChanged(null);
    }
    $('no-sessions').hidden = sessions.size > 0;
    $('session-tabs').hidden = sessions.size === 0;
  }

  // After a fresh stream the relay resends every live session at once: one it
  // does not resend within a few seconds ended while this panel was away.
  function forgetOlderThan(since) {
    for (const [id, entry] of [...sessions]) if (entry.seenAt < since) close(id, 'ended');
  }

  function clear() { for (const id of [...sessions.keys()]) close(id, 'ended'); $('notices').replaceChildren(); }

  const active = () => (activeId && sessions.get(activeId)) || null;
  return { render, close, get: (id) => sessions.get(id), active, renderTab, forgetOlderThan, clear, select };
}
