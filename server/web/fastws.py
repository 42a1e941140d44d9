"""`/ws` on picows, in front of the ASGI app.

The relay's HTTP protocol (`http_limits.header_timeout_protocol`) hands a
WebSocket upgrade for `/ws` to picows instead of uvicorn's WebSocket protocol
and the ASGI app: picows parses and writes frames in C, and a `Connection`
reads them from `FastSocket` and writes to it directly, with no ASGI message
dicts, no queue between the server and the app and no writer task per
connection. Every other request, WebSocket or not, goes to the standard ASGI
app as before, and `/ws` there (`ws.ws_endpoint`) still serves any other ASGI
server and the in-process tests. Both paths run the same `Connection`: the
same hello, checks, rate limits, sequence numbers and resume.

uvicorn finds the relay in the lifespan state (`RELAY`), which the app's
lifespan yields.
"""

from __future__ import annotations

import asyncio
import logging
import struct

import httptools
from picows import WSAutoPingStrategy, WSCloseCode, WSListener, WSMsgType, WSUpgradeResponse
from picows.picows import WSProtocol  # what picows.ws_create_server makes per connection

from ..protocol import FRAME_HEADER
from .http_limits import header_timeout_protocol
from .origins import websocket_origin_allowed
from .wire import EMPTY, frame_head, on_the_wire
from .ws import Connection

log = logging.getLogger(__name__)

RELAY = "tandem.relay"
"""The lifespan state key holding the process's `Relay`."""

READ_AHEAD = 64
"""Messages read ahead of the connection's task before the socket stops reading."""

READ_BUFFER = 2048
"""A socket's first read buffer: picows's least. It grows as a frame needs and
never shrinks; most sockets read small frames (a rep's input, a customer's
page changes), and with thousands of them each KiB counts."""

_TEXT, _BINARY, _CONTINUATION, _CLOSE = WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CONTINUATION, WSMsgType.CLOSE
_HEAD16, _HEAD64 = struct.Struct("!BBH"), struct.Struct("!BBQ")
_FIN_TEXT, _FIN_BINARY = 0x81, 0x82  # a whole message, as a server sends it: unmasked
_SEQ_AT = FRAME_HEADER.size - 4  # a frame header's kind and stream, then its seq (u32)
_BINARY7 = struct.Struct(f"!BB{_SEQ_AT}sI")
_BINARY16 = struct.Struct(f"!BBH{_SEQ_AT}sI")
"""The heads of binary frames under 65,536 bytes in one go: the WebSocket
header (its length in 7 bits below 126 bytes, in 16 bits from there), then
the frame header's kind and stream with the receiver's seq."""
COPY_BELOW = 4096
"""A payload shorter than this leaves in one piece with its header (`_wire`)."""


def _ws_header(first: int, n: int) -> bytes:
    """A WebSocket frame's header for a payload of `n` bytes (RFC 6455, 5.2)."""
    if n < 126:
        return bytes((first, n))
    return _HEAD16.pack(first, 126, n) if n < 65536 else _HEAD64.pack(first, 127, n)


def _wire(seq: int | None, payload: str | bytes) -> tuple[bytes] | tuple[bytes, bytes | memoryview]:
    """What a client is sent for a payload of its stream (`ws.on_the_wire`):
    one bytes object for a small payload, whose copy costs less than keeping
    its parts apart; else two parts, the WebSocket header with a binary frame's
    own header, then the rest of the payload as it is kept, not copied."""
    if isinstance(payload, str):
        data = on_the_wire(seq, payload).encode()
        head = _ws_header(_FIN_TEXT, len(data))
        return (head + data,) if len(data) < COPY_BELOW else (head, data)
    n = len(payload)
    if n < 126:
        return (_BINARY7.pack(_FIN_BINARY, n, payload[:_SEQ_AT], seq) + payload[FRAME_HEADER.size:],)
    if n < COPY_BELOW:
        return (_BINARY16.pack(_FIN_BINARY, 126, n, payload[:_SEQ_AT], seq) + payload[FRAME_HEADER.size:],)
    if n < 65536:
        head = _BINARY16.pack(_FIN_BINARY, 126, n, payload[:_SEQ_AT], seq)
    else:
        head = _ws_header(_FIN_BINARY, n) + frame_head(seq, payload)
    return head, memoryview(payload)[FRAME_HEADER.size:]


logging.getLogger("picows.server").setLevel(logging.WARNING)  # it says every connection and disconnection at INFO
# an adapter, not a Logger: of a Logger picows makes a child Logger per connection (memory per socket)
_picows_log = logging.LoggerAdapter(logging.getLogger("picows.server"), {})


