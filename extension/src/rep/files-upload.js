// Upload: a file of the rep's to the customer's shared folder, as
// agent/transfer.py FileClient.upload does it. `write path offset size` opens
// the agent's partial file and says where to go on; FILE frames follow in
// order, at most WINDOW * DEPTH bytes ahead of the agent's acknowledgements.
// After a dropped connection or a stall, `write` again from the last
// acknowledged offset. Then the commit (`write` with offset = size and the
// SHA-256): the agent saves the file only when the digest matches.
import { FILE_CHUNK_SIZE as CHUNK_SIZE } from '../generated/protocol.js';
import { FileError, TIMEOUT_MS } from './files-channel.js';
import { DEPTH, WINDOW, sha256OfBlob } from './files-download.js';

const RETRY = Symbol('retry');

// One attempt from `offset`. Resolves { acked, complete }.
async function sendFrom(channel, file, path, total, offset, onProgress) {
  const since = channel.connects;
  const req = channel.open('write', path, { offset, size: total });
  let acked = null;
  const absorb = () => {
    while (req.replies.length) {
      const reply = req.replies.shift();
      if (!reply.ok) throw new FileError(reply.error || 'refused', reply.code || 'refused');
      if (acked === null || reply.size > acked) acked = reply.size;
    }
  };
  const until = async (cond) => {
    let seen = acked;
    let movedAt = Date.now();
    for (;;) {
      absorb();
      if (cond()) return;
      if (channel.ended) throw new FileError(channel.ended, 'ended');
      if (channel.connects !== since) throw RETRY;
      if (acked !== seen) { seen = acked; movedAt = Date.now(); }
      const left = TIMEOUT_MS - (Date.now() - movedAt);
      if (left <= 0) throw RETRY; // stalled: resume from the last acknowledgement
      await channel.changed(left);
    }
  };
  try {
    await until(() => acked !== null);
    let pos = acked;
    onProgress(acked, total);
    while (pos < total || acked < total) {
      absorb();
      if (pos < total && pos - acked < WINDOW * DEPTH) {
        const data = new Uint8Array(await file.slice(pos, pos + CHUNK_SIZE).arrayBuffer());
        if (!channel.sendChunk(req.rids[0], pos, data)) throw RETRY;
        pos += data.length;
        continue;
      }
      const before = acked;
      await until(() => acked > before);
      onProgress(acked, total);
    }
    return { acked, complete: true };
  } catch (err) {
    if (err === RETRY) return { acked: acked === null ? offset : acked, complete: false };
    throw err;
  } finally {
    req.close();
  }
}

async function commit(channel, path, total, digest) {
  for (;;) {
    const req = channel.open('write', path, { offset: total, size: total, sha256: digest });
    try {
      const reply = await channel.wait(req);
      if (reply) return reply;
    } finally {
      req.close();
    }
  }
}

async function connected(channel) {
  while (!channel.ready()) {
    if (channel.ended) throw new FileError(channel.ended, 'ended');
    await channel.changed(1000);
  }
}

// Resolves the SHA-256 once the agent has verified it and saved the file;
// onProgress(done, total) in bytes the agent acknowledged.
export async function upload(channel, file, path, { onProgress = () => {}, onVerifying = () => {} } = {}) {
  const total = file.size;
  onVerifying();
  const digest = await sha256OfBlob(file);
  let acked = 0;
  for (;;) {
    const attempt = await sendFrom(channel, file, path, total, acked, onProgress);
    acked = attempt.acked;
    if (!attempt.complete) {
      await connected(channel);
      continue;
    }
    onVerifying();
    const reply = await commit(channel, path, total, digest);
    if (reply.ok) return digest;
    if (reply.size == null) { // a mismatch: the agent dropped the partial file
      const verify = /SHA-256/.test(reply.error || '');
      throw new FileError(reply.error || 'refused', verify ? 'verify' : reply.code || 'refused');
    }
    acked = reply.size;
  }
}
