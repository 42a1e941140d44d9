// The customer side of Tandem in a web page, shared by the website snippet
// (src/snippet.js -> /tandem.js) and the extension's content script
// (src/content.js): help button, session widget, cobrowse capture and control,
// video and voice (media.js), a rep's shared screen (widget-screen.js).
//
//   startCustomer({ relay, queue, maskSelectors, connect })
//     relay          the relay's base URL (no trailing slash), or null
//     queue          the queue the help button asks for, or null (no button)
//     maskSelectors  extra CSS selectors to mask (masking.js)
//     connect        in a tab the customer shares with the extension (customer
//                    mode): (wiring) => a connection to the session the
//                    extension holds (src/share/port-connection.js); nothing
//                    is then kept in the site's storage
//   returns { stop() }: takes the widget away and stops capture (customer mode)
import { createConnection } from '../lib/connection.js';
import { KIND, decodeJson } from '../lib/frames.js';
import { createCapture } from './capture.js';
import { createControl } from './control.js';
import { createEcho } from './echo.js';
import { interceptHelpLinks, requestHelp } from './help.js';
import { fetchIntake, intakeForm } from './intake-form.js';
import { createWidgetMedia } from './media.js';
import { createHost, HOST_SELECTOR } from './host.js';
import { createMasking } from './masking.js';
import { createPointer } from './pointer.js';
import { KEYS, memoryStore, store } from './store.js';
import { widgetSurvey } from './survey.js';
import { translator } from './strings.js';
import { createWidget } from './widget.js';
import { createWidgetAgent } from './widget-agent.js';
import { createWidgetFiles } from './widget-files.js';
import { createWidgetScreen } from './widget-screen.js';

const MARK = 'data-tandem-customer';
const ENDED = new Set(['ended', 'left', 'removed', 'transferred']);