_corked: list[FastSocket] = []
"""Sockets with writes waiting for the end of this turn of the loop (`FastSocket.direct`)."""


def _uncork() -> None:
    while _corked:
        socks = _corked[:]
        del _corked[:]
        for sock in socks:
            try:
                sock.flush()
            except Exception:  # one broken socket must not keep the others' writes
                log.exception("could not write to a /ws client: closing it")
                sock.transport.disconnect()


class _Keepalive:
    """Pings for the idle `/ws` clients of one loop, from one timer: every
    ``ping_interval`` it counts each socket's sweeps without a frame from its
    client. After one it is pinged; after two (no answer, not even a pong, for a
    whole interval) it is closed as gone. One timer for all sockets, not a task
    per socket as picows's own auto-ping has (its task, coroutine and timer:
    ~1.4 kB a connection)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float) -> None:
        self.loop, self.interval = loop, interval
        self.sockets: set[FastSocket] = set()
        self.handle: asyncio.TimerHandle | None = None

    def add(self, sock: FastSocket) -> None:
        self.sockets.add(sock)
        if self.handle is None:
            self.handle = self.loop.call_later(self.interval, self.sweep)

    def sweep(self) -> None:
        self.handle = None
        for sock in list(self.sockets):
            quiet = sock.quiet = sock.quiet + 1
            try:
                if quiet == 2:
                    if not sock.transport.is_close_frame_sent and not sock.out.is_closing():
                        sock.transport.send_ping()
                elif quiet > 2:
                    log.info("closing a /ws client that did not answer a ping for %g s", self.interval)
                    self.sockets.discard(sock)
                    sock.gone_silent()
            except Exception:  # one broken socket must not stop the pings of the others
                log.exception("could not ping a /ws client: closing it")
                self.sockets.discard(sock)
                sock.out.abort()
        if self.sockets:
            self.handle = self.loop.call_later(self.interval, self.sweep)


_keepalives: dict[asyncio.AbstractEventLoop, _Keepalive] = {}
"""One per loop serving `/ws` (one in a relay process)."""


def _keepalive(interval: float) -> _Keepalive:
    loop = asyncio.get_running_loop()
    k = _keepalives.get(loop)
    if k is None:
        k = _keepalives[loop] = _Keepalive(loop, interval)
    return k


class FastSocket(WSListener):
    """One `/ws` client on picows, as a `Connection`'s socket (see
    `ws.AsgiSocket`). Frames arrive in `on_ws_frame` and wait in `inbox` for
    the connection's task; past `READ_AHEAD` of them the socket stops reading
    until the task catches up, so a client cannot grow the relay's memory by
    sending faster than it is served. Writes are corked until the end of the
    loop's turn (`direct`): what a turn sends to one client (frames of several
    customers to their rep, a burst the sender's socket had for the reader)
    leaves in one write, one system call. A client whose unread backlog
    passes the send budget (``Settings.send_queue_bytes``) is a slow
    receiver, as with the ASGI path."""

    __slots__ = ("relay", "connections", "transport", "out", "inbox", "waiter", "gone", "paused", "backlogged", "frames", "parts",
                 "parts_kind", "parts_size", "max_size", "send_budget", "task", "pending", "quiet", "keepalive")

    def __init__(self, relay, connections: set) -> None:
        super().__init__()
        self.relay = relay
        self.connections = connections  # uvicorn's: closed with 1012 when the server stops
        self.transport = None
        self.out = None
        self.inbox: list[str | bytes] = []  # a list: a deque's first block is 600 bytes, and this stays short
        self.waiter: asyncio.Future | None = None
        self.gone = False
        self.paused = False
        self.backlogged = False
        self.frames = None  # Connection.frame, once welcomed on one relay process
        self.parts: list[bytes] | None = None  # a fragmented message being put together
        self.parts_kind = _BINARY
        self.parts_size = 0
        s = relay.settings
        self.max_size = max(s.max_message_bytes, s.max_binary_bytes) + 64
        self.send_budget = s.send_queue_bytes
        self.task: asyncio.Task | None = None
        self.pending: list | None = None  # corked writes (`direct`): seq, payload, seq, payload, …
        self.quiet = 0  # sweeps of `_Keepalive` since the client's last frame
        self.keepalive: _Keepalive | None = None

    # --- picows -------------------------------------------------------------

    def on_ws_connected(self, transport) -> None:
        self.transport = transport
        self.out = transport.underlying_transport
        # picows keeps the upgrade's request and response for the connection's
        # life; nothing reads their headers after the upgrade (~2 kB a connection)
        for message in (transport.request, transport.response):
            headers = getattr(message, "headers", None)
            if headers is not None:
                headers.clear()
        self.connections.add(self)
        self.keepalive = _keepalive(self.relay.settings.ping_interval)
        self.keepalive.add(self)
        self.task = asyncio.get_running_loop().create_task(Connection(self, self.relay).run())

    def on_ws_frame(self, transport, frame) -> None:
        self.quiet = 0
        kind = frame.msg_type
        if kind is _BINARY or kind is _TEXT:
            if self.parts is not None:
                self._fail(1002, "a new message began inside a fragmented one")
            elif frame.fin:
                data = frame.get_payload_as_bytes()
                if kind is _BINARY and self.frames is not None and self.waiter is not None and not self.inbox:
                    # the connection's task waits for a message: nothing is ahead of this frame
                    self.frames(data)
                else:
                    self._push(kind, data)
            else:
                self.parts, self.parts_kind = [frame.get_payload_as_bytes()], kind
                self.parts_size = len(self.parts[0])
        elif kind is _CONTINUATION:
            if self.parts is None:
                self._fail(1002, "a continuation frame with no message to continue")
                return
            part = frame.get_payload_as_bytes()
            self.parts.append(part)
            self.parts_size += len(part)
            if self.parts_size > self.max_size:
                self._fail(1009, f"messages are limited to {self.max_size} bytes")
            elif frame.fin:
                data, self.parts = b"".join(self.parts), None
                self._push(self.parts_kind, data)
        elif kind is _CLOSE:
            self.flush()
            if not transport.is_close_frame_sent:
                transport.send_close(frame.get_close_code())
            transport.disconnect()
        # PING is answered by picows; a PONG says the client is there (`quiet`)

    def on_ws_disconnected(self, transport) -> None:
        self.gone = True
        self.connections.discard(self)
        if self.keepalive is not None:
            self.keepalive.sockets.discard(self)
        self._wake()

    def pause_writing(self) -> None:
        self.backlogged = True  # the socket's buffer passed its high-water mark: `direct` watches the budget

    def resume_writing(self) -> None:
        self.backlogged = False

    # --- for uvicorn ----------------------------------------------------------

    def shutdown(self) -> None:
        """The server is stopping: the client resumes elsewhere or later."""
        self._fail(1012, "the relay is restarting: resume")

    # --- for Connection -------------------------------------------------------

    async def receive(self) -> str | bytes | None:
        inbox = self.inbox
        while not inbox:
            if self.gone:
                return None
            self.waiter = self.keepalive.loop.create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        if self.paused and len(inbox) <= READ_AHEAD // 2:
            self.paused = False
            self.out.resume_reading()
        return inbox.pop(0)

    def take(self) -> str | bytes | object:
        """The next message if it has come (`EMPTY` if not): no await per message."""
        inbox = self.inbox
        if not inbox or self.paused:
            return EMPTY  # paused: `receive` resumes reading as the inbox drains
        return inbox.pop(0)

    def direct(self, seq: int | None, payload: str | bytes) -> bool:
        """Write one payload of the stream at the end of this turn of the loop
        (`flush`); False when the client has more unread than the send budget
        (a slow receiver)."""
        if self.gone:
            return True  # the connection's task is finishing: nothing to write to
        pending = self.pending
        if pending is None:
            self.pending = [seq, payload]
            if not _corked:
                # the socket's loop as kept: asyncio.get_running_loop() costs a
                # getpid() system call on Python 3.11, once per turn of the loop
                self.keepalive.loop.call_soon(_uncork)
            _corked.append(self)
        else:
            pending += (seq, payload)
        return not self.backlogged or self.out.get_write_buffer_size() <= self.send_budget

    def flush(self) -> None:
        """Write what is corked, in one write: a single binary frame without
        copying its payload (the relay keeps it as received, for every receiver)."""
        pending, self.pending = self.pending, None
        if not pending or self.gone or self.transport.is_close_frame_sent or self.out.is_closing():
            return  # closed, or closing after its last words
        if len(pending) == 2:
            parts = _wire(*pending)
            if len(parts) == 1:
                self.out.write(parts[0])
            else:
                self.out.writelines(parts)
            return
        parts = []
        for i in range(0, len(pending), 2):
            parts += _wire(pending[i], pending[i + 1])
        self.out.write(b"".join(parts))

    async def send(self, data: str | bytes) -> None:
        if not self.gone:
            self.flush()  # what was corked goes first
            self.transport.send(_TEXT if isinstance(data, str) else _BINARY,
                                data.encode() if isinstance(data, str) else data)

    async def close(self, code: int, reason: str = "") -> None:
        self._fail(code, reason)

    # --- inside ---------------------------------------------------------------

    def _push(self, kind, data: bytes) -> None:
        if kind is _TEXT:
            try:
                data = data.decode()
            except UnicodeDecodeError:
                self._fail(1007, "a text message must be UTF-8")
                return
        self.inbox.append(data)
        if not self.paused and len(self.inbox) >= READ_AHEAD:
            self.paused = True
            self.out.pause_reading()
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def gone_silent(self) -> None:
        """No answer to a ping: say why, and abort shortly after, since a client
        that is not there would never take the close (as picows does)."""
        self._fail(WSCloseCode.GOING_AWAY, "no answer to a ping")
        asyncio.get_running_loop().call_later(1.0, self.out.abort)

    def _fail(self, code: int, reason: str) -> None:
        transport = self.transport
        if transport is None or self.gone:
            return
        self.flush()  # what was corked goes before the close (an error saying why)
        if not transport.is_close_frame_sent:
            transport.send_close(code, reason.encode()[:120])
        transport.disconnect()


def upgrade(http_protocol, relay, request: bytes) -> None:
    """Hand an HTTP connection whose request (`request`, the line and headers
    as received) asks for `/ws` to picows, and picows the request: from here
    on the connection's bytes go to picows, which answers the upgrade."""
    connections = http_protocol.server_state.connections

    def listener(upgrade_request):
        if not websocket_origin_allowed(upgrade_request.headers.get("origin"), relay.settings):
            log.info("refused a /ws upgrade from origin %r", upgrade_request.headers.get("origin"))
            return WSUpgradeResponse.create_error_response(403, b"origin not allowed")
        return FastSocket(relay, connections)

    settings = relay.settings
    protocol = WSProtocol(None, None, False, listener, _picows_log, True, None,
                          False, 20.0, 20.0, WSAutoPingStrategy.PING_WHEN_IDLE,  # pings: `_Keepalive`
                          True, max(settings.max_message_bytes, settings.max_binary_bytes) + 64, None,
                          READ_BUFFER)
    transport = http_protocol.transport
    protocol.connection_made(transport)
    transport.set_protocol(protocol)
    view = memoryview(request)
    while view:
        buffer = protocol.get_buffer(len(view))
        n = min(len(buffer), len(view))
        buffer[:n] = view[:n]
        protocol.buffer_updated(n)
        view = view[n:]


