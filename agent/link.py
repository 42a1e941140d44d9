"""The agent's connection to the relay: one WebSocket, kept alive and resumed.

Contract (other agent modules code against this):

    link = Link(ws_url, token, name)         # client="agent" in the hello (tests may say "api")
    link.on("session_state", handler)        # JSON messages by ``type``; handler(msg: dict),
                                             # sync or async; several handlers per type allowed
    link.on_frame(StreamKind.CONTROL, h)     # binary frames by kind; h(stream, seq, body: bytes)
    link.on_state(handler)                   # shortcut: called with each session_state dict
    task = asyncio.create_task(link.run())   # connects, says hello, reconnects with backoff and
                                             # resumes, until link.stop(); returns then
    seq = await link.send("revoke_grant", session=link.session, grant=7)
        # numbered with the client counter and kept in an outbox until the relay confirms
        # it (``welcome.client_seq`` after a reconnect); sent at once when up, else on
        # reconnect. Never raises for a dropped socket.
    ok = await link.send_frame(StreamKind.FRAMES, stream, body)
        # one binary frame (FRAME_HEADER kind/stream/seq + body), sharing the same seq
        # counter; False and dropped (not queued) when the link is down.
    link.connected      # True between welcome and the socket's loss
    link.state          # latest session_state (dict) or None
    link.me             # own pid (from welcome/session_state)
    link.session        # session id
    link.activities(kind=None, mine=True)  # live activities (dicts), by default those whose
                                           # sharer is me; ``kind`` a str or a tuple of str
    await link.wait_connected(timeout)     # True once welcomed
    link.stop()                            # close and make run() return

Relay ``seq`` (JSON ``seq`` and binary header seq) is tracked as ``last_seq`` and
named in the next hello with the previous ``resume`` id. A ``session_ended``
message stops the link (the pairing is over). Handlers' exceptions are logged,
never fatal.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import random
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

import websockets

from server.protocol import FRAME_HEADER

log = logging.getLogger("agent.link")

PING_INTERVAL = 20.0
OUTBOX_LIMIT = 1000
BACKOFF_MIN, BACKOFF_MAX = 0.5, 15.0


class Link:
    def __init__(self, ws_url: str, token: str, name: str = "", client: str = "agent") -> None:
        self.ws_url = ws_url
        self.client = client
        self.token = token
        self.name = name
        self.state: dict | None = None
        self.me: str | None = None
        self.session: str | None = None
        self.connected = False
        self.last_seq = 0
        self.resume_id: str | None = None
        self.screen: str | None = None  # "ok", or why this machine's screen cannot be shared
        self.ended = False
        self._seq = 0
        self._outbox: deque[tuple[int, str, bool]] = deque()  # (seq, text, written to a socket)
        self._handlers: dict[str, list[Callable]] = defaultdict(list)
        self._frame_handlers: dict[int, list[Callable]] = defaultdict(list)
        self._ws = None
        self._stopping = asyncio.Event()
        self._up = asyncio.Event()
        self._send_lock = asyncio.Lock()

    # --- registration ---------------------------------------------------

    def on(self, type_: str, handler: Callable[[dict], Any]) -> None:
        self._handlers[type_].append(handler)

    def on_frame(self, kind: int, handler: Callable[[int, int, bytes], Any]) -> None:
        self._frame_handlers[int(kind)].append(handler)

    def on_state(self, handler: Callable[[dict], Any]) -> None:
        self.on("session_state", handler)

    # --- queries --------------------------------------------------------

    def activities(self, kind: str | tuple[str, ...] | None = None, mine: bool = True) -> list[dict]:
        if not self.state:
            return []
        kinds = (kind,) if isinstance(kind, str) else kind
        return [a for a in self.state.get("activities", [])
                if (kinds is None or a["kind"] in kinds) and (not mine or a["sharer"] == self.me)]

    def grant(self, grant_id: int | None) -> dict | None:
        for g in (self.state or {}).get("grants", []):
            if g["id"] == grant_id:
                return g
        return None

    def participant(self, pid: str | None) -> dict | None:
        for x in (self.state or {}).get("participants", []):
            if x["pid"] == pid:
                return x
        return None

    async def wait_connected(self, timeout: float | None = None) -> bool:
        try:
            await asyncio.wait_for(self._up.wait(), timeout)
            return True
        except TimeoutError:
            return False

    # --- sending --------------------------------------------------------

    async def send(self, type_: str, **fields: Any) -> int:
        self._seq += 1
        seq = self._seq
        text = json.dumps({"type": type_, "seq": seq, **fields})
        written = False
        async with self._send_lock:
            if self.connected and self._ws is not None:
                try:
                    await self._ws.send(text)
                    written = True
                except Exception as exc:  # the reader notices the loss and reconnects
                    log.info("send failed (%s); %s #%d waits for the reconnect", exc, type_, seq)
        self._outbox.append((seq, text, written))
        while len(self._outbox) > OUTBOX_LIMIT:
            self._outbox.popleft()
        return seq

    async def send_frame(self, kind: int, stream: int, body: bytes) -> bool:
        if not self.connected or self._ws is None:
            return False
        async with self._send_lock:
            if not self.connected or self._ws is None:
                return False
            self._seq += 1
            try:
                await self._ws.send(FRAME_HEADER.pack(int(kind), stream, self._seq) + body)
                return True
            except Exception:
                return False

    def stop(self) -> None:
        self._stopping.set()
        ws = self._ws
        if ws is not None:
            asyncio.ensure_future(ws.close())

    # --- the loop -------------------------------------------------------

    async def run(self) -> None:
        backoff = BACKOFF_MIN
        while not self._stopping.is_set() and not self.ended:
            try:
                async with websockets.connect(self.ws_url, max_size=None, ping_interval=PING_INTERVAL,
                                              ping_timeout=PING_INTERVAL, open_timeout=10) as ws:
                    self._ws = ws
                    if await self._hello(ws):
                        backoff = BACKOFF_MIN
                        await self._serve(ws)
                    else:
                        backoff = BACKOFF_MAX  # refused: slow down, the token may be revoked
            except (TimeoutError, OSError, websockets.WebSocketException) as exc:
                log.info("relay link lost: %s", exc)
            finally:
                self._down()
            if self._stopping.is_set() or self.ended:
                break
            delay = backoff * (0.75 + random.random() / 2)
            log.info("reconnecting in %.1f s", delay)
            try:
                await asyncio.wait_for(self._stopping.wait(), delay)
            except TimeoutError:
                pass
            backoff = min(backoff * 2, BACKOFF_MAX)

    def _down(self) -> None:
        if self.connected:
            log.info("relay link down")
        self.connected = False
        self._up.clear()
        self._ws = None

    async def _hello(self, ws) -> bool:
        hello: dict[str, Any] = {"type": "hello", "seq": 0, "token": self.token, "client": self.client,
                                 "last_seq": self.last_seq}
        if self.resume_id:
            hello["resume"] = self.resume_id
        if self.screen is not None:
            hello["screen"] = self.screen
        await ws.send(json.dumps(hello))
        raw = await asyncio.wait_for(ws.recv(), 15)
        msg = json.loads(raw)
        if msg.get("type") != "welcome":
            log.warning("relay refused the agent: %s", msg.get("message", msg))
            if msg.get("code") == "unauthorized":
                self.ended = True  # the pairing was revoked or expired: nothing to resume
            return False
        self.resume_id = msg["resume"]
        self.me = msg.get("pid") or self.me
        confirmed = msg.get("client_seq", 0)
        resumed = msg.get("resumed", False)
        # Resumed: the relay says what it processed. Not resumed (window passed):
        # what reached the old socket is uncertain, so only never-sent messages go.
        pending = [(s, t) for s, t, written in self._outbox if s > confirmed and (resumed or not written)]
        self._outbox.clear()
        if not resumed:
            self.last_seq = 0
        self._seq = max(self._seq, confirmed)
        async with self._send_lock:
            for s, t in pending:
                await ws.send(t)
                self._outbox.append((s, t, True))
            self.connected = True
        self._up.set()
        log.info("relay link up (%s)", "resumed" if resumed else "new")
        await self._dispatch(msg)
        return True

    async def _serve(self, ws) -> None:
        pinger = asyncio.create_task(self._ping())
        try:
            async for raw in ws:
                if isinstance(raw, bytes):
                    await self._frame(raw)
                else:
                    msg = json.loads(raw)
                    seq = msg.get("seq")
                    if isinstance(seq, int) and seq > self.last_seq:
                        self.last_seq = seq
                    await self._dispatch(msg)
                if self._stopping.is_set() or self.ended:
                    break
        finally:
            pinger.cancel()

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(PING_INTERVAL)
            ws = self._ws
            if ws is None:
                return
            try:
                async with self._send_lock:
                    await ws.send(json.dumps({"type": "ping", "seq": self._seq}))
            except Exception:
                return

    async def _frame(self, data: bytes) -> None:
        if len(data) < FRAME_HEADER.size:
            return
        kind, stream, seq = FRAME_HEADER.unpack_from(data)
        if seq > self.last_seq:
            self.last_seq = seq
        body = data[FRAME_HEADER.size:]
        for h in list(self._frame_handlers.get(kind, ())):
            await self._call(h, stream, seq, body)

    async def _dispatch(self, msg: dict) -> None:
        kind = msg.get("type")
        if kind == "session_state":
            self.state = msg
            self.me = msg.get("you") or self.me
            self.session = msg.get("session") or self.session
        elif kind == "session_ended":
            log.warning("the session is over for this Support Manager (%s)", msg.get("reason"))
            self.ended = True
        elif kind == "error":
            log.warning("relay error %s: %s (ref %s)", msg.get("code"), msg.get("message"), msg.get("ref"))
        for h in list(self._handlers.get(kind, ())):
            await self._call(h, msg)

    @staticmethod
    async def _call(handler: Callable, *args: Any) -> None:
        try:
            result = handler(*args)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("handler %r failed", handler)
