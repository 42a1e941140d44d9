// Download: a file of the customer's shared folder to the rep, as
// agent/transfer.py FileClient.download does it. `read` requests of WINDOW
// bytes, DEPTH in flight; chunks are kept in order only; when something was
// lost (a dropped connection, an interrupted read, a stall) the rest is asked
// for again from the last byte received, never from the start. The SHA-256 is
// computed as the bytes arrive (so no second copy of the file is made to hash
// it) and must equal the agent's digest at the end.
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex } from '@noble/hashes/utils';
import { FileError } from './files-channel.js';

export const WINDOW = 2 * 1024 * 1024;
export const DEPTH = 2; // WINDOW * DEPTH stays well under the relay's send queue per connection
const INTERRUPTED = 'interrupted:'; // agent/files.py INTERRUPTED

const HASH_SLICE = 4 * 1024 * 1024;

// The SHA-256 (hex) of a Blob or File, read a slice at a time: memory stays
// bounded whatever the file's size.
export async function sha256OfBlob(blob) {
  const hash = sha256.create();
  for (let at = 0; at < blob.size; at += HASH_SLICE) {
    hash.update(new Uint8Array(await blob.slice(at, at + HASH_SLICE).arrayBuffer()));
  }
  return bytesToHex(hash.digest());
}

function createSink(total, onProgress) {
  const hash = sha256.create();
  const sink = {
    parts: [],
    offset: 0,
    hex: () => bytesToHex(hash.digest()),
    chunk(offset, data) {
      if (offset !== sink.offset || sink.offset + data.length > total) return;
      const part = data.slice(); // a copy: the frame's buffer is not ours to keep
      sink.parts.push(part);
      hash.update(part);
      sink.offset += data.length;
      onProgress(sink.offset, total);
    },
  };
  return sink;
}

// Resolves a verified Blob of `path`; onProgress(done, total) in bytes.
export async function download(channel, path, { onProgress = () => {}, onVerifying = () => {} } = {}) {
  const total = (await channel.request('stat', path)).size;
  const sink = createSink(total, onProgress);
  onProgress(0, total);
  let digest = null;
  let nextAt = 0;
  const pending = [];
  try {
    for (;;) {
      while (pending.length < DEPTH && (nextAt < total || (digest === null && !pending.length))) {
        const size = Math.min(WINDOW, total - nextAt);
        pending.push({ req: channel.open('read', path, { offset: nextAt, size }, sink), end: nextAt + size });
        nextAt += size;
      }
      if (!pending.length) break;
      const { req, end } = pending[0];
      const reply = await channel.wait(req, () => sink.offset);
      pending.shift();
      req.close();
      if (reply && !reply.ok && !String(reply.error || '').startsWith(INTERRUPTED)) {
        throw new FileError(reply.error || 'refused', reply.code || 'refused');
      }
      if (reply && reply.ok) {
        if (reply.size !== total) throw new FileError(`${path} changed size while it was read`, 'verify');
        digest = reply.sha256 || digest;
      }
      if (sink.offset < end) { // something was lost: ask again from what arrived
        for (const p of pending) p.req.close();
        pending.length = 0;
        nextAt = sink.offset;
        digest = null;
      }
    }
  } finally {
    for (const p of pending) p.req.close();
  }
  onVerifying();
  const blob = new Blob(sink.parts);
  sink.parts.length = 0;
  const got = sink.hex();
  if (got !== digest) {
    throw new FileError(`SHA-256 ${got} does not match the Support Manager's ${digest}`, 'verify');
  }
  return { blob, sha256: got };
}
