// The customer's live session page: speaks server/protocol/ over one WebSocket.
//
// Delivery is connection.js's: every message this page sends carries the
// page's own `seq` and stays in an outbox until a `welcome` confirms it
// (`client_seq`); after a drop the page reconnects with backoff, hands back
// the previous welcome's `resume` id with the last relay `seq` it saw
// (`last_seq`), and resends whatever was not processed. Counters, outbox and
// chat survive a reload in sessionStorage, keyed by the session token.
import { CHAT_MAX } from './generated/protocol.js';
import { createConnection } from './lib/connection.js';
import { createPublishedFiles, formatSize } from './lib/published-files.js';
import { createCustomerMedia } from './customer/page-media.js';
import { createCustomerTab } from './customer/page-tab.js';
import { createSharedScreen } from './customer/shared-screen.js';
import { createSurvey, sendRating } from './lib/survey.js';

(() => {
  const root = document.getElementById('tandem-customer');
  if (!root || !root.dataset.token) return;

  const TOKEN = root.dataset.token;
  const WS_PATH = root.dataset.wsPath || '/ws';
  const STORE_KEY = 'tandem:' + TOKEN;
  const CHAT_MAX = 300;
  const ERROR_MS = 10000;
  const SHARED_SCOPES = ['desktop', 'application']; // what a rep's Support Manager shares

  // --- strings -------------------------------------------------------------

  let STRINGS = {};
  try {
    STRINGS = JSON.parse(document.getElementById('tandem-strings').textContent) || {};
  } catch (_) { /* keys are shown instead of text */ }

  function t(key, vars) {
    const text = Object.prototype.hasOwnProperty.call(STRINGS, key) ? STRINGS[key] : key;
    if (!vars) return text;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
  }

  // --- elements ------------------------------------------------------------

  const $ = (id) => document.getElementById(id);
  const ui = {
    number: $('session-number'),
    status: $('status'),
    position: $('position'),
    participants: $('participants'),
    error: $('error'),
    grants: $('grants'),
    banners: $('banners'),
    chatLog: $('chat-log'),
    chatEmpty: $('chat-empty'),
    chatForm: $('chat-form'),
    chatText: $('chat-text'),
    chatOff: $('chat-off'),
    leave: $('leave'),
    ended: $('ended'),
    endedText: $('ended-text'),
    grantTemplate: $('grant-template'),
    bannerTemplate: $('banner-template'),
    agent: $('agent'),
    agentConnected: $('agent-connected'),
    agentPair: $('agent-pair'),
    agentCode: $('agent-code'),
    agentCommand: $('agent-command'),
    files: $('files'),
    filesList: $('files-list'),
    filesEmpty: $('files-empty'),
    filesError: $('files-error'),
  };

  // --- persistent state ----------------------------------------------------

  // Counters, resume id and outbox are the connection's, under STORE_KEY;
  // the chat is kept beside them.
  const CHAT_KEY = STORE_KEY + ':chat';

  function loadChat() {
    try {
      const stored = JSON.parse(sessionStorage.getItem(CHAT_KEY));
      return Array.isArray(stored) ? stored : [];
    } catch (_) { return []; }
  }
  let chat = loadChat();

  function saveChat() {
    try { sessionStorage.setItem(CHAT_KEY, JSON.stringify(chat.slice(-CHAT_MAX))); } catch (_) { /* kept in this page */ }
  }

  // --- session state -------------------------------------------------------

  let sessionId = null;
  let you = null;
  let current = null; // last session_state
  let errorTimer = null;

  // --- rendering -----------------------------------------------------------

  function setStatus(key, vars) { ui.status.textContent = t(key, vars); }

  function formatNumber(number) {
    const digits = String(number).replace(/\D/g, '');
    return digits.length === 9 ? digits.replace(/(\d{3})(\d{3})(\d{3})/, '$1 $2 $3') : String(number);
  }

  function showError(code) {
    const key = 'customer.error.' + code;
    ui.error.textContent = Object.prototype.hasOwnProperty.call(STRINGS, key) ? t(key) : t('customer.error.unknown');
    ui.error.hidden = false;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(() => { ui.error.hidden = true; }, ERROR_MS);
  }

  function nameOf(pid) {
    const p = current && current.participants.find((x) => x.pid === pid);
    return p ? p.name : t('customer.someone');
  }

  function setChatEnabled(on) {
    ui.chatText.disabled = !on;
    ui.chatForm.querySelector('button').disabled = !on;
  }

  function renderChatLine(line) {
    const li = document.createElement('li');
    li.className = line.mine ? 'chat-line mine' : 'chat-line';
    li.dataset.id = String(line.id);
    const who = document.createElement('span');
    who.className = 'chat-name';
    who.textContent = line.mine ? t('customer.chat.you') : line.name;
    li.append(who, document.createTextNode(line.text));
    ui.chatLog.append(li);
    ui.chatEmpty.hidden = true;
    ui.chatLog.scrollTop = ui.chatLog.scrollHeight;
  }

  function renderParticipants(state) {
    const names = state.participants.map((p) => {
      if (p.pid === state.you) return t('customer.participant.you', { name: p.name });
      if (!p.present) return t('customer.participant.away', { name: p.name });
      if (p.kind === 'rep') return t('customer.participant.rep', { name: p.name });
      return p.name;
    });
    ui.participants.textContent = t('customer.participants', { names: names.join(t('customer.separator')) });
    ui.participants.hidden = names.length === 0;
  }

  // Keyed lists: keep the nodes that stay, so focus and clicks are not lost.
  function syncList(container, items, build) {
    const wanted = new Map(items.map((item) => [String(item.id), item]));
    for (const node of [...container.children]) {
      if (!wanted.has(node.dataset.id)) node.remove();
    }
    for (const [id, item] of wanted) {
      if (!container.querySelector(`[data-id="${id}"]`)) {
        const node = build(item);
        node.dataset.id = id;
        container.append(node);
      }
    }
  }

  function grantText(g) {
    const name = nameOf(g.requester);
    if (g.direction === 'share') {
      return SHARED_SCOPES.includes(g.scope) ? t(`customer.grant.share.${g.kind}.${g.scope}`, { name }) : t('customer.grant.share', { name });
    }
    if (g.kind === 'files') return t('customer.grant.files', { name });
    return t(`customer.grant.${g.kind}.${g.scope}`, { name });
  }

  function buildPrompt(g) {
    const node = ui.grantTemplate.content.firstElementChild.cloneNode(true);
    node.querySelector('.grant-text').textContent = grantText(g);
    for (const button of node.querySelectorAll('button')) {
      button.addEventListener('click', () => {
        for (const b of node.querySelectorAll('button')) b.disabled = true;
        send('decide_grant', { session: sessionId, grant: g.id, approve: button.dataset.approve === '1' });
      });
    }
    return node;
  }

  function buildBanner(g) {
    const node = ui.bannerTemplate.content.firstElementChild.cloneNode(true);
    const name = nameOf(g.requester);
    node.querySelector('.banner-text').textContent =
      g.kind === 'files' ? t('customer.banner.files', { name }) : t(`customer.banner.${g.kind}.${g.scope}`, { name });
    const stop = node.querySelector('button');
    stop.addEventListener('click', () => {
      stop.disabled = true;
      send('revoke_grant', { session: sessionId, grant: g.id });
    });
    return node;
  }

  function renderState(state) {
    current = state;
    sessionId = state.session;
    you = state.you;
    if (state.number) {
      ui.number.textContent = t('customer.number', { number: formatNumber(state.number) });
      ui.number.hidden = false;
    }
    if (state.state === 'waiting') setStatus('customer.status.waiting');
    else if (state.state === 'open') setStatus('customer.status.open');
    else if (state.state === 'active') setStatus('customer.status.active');
    else setStatus('customer.status.ended');
    if (state.state !== 'waiting') ui.position.hidden = true;
    renderParticipants(state);

    const mine = state.grants.filter((g) => g.grantor === state.you);
    syncList(ui.grants, mine.filter((g) => g.state === 'pending'), buildPrompt);
    syncList(ui.banners, mine.filter((g) => g.state === 'approved' && g.direction === 'request'), buildBanner);

    const repHere = state.participants.some((p) => p.kind === 'rep' && p.present);
    const chatOn = state.customer_chat !== false; // a policy may turn chat with customers off
    ui.chatOff.hidden = chatOn || state.state === 'ended';
    ui.chatForm.hidden = !chatOn;
    setChatEnabled(state.state !== 'ended' && repHere && chatOn);
    ui.leave.disabled = state.state === 'ended';
    document.getElementById('recording').hidden = state.state === 'ended'
      || !state.activities.some((a) => a.kind === 'recording');
    renderAgent(state);
    renderFiles(state);
  }

  // --- Support Manager (the native agent) -----------------------------------

  function renderAgent(state) {
    const live = state.state === 'open' || state.state === 'active';
    ui.agent.hidden = !live;
    const mine = state.participants.find((p) => p.kind === 'agent' && p.owner === state.you && p.present);
    const paired = Boolean(mine);
    ui.agentConnected.hidden = !paired;
    // the download carries a one-time code: once paired, a second one would only replace it
    // (and so would the pairing code: what is left is whether it is connected)
    for (const id of ['agent-get', 'agent-have-it', 'agent-pair']) {
      const node = document.getElementById(id);
      if (node) node.hidden = paired;
    }
    // a Support Manager on a Wayland desktop cannot see the screen: say so, never show black
    ui.agentConnected.textContent = t(mine && mine.screen === 'wayland' ? 'customer.agent.wayland' : 'customer.agent.connected');
    if (paired) { ui.agentCode.hidden = true; ui.agentCommand.hidden = true; }
  }

  async function getPairingCode() {
    if (!sessionId) return;
    ui.agentPair.disabled = true;
    try {
      const response = await fetch(`/api/sessions/${encodeURIComponent(sessionId)}/pairing`, {
        method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` },
      });
      if (!response.ok) throw new Error(String(response.status));
      const pairing = await response.json();
      ui.agentCode.textContent = t('customer.agent.code', { code: pairing.code });
      ui.agentCommand.textContent = pairing.command;
      ui.agentCode.hidden = false;
      ui.agentCommand.hidden = false;
    } catch (_) {
      ui.agentCode.textContent = t('customer.agent.failed');
      ui.agentCode.hidden = false;
    } finally {
      ui.agentPair.disabled = false;
    }
  }
  ui.agentPair.addEventListener('click', getPairingCode);

  // --- files the rep published (lib/published-files.js) ---------------------------

  const published = createPublishedFiles({
    token: TOKEN,
    onList(files) {
      syncList(ui.filesList, files, buildFile);
      ui.filesEmpty.hidden = files.length > 0;
    },
    onProblem(what, file) {
      showFilesError(what ? t(`customer.files.${what}`, file ? { name: file.name } : undefined) : '');
    },
  });

  function showFilesError(text) {
    ui.filesError.textContent = text;
    ui.filesError.hidden = !text;
  }

  function buildFile(file) {
    const li = document.createElement('li');
    li.className = 'file-item';
    const name = document.createElement('span');
    name.className = 'file-name';
    name.textContent = file.name;
    const size = document.createElement('span');
    size.className = 'file-size';
    size.textContent = formatSize(file.size, document.documentElement.lang);
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'button file-download';
    button.dataset.file = file.id;
    button.textContent = t('customer.files.download');
    button.setAttribute('aria-label', t('customer.files.download_label', { name: file.name }));
    button.addEventListener('click', async () => {
      button.disabled = true;
      button.textContent = t('customer.files.downloading');
      showFilesError('');
      await published.download(file);
      button.disabled = false;
      button.textContent = t('customer.files.download');
    });
    li.append(name, size, button);
    return li;
  }

  function renderFiles(state) {
    ui.files.hidden = state.state !== 'open' && state.state !== 'active';
    published.update(state);
  }

  function stopFiles() {
    published.stop();
    ui.files.hidden = true;
  }

  function finish(reason) {
    connection.close(); // never reconnect; forgets the stream
    let key = 'customer.status.' + reason;
    if (!Object.prototype.hasOwnProperty.call(STRINGS, key)) key = 'customer.status.ended';
    setStatus(key);
    ui.endedText.textContent = t(key);
    ui.ended.hidden = false;
    ui.status.hidden = true; // the ended card says it, once
    ui.position.hidden = true;
    // nothing runs any more: no recording notice, no Support Manager pairing
    document.getElementById('recording').hidden = true;
    ui.agent.hidden = true;
    ui.grants.replaceChildren();
    ui.banners.replaceChildren();
    stopFiles();
    tab.update(null);
    media.end();
    screen.end();
    setChatEnabled(false);
    ui.leave.disabled = true;
    offerSurvey();
    try { sessionStorage.removeItem(CHAT_KEY); } catch (_) { /* nothing to forget */ }
  }

  // The exit survey (survey.js), once a rep has been with the customer.
  let served = false;
  function offerSurvey() {
    const slot = document.getElementById('survey-slot');
    if (!served || !sessionId || !slot || slot.firstChild) return;
    const SURVEY = 'customer.survey.'; // + title, legend, star, comment, submit, thanks, need_score, error, error_network
    const text = (name, vars) => t(SURVEY + name.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase()), vars);
    const session = sessionId;
    slot.append(createSurvey({
      text,
      send: (score, comment) => sendRating('', session, TOKEN, score, comment, text('errorNetwork')),
    }).element);
  }

  // --- wire ----------------------------------------------------------------

  const connection = createConnection({
    url: (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + WS_PATH,
    token: TOKEN,
    storeKey: STORE_KEY,
    client: 'page',
    // A freshly loaded page has nothing on screen yet: ask for the whole
    // stream (the relay replays it, or sends the state afresh).
    replayOnLoad: () => !current,
    onMessage: (msg) => { const handler = handlers[msg.type]; if (handler) handler(msg); },
    onStatus: (state) => {
      if (state === 'reconnecting') setStatus('customer.status.reconnecting');
      if (state === 'connected') screen.connected();
    },
    onFrame: (frame) => screen.frame(frame),
  });

  // Queue a message for the relay; it is (re)sent until a welcome confirms it.
  function send(type, fields) { connection.send(type, fields); }

  // Video and voice (customer-media.js).
  const media = createCustomerMedia({ t, send });

  // A web page of theirs shown with the Tandem extension (customer-tab.js).
  const tab = createCustomerTab({
    ui: { section: $('tab-share'), text: $('tab-share-text'), pick: $('tab-share-pick'), install: $('tab-share-install') },
    t, send,
  });

  // A rep's own screen, when they share it (shared-screen.js, built from the extension's modules).
  const screen = createSharedScreen({
    ui: {
      section: $('screen'), title: $('screen-title'), mode: $('screen-mode'), stage: $('screen-stage'),
      video: $('screen-video'), canvas: $('screen-canvas'), waiting: $('screen-waiting'), stop: $('screen-stop'),
      full: $('screen-full'),
    },
    t,
    send,
    sendFrame: (kind, stream, body) => connection.sendFrame(kind, stream, body),
    ready: () => connection.isReady(),
  });

  const handlers = {
    welcome(msg) {
      // The connection has resent what the relay did not process.
      if (msg.pid) you = msg.pid;
      media.welcome(msg);
      screen.welcome(msg);
      if (current) renderState(current);
      else setStatus('customer.status.connecting');
    },
    session_state(msg) {
      renderState(msg);
      tab.update(msg);
      media.update(msg);
      screen.update(msg);
      if (msg.participants.some((p) => p.kind === 'rep' && p.present)) served = true;
    },
    signal(msg) { media.signal(msg); screen.signal(msg); tab.signal(msg); },
    chat_message(msg) {
      if (msg.reps_only) return;
      if (chat.some((line) => line.id === msg.id)) return;
      const line = { id: msg.id, name: msg.name, text: msg.text, mine: msg.pid === you };
      chat.push(line);
      if (chat.length > CHAT_MAX) chat.shift();
      saveChat();
      renderChatLine(line);
    },
    queue_position(msg) {
      ui.position.textContent = msg.position <= 1
        ? t('customer.position_next')
        : t('customer.position', { position: msg.position });
      ui.position.hidden = false;
      if (!current || current.state === 'waiting') setStatus('customer.status.waiting');
    },
    session_ended(msg) { finish(msg.reason); },
    error(msg) {
      // The connection has dropped the refused message (`ref`) from its outbox,
      // and closed itself on `unauthorized`.
      // Too much was missed to replay: the relay sends the state afresh.
      if (msg.code === 'resync' || msg.code === 'frames_skipped') return;
      if (msg.code === 'unauthorized') {
        showError('unauthorized');
        finish('ended');
        ui.endedText.textContent = t('customer.error.unauthorized');
        return;
      }
      showError(msg.code);
      // A refused decision or stop: let the customer try again.
      for (const b of root.querySelectorAll('#grants button, #banners button, #screen button')) b.disabled = false;
    },
    pong() { /* liveness is tracked for every message */ },
  };

  // --- user actions --------------------------------------------------------

  ui.chatText.maxLength = CHAT_MAX;
  ui.chatForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = ui.chatText.value.trim();
    if (!text || !sessionId) return;
    send('chat', { session: sessionId, text: text.slice(0, CHAT_MAX) });
    ui.chatText.value = '';
    ui.chatText.focus();
  });

  ui.leave.addEventListener('click', () => {
    if (!sessionId) return;
    if (!window.confirm(t('customer.leave_confirm'))) return;
    ui.leave.disabled = true;
    send('leave_session', { session: sessionId });
  });

  // Back online: do not wait out the backoff.
  window.addEventListener('online', () => connection.reconnectNow());

  for (const line of chat) renderChatLine(line);
  setStatus('customer.status.connecting');
  connection.open();
})();