_HANDSHAKE_HEADERS = frozenset((b"host", b"upgrade", b"connection", b"origin", b"sec-websocket-key",
                                b"sec-websocket-version", b"sec-websocket-protocol", b"sec-websocket-extensions"))
"""What picows is given of a `/ws` upgrade request (uvicorn's names, lower case):
what the handshake and the origin check read. The rest (a browser's cookies,
user agent, languages) would stay in picows's read buffer, which grows to the
request's size and keeps it, and in the request it keeps, for the connection's life."""


def relay_protocol(header_timeout: float):
    """The relay's HTTP protocol for uvicorn (``uvicorn.run(http=...)``):
    `header_timeout_protocol`'s, with `/ws` upgrades handed to picows when the
    app's lifespan has put a relay with ``fast_ws`` in the state."""
    base = header_timeout_protocol(header_timeout)

    class RelayProtocol(base):
        def handle_websocket_upgrade(self) -> None:
            relay = (self.app_state or {}).get(RELAY)
            if relay is None or not relay.settings.fast_ws or httptools.parse_url(self.url).path != b"/ws":
                super().handle_websocket_upgrade()
                return
            self.connections.discard(self)
            request = [self.scope["method"].encode(), b" ", self.url, b" HTTP/1.1\r\n"]
            for name, value in self.scope["headers"]:
                if name in _HANDSHAKE_HEADERS:
                    request += [name, b": ", value, b"\r\n"]
            request.append(b"\r\n")
            upgrade(self, relay, b"".join(request))
            # This protocol stays referenced for the connection's life (uvloop's
            # transport keeps its data_received, as picows's protocol takes
            # buffers), and its parser holds it in a cycle: let go of what it
            # holds per connection.
            self.parser = self.scope = self.headers = self.flow = self.pipeline = self.cycle = None

    return RelayProtocol
