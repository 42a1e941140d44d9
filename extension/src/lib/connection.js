// One connection to the relay (server/protocol/) that survives drops: the
// transport shared by the customer page, the rep console and, bundled by
// esbuild, the extension. No DOM and no globals of its own: the page hands in
// the URL and wires its own events (see `reconnectNow`).
//
// Delivery: every message sent carries this client's `seq` and stays in an
// outbox until a `welcome` confirms it (`client_seq`); after a drop the
// connection reconnects with backoff, hands back the previous welcome's
// `resume` id with the last relay `seq` it saw (`last_seq`), and resends
// whatever was not processed. A ping every 20 s keeps the socket honest.
// Counters, resume id and outbox survive a reload in storage under `storeKey`.
//
//   const connection = createConnection({
//     url,            // ws:// or wss:// URL of the relay's WebSocket
//     token,          // rep sign-in token or customer capability token
//     storeKey,       // storage key for counters, resume id and outbox
//     client,         // 'page' (default) or 'extension': the hello's `client`
//     replayOnLoad,   // see below; default false
//     storage,        // Storage-like { getItem, setItem, removeItem };
//                     // default sessionStorage when there is one, null: none
//     onMessage,      // (msg) => void: every relay text message, welcome and
//                     // error included, after the connection has handled it
//     onFrame,        // ({kind, stream, seq, body}) => void: every binary
//                     // stream frame (body: Uint8Array), see sendFrame
//     onStatus,       // (state) => void: 'connected' (welcomed),
//                     // 'reconnecting' (a retry is scheduled),
//                     // 'unauthorized' or 'closed' (stopped for good)
//   });
//   connection.open();                       // connect (once, after wiring up)
//   connection.send(type, fields)            // queue a message; returns its seq
//   connection.sendFrame(kind, stream, body) // a binary stream frame (cobrowse
//                                            // events, control input): not
//                                            // queued; false when not connected
//   connection.close()                       // stop for good, forget the stream
//   connection.reconnectNow()                // skip the backoff (back online)
//   connection.isReady()                     // welcomed on the current socket
//
// `replayOnLoad` says what a freshly loaded page asks for. false: resume after
// the relay seq it stored before the reload. true: the whole stream (last_seq
// 0) until this page has been welcomed once. A function is asked at every
// hello and returns true while the whole stream is wanted (e.g. while nothing
// is on screen yet).
//
// An `error` with code `unauthorized` closes the connection for good
// (status 'unauthorized'); any refused message (`ref`) leaves the outbox.

const PING_MS = 20000;
const SILENCE_MS = 50000; // no answer to two pings: the socket is dead
const BACKOFF_MAX_MS = 15000;
const OUTBOX_MAX = 200;
const OPEN = 1; // WebSocket.OPEN
const FRAME_HEADER = 9; // server/protocol/frames.py FRAME_HEADER "!BII"

