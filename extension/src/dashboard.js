// The supervisor dashboard at /admin/dashboard (server/templates/admin_dashboard.html),
// built by build.mjs into server/static/dashboard.js. It asks the relay for the
// dashboard over the shared connection (watch_dashboard) and renders every push
// (dashboard): reps with presence and load, queues with their lines and longest
// waits, live sessions with their reps and customers. From a session a
// supervisor joins as an assistant (assist_session, the rep's own path), or
// watches it: the same join, with the relay's console opened on it. Whatever
// people typed (names) is set with textContent only.
import { createConnection } from './lib/connection.js';

const found = document.getElementById('dashboard');
if (found && found.dataset.token) start(found);

function start(root) {
  let STRINGS = {};
  try { STRINGS = JSON.parse(document.getElementById('tandem-strings').textContent) || {}; } catch (_) { /* keys shown */ }
  const t = (key, vars) => String(STRINGS['dashboard.' + key] ?? key)
    .replace(/\{(\w+)\}/g, (whole, name) => (vars && name in vars ? String(vars[name]) : whole));
  const $ = (id) => document.getElementById(id);
  const status = $('dashboard-status');
  const notice = $('dashboard-notice');
  const lang = root.dataset.lang || undefined;

  let offset = 0; // relay clock minus this page's, in seconds
  let board = null;
  const me = Number(root.dataset.account);
  const asked = new Map(); // seq of an assist_session -> session number, to say what became of it

  const url = location.origin.replace(/^http/, 'ws') + '/ws';
  const connection = createConnection({
    // 'dashboard': no console, so the relay does not count this page as the supervisor being present
    url, token: root.dataset.token, storeKey: 'tandem-dashboard:' + root.dataset.account, storage: null, client: 'dashboard',
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
      for (const [seq, number] of asked) {
        if (number === msg.number && msg.state !== 'ended') { asked.delete(seq); say(t('joined', { number })); }
      }
    },
    assist_answer(msg) {
      const key = { waiting: 'asked', approved: 'joined', denied: 'denied', expired: 'expired', ended: 'gone' }[msg.state];
      if (key) say(t(key, { number: msg.number }));
    },
    error(msg) {
      if (msg.code === 'resync' || msg.code === 'frames_skipped') return;
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

  // An element with a class and text (set as text, never as HTML).
  function make(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  const cell = (text, className) => make('td', className, text);

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
      presence.append(make('span', 'presence presence-' + r.presence, t('presence.' + r.presence)));
      tr.append(cell(r.name), presence, cell(t('load', { customers: r.customers, max: r.max_customers }), 'dash-load'),
        cell(String(r.sessions), 'dash-rep-sessions'));
      return tr;
    }));
    renderSessions();
  }

  function line(label, value, className) {
    const p = make('p', className);
    p.append(make('span', 'dash-label', label + ' '), make('span', null, value));
    return p;
  }

  function renderSessions() {
    const list = $('dash-sessions');
    const titles = Object.fromEntries(board.queues.map((q) => [q.name, q.title]));
    const items = board.sessions.map((s) => {
      const li = make('li', 'card dash-session');
      li.dataset.session = s.session;
      li.dataset.state = s.state;
      const queue = s.queue ? (titles[s.queue] || s.queue) : null;
      const head = make('p', 'dash-session-head');
      head.append(make('strong', 'dash-number', s.number), ' ', make('span', 'badge dash-state',
        s.state === 'waiting' ? t('state.waiting', { queue: queue || '' }) : t('state.' + s.state)));
      if (queue && s.state !== 'waiting') head.append(' ', make('span', 'badge', queue));
      const started = new Date(s.started * 1000).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' });
      const clock = make('p', 'dash-started muted', t('started', { time: started }) + ' · ');
      clock.append(since(make('span', 'dash-duration'), s.waiting_since ?? s.started));
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
    const row = make('div', 'button-row dash-actions');
    const button = (key, onClick, primary) => {
      const b = make('button', primary ? 'button primary' : 'button', t(key));
      b.type = 'button';
      b.addEventListener('click', onClick);
      return b;
    };
    if (s.rep_ids.includes(me)) {
      row.append(make('span', 'dash-joined', t('in_session')), button('open', () => openConsole()));
    } else {
      row.append(button('join', () => join(s), true), button('watch', () => { openConsole(); join(s); }));
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
    for (const node of root.querySelectorAll('[data-since]')) node.textContent = duration(now() - Number(node.dataset.since));
  }

  setInterval(tick, 1000);
  window.addEventListener('online', () => connection.reconnectNow());
  connection.open();
}
