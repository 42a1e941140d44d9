// The rep's console in Chrome's side panel. The WebSocket to the relay lives
// in this page (the service worker may be evicted at any time); the parts of
// the console live in rep/, one feature per file.
import { createConnection } from './lib/connection.js';
import { openOptions } from './rep/browser.js';
import { markRead, receiveChat } from './rep/chat.js';
import { createCommands } from './rep/commands.js';
import { createCompactMode } from './rep/compact-mode.js';
import { createTransferDialog } from './rep/compact-transfer.js';
import { $ } from './rep/dom.js';
import { loadHistory } from './rep/history.js';
import { localize, setDocumentLanguage, t } from './rep/i18n.js';
import { createInviteDialog } from './rep/invite-dialog.js';
import { clearReconnectErrors, showNotice, showRelayError } from './rep/notices.js';
import { showAssistAnswer, showSessionNotice } from './rep/assist-requests.js';
import { createQueuePanel } from './rep/queue-panel.js';
import { createRoster } from './rep/roster.js';
import { createSessions } from './rep/sessions.js';
import { loadSettings, onSettingsChanged, signOut, wsUrlOf } from './rep/settings.js';
import { mountSignInForm } from './rep/signin-form.js';
import { maybeOpenViewer, noteAccepted } from './rep/viewer-launch.js';
import { maybeOpenCall } from './rep/media-launch.js';
import { wireStartCard } from './rep/start-card.js';

const AFRESH_MS = 5000; // after a fresh stream, what the relay has not resent by then is gone

let settings = { relay: '', token: null, account: null };
let account = null;
let connection = null;
let connected = false;
let startInvitePending = false;
let loaded = false; // settings read: until then nothing is shown or hidden

// Every message goes through the current connection (null when signed out).
const commands = createCommands((type, fields) => (connection ? connection.send(type, fields) : null));

const ctx = {
  commands,
  settings: () => settings,
  account: () => account,
  board: () => queue.board(),
  signedIn: () => Boolean(settings.token),
  active: () => sessions.active(),
  openInvite: (entry) => invite.open(entry),
  openTransfer: (entry) => transferDialog.open(entry),
  copyLink: (entry) => copyText(entry.state.join_link || '', entry.panel.querySelector('[data-role="copy-state"]')),
  copyText,
  end(entry) { if (window.confirm(t('end_confirm'))) commands.endSession(entry.id); },
  leave(entry) { if (window.confirm(t('leave_confirm'))) commands.leaveSession(entry.id); },
  chatVisible: (entry) => !compact.isOn() && sessions.active() === entry && entry.toolTab === 'tools',
  unreadChanged(entry) { sessions.renderTab(entry); compact.render(sessions.active()); },
  toolTabShown(entry) {
    if (entry.toolTab === 'tools' && sessions.active() === entry) markRead(entry, ctx);
    if (entry.toolTab === 'session' && ctx.roster) ctx.roster.refresh();
  },
  activeChanged(entry) {
    if (entry && ctx.chatVisible(entry)) markRead(entry, ctx);
    compact.render(entry);
  },
  compactChanged(on) {
    const entry = sessions.active();
    if (!on && entry && ctx.chatVisible(entry)) markRead(entry, ctx);
    showSections();
  },
};

ctx.roster = createRoster(ctx);
const queue = createQueuePanel({ commands, onAccept: noteAccepted });
const sessions = createSessions(ctx);
const invite = createInviteDialog(ctx);
const transferDialog = createTransferDialog(ctx);
const compact = createCompactMode(ctx);

function copyText(text, note) {
  const done = (key) => { note.textContent = t(key); setTimeout(() => { note.textContent = ''; }, 3000); };
  if (!text) return;
  navigator.clipboard.writeText(text).then(() => done('copied'), () => done('copy_failed'));
}

// --- relay messages ----------------------------------------------------------

let afreshTimer = null;
function forgetWhatIsNotResent() {
  const since = Date.now();
  clearTimeout(afreshTimer);
  afreshTimer = setTimeout(() => { sessions.forgetOlderThan(since); queue.forgetOlderThan(since); }, AFRESH_MS);
}

