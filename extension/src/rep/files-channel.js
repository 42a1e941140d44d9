// The rep's end of one files activity: `file_request`s to the customer's
// Support Manager (agent/files.py) and their `file_reply`s, matched by request
// id, and the FILE frames of its stream, whose body is CHUNK (u32 request id,
// u64 offset) then the bytes. The same wire sequence as agent/transfer.py.
//
// A request (`open`) collects its replies (a write gets several: the open,
// then acknowledgements). `wait` returns a reply, or null when the connection
// came back or nothing moved for TIMEOUT_MS: the caller then asks again from
// what arrived. When the activity ends (the grant was revoked), every wait
// throws FileError code 'ended'.
import { FILE_CHUNK_HEADER_SIZE as CHUNK_HEADER, STREAM_KINDS } from '../generated/protocol.js';

export const TIMEOUT_MS = 10000;
const FILE_KIND = STREAM_KINDS.file;

export class FileError extends Error {
  constructor(message, code = 'refused') {
    super(message);
    this.code = code;
  }
}

export function createFileChannel({ sessionId, connection }) {
  let activity = null;
  let ended = null; // why the activity is over, or null
  let connects = 0; // welcomes seen: a change means the connection came back
  let nextId = Math.floor(Math.random() * 2 ** 30) + 1;
  const byRid = new Map(); // request id -> request
  const bySeq = new Map(); // client seq of the message -> request (relay errors carry it)
  let waiters = [];

  function notify() {
    const now = waiters;
    waiters = [];
    for (const wake of now) wake();
  }

  // Resolves true at the next reply, frame, reconnect or end; false after `ms`.
  function changed(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { waiters = waiters.filter((w) => w !== wake); resolve(false); }, ms);
      const wake = () => { clearTimeout(timer); resolve(true); };
      waiters.push(wake);
    });
  }

  function send(req, op, path, fields) {
    const rid = nextId++;
    req.rids.push(rid);
    byRid.set(rid, req);
    const msg = { session: sessionId, activity, request: rid, op, path };
    for (const [key, value] of Object.entries(fields || {})) if (value != null) msg[key] = value;
    bySeq.set(connection().send('file_request', msg), req);
    return rid;
  }

  function open(op, path, fields, sink = null) {
    if (ended) throw new FileError(ended, 'ended');
    const req = { rids: [], replies: [], sink, close: () => forget(req) };
    send(req, op, path, fields);
    return req;
  }

  function forget(req) {
    for (const rid of req.rids) byRid.delete(rid);
    for (const [seq, r] of bySeq) if (r === req) bySeq.delete(seq);
  }

  // The next reply of `req`; null when the connection came back, or when
  // progress() (bytes received) stood still for TIMEOUT_MS.
  async function wait(req, progress = () => null) {
    const since = connects;
    let before = progress();
    let movedAt = Date.now();
    for (;;) {
      if (req.replies.length) return req.replies.shift();
      if (ended) throw new FileError(ended, 'ended');
      if (connects !== since) return null;
      const now = progress();
      if (now !== before) { before = now; movedAt = Date.now(); }
      const left = TIMEOUT_MS - (Date.now() - movedAt);
      if (left <= 0) return null;
      await changed(left);
    }
  }

  // One request and its reply; asks again when it is lost. A refusal throws.
  async function request(op, path, fields) {
    const req = open(op, path, fields);
    try {
      for (;;) {
        const reply = await wait(req);
        if (reply && !reply.ok) throw new FileError(reply.error || 'refused', reply.code || 'refused');
        if (reply) return reply;
        send(req, op, path, fields); // an earlier attempt's reply is taken too
      }
    } finally {
      req.close();
    }
  }

  function sendChunk(rid, offset, data) {
    const body = new Uint8Array(CHUNK_HEADER + data.length);
    const view = new DataView(body.buffer);
    view.setUint32(0, rid);
    view.setBigUint64(4, BigInt(offset));
    body.set(data, CHUNK_HEADER);
    return connection().sendFrame(FILE_KIND, activity, body);
  }

  return {
    open,
    wait,
    request,
    sendChunk,
    changed,
    get activity() { return activity; },
    get ended() { return ended; },
    get connects() { return connects; },
    ready: () => Boolean(connection() && connection().isReady()),
    // A (new) live files activity: requests go to it from now on.
    start(id) { activity = id; ended = null; notify(); },
    // The activity is over: every transfer stops with `why`.
    end(why) { if (!ended) { ended = why; notify(); } },
    onConnected() { connects += 1; notify(); },
    onFileMessage(msg) {
      const reply = msg.message;
      if (!reply || reply.type !== 'file_reply' || reply.activity !== activity) return;
      const req = byRid.get(reply.request);
      if (req) { req.replies.push(reply); notify(); }
    },
    // A refused file_request (ref: its seq): its request gets the relay's words.
    onRelayError(msg) {
      const req = msg.ref != null && bySeq.get(msg.ref);
      if (!req) return false;
      bySeq.delete(msg.ref);
      req.replies.push({ ok: false, error: msg.message, code: msg.code === 'not_allowed' ? 'ended' : 'refused' });
      notify();
      return true;
    },
    onFrame(frame) {
      if (frame.kind !== FILE_KIND || frame.stream !== activity || frame.body.length < CHUNK_HEADER) return;
      const view = new DataView(frame.body.buffer, frame.body.byteOffset, CHUNK_HEADER);
      const req = byRid.get(view.getUint32(0));
      if (!req || !req.sink) return;
      req.sink.chunk(Number(view.getBigUint64(4)), frame.body.subarray(CHUNK_HEADER));
      notify();
    },
  };
}