export function startCustomer({ relay = null, queue = null, maskSelectors = [], connect = null } = {}) {
  // The snippet and the content script may both be on a page: one runs.
  const html = document.documentElement;
  if (html.hasAttribute(MARK)) return null;
  html.setAttribute(MARK, '');

  const t = translator();
  const shared = Boolean(connect);
  const keep = shared ? memoryStore() : store;
  const masking = createMasking(maskSelectors);
  const { root, owns, remove: removeHost } = createHost();
  let session = null;
  const widget = createWidget(root, t, {
    help: () => ask(queue),
    chat: (text) => session && session.send('chat', { text }),
    decide: (grant, approve) => session && session.send('decide_grant', { grant, approve }),
    revoke: (grant) => session && session.send('revoke_grant', { grant }),
    leave: () => session && session.send('leave_session', {}),
    close: () => { widget.clearChat(); widget.idle(Boolean(queue && relay)); },
  });
  const pointer = createPointer(root);

  let asking = false; // the intake form is up (or on its way)

  // Help asked for queue `name`: first the queue's intake form, then a place in line.
  async function ask(name) {
    if (session || asking || !relay || !name) { widget.open(); return; }
    asking = true;
    const form = await fetchIntake(relay, name);
    const intake = intakeForm(t, form, {
      onCancel: () => { asking = false; widget.idle(Boolean(queue && relay)); },
      onSubmit: (answers) => enter(name, answers, intake),
    });
    widget.asking(intake.element);
    intake.focus();
  }

  async function enter(name, answers, intake) {
    widget.session();
    widget.status(t('connecting'));
    try {
      const { token } = await requestHelp(relay, name, answers);
      asking = false;
      keep.begin(token, relay);
      session = join(token, relay);
    } catch (err) {
      if (err.status === 400) { // the relay refused what was entered: the form again, as filled
        widget.asking(intake.element);
        widget.error(t('intakeError'));
        return;
      }
      asking = false;
      widget.ended(t('unavailable'));
    }
  }

  function join(token, base) {
    const url = base ? base.replace(/^http/, 'ws') + '/ws' : null;
    const echo = createEcho();
    const chat = keep.chat();
    let state = null;
    let controlStream = null;
    let controlPeer = null; // the rep in control: told when an action missed
    let reps = new Set(); // present reps: one more means a new viewer
    let recordingId = null; // a new recording needs a full snapshot, like a new viewer
    let startTimer = null;
    let over = false;
    let served = false; // a rep was here: the survey is offered at the end

    widget.session();
    widget.status(t('connecting'));
    const media = createWidgetMedia({
      t,
      send: (type, fields) => { if (state && !over) connection.send(type, { session: state.session, ...fields }); },
      onAsk: () => widget.open(), // a rep starts video or voice: the prompt must be seen
    });
    widget.media(media.element);
    // A rep's own screen, shared with this customer. In a tab shared with the
    // extension (customer mode) the customer's session page shows it instead.
    const screen = shared ? null : createWidgetScreen({
      t,
      send: (type, fields) => { if (state && !over) connection.send(type, { session: state.session, ...fields }); },
      sendFrame: (kind, stream, body) => connection.sendFrame(kind, stream, body),
      ready: () => connection.isReady(),
    });
    if (screen) widget.screen(screen.element);
    // The Support Manager for a website customer (in customer mode the
    // customer's session page offers it, as it shows a rep's screen).
    const agent = shared || !base || !token ? null : createWidgetAgent({ t, relay: base, token });
    if (agent) widget.agent(agent.element);
    const files = agent ? createWidgetFiles({ t, relay: base, token }) : null;
    if (files) widget.files(files.element);
    for (const line of chat) widget.chat({ ...line, replayed: true });

    const nameOf = (pid) => {
      const p = state && state.participants.find((x) => x.pid === pid);
      return (p && p.name) || t('someone');
    };

    function onFrame(frame) {
      if (screen) screen.frame(frame);
      if (frame.kind !== KIND.control) return;
      // After a reload the relay may replay old frames: never apply one twice.
      if (frame.seq <= keep.controlSeq()) return;
      keep.saveControlSeq(frame.seq);
      if (controlStream == null || frame.stream !== controlStream) return;
      let action;
      try { action = decodeJson(frame.body); } catch (_) { return; }
      // The rep acted on an element this page no longer has: nothing is done,
      // and the rep is told (their picture was older than the page).
      if (apply(action) === 'gone' && controlPeer) {
        connection.send('signal', { session: state.session, to: controlPeer, data: { cobrowse: 'gone', action: String(action.type) } });
      }
    }

    const wiring = {
      onMessage: (msg) => { const handler = handlers[msg.type]; if (handler) handler(msg); },
      onStatus: (status) => {
        if (status === 'reconnecting') widget.status(t('reconnecting'));
        if (status === 'connected' && state) render(state);
        // frames are not queued while the link is down: start again from a full snapshot
        if (status === 'connected') capture.resync();
        if (status === 'connected' && screen) screen.connected();
      },
      onFrame,
    };
    // In a tab shared with the extension, the extension holds the session.
    const connection = shared ? connect({ ...wiring, onStopped: () => stop() }) : createConnection({
      url,
      token,
      storeKey: KEYS.connection,
      client: 'page',
      // A new page has nothing on screen: ask for the whole stream.
      replayOnLoad: () => !state,
      ...wiring,
    });
    const capture = createCapture({
      send: (kind, stream, body) => connection.sendFrame(kind, stream, body), recordOptions: masking.recordOptions, blockSelector: HOST_SELECTOR, echo,
    });
    const apply = createControl({ mirror: () => capture.mirror, isMasked: masking.isMasked, isOurs: owns, echo });

    function render(s) {
      const you = s.you;
      if (s.state === 'waiting') widget.status(t('waiting'));
      else if (s.state === 'ended') widget.status(t('ended'));
      else widget.status(t('withRep', { name: s.primary ? nameOf(s.primary) : t('someone') }));
      if (s.state !== 'waiting') widget.position(null);
      widget.chatEnabled(s.state !== 'ended' && s.customer_chat !== false // a policy may turn chat off
        && s.participants.some((p) => p.kind === 'rep' && p.present));

      // This tab's cobrowse, a rep's own screen offered to the customer, and
      // (a website customer has no session page) what the Support Manager serves.
      const prompts = s.grants
        .filter((g) => g.grantor === you && g.state === 'pending' && g.direction === 'request'
          && g.scope === 'tab' && (g.kind === 'view' || g.kind === 'control'))
        .map((g) => ({ id: g.id, text: t(g.kind === 'view' ? 'grantView' : 'grantControl', { name: nameOf(g.requester) }) }))
        .concat(screen ? screen.prompts(s) : [], agent ? agent.prompts(s) : []);
      const mine = s.activities.filter((a) => a.sharer === you && a.scope === 'tab' && (a.kind === 'view' || a.kind === 'control'));
      // One banner per rep: control says more than view (Stop on it ends control; the view's banner comes back).
      const controlling = new Set(mine.filter((a) => a.kind === 'control').map((a) => a.peer));
      const banners = mine.filter((a) => a.grant != null && !(a.kind === 'view' && controlling.has(a.peer))).map((a) => ({
        key: a.id,
        grant: a.grant,
        text: t(a.kind === 'view' ? 'bannerView' : 'bannerControl', { name: nameOf(a.peer) }),
      }));
      if (agent) agent.update(s);
      if (files) files.update(s);
      widget.render({ prompts, banners: banners.concat(agent ? agent.banners(s) : []) });

      const control = mine.find((a) => a.kind === 'control');
      controlStream = control ? control.stream : null;
      controlPeer = control ? control.peer : null;

      const view = mine.find((a) => a.kind === 'view');
      const present = new Set(s.participants.filter((p) => p.kind === 'rep' && p.present).map((p) => p.pid));
      const joined = [...present].some((pid) => !reps.has(pid));
      reps = present;
      const recording = s.activities.find((a) => a.kind === 'recording');
      const recordingStarted = Boolean(recording) && recording.id !== recordingId;
      recordingId = recording ? recording.id : null;
      widget.recording(Boolean(recording) && s.state !== 'ended');
      clearTimeout(startTimer);
      if (!view) {
        capture.stop(); // at once: nothing more leaves this page
      } else if (capture.recording() && capture.stream === view.stream) {
        if (joined || recordingStarted) capture.snapshot();
      } else {
        // Deferred a tick: a replayed stream brings many states in a row.
        startTimer = setTimeout(() => { if (!over) capture.start(view.stream); }, 0);
      }
    }

    function finish(reason) {
      if (over) return;
      over = true;
      clearTimeout(startTimer);
      capture.stop();
      media.end();
      if (screen) screen.end();
      if (files) files.stop();
      connection.close();
      keep.forget();
      pointer.hide();
      session = null;
      widget.ended(t(ENDED.has(reason) ? reason : 'ended'));
      if (served && state && token) widget.survey(widgetSurvey(t, { relay: base, session: state.session, token }));
    }

    const handlers = {
      welcome(msg) { media.welcome(msg); if (screen) screen.welcome(msg); },
      session_state(msg) {
        state = msg;
        media.update(msg);
        if (screen) screen.update(msg);
        if (msg.participants.some((p) => p.kind === 'rep' && p.present)) served = true;
        render(msg);
        if (msg.state === 'ended') finish('ended');
      },
      queue_position(msg) {
        if (state && state.state !== 'waiting') return;
        widget.position(msg.position <= 1 ? t('positionNext') : t('position', { position: msg.position }));
      },
      chat_message(msg) {
        if (msg.reps_only || chat.some((line) => line.id === msg.id)) return;
        const line = { id: msg.id, name: msg.name, text: msg.text, mine: Boolean(state && msg.pid === state.you) };
        chat.push(line);
        keep.saveChat(chat);
        widget.chat(line);
      },
      signal(msg) {
        if (msg.data && msg.data.media) { media.signal(msg); return; } // media.js checks the sender
        if (screen) screen.signal(msg); // the sharing Support Manager's offers (desktop-stream.js checks the sender)
        const sender = state && state.participants.find((p) => p.pid === msg.sender);
        if (!sender || sender.kind !== 'rep' || !msg.data) return;
        // A viewer that joined without a full snapshot asks for one.
        if (msg.data.cobrowse === 'snapshot') { capture.snapshot(); return; }
        if (!('pointer' in msg.data)) return;
        if (msg.data.pointer == null) pointer.hide();
        else pointer.show(msg.data.pointer, sender.name || t('someone'));
      },
      session_ended(msg) { finish(msg.reason); },
      error(msg) {
        if (msg.code === 'resync' || msg.code === 'frames_skipped') return; // the relay sends the state afresh
        if (msg.code === 'unauthorized') { finish('ended'); return; }
        widget.error(t('error'));
      },
    };

    connection.open();
    window.addEventListener('online', () => connection.reconnectNow());

    return {
      send(type, fields) {
        if (!state || over) return;
        connection.send(type, { session: state.session, ...fields });
      },
      // Customer mode: the customer stopped sharing this tab (the session goes on).
      stop() {
        over = true;
        clearTimeout(startTimer);
        capture.stop();
        media.end();
        pointer.hide();
        connection.close();
      },
    };
  }

  function stop() {
    if (session) session.stop();
    session = null;
    removeHost();
    html.removeAttribute(MARK);
  }

  const stored = keep.session();
  if (shared) {
    session = join(null, null);
  } else if (stored && (stored.relay || relay)) {
    session = join(stored.token, stored.relay || relay);
  } else {
    widget.idle(Boolean(queue && relay));
  }
  if (relay) interceptHelpLinks(queue, (name) => (session ? widget.open() : ask(name)));
  return { stop };
}
