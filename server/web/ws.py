"""The `/ws` endpoint: parse, check, hand to the relay, send what comes back.

One WebSocket per client. The first message is `hello` (a rep's sign-in token
or a customer's capability token). After that, text frames are protocol
messages and binary frames are stream frames (`protocol.FRAME_HEADER`).
Everything a connection receives comes through its `Outbox`, fed by the
broker (server/web/wire.py): a reader that stops reading fills its outbox up
to a bound, and is then disconnected (it may resume from its last seq), so it
can never grow the relay's memory.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from time import perf_counter  # latencies for /metrics (tests may replace `time` for the rate limits)

import pydantic_core
from pydantic import ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from .. import protocol as p
from ..auth import BadToken
from ..broker import Gap
from ..cluster import Unavailable
from ..core.desk import Actor, CustomerActor, RepActor, customer_channel, rep_channel
from ..core.errors import CoreError
from ..ice import ice_servers_for
from ..relay import Relay
from ..resumes import Resume
from .origins import websocket_origin_allowed
from .signin import revocation_channel
from .wire import EMPTY, AsgiSocket, Outbox, on_the_wire

log = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4001
CLOSE_FORBIDDEN_ORIGIN = 4003
CLOSE_SLOW = 4008
CLOSE_SERVICE_RESTART = 1012
HELLO_TIMEOUT = 10.0
_HEADER = p.FRAME_HEADER
_RECORD = int(p.StreamKind.RECORD)
MAX_ROUTES = 16
"""Routes a connection keeps (`Connection.routes`): more than a rep's streams
at once, few enough that the ended sessions they hold on to stay few."""


class TokenBucket:
    __slots__ = ("rate", "burst", "tokens", "stamp")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        tokens = self.tokens + (now - self.stamp) * self.rate
        self.stamp = now
        if tokens > self.burst:
            tokens = self.burst
        if tokens >= 1.0:
            self.tokens = tokens - 1.0
            return True
        self.tokens = tokens
        return False


def origin_allowed(websocket: WebSocket, relay: Relay) -> bool:
    """The handshake's Origin against the configured origins (never the Host
    header, which a rebound DNS name controls): see `server.web.origins`."""
    return websocket_origin_allowed(websocket.headers.get("origin"), relay.settings)


async def ws_endpoint(websocket: WebSocket) -> None:
    """`/ws` on any ASGI server. The relay's own server serves `/ws` with
    `server.web.fastws` instead, before the ASGI app, and never gets here."""
    relay: Relay = websocket.app.state.relay
    if not origin_allowed(websocket, relay):
        await websocket.close(CLOSE_FORBIDDEN_ORIGIN)
        return
    await websocket.accept()
    await Connection(AsgiSocket(websocket), relay).run()


class Connection:
    __slots__ = ("socket", "relay", "outbox", "bucket", "frame_bucket", "actor", "resume", "sub", "revocations",
                 "token_version", "revoked", "gone_unavailable", "kind", "console", "counters", "_task", "routes")

    def __init__(self, socket, relay: Relay) -> None:
        self.socket = socket  # AsgiSocket, or fastws.FastSocket
        self.relay = relay
        s = relay.settings
        self.outbox = Outbox(s.send_queue_depth, s.send_queue_bytes, socket.direct)
        self.bucket = TokenBucket(s.messages_per_second, s.message_burst)
        self.frame_bucket = TokenBucket(s.frames_per_second, s.frame_burst)
        self.actor: Actor | None = None
        self.resume: Resume | None = None
        self.sub = None
        self.revocations = None  # a rep's: see _revoked
        self.token_version = 0
        self.revoked = False
        self.gone_unavailable = False
        self.kind: str | None = None  # rep, customer or agent, once welcomed (for /metrics)
        self.console = True  # False for a rep's dashboard page: no console, so no presence
        self.counters = relay.counters
        self._task: asyncio.Task | None = None
        self.routes: dict[int, tuple] = {}
        """By a frame's kind and stream (``kind << 32 | stream``): the session, its routes
        version and the targets of the frames relayed on it, checked again only
        when that session changed. A rep's connection sends on the streams of
        each of their sessions in turn (control), so one route would be
        looked up again at nearly every frame."""

    async def run(self) -> None:
        """Read until the client goes. When the outbox overflows (the client
        stopped reading), this task is cancelled at once, even if the writer
        is stuck on a full socket, and the connection is closed as slow. When
        the rep's tokens are revoked, likewise: nothing more is read, and the
        socket is closed as unauthorized."""
        task = self._task = asyncio.current_task()
        self.outbox.on_overflow = task.cancel
        writer = asyncio.create_task(self._write()) if self.outbox.direct is None else None
        slow = False
        try:
            await self._serve()
        except asyncio.CancelledError:
            if not (self.outbox.overflowed or self.revoked or self.gone_unavailable):
                raise
            task.uncancel()
            slow = not (self.revoked or self.gone_unavailable)
            if slow:
                self.counters.slow_receivers += 1
        finally:
            if writer is not None:
                writer.cancel()
            if self.gone_unavailable:
                await self._tell_unavailable()  # first: what comes next waits on the Redis this node lost
            await self._close()
        if self.revoked:
            log.info("closing %s: its sign-in was revoked", self.resume and self.resume.channel)
            try:
                await asyncio.wait_for(self.socket.send(p.Error(
                    code="unauthorized", message="signed out: the password was changed or the account deactivated"
                ).model_dump_json()), 2)
                await asyncio.wait_for(self.socket.close(CLOSE_UNAUTHORIZED), 2)
            except Exception:  # gone already: nothing more to tell it
                pass
        if slow:
            log.warning("closing a slow receiver on %s", self.resume and self.resume.channel)
            try:
                await asyncio.wait_for(self.socket.close(CLOSE_SLOW, "slow receiver: resume from your last seq"), 2)
            except Exception:  # the socket may be stuck or gone; the client resumes either way
                pass

    async def _serve(self) -> None:
        try:
            if await self._hello():
                await self._read()
        except WebSocketDisconnect:
            pass

    # --- hello --------------------------------------------------------------

    async def _hello(self) -> bool:
        try:  # asyncio.timeout, not wait_for: no task of its own, and a cancellation is never swallowed
            async with asyncio.timeout(HELLO_TIMEOUT):
                raw = await self.socket.receive()
        except TimeoutError:
            return await self._refuse("say hello first")
        if raw is None:
            return False
        try:
            hello = p.client_message.validate_json(raw if isinstance(raw, str) else b"")
        except ValidationError:
            return await self._refuse("the first message must be a valid hello")
        if not isinstance(hello, p.Hello):
            return await self._refuse("the first message must be hello")
        welcome = await self._authenticate(hello)
        if welcome is None:
            return await self._refuse("unknown, expired or revoked token")
        self.outbox.reply(welcome)
        channel = self.resume.channel
        counters = self.counters
        if welcome.resumed:
            counters.resumed += 1
            after = hello.last_seq
        elif isinstance(self.actor, CustomerActor):
            after = 0  # a customer's stream is theirs alone: a new page gets it all (bounded by history)
        else:
            after = None  # a rep's console gets its live sessions afresh from the desk

        t0 = perf_counter()
        try:
            self.sub = await self.relay.broker.subscribe(channel, after, self.outbox.deliver, lost=self.outbox.drop)
        except Gap:
            counters.resume_gaps += 1
            self.outbox.reply(p.Error(code="resync", message="too much was missed; the state is sent afresh"))
            self.sub = await self.relay.broker.subscribe(channel, None, self.outbox.deliver, lost=self.outbox.drop)
        counters.broker_seconds.observe(perf_counter() - t0)
        if self.sub.skipped:  # after what the history still had: the viewer asks the page for a snapshot
            counters.resume_skipped += 1
            self.outbox.reply(p.Error(code="frames_skipped", message="cobrowse frames older than the relay keeps "
                                      "were skipped: a viewer starts again from a fresh snapshot"))
        self.kind = "rep" if welcome.role == "rep" else "agent" if welcome.role == "agent" else "customer"
        counters.connections[self.kind] += 1
        self.console = hello.client != "dashboard"
        self.relay.connections.add(self)
        await self.relay.online(self.actor, hello.screen, self.console)
        return True

    async def _authenticate(self, hello: p.Hello) -> p.Welcome | None:
        relay = self.relay
        account = None
        try:
            claim = relay.tokens.read_rep(hello.token, relay.settings.rep_token_ttl)
        except BadToken:
            try:
                self.actor = await relay.find_customer(hello.token)
            except BadToken:
                return None
            channel = customer_channel(self.actor.pid)
        else:
            # listen before looking: a revocation from now on closes this socket
            self.token_version = claim.version
            self.revocations = await relay.broker.subscribe(revocation_channel(claim.account_id), None, self._revoked)
            t0 = perf_counter()
            account = await relay.store.get_account(claim.account_id)
            relay.counters.store_seconds.observe(perf_counter() - t0)
            if account is None or not account.active or account.token_version != claim.version:
                return None
            self.actor = RepActor(account.id)
            channel = rep_channel(account.id)
        old = await relay.resumes.take(hello.resume) if hello.resume else None
        resumed = old is not None and old.channel == channel
        key = secrets.token_urlsafe(12)
        self.resume = Resume(channel, old.client_seq if resumed else 0, float("inf"), key)
        await relay.resumes.save(self.resume)
        return p.Welcome(
            role="rep" if account else relay.desk.participant_kind(self.actor.session_id, self.actor.pid),
            pid=self.actor.pid if isinstance(self.actor, CustomerActor) else None,
            account=p.Account(id=account.id, name=account.name, email=account.email,
                              is_admin=account.is_admin, queue_rep=account.queue_rep,
                              max_customers=account.max_customers,
                              multi_session=account.multi_session,
                              queues=list(account.queues)) if account else None,
            resumed=resumed, resume=key, client_seq=self.resume.client_seq,
            resume_window=relay.settings.resume_window,
            ice_servers=[p.IceServer(**x) for x in ice_servers_for(relay.settings, channel.replace(":", "-"),
                                                                   time.time())])

    async def _tell_unavailable(self) -> None:
        try:
            await asyncio.wait_for(self.socket.send(p.Error(
                code="unavailable", message="this relay node lost its message broker: reconnecting"
            ).model_dump_json()), 2)
            await asyncio.wait_for(self.socket.close(CLOSE_SERVICE_RESTART, "relay node unavailable: resume"), 2)
        except Exception:  # gone already
            pass

    def unavailable(self) -> None:
        """This node lost its broker: the client is told and closed, and
        resumes through another node (or this one, once it is back)."""
        if not self.gone_unavailable and self._task is not None:
            self.gone_unavailable = True
            self._task.cancel()

    def _revoked(self, _seq: int, version) -> None:
        """The account's tokens were revoked up to `version` (server/web/signin.py)."""
        if int(version) > self.token_version and not self.revoked:
            self.revoked = True
            self._task.cancel()

    async def _refuse(self, why: str) -> bool:
        self.outbox.reply(p.Error(code="unauthorized", message=why))
        await asyncio.sleep(0.05)  # let the writer send the reason before closing
        await self.socket.close(CLOSE_UNAUTHORIZED)
        return False

    # --- reading ------------------------------------------------------------

    async def _read(self) -> None:
        settings = self.relay.settings
        receive, take = self.socket.receive, self.socket.take
        # A cancellation (overflow, revocation, lost broker) may be swallowed
        # on its way: asyncio.wait_for on Python 3.11 returns its result when
        # the awaited call finished in the same turn. It is raised again after
        # the message, or the connection would stay open, its stream gone.
        cancelling = self._task.cancelling
        if self.relay.node is None:
            # one relay process relays a frame without an await: the socket may hand
            # frames straight to `frame` while this task waits for a message
            self.socket.frames = self.frame
        if cancelling():
            raise asyncio.CancelledError  # swallowed during the hello
        while True:
            raw = take()
            if raw is EMPTY:
                raw = await receive()
            if raw is None:
                return
            if isinstance(raw, str):
                if not self.bucket.take():
                    self.counters.rate_limited["messages"] += 1
                    self._error("rate_limited", "too many messages; slow down")
                    continue
                self.counters.messages += 1
                if len(raw) > settings.max_message_bytes or len(raw.encode()) > settings.max_message_bytes:
                    self._error("too_large", f"messages are limited to {settings.max_message_bytes} bytes")
                    continue
                await self._text(raw)
            else:
                pending = self.frame(raw)
                if pending is None:
                    continue
                await pending
            if cancelling():
                raise asyncio.CancelledError

    def frame(self, data: bytes):
        """A binary frame read: its rate and size limits, then `_binary`."""
        if not self.frame_bucket.take():
            self.counters.rate_limited["frames"] += 1
            self._error("rate_limited", "too many messages; slow down")
            return None
        limit = self.relay.settings.max_binary_bytes
        if len(data) > limit:
            self._error("too_large", f"frames are limited to {limit} bytes")
            return None
        return self._binary(data)

    async def _text(self, text: str) -> None:
        try:
            msg = p.client_message.validate_json(text)
        except ValidationError as exc:
            self._invalid(text, exc)
            return
        if msg.type == "ping":
            self.outbox.reply(p.Pong())
            return
        if msg.type == "hello":
            self._error("invalid", "already said hello", msg.seq)
            return
        if msg.seq <= self.resume.client_seq:
            return  # a resend of something already processed
        self.resume.client_seq = msg.seq
        try:
            await self.relay.receive(self.actor, msg, text, self.resume)
        except CoreError as exc:
            self._error(exc.code, str(exc), msg.seq)
        except Unavailable:
            self.unavailable()  # a cluster node without Redis: the client resumes on another

    def _binary(self, data: bytes):
        """Check and relay a binary frame. One relay process does it all here,
        with no await; a cluster node returns the coroutine that finishes it
        (a catch-up with the other nodes, the Redis call), for `_read` to await."""
        if len(data) < _HEADER.size:
            self._error("bad_message", f"a binary frame starts with a {_HEADER.size}-byte header")
            return None
        kind, stream, seq = _HEADER.unpack_from(data)
        if seq <= self.resume.client_seq:
            return None
        self.resume.client_seq = seq
        relay = self.relay
        key = kind << 32 | stream
        route = self.routes.get(key)
        if route is not None and route[0].routes_version == route[1]:
            targets = route[2]
        else:
            try:
                targets = relay.frame_targets(self.actor, kind, stream)
            except CoreError as exc:
                if relay.node is None:
                    self._error(exc.code, str(exc), seq)
                    return None
                return self._binary_on_node(data, kind, stream, seq, None, exc)
            if relay.node is not None:
                return self._binary_on_node(data, kind, stream, seq, targets, None)
            session = relay.desk.stream_session(stream)
            if kind != _RECORD and session is not None:  # a recording's frames are the recorder's to check
                routes = self.routes
                if len(routes) >= MAX_ROUTES:  # keep none of a session that changed or ended
                    routes = self.routes = {k: r for k, r in routes.items() if r[0].routes_version == r[1]}
                    if len(routes) >= MAX_ROUTES:
                        routes.clear()
                routes[key] = (session, session.routes_version, targets)
        relay.recorder.frame(kind, stream, data)
        relay.relay_frame(targets, data)
        counters = self.counters
        counters.frames[kind] += 1
        counters.frame_bytes[kind] += len(data)
        return None

    async def _binary_on_node(self, data: bytes, kind: int, stream: int, seq: int, targets: list[str] | None,
                              refused: CoreError | None) -> None:
        relay = self.relay
        if targets is None:
            try:
                targets = await relay.frame_targets_after_sync(self.actor, kind, stream, refused)
            except CoreError as exc:
                self._error(exc.code, str(exc), seq)
                return
        # the recorder first: a recording that starts while the frame is on its way (a Redis round
        # trip in a cluster) must not take a frame sent before it
        relay.recorder.frame(kind, stream, data)
        try:
            await relay.publish_frame(targets, data, self.resume)
        except Unavailable:
            self.unavailable()
            return
        counters = self.counters
        counters.frames[kind] += 1
        counters.frame_bytes[kind] += len(data)

    def _error(self, code: str, message: str, ref: int | None = None) -> None:
        self.outbox.reply(p.Error(code=code, message=message, ref=ref))

    def _invalid(self, text: str, exc: ValidationError) -> None:
        """Say what is wrong with a text frame that is not a protocol message.
        Any JSON at all gets one typed error: never an exception."""
        errors = exc.errors(include_url=False)
        first = errors[0] if errors else {}
        if first.get("type") == "json_invalid":  # also nesting beyond the parser's depth limit
            self._error("bad_json", f"not valid JSON: {first.get('ctx', {}).get('error', 'cannot parse')}")
            return
        data = pydantic_core.from_json(text)  # parsed fine above: only the shape is wrong
        if not isinstance(data, dict):
            self._error("bad_message", "a message is a JSON object with a type and a seq")
            return
        seq = data.get("seq")
        ref = seq if type(seq) is int and seq >= 0 else None  # never a bool or a negative number
        if first.get("type") in ("union_tag_invalid", "union_tag_not_found"):
            what = data.get("type")
            self._error("bad_message", f"unknown message type {str(what)[:40]!r}" if what else "a message needs a type",
                        ref)
            return
        detail = "; ".join(f"{'.'.join(str(x) for x in e['loc'][1:]) or 'message'}: {e['msg']}" for e in errors[:3])
        self._error("bad_message", detail, ref)

    # --- writing ------------------------------------------------------------

    async def _write(self) -> None:
        box, send = self.outbox, self.socket.send
        while True:
            while not box.items:
                box.event.clear()
                await box.event.wait()
            await send(on_the_wire(*box.pop()))

    async def _close(self) -> None:
        if self.kind is not None:
            self.counters.connections[self.kind] -= 1
        if self.sub is not None:
            self.sub.close()
        if self.revocations is not None:
            self.revocations.close()
        self.relay.connections.discard(self)
        if self.resume is not None:
            await self.relay.resumes.release(self.resume)
        if self.actor is not None and self.sub is not None:
            try:
                await self.relay.offline(self.actor, self.console)
            except Exception as exc:  # a cluster node without Redis: the owner closes it for us (node_gone)
                log.warning("could not tell the desk a connection closed: %s", exc)
