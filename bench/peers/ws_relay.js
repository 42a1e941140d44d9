// A bare room relay on Node's `ws` package: the peer `bench/relay.py` measures
// Tandem's relay against. It does what bench/bare_relay.py does: one WebSocket
// route, /ws; the first text message names a room; after that every message,
// text or binary, goes to the room's other members as it is. No checks, no
// queues, no history.
//
//   node bench/peers/ws_relay.js --port 8100
//
// Started as `python -m server` starts Tandem: no permessage-deflate, and the
// same largest message (max(256 KiB, 1 MiB) + 64 bytes). With bufferutil, as
// ws's README advises for speed: without it ws unmasks in JavaScript, and a
// 64 KiB message costs the relay about 4x the CPU.
'use strict';

const { WebSocketServer } = require('ws');

const MAX_PAYLOAD = 1024 * 1024 + 64;

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

const rooms = new Map(); // name -> Set of sockets

const server = new WebSocketServer({
  host: option('host', '127.0.0.1'),
  port: Number(option('port', '8100')),
  path: '/ws',
  perMessageDeflate: false,
  maxPayload: MAX_PAYLOAD,
});

server.on('connection', (socket) => {
  let members = null;
  let name = null;
  socket.on('message', (data, isBinary) => {
    if (members === null) {
      name = data.toString();
      members = rooms.get(name) || new Set();
      rooms.set(name, members);
      members.add(socket);
      return;
    }
    for (const other of members) {
      if (other !== socket) other.send(data, { binary: isBinary });
    }
  });
  socket.on('close', () => {
    if (members === null) return;
    members.delete(socket);
    if (members.size === 0) rooms.delete(name);
  });
  socket.on('error', () => socket.terminate());
});

server.on('listening', () => console.log(`ws relay on ${JSON.stringify(server.address())}`));

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    for (const client of server.clients) client.terminate();
    server.close(() => process.exit(0));
  });
}
