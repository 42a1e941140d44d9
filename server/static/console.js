// The rep console in a browser page: speaks server/protocol.py over one WebSocket.
//
// Three parts, kept apart so the extension's side panel can reuse the first two:
//   createConnection()  the transport: hello, resume, outbox, ping, reconnect
//                       (connection.js, shared with customer.js);
//   createCommands()    one function per message a rep sends, named for it;
//   the console UI      renders what the relay says. Every visible string comes
//                       from the catalog; what people typed is set with
//                       textContent only.
import { cannedPicker, insertReply } from './canned-replies.js';
import { createConnection } from './connection.js';

(() => {
  const root = document.getElementById('tandem-console');
  if (!root || !root.dataset.token) return;

  const TOKEN = root.dataset.token;
  const WS_PATH = root.dataset.wsPath || '/ws';
  const STORE_KEY = 'tandem-console:' + (root.dataset.account || 'rep');
  const TRANSFER_MESSAGE_MAX = 345; // protocol.TRANSFER_MESSAGE_MAX
  const CHAT_MAX = 300;
  const NOTICES_MAX = 6;
  const AFRESH_MS = 5000; // after a fresh stream, what the relay has not resent by then is gone

  // --- strings -------------------------------------------------------------

  let STRINGS = {};
  try {
    STRINGS = JSON.parse(document.getElementById('tandem-strings').textContent) || {};
  } catch (_) { /* keys are shown instead of text */ }

  const has = (key) => Object.prototype.hasOwnProperty.call(STRINGS, key);

  function t(key, vars) {
    const text = has(key) ? STRINGS[key] : key;
    if (!vars) return text;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
  }

  // --- storage ---------------------------------------------------------------

  function readStore(key) {
    try { return JSON.parse(sessionStorage.getItem(key)) || {}; } catch (_) { return {}; }
  }

  function writeStore(key, value) {
    try { sessionStorage.setItem(key, JSON.stringify(value)); } catch (_) { /* resume still works in this page */ }
  }

  // --- commands: one per message a rep sends -------------------------------

  function createCommands(connection) {
    const send = connection.send;
    return {
      setAvailability: (available) => send('set_availability', { available }),
      startSession: () => send('start_session', {}),
      assistSession: (number) => send('assist_session', { number }),
      acceptNext: () => send('accept_next', {}),
      acceptOffer: (session) => send('accept_offer', { session }),
      declineOffer: (session) => send('decline_offer', { session }),
      selectCustomer: (session, pid) => send('select_customer', { session, pid }),
      requestGrant: (session, kind, scope) => send('request_grant', { session, kind, scope: scope || 'desktop' }),
      revokeGrant: (session, grant) => send('revoke_grant', { session, grant }),
      transferControl: (session, to) => send('transfer_control', { session, to }),
      transferSession: (session, { queue, reps, message }) => {
        const fields = { session, reps: reps || [], message: message || '' };
        if (queue) fields.queue = queue;
        return send('transfer_session', fields);
      },
      endSession: (session) => send('end_session', { session }),
      leaveSession: (session) => send('leave_session', { session }),
      chat: (session, text, repsOnly) => send('chat', { session, text, reps_only: Boolean(repsOnly) }),
      note: (session, text) => send('note', { session, text }),
    };
  }

  // Invitations are a request, not a message: POST with the rep's token.
  async function requestInvitation(sessionId, body) {
    let response;
    try {
      response = await fetch(`/api/sessions/${encodeURIComponent(sessionId)}/invitations`, {
        method: 'POST',
        credentials: 'omit',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + TOKEN },
        body: JSON.stringify(Object.assign({ invitee: 'customer' }, body)),
      });
    } catch (_) {
      return { ok: false, message: t('console.error.network') };
    }
    let data = null;
    try { data = await response.json(); } catch (_) { /* an empty or HTML answer */ }
    if (response.ok && data) return { ok: true, invitation: data };
    const message = data && data.error && data.error.message;
    return { ok: false, message: message || t('console.error.unknown') };
  }

  // --- helpers ---------------------------------------------------------------

  const $ = (id) => document.getElementById(id);
  const part = (node, role) => node.querySelector(`[data-role="${role}"]`);
  const action = (node, name) => node.querySelector(`[data-action="${name}"]`);

  function formatNumber(number) {
    const digits = String(number).replace(/\D/g, '');
    return digits.length === 9 ? digits.replace(/(\d{3})(\d{3})(\d{3})/, '$1 $2 $3') : String(number);
  }

  function formatDuration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const rest = String(s % 60).padStart(2, '0');
    return h ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
  }

  function fromTemplate(id) {
    return $(id).content.firstElementChild.cloneNode(true);
  }

  // Keyed lists: keep the nodes that stay, so focus and clicks are not lost.
  function syncList(container, items, keyOf, build, update) {
    const wanted = new Map(items.map((item) => [String(keyOf(item)), item]));
    for (const node of [...container.children]) {
      if (!wanted.has(node.dataset.key)) node.remove();
    }
    let previous = null;
    for (const [key, item] of wanted) {
      let node = [...container.children].find((n) => n.dataset.key === key);
      if (!node) {
        node = build(item);
        node.dataset.key = key;
      }
      update(node, item);
      const at = previous ? previous.nextElementSibling : container.firstElementChild;
      if (at !== node) container.insertBefore(node, at);
      previous = node;
    }
  }

  function setDisabled(button, disabled, why) {
    button.disabled = disabled;
    if (disabled && why) button.title = why;
    else button.removeAttribute('title');
  }

  // --- console state -----------------------------------------------------------

  const ui = {
    repName: $('rep-name'),
    status: $('status'),
    signedOut: $('signed-out'),
    availabilityBox: $('availability-box'),
    availability: $('availability'),
    errors: $('errors'),
    notices: $('notices'),
    startSession: $('start-session'),
    assistForm: $('assist-form'),
    assistNumber: $('assist-number'),
    assistError: $('assist-error'),
    queuePanel: $('queue-panel'),
    offers: $('offers'),
    queues: $('queues'),
    queuesEmpty: $('queues-empty'),
    acceptNext: $('accept-next'),
    tabs: $('session-tabs'),
    panels: $('session-panels'),
    noSessions: $('no-sessions'),
  };

  let account = null; // from the welcome
  let connected = false;
  let board = null; // last queue_state
  const offers = new Map(); // session id -> { offer, deadline }
  const sessions = new Map(); // session id -> { state, tab, panel }
  let activeId = null;

  const uiStore = readStore(STORE_KEY + ':ui');
  const chats = uiStore.chats && typeof uiStore.chats === 'object' ? uiStore.chats : {};
  const notes = uiStore.notes && typeof uiStore.notes === 'object' ? uiStore.notes : {};

  function saveUi() { writeStore(STORE_KEY + ':ui', { chats, notes }); }

  // Unlike the customer page, a freshly loaded console resumes from the last
  // seq it stored rather than from 0: the relay sends every session, the queue
  // board and pending offers afresh to a rep who connects, so replaying the
  // whole stream would only flash sessions that ended long ago.
  const connection = createConnection({
    token: TOKEN,
    url: (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + WS_PATH,
    storeKey: STORE_KEY,
    client: 'page',
    replayOnLoad: false,
    onMessage: (msg) => { const handler = handlers[msg.type]; if (handler) handler(msg); },
    onStatus: showConnection,
  });
  const commands = createCommands(connection);

  // Back online: do not wait out the backoff.
  window.addEventListener('online', () => connection.reconnectNow());

  // --- header ------------------------------------------------------------------

  function showConnection(state) {
    connected = state === 'connected';
    ui.status.dataset.state = state;
    ui.status.textContent = t('console.status.' + state);
    if (state === 'unauthorized') ui.signedOut.hidden = false;
    updateControls();
  }

  function updateControls() {
    ui.startSession.disabled = !connected;
    ui.assistForm.querySelector('button').disabled = !connected;
    const queueRep = Boolean(account && account.queue_rep);
    ui.availabilityBox.hidden = !queueRep;
    ui.queuePanel.hidden = !queueRep;
    ui.availability.disabled = !connected || !queueRep;
    const waiting = board ? board.queues.reduce((n, q) => n + q.waiting.length, 0) : 0;
    setDisabled(ui.acceptNext, !connected || waiting === 0, waiting === 0 ? t('console.queues.nobody') : null);
  }

  function showNotice(text, detail, kind) {
    const node = fromTemplate('notice-template');
    node.classList.add(kind === 'error' ? 'error' : 'notice');
    if (kind === 'error') node.setAttribute('role', 'alert');
    node.querySelector('.notice-text').textContent = text;
    node.querySelector('.notice-detail').textContent = detail || '';
    node.querySelector('.notice-dismiss').addEventListener('click', () => node.remove());
    const box = kind === 'error' ? ui.errors : ui.notices;
    box.append(node);
    while (box.children.length > NOTICES_MAX) box.firstElementChild.remove();
  }

  function showRelayError(msg) {
    const key = 'console.error.' + msg.code;
    showNotice(has(key) ? t(key) : t('console.error.unknown'), msg.message, 'error');
  }

  // --- queues and offers -------------------------------------------------------

  function renderBoard(state) {
    board = state;
    ui.availability.checked = Boolean(state.available);
    ui.queuesEmpty.hidden = state.queues.length > 0;
    syncList(ui.queues, state.queues, (q) => q.name, () => fromTemplate('queue-template'), (node, q) => {
      node.querySelector('.queue-title').textContent = q.title || q.name;
      node.querySelector('.queue-routing').textContent = t('console.queues.routing.' + q.routing);
      node.querySelector('.queue-nobody').hidden = q.waiting.length > 0;
      syncList(node.querySelector('.waiting-list'), q.waiting, (w) => w.session, buildWaiting, updateWaiting);
    });
    updateControls();
    tick();
  }

  function buildWaiting() {
    const li = document.createElement('li');
    li.className = 'waiting';
    for (const cls of ['waiting-name', 'waiting-time', 'waiting-message']) {
      const span = document.createElement(cls === 'waiting-message' ? 'p' : 'span');
      span.className = cls;
      li.append(span);
    }
    return li;
  }

  function updateWaiting(li, w) {
    li.querySelector('.waiting-name').textContent = t('console.queues.customer', { name: w.name, number: formatNumber(w.number) });
    li.querySelector('.waiting-time').dataset.since = String(w.since);
    const message = li.querySelector('.waiting-message');
    message.textContent = w.message ? t('console.transfer_message', { message: w.message }) : '';
    message.hidden = !w.message;
  }

  function renderOffers() {
    const list = [...offers.values()];
    syncList(ui.offers, list, (o) => o.offer.session, buildOffer, updateOffer);
    tick();
  }

  function buildOffer(entry) {
    const node = fromTemplate('offer-template');
    const id = entry.offer.session;
    const buttons = node.querySelectorAll('button');
    action(node, 'accept').addEventListener('click', () => {
      for (const b of buttons) b.disabled = true;
      commands.acceptOffer(id);
    });
    action(node, 'decline').addEventListener('click', () => {
      for (const b of buttons) b.disabled = true;
      commands.declineOffer(id);
    });
    return node;
  }

  function updateOffer(node, { offer, deadline }) {
    node.querySelector('.offer-title').textContent = t('console.offer.title', { name: offer.name || t('console.someone') });
    node.querySelector('.offer-meta').textContent = offer.queue
      ? t('console.offer.from_queue', { number: formatNumber(offer.number), queue: offer.queue })
      : t('console.session.number', { number: formatNumber(offer.number) });
    const message = node.querySelector('.offer-message');
    message.textContent = offer.message ? t('console.transfer_message', { message: offer.message }) : '';
    message.hidden = !offer.message;
    const countdown = node.querySelector('.offer-countdown');
    countdown.hidden = deadline == null;
    if (deadline != null) countdown.dataset.deadline = String(deadline);
  }

  // Once a second: waiting times and offer countdowns.
  function tick() {
    const now = Date.now();
    for (const node of ui.queues.querySelectorAll('[data-since]')) {
      node.textContent = t('console.queues.waiting_for', { time: formatDuration(now / 1000 - Number(node.dataset.since)) });
    }
    for (const node of ui.offers.querySelectorAll('[data-deadline]')) {
      const left = Math.ceil((Number(node.dataset.deadline) - now) / 1000);
      node.textContent = left > 0 ? t('console.offer.expires', { seconds: left }) : t('console.offer.expired');
      if (left <= 0) for (const b of node.parentElement.querySelectorAll('button')) b.disabled = true;
    }
  }

  // --- sessions ----------------------------------------------------------------

  function nameOf(state, pid) {
    const p = state.participants.find((x) => x.pid === pid);
    return p ? p.name : t('console.someone');
  }

  function selectTab(id, focus) {
    activeId = id;
    for (const [sid, entry] of sessions) {
      const on = sid === id;
      entry.tab.setAttribute('aria-selected', on ? 'true' : 'false');
      entry.tab.tabIndex = on ? 0 : -1;
      entry.panel.hidden = !on;
    }
    if (focus && sessions.has(id)) sessions.get(id).tab.focus();
  }

  function openSession(state) {
    const id = state.session;
    const slug = id.replace(/[^A-Za-z0-9_-]/g, '_');
    const tab = document.createElement('button');
    tab.type = 'button';
    tab.className = 'session-tab';
    tab.setAttribute('role', 'tab');
    tab.id = 'tab-' + slug;
    tab.setAttribute('aria-controls', 'panel-' + slug);
    tab.addEventListener('click', () => selectTab(id));
    tab.addEventListener('keydown', (event) => {
      if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
      const ids = [...sessions.keys()];
      const step = event.key === 'ArrowRight' ? 1 : -1;
      selectTab(ids[(ids.indexOf(id) + step + ids.length) % ids.length], true);
      event.preventDefault();
    });
    const panel = fromTemplate('session-template');
    panel.id = 'panel-' + slug;
    panel.setAttribute('aria-labelledby', tab.id);
    const datalist = part(panel, 'queue-names');
    datalist.id = 'queues-' + slug;
    part(panel, 'transfer-queue').setAttribute('list', datalist.id);
    const entry = { id, state, tab, panel };
    sessions.set(id, entry);
    wireSession(entry);
    ui.tabs.append(tab);
    ui.panels.append(panel);
    for (const line of chats[id] || []) renderChatLine(entry, line);
    for (const text of notes[id] || []) renderNote(entry, text);
    ui.noSessions.hidden = true;
    return entry;
  }

  function wireSession(entry) {
    const { id, panel } = entry;
    const current = () => entry.state;

    action(panel, 'copy-link').addEventListener('click', () => copyLink(entry));
    action(panel, 'invite').addEventListener('click', () => invite(entry));
    part(panel, 'invite-form').addEventListener('submit', (event) => {
      event.preventDefault();
      sendInvite(entry);
    });
    part(panel, 'invite-email').addEventListener('change', () => refreshMailto(entry));

    const picker = cannedPicker({
      label: t('console.canned.label'),
      choose: t('console.canned.choose'),
      onPick: (text) => insertReply(part(panel, 'chat-text'), text),
    });
    part(panel, 'chat-form').before(picker.element);
    picker.load('', TOKEN);

    part(panel, 'chat-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const input = part(panel, 'chat-text');
      const text = input.value.trim();
      if (!text) return;
      commands.chat(id, text.slice(0, 4000), part(panel, 'chat-reps-only').checked);
      input.value = '';
      input.focus();
    });

    part(panel, 'note-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const input = part(panel, 'note-text');
      const text = input.value.trim();
      if (!text) return;
      commands.note(id, text.slice(0, 20000));
      (notes[id] = notes[id] || []).push(text);
      saveUi();
      renderNote(entry, text);
      input.value = '';
    });

    action(panel, 'request-view').addEventListener('click', () => commands.requestGrant(id, 'view', 'desktop'));
    action(panel, 'request-control').addEventListener('click', () => commands.requestGrant(id, 'control', 'desktop'));

    part(panel, 'transfer-control-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const to = part(panel, 'assistants').value;
      if (!to) return;
      if (!window.confirm(t('console.transfer_control.confirm', { name: nameOf(current(), to) }))) return;
      commands.transferControl(id, to);
    });

    const message = part(panel, 'transfer-message-text');
    const count = () => {
      part(panel, 'transfer-count').textContent =
        t('console.transfer_session.count', { count: message.value.length, max: TRANSFER_MESSAGE_MAX });
    };
    message.addEventListener('input', count);
    count();
    part(panel, 'transfer-session-form').addEventListener('submit', (event) => {
      event.preventDefault();
      transferSession(entry);
    });

    action(panel, 'end').addEventListener('click', () => {
      if (window.confirm(t('console.end_confirm'))) commands.endSession(id);
    });
    action(panel, 'leave').addEventListener('click', () => {
      if (window.confirm(t('console.leave_confirm'))) commands.leaveSession(id);
    });
  }

  function transferSession(entry) {
    const { panel } = entry;
    const error = part(panel, 'transfer-error');
    const queue = part(panel, 'transfer-queue').value.trim();
    const repsText = part(panel, 'transfer-reps').value.trim();
    const parts = repsText ? repsText.split(/[\s,;]+/).filter(Boolean) : [];
    const show = (key) => { error.textContent = t(key); error.hidden = false; };
    error.hidden = true;
    if (parts.some((x) => !/^\d{1,9}$/.test(x))) return show('console.transfer_session.bad_reps');
    if (!queue && parts.length === 0) return show('console.transfer_session.need_target');
    const message = part(panel, 'transfer-message-text').value.trim().slice(0, TRANSFER_MESSAGE_MAX);
    if (!window.confirm(t('console.transfer_session.confirm'))) return;
    commands.transferSession(entry.id, { queue, reps: [...new Set(parts.map(Number))], message });
  }

  function copyLink(entry) {
    const input = part(entry.panel, 'join-link');
    const note = part(entry.panel, 'copy-state');
    const done = (key) => {
      note.textContent = t(key);
      setTimeout(() => { note.textContent = ''; }, 3000);
    };
    if (!input.value) return;
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(input.value).then(() => done('console.join_link.copied'), () => {
        input.select();
        done('console.join_link.copy_failed');
      });
    } else {
      input.select();
      done('console.join_link.copy_failed');
    }
  }

  function showInvitation(entry, invitation) {
    const { panel } = entry;
    part(panel, 'invite-phone').textContent = invitation.phone;
    part(panel, 'invite-link').textContent = invitation.link;
    const mailto = part(panel, 'invite-mailto');
    if (typeof invitation.mailto === 'string' && invitation.mailto.startsWith('mailto:')) mailto.href = invitation.mailto;
    part(panel, 'invite').hidden = false;
  }

  function showInviteResult(entry, text, ok) {
    const result = part(entry.panel, 'invite-result');
    result.textContent = text;
    result.className = ok ? 'alert notice' : 'alert error';
    result.hidden = false;
  }

  async function invite(entry) {
    const button = action(entry.panel, 'invite');
    button.disabled = true;
    const answer = await requestInvitation(entry.id, {});
    button.disabled = false;
    if (answer.ok) {
      showInvitation(entry, answer.invitation);
      part(entry.panel, 'invite-result').hidden = true;
    } else {
      part(entry.panel, 'invite').hidden = false;
      showInviteResult(entry, t('console.invite.failed', { message: answer.message }), false);
    }
  }

  // The mailto link carries the address once one is typed.
  async function refreshMailto(entry) {
    const input = part(entry.panel, 'invite-email');
    const email = input.value.trim();
    if (!email || !input.checkValidity()) return;
    const answer = await requestInvitation(entry.id, { email });
    if (answer.ok) showInvitation(entry, answer.invitation);
  }

  async function sendInvite(entry) {
    const input = part(entry.panel, 'invite-email');
    const email = input.value.trim();
    if (!email || !input.checkValidity()) {
      showInviteResult(entry, t('console.invite.bad_email'), false);
      return;
    }
    const button = part(entry.panel, 'invite-form').querySelector('button');
    button.disabled = true;
    const answer = await requestInvitation(entry.id, { email, send: true });
    button.disabled = false;
    if (answer.ok) {
      showInvitation(entry, answer.invitation);
      showInviteResult(entry, t('console.invite.sent', { email }), true);
    } else {
      showInviteResult(entry, t('console.invite.failed', { message: answer.message }), false);
    }
  }

  function renderChatLine(entry, line) {
    const log = part(entry.panel, 'chat-log');
    const li = document.createElement('li');
    li.className = 'chat-line' + (line.mine ? ' mine' : '') + (line.repsOnly ? ' reps-only' : '');
    const who = document.createElement('span');
    who.className = 'chat-name';
    who.textContent = line.mine ? t('console.chat.you') : line.name;
    if (line.repsOnly) {
      const badge = document.createElement('span');
      badge.className = 'badge warn';
      badge.textContent = t('console.chat.reps_only');
      who.append(' ', badge);
    }
    li.append(who, document.createTextNode(line.text));
    log.append(li);
    part(entry.panel, 'chat-empty').hidden = true;
    log.scrollTop = log.scrollHeight;
  }

  function renderNote(entry, text) {
    const li = document.createElement('li');
    li.textContent = text;
    part(entry.panel, 'notes').append(li);
  }

  function participantLine(state, amPrimary) {
    return {
      build(p) {
        const li = document.createElement('li');
        li.className = 'participant';
        const name = document.createElement('span');
        name.className = 'participant-name';
        const badges = document.createElement('span');
        badges.className = 'participant-badges';
        const select = document.createElement('button');
        select.type = 'button';
        select.className = 'button small';
        select.textContent = t('console.participants.select');
        select.addEventListener('click', () => commands.selectCustomer(state.session, p.pid));
        li.append(name, badges, select);
        return li;
      },
      update(li, p) {
        li.querySelector('.participant-name').textContent =
          p.pid === state.you ? t('console.participants.you', { name: p.name }) : p.name;
        const badges = [t('console.role.' + p.role)];
        if (!p.present) badges.push(t('console.participants.away'));
        if (p.selected) badges.push(t('console.participants.selected'));
        li.querySelector('.participant-badges').replaceChildren(...badges.map((text, i) => {
          const b = document.createElement('span');
          b.className = i === 0 ? 'badge role-' + p.role : 'badge warn';
          b.textContent = text;
          return b;
        }));
        li.querySelector('button').hidden = !(amPrimary && p.kind === 'customer' && !p.selected);
      },
    };
  }

  function grantText(state, g) {
    const name = nameOf(state, g.grantor); // whose screen, or who is shown the rep's
    if (g.direction === 'share') return t('console.grant.share', { name });
    if (g.kind === 'files') return t('console.grant.files', { name });
    return t(`console.grant.${g.kind}.${g.scope}`, { name });
  }

  function renderGrants(entry) {
    const state = entry.state;
    const list = part(entry.panel, 'grants');
    part(entry.panel, 'grants-empty').hidden = state.grants.length > 0;
    syncList(list, state.grants, (g) => g.id, (g) => {
      const li = document.createElement('li');
      li.className = 'grant';
      const text = document.createElement('span');
      text.className = 'grant-text';
      const badge = document.createElement('span');
      badge.className = 'badge';
      const revoke = document.createElement('button');
      revoke.type = 'button';
      revoke.className = 'button small danger';
      revoke.textContent = t('console.grants.revoke');
      revoke.addEventListener('click', () => commands.revokeGrant(entry.id, g.id));
      li.append(text, badge, revoke);
      return li;
    }, (li, g) => {
      li.querySelector('.grant-text').textContent = grantText(entry.state, g);
      const badge = li.querySelector('.badge');
      badge.textContent = t('console.grant.state.' + g.state);
      badge.classList.toggle('warn', g.state === 'pending');
      const me = entry.state.you;
      li.querySelector('button').hidden = ![g.requester, g.grantor, entry.state.primary].includes(me);
    });
    const running = state.activities.map((a) => t('console.activity.' + a.kind));
    const activities = part(entry.panel, 'activities');
    activities.textContent = running.length ? t('console.activities', { list: running.join(t('console.separator')) }) : '';
    activities.hidden = running.length === 0;
  }

  function renderSession(state) {
    const entry = sessions.get(state.session) || openSession(state);
    entry.state = state;
    entry.seenAt = Date.now();
    const { panel, tab } = entry;
    const number = formatNumber(state.number);
    const amPrimary = state.role === 'primary';
    const queueRep = Boolean(account && account.queue_rep);

    tab.textContent = number;
    tab.title = t('console.session.number', { number }) + ' · ' + t('console.session.state.' + state.state);
    tab.classList.toggle('waiting', state.state === 'waiting');
    part(panel, 'number').textContent = t('console.session.number', { number });
    part(panel, 'state').textContent = t('console.session.state.' + state.state);
    part(panel, 'role').textContent = t('console.role.' + state.role);
    part(panel, 'queue').textContent = state.queue ? t('console.session.queue', { queue: state.queue }) : '';
    const transferred = part(panel, 'transfer-message');
    transferred.textContent = state.transfer_message ? t('console.transfer_message', { message: state.transfer_message }) : '';
    transferred.hidden = !state.transfer_message;
    part(panel, 'tools-note').hidden = state.tools_available;

    part(panel, 'join-link').value = state.join_link || '';
    part(panel, 'link-box').hidden = !state.join_link;

    const people = participantLine(state, amPrimary);
    syncList(part(panel, 'participants'), state.participants, (p) => p.pid, people.build, people.update);
    renderGrants(entry);

    const why = !state.tools_available ? t('console.tools_unavailable') : !amPrimary ? t('console.only_primary') : null;
    for (const button of panel.querySelectorAll('[data-needs-customer]')) setDisabled(button, Boolean(why), why);

    const assistants = state.participants.filter((p) => p.kind === 'rep' && p.role === 'assistant');
    part(panel, 'transfer-control').hidden = !amPrimary;
    const select = part(panel, 'assistants');
    const chosen = select.value;
    select.replaceChildren(...assistants.map((p) => {
      const option = document.createElement('option');
      option.value = p.pid;
      option.textContent = p.present ? p.name : t('console.participants.away_name', { name: p.name });
      return option;
    }));
    if (assistants.some((p) => p.pid === chosen)) select.value = chosen;
    select.disabled = assistants.length === 0;
    select.closest('label').hidden = assistants.length === 0;
    part(panel, 'no-assistants').hidden = assistants.length > 0;
    part(panel, 'transfer-control-form').querySelector('button').disabled = assistants.length === 0;

    part(panel, 'transfer-session').hidden = !(amPrimary && queueRep);
    const names = new Set([...(account ? account.queues : []), ...(board ? board.queues.map((q) => q.name) : [])]);
    part(panel, 'queue-names').replaceChildren(...[...names].sort().map((name) => {
      const option = document.createElement('option');
      option.value = name;
      return option;
    }));

    action(panel, 'end').hidden = !state.can_end;
    action(panel, 'leave').hidden = state.can_end;

    if (offers.delete(state.session)) renderOffers(); // taken: the offer is done
    if (activeId === null || !sessions.has(activeId)) selectTab(state.session);
    else if (!entry.seen) selectTab(state.session); // a new session comes to the front
    entry.seen = true;
  }

  function closeSession(id, reason) {
    const entry = sessions.get(id);
    delete chats[id];
    delete notes[id];
    saveUi();
    if (!entry) return;
    let key = 'console.ended.' + reason;
    if (!has(key)) key = 'console.ended.ended';
    showNotice(t(key, { number: formatNumber(entry.state.number) }), '', 'notice');
    entry.tab.remove();
    entry.panel.remove();
    sessions.delete(id);
    if (activeId === id) {
      activeId = null;
      const next = sessions.keys().next();
      if (!next.done) selectTab(next.value);
    }
    ui.noSessions.hidden = sessions.size > 0;
  }

  // A fresh stream (no resume) replays nothing: the relay resends every live
  // session and pending offer at once, so a tab or offer it does not resend
  // ended while this console was away.
  let afreshTimer = null;
  function forgetWhatIsNotResent() {
    const since = Date.now();
    clearTimeout(afreshTimer);
    afreshTimer = setTimeout(() => {
      for (const [id, entry] of [...sessions]) if (entry.seenAt < since) closeSession(id, 'ended');
      let changed = false;
      for (const [id, entry] of [...offers]) if (entry.seenAt < since) changed = offers.delete(id) || changed;
      if (changed) renderOffers();
    }, AFRESH_MS);
  }

  // --- relay messages ------------------------------------------------------------

  const handlers = {
    welcome(msg) {
      if (msg.account) {
        account = msg.account;
        ui.repName.textContent = t('console.signed_in', { name: account.name });
      }
      updateControls();
      if (!msg.resumed) forgetWhatIsNotResent();
    },
    session_state(msg) { renderSession(msg); },
    session_ended(msg) { closeSession(msg.session, msg.reason); },
    chat_message(msg) {
      const entry = sessions.get(msg.session);
      const log = (chats[msg.session] = chats[msg.session] || []);
      if (log.some((line) => line.id === msg.id)) return;
      const mine = Boolean(entry && msg.pid === entry.state.you);
      const line = { id: msg.id, name: msg.name, text: msg.text, mine, repsOnly: msg.reps_only };
      log.push(line);
      if (log.length > CHAT_MAX) log.shift();
      saveUi();
      if (entry) renderChatLine(entry, line);
    },
    queue_state(msg) { renderBoard(msg); },
    offer(msg) {
      const deadline = typeof msg.expires_in === 'number' ? Date.now() + msg.expires_in * 1000 : null;
      offers.set(msg.session, { offer: msg, deadline, seenAt: Date.now() });
      renderOffers();
    },
    offer_withdrawn(msg) {
      if (offers.delete(msg.session)) renderOffers();
    },
    error(msg) {
      if (msg.code === 'resync') { forgetWhatIsNotResent(); return; } // the relay sends the state afresh
      if (msg.code === 'unauthorized') return; // the connection shows it
      showRelayError(msg);
      // A refused action: let the rep try again.
      if (board) ui.availability.checked = Boolean(board.available);
      for (const b of ui.offers.querySelectorAll('button')) b.disabled = false;
      tick();
    },
    pong() { /* liveness is tracked for every message */ },
  };

  // --- rep actions outside a session ----------------------------------------------

  ui.availability.addEventListener('change', () => commands.setAvailability(ui.availability.checked));
  ui.startSession.addEventListener('click', () => commands.startSession());
  ui.acceptNext.addEventListener('click', () => commands.acceptNext());
  const askedToAssist = new URLSearchParams(location.search).get('assist');
  if (askedToAssist && /^\d{9}$/.test(askedToAssist)) ui.assistNumber.value = askedToAssist;

  ui.assistForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const digits = ui.assistNumber.value.replace(/\D/g, '');
    const valid = digits.length === 9;
    ui.assistError.hidden = valid;
    ui.assistNumber.setAttribute('aria-invalid', valid ? 'false' : 'true');
    if (!valid) return;
    commands.assistSession(digits);
    ui.assistNumber.value = '';
  });

  setInterval(tick, 1000);
  updateControls();
  connection.open();
})();