export function createConnection({
  url,
  token,
  storeKey,
  client = 'page',
  replayOnLoad = false,
  storage,
  onMessage = () => {},
  onFrame = () => {},
  onStatus = () => {},
}) {
  // Resolved inside try blocks: merely touching sessionStorage may throw.
  const store = () => (storage === undefined ? globalThis.sessionStorage : storage);

  function readStore() {
    try { return JSON.parse(store().getItem(storeKey)) || {}; } catch (_) { return {}; }
  }

  const stored = readStore();
  let seq = Number.isInteger(stored.seq) ? stored.seq : 0; // this client's counter
  let lastSeq = Number.isInteger(stored.lastSeq) ? stored.lastSeq : 0; // last relay seq seen
  let resume = typeof stored.resume === 'string' ? stored.resume : null; // from the last welcome
  // Not yet confirmed: { msg, sent } where `sent` says whether it ever left this client.
  let outbox = Array.isArray(stored.outbox) ? stored.outbox.filter((e) => e && e.msg) : [];

  let ws = null;
  let ready = false; // welcome received on the current socket
  let welcomedOnce = false; // on this page load
  let finished = false; // closed for good: never reconnect
  let attempt = 0;
  let retryTimer = null;
  let pingTimer = null;
  let saveTimer = null;
  let lastHeard = 0;

  function save() {
    try {
      store().setItem(storeKey, JSON.stringify({ seq, lastSeq, resume, outbox: outbox.slice(-OUTBOX_MAX) }));
    } catch (_) { /* private mode or full: resume still works within this page */ }
  }

  function transmit(msg) {
    if (!ready || !ws || ws.readyState !== OPEN) return false;
    ws.send(JSON.stringify(msg));
    return true;
  }

  // Queue a message for the relay; it is (re)sent until a welcome confirms it.
  function send(type, fields) {
    const entry = { msg: Object.assign({ type, seq: ++seq }, fields), sent: false };
    outbox.push(entry);
    if (outbox.length > OUTBOX_MAX) outbox.shift();
    entry.sent = transmit(entry.msg);
    save();
    return entry.msg.seq;
  }

  // Binary frames (server/protocol/frames.py FRAME_HEADER "!BII": kind, stream, seq)
  // share the client seq with messages. They are a live stream, so they are
  // not queued for resending: whoever sends them resyncs after a drop (rrweb
  // takes a fresh full snapshot).
  function sendFrame(kind, stream, body) {
    if (!ready || !ws || ws.readyState !== OPEN) return false;
    const bytes = body instanceof Uint8Array ? body : new Uint8Array(body);
    const frame = new Uint8Array(FRAME_HEADER + bytes.length);
    const view = new DataView(frame.buffer);
    view.setUint8(0, kind);
    view.setUint32(1, stream);
    view.setUint32(5, ++seq);
    frame.set(bytes, FRAME_HEADER);
    ws.send(frame.buffer);
    saveSoon();
    return true;
  }

  function saveSoon() {
    if (!saveTimer) saveTimer = setTimeout(() => { saveTimer = null; save(); }, 500);
  }

  function startPing() {
    stopPing();
    pingTimer = setInterval(() => {
      if (Date.now() - lastHeard > SILENCE_MS) { if (ws) ws.close(); return; }
      // A ping is not worth resending: it takes a seq but skips the outbox.
      transmit({ type: 'ping', seq: ++seq });
      save();
    }, PING_MS);
  }

  function stopPing() { clearInterval(pingTimer); pingTimer = null; }

  function welcomed(msg) {
    ready = true;
    welcomedOnce = true;
    attempt = 0;
    if (typeof msg.resume === 'string') resume = msg.resume;
    // never reuse a seq the relay has processed (frames since the last save)
    if (Number.isInteger(msg.client_seq) && msg.client_seq > seq) seq = msg.client_seq;
    if (msg.resumed) {
      const confirmed = Number.isInteger(msg.client_seq) ? msg.client_seq : 0;
      outbox = outbox.filter((e) => e.msg.seq > confirmed);
    } else {
      // A fresh stream (first visit, resume window over, relay restarted):
      // what was sent may or may not have been processed, so only what
      // never left this client is replayed.
      outbox = outbox.filter((e) => !e.sent);
    }
    // Not processed, so safe to renumber: the resends follow this hello.
    for (const e of outbox) { e.msg.seq = ++seq; e.sent = transmit(e.msg); }
    save();
    startPing();
    onStatus('connected');
  }

  function refused(msg) {
    if (msg.ref != null) outbox = outbox.filter((e) => e.msg.seq !== msg.ref); // never resend
    save();
    if (msg.code === 'unauthorized') close('unauthorized');
  }

  function receive(event) {
    if (typeof event.data !== 'string') {
      if (!(event.data instanceof ArrayBuffer) || event.data.byteLength < FRAME_HEADER) return;
      const view = new DataView(event.data);
      const frame = { kind: view.getUint8(0), stream: view.getUint32(1), seq: view.getUint32(5),
        body: new Uint8Array(event.data, FRAME_HEADER) };
      lastHeard = Date.now();
      if (frame.seq > lastSeq) { lastSeq = frame.seq; saveSoon(); }
      onFrame(frame);
      return;
    }
    let msg;
    try { msg = JSON.parse(event.data); } catch (_) { return; }
    if (!msg || typeof msg.type !== 'string') return;
    lastHeard = Date.now();
    if (msg.type === 'welcome' && msg.resumed === false) lastSeq = 0; // a new stream
    if (Number.isInteger(msg.seq) && msg.seq > lastSeq) { lastSeq = msg.seq; save(); }
    if (msg.type === 'welcome') welcomed(msg);
    else if (msg.type === 'error') refused(msg);
    onMessage(msg);
  }

  function wantsWholeStream() {
    if (typeof replayOnLoad === 'function') return Boolean(replayOnLoad());
    return Boolean(replayOnLoad) && !welcomedOnce;
  }

  function open() {
    retryTimer = null;
    if (finished) return;
    let socket;
    try { socket = new globalThis.WebSocket(url); } catch (_) { scheduleReconnect(); return; }
    ws = socket;
    socket.binaryType = 'arraybuffer';
    ready = false;
    socket.addEventListener('open', () => {
      lastHeard = Date.now();
      const hello = { type: 'hello', seq: ++seq, token, last_seq: wantsWholeStream() ? 0 : lastSeq, client };
      if (resume) hello.resume = resume;
      socket.send(JSON.stringify(hello));
      save();
    });
    socket.addEventListener('message', (event) => { if (socket === ws) receive(event); });
    socket.addEventListener('close', () => {
      if (socket !== ws) return;
      ws = null;
      ready = false;
      stopPing();
      if (!finished) scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    if (finished || retryTimer) return;
    const delay = Math.min(1000 * 2 ** attempt, BACKOFF_MAX_MS);
    attempt += 1;
    onStatus('reconnecting');
    retryTimer = setTimeout(open, delay);
  }

  // Waiting out the backoff: try at once (the page calls this when back online).
  function reconnectNow() {
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; attempt = 0; open(); }
  }

  // Stop for good (session over, signed out): never reconnect, forget the stream.
  function close(reason) {
    if (finished) return;
    finished = true;
    clearTimeout(retryTimer);
    stopPing();
    if (ws) ws.close(1000);
    outbox = [];
    try { store().removeItem(storeKey); } catch (_) { /* nothing to forget */ }
    onStatus(reason || 'closed');
  }

  return { open, send, sendFrame, close, reconnectNow, isReady: () => ready };
}