const handlers = {
  welcome(msg) {
    if (msg.account) {
      account = msg.account;
      $('rep-name').textContent = account.name;
      queue.setAccount(account);
    }
    if (!msg.resumed) forgetWhatIsNotResent();
  },
  session_state(msg) {
    const fresh = !sessions.get(msg.session);
    sessions.render(msg);
    queue.withdraw(msg.session); // taken: the offer is done
    if (fresh && startInvitePending && msg.kind === 'outbound' && msg.role === 'primary') {
      startInvitePending = false;
      invite.open(sessions.get(msg.session));
    }
    maybeOpenViewer(msg);
    maybeOpenCall(msg);
  },
  session_ended(msg) {
    invite.closeFor(msg.session);
    transferDialog.closeFor(msg.session);
    sessions.close(msg.session, msg.reason);
  },
  chat_message(msg) { const entry = sessions.get(msg.session); if (entry) receiveChat(entry, msg, ctx); },
  session_notice(msg) { showSessionNotice(msg, sessions.get(msg.session)); },
  assist_answer(msg) { showAssistAnswer(msg); },
  queue_state(msg) { queue.renderBoard(msg); },
  offer(msg) { queue.offer(msg); },
  offer_withdrawn(msg) { queue.withdraw(msg.session); },
  error(msg) {
    if (msg.code === 'resync') { forgetWhatIsNotResent(); return; } // the relay sends the state afresh
    if (msg.code === 'frames_skipped') return; // a viewer tab starts afresh (viewer.js)
    if (msg.code === 'unauthorized') return; // the status line says it
    showRelayError(msg);
    queue.refused();
  },
};

function showStatus(state) {
  connected = state === 'connected';
  if (connected) clearReconnectErrors();
  $('status').dataset.state = state;
  $('status').textContent = t('status_' + state);
  $('start-session').disabled = !connected;
  $('assist-submit').disabled = !connected;
  queue.setConnected(connected);
  if (state === 'unauthorized') {
    $('signin-reason').textContent = t('status_unauthorized');
    $('signin-reason').hidden = false;
    signOut();
  }
}

// --- connection lifecycle ----------------------------------------------------------

function connect() {
  if (connection) { connection.close(); connection = null; }
  sessions.clear();
  // Admins and supervisors reach the relay's live dashboard from here.
  const dashboard = $('open-dashboard');
  const watcher = settings.token && settings.account && (settings.account.is_admin || settings.account.is_supervisor);
  dashboard.hidden = !watcher;
  dashboard.href = settings.relay + '/admin/dashboard';
  if (!settings.token) { showStatus('signed_out'); return; }
  $('signin-reason').hidden = true;
  account = settings.account;
  if (account) { $('rep-name').textContent = account.name; queue.setAccount(account); }
  connection = createConnection({
    url: wsUrlOf(settings.relay),
    token: settings.token,
    storeKey: 'tandem-sidepanel:' + (account ? account.id : 'rep'),
    client: 'extension',
    onMessage: (msg) => { const handler = handlers[msg.type]; if (handler) handler(msg); },
    onStatus: showStatus,
  });
  showStatus('connecting');
  connection.open();
}

function showSections() {
  if (!loaded) return;
  const signedIn = Boolean(settings.token);
  $('console').hidden = !signedIn || compact.isOn();
  $('compact-toggle').hidden = !signedIn || compact.isOn();
  $('open-settings').textContent = t(signedIn ? 'settings' : 'settings_signin');
  compact.render(sessions.active());
}

async function main() {
  setDocumentLanguage();
  localize();
  await loadHistory();
  settings = await loadSettings();
  await mountSignInForm();
  wireStartCard(ctx, {
    start(emailInvite) { startInvitePending = emailInvite; commands.startSession(emailInvite); },
  });
  $('open-settings').addEventListener('click', () => { $('signin-section').hidden = !$('signin-section').hidden; });
  $('more-settings').addEventListener('click', (event) => { event.preventDefault(); openOptions(); });
  onSettingsChanged((next) => {
    const tokenChanged = next.token !== settings.token || next.relay !== settings.relay;
    settings = next;
    if (tokenChanged) {
      $('signin-section').hidden = Boolean(next.token);
      connect();
    }
    showSections();
  });
  window.addEventListener('online', () => connection && connection.reconnectNow());
  loaded = true;
  $('signin-section').hidden = Boolean(settings.token);
  showSections();
  connect();
}

main().catch((err) => showNotice(t('error_unknown'), String(err), 'error'));
