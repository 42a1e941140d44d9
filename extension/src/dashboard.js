// The supervisor dashboard at /admin/dashboard (server/templates/admin_dashboard.html),
// built by build.mjs into server/static/dashboard.js. It asks the relay for the
// dashboard over the shared connection (watch_dashboard) and renders every push
// (dashboard): reps with presence and load, queues with their lines and longest
// waits, live sessions with their reps and customers. From a session a
// supervisor joins as an assistant (assist_session, the rep's own path), or
// watches it: the same join, with the relay's console opened on it. Whatever
// people typed (names) is set with textContent only.
import { createConnection } from './lib/connection.js';

const root = document.getElementById('dashboard');
if (root && root.dataset.token) start(root);

function start(el) {
  let STRINGS = {};
  try { STRINGS = JSON.parse(document.getElementById('tandem-strings').textContent) || {}; } catch (_) { /* keys shown */ }
  const t = (key, vars) => String(STRINGS['dashboard.' + key] ?? key)
    .replace(/\{(\w+)\}/g, (whole, name) => (vars && name in vars ? String(vars[name]) : whole));
  const $ = (id) => document.getElementById(id);
  const status = $('dashboard-status');
  const notice = $('dashboard-notice');
  const lang = el.dataset.lang || undefined;

  let offset = 0; // relay clock minus this page's, in seconds
  let board = null;
  const mine = new Set(); // sessions this account is in (their states come on the same channel)
  const asked = new Map(); // seq of an assist_session -> session number, to say what became of it

  const url = location.origin.replace(/^http/, 'ws') + '/ws';
  const connection = createConnection({
    url, token: el.dataset.token, storeKey: 'tandem-dashboard:' + el.dataset.account, storage: null,
    onStatus: (state) => {
      if (state === 'connected') connection.send('watch_dashboard', { watch: true });
      setStatus(state === 'connected' ? 'live' : state === 'reconnecting' ? 'reconnecting' : 'refused');
    },
    onMessage: (msg) => { const handler = handlers[msg.type]; if (handler) handler(msg); },
  });

  const handlers = {
    dashboard(msg) {
      offset = msg.now - Date.now() / 1000;
      board = msg;
      render();
    },
    session_state(msg) {
      if (msg.state === 'ended') mine.delete(msg.session); else mine.add(msg.session);
      for (const [seq, number] of asked) {
        if (number === msg.number && msg.state !== 'ended') { asked.delete(seq); say(t('joined', { number })); }
      }
      if (board) renderSessions();
    },
    session_ended(msg) { mine.delete(msg.session); if (board) renderSessions(); },
    assist_answer(msg) {
      const key = { waiting: 'asked', approved: 'joined', denied: 'denied', expired: 'expired', ended: 'gone' }[msg.state];
      if (key) say(t(key, { number: msg.number }));
    },
    error(msg) {
      if (msg.code === 'resync') return;
      const number = asked.get(msg.ref);
      if (number) { asked.delete(msg.ref); say(t('refused', { number, message: msg.message })); return; }
      if (msg.code === 'not_allowed' || msg.code === 'unauthorized') setStatus('refused');
    },
  };

  function setStatus(state) {
    status.dataset.state = state;
    status.textContent = t('status.' + state);
  }

  function say(text) {
    notice.textContent = text;
    notice.hidden = false;
  }

  const now = () => Date.now() / 1000 + offset;

  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const two = (n) => String(n).padStart(2, '0');
    const h = Math.floor(s / 3600);
    return h ? `${h}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}` : `${Math.floor(s / 60)}:${two(s % 60)}`;
  }

  function cell(text, className) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  // A cell whose text is the time since `since` (relay clock), kept current by tick().
  function since(node, at) {
    node.dataset.since = String(at);
    node.textContent = duration(now() - at);
    return node;
  }

  function fill(tableId, emptyId, rows) {
    const body = $(tableId).tBodies[0];
    body.replaceChildren(...rows);
    $(emptyId).hidden = rows.length > 0;
    $(tableId).hidden = rows.length === 0;
  }

  function render() {
    fill('dash-queues', 'dash-queues-empty', board.queues.map((q) => {
      const tr = document.createElement('tr');
      tr.dataset.queue = q.name;
      const name = cell(q.title);
      tr.append(name, cell(String(q.waiting), 'dash-waiting'),
        q.longest_since == null ? cell('—', 'dash-longest') : since(cell('', 'dash-longest'), q.longest_since));
      return tr;
    }));
    fill('dash-reps', 'dash-reps-empty', board.reps.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.rep = String(r.id);
      const presence = cell('', 'dash-presence');
      const badge = document.createElement('span');
      badge.className = 'presence presence-' + r.presence;
      badge.textContent = t('presence.' + r.presence);
      presence.append(badge);
      tr.append(cell(r.name), presence, cell(t('load', { customers: r.customers, max: r.max_customers }), 'dash-load'),
        cell(String(r.sessions), 'dash-rep-sessions'));
      return tr;
    }));
    renderSessions();
  }

  function line(label, value, className) {
    const p = document.createElement('p');
    p.className = className;
    const b = document.createElement('span');
    b.className = 'dash-label';
    b.textContent = label + ' ';
    const v = document.createElement('span');
    v.textContent = value;
    p.append(b, v);
    return p;
  }

  function renderSessions() {
    const list = $('dash-sessions');
    const titles = Object.fromEntries(board.queues.map((q) => [q.name, q.title]));
    const items = board.sessions.map((s) => {
      const li = document.createElement('li');
      li.className = 'card dash-session';
      li.dataset.session = s.session;
      li.dataset.state = s.state;
      const head = document.createElement('p');
      head.className = 'dash-session-head';
      const number = document.createElement('strong');
      number.className = 'dash-number';
      number.textContent = s.number;
      const state = document.createElement('span');
      state.className = 'badge dash-state';
      const queue = s.queue ? (titles[s.queue] || s.queue) : null;
      state.textContent = s.state === 'waiting' ? t('state.waiting', { queue: queue || '' }) : t('state.' + s.state);
      head.append(number, ' ', state);
      if (queue && s.state !== 'waiting') {
        const q = document.createElement('span');
        q.className = 'badge';
        q.textContent = queue;
        head.append(' ', q);
      }
      const started = new Date(s.started * 1000).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' });
      const clock = document.createElement('p');
      clock.className = 'dash-started muted';
      clock.textContent = t('started', { time: started }) + ' · ';
      const running = since(document.createElement('span'), s.waiting_since ?? s.started);
      running.className = 'dash-duration';
      clock.append(running);
      li.append(head, clock,
        line(t('primary'), s.primary || '—', 'dash-primary'),
        line(t('assistants'), s.assistants.join(', ') || '—', 'dash-assistants'),
        line(t('customers'), s.customers.join(', ') || '—', 'dash-customers'));
      if (s.state !== 'waiting') li.append(actions(s));
      return li;
    });
    list.replaceChildren(...items);
    $('dash-sessions-empty').hidden = items.length > 0;
  }

  function actions(s) {
    const row = document.createElement('div');
    row.className = 'button-row dash-actions';
    const button = (key, onClick, primary) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = primary ? 'button primary' : 'button';
      b.textContent = t(key);
      b.addEventListener('click', onClick);
      return b;
    };
    if (mine.has(s.session)) {
      const joined = document.createElement('span');
      joined.className = 'dash-joined';
      joined.textContent = t('in_session');
      row.append(joined, button('open', () => openConsole()));
    } else {
      row.append(button('join', () => join(s)), button('watch', () => { openConsole(); join(s); }, false));
    }
    return row;
  }

  function join(s) {
    asked.set(connection.send('assist_session', { number: s.number.replace(/ /g, '') }), s.number);
    say(t('joining', { number: s.number }));
  }

  // Opened at the click (a window opened later would be blocked): the relay's
  // console shows the session as soon as the join goes through.
  function openConsole() { window.open('/console/', 'tandem-console'); }

  function tick() {
    for (const node of el.querySelectorAll('[data-since]')) node.textContent = duration(now() - Number(node.dataset.since));
  }

  setInterval(tick, 1000);
  window.addEventListener('online', () => connection.reconnectNow());
  connection.open();
}
