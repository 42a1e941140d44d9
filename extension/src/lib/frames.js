// Binary stream frames (server/protocol/frames.py FRAME_HEADER, "!BII"): kind (u8),
// stream (u32, the activity id), seq (u32), then an opaque body. Client to
// relay, seq is the client's message counter (shared with its JSON messages);
// relay to client, it is the receiver's stream position.
import { FRAME_HEADER_SIZE, STREAM_KINDS } from '../generated/protocol.js';

export const KIND = STREAM_KINDS;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeFrame(kind, stream, seq, body) {
  const bytes = typeof body === 'string' ? encoder.encode(body) : new Uint8Array(body);
  const out = new Uint8Array(FRAME_HEADER_SIZE + bytes.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, kind);
  view.setUint32(1, stream);
  view.setUint32(5, seq);
  out.set(bytes, FRAME_HEADER_SIZE);
  return out.buffer;
}

export function decodeFrame(buffer) {
  const view = new DataView(buffer);
  return {
    kind: view.getUint8(0),
    stream: view.getUint32(1),
    seq: view.getUint32(5),
    body: new Uint8Array(buffer, FRAME_HEADER_SIZE),
  };
}

// Cobrowse and control bodies are UTF-8 JSON.
export const encodeJson = (value) => encoder.encode(JSON.stringify(value));
export const decodeJson = (body) => JSON.parse(decoder.decode(body));
