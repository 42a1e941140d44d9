// In the background: the relay connection of the tab a customer shares with
// the extension. It lives here, not in the tab, so that it survives the tab's
// navigations and speaks from the extension's origin (a web page's own origin
// could not open the relay's WebSocket). The tab's content script talks to it
// over a port (port-connection.js): each new page of the tab gets the last
// welcome, chat lines and session state, then the live stream.
//
// Port messages, background -> tab: {status}, {msg} (a relay text message),
// {frame: {kind, stream, seq, text}} (CONTROL only), {lost: true} (a frame
// could not leave: the page should resend a full snapshot), {stopped: reason}.
// Tab -> background: {send: [type, fields]}, {frame: {kind, stream, text}}.
import { createConnection } from '../lib/connection.js';
import { KIND } from '../lib/frames.js';

const CHAT_MAX = 200;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function memoryStorage() {
  const data = new Map();
  return {
    getItem: (k) => (data.has(k) ? data.get(k) : null),
    setItem: (k, v) => { data.set(k, String(v)); },
    removeItem: (k) => { data.delete(k); },
  };
}

// onState(msg): every session_state; onEnded(reason): the customer is out of
// the session; onControl(seq): a CONTROL frame went to the tab (kept so a
// restarted service worker does not apply a replayed one again);
// onUnanswered(signal): a rep asked for a snapshot while no page of the tab
// is there to answer.
export function createRelayLink({ onState = () => {}, onEnded = () => {}, onControl = () => {}, onUnanswered = () => {} } = {}) {
  let link = null;

  function post(port, value) {
    try { port.postMessage(value); } catch (_) { link && link.ports.delete(port); }
  }
  const broadcast = (value) => { if (link) for (const port of [...link.ports]) post(port, value); };

  function start(share) {
    stop('replaced');
    const l = { share, ports: new Set(), status: 'connecting', welcome: null, state: null, chat: [], controlSeq: share.controlSeq || 0 };
    link = l;
    l.connection = createConnection({
      url: share.relay.replace(/^http/, 'ws') + '/ws',
      token: share.token,
      storeKey: 'share',
      storage: memoryStorage(),
      client: 'page',
      replayOnLoad: () => !l.state,
      onStatus: (status) => {
        l.status = status;
        if (link === l) broadcast({ status });
        if (status === 'unauthorized' && link === l) { onEnded('ended'); stop('ended'); }
      },
      onMessage: (msg) => {
        if (link !== l) return;
        if (msg.type === 'welcome') l.welcome = msg;
        else if (msg.type === 'session_state') { l.state = msg; onState(msg); } else if (msg.type === 'chat_message') {
          if (l.chat.some((m) => m.id === msg.id)) return;
          l.chat.push(msg);
          if (l.chat.length > CHAT_MAX) l.chat.shift();
        }
        broadcast({ msg });
        if (msg.type === 'signal' && msg.data && msg.data.cobrowse === 'snapshot' && !l.ports.size) onUnanswered(msg);
        if (msg.type === 'session_ended' || (msg.type === 'session_state' && msg.state === 'ended')) {
          onEnded(msg.reason || 'ended');
          stop(null);
        }
      },
      onFrame: (frame) => {
        if (link !== l || frame.kind !== KIND.control || frame.seq <= l.controlSeq) return;
        l.controlSeq = frame.seq;
        onControl(frame.seq);
        broadcast({ frame: { kind: frame.kind, stream: frame.stream, seq: frame.seq, text: decoder.decode(frame.body) } });
      },
    });
    l.connection.open();
  }

  // A page of the shared tab connected: bring it up to date, then relay.
  function attach(port) {
    if (!link) { post(port, { stopped: 'none' }); return; }
    const l = link;
    l.ports.add(port);
    post(port, { status: l.status });
    if (l.welcome) post(port, { msg: l.welcome });
    for (const msg of l.chat) post(port, { msg });
    if (l.state) post(port, { msg: l.state });
    port.onMessage.addListener((value) => {
      if (link !== l || !value) return;
      if (Array.isArray(value.send) && typeof value.send[0] === 'string') {
        l.connection.send(value.send[0], value.send[1] || {});
      } else if (value.frame && typeof value.frame.text === 'string') {
        const { kind, stream, text } = value.frame;
        if (!l.connection.sendFrame(kind, stream, encoder.encode(text))) post(port, { lost: true });
      }
    });
    port.onDisconnect.addListener(() => l.ports.delete(port));
  }

  function stop(reason) {
    if (!link) return;
    const l = link;
    link = null;
    if (reason) for (const port of l.ports) post(port, { stopped: reason });
    for (const port of l.ports) { try { port.disconnect(); } catch (_) { /* gone */ } }
    l.connection.close();
  }

  return {
    start,
    attach,
    stop,
    running: () => Boolean(link),
    token: () => (link ? link.share.token : null),
    state: () => (link ? link.state : null),
    // Says something to the relay as the customer (the share page's Leave).
    send: (type, fields) => { if (link) link.connection.send(type, fields); },
  };
}
