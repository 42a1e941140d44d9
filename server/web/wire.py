"""A `/ws` connection's socket side (server/web/ws.py `Connection`): what it
sends, and the socket it reads and writes.

`Outbox` is a connection's bounded send queue, fed by the broker: a reader
that stops reading fills it up to a bound and is then disconnected (it may
resume from its last seq), so it can never grow the relay's memory. Each
payload of a connection's stream gets the receiver's own `seq` written in on
its way out (`on_the_wire`, `frame_head`). `AsgiSocket` is a Starlette
WebSocket as a connection's socket; `server.web.fastws.FastSocket` is the
relay's own, on picows.
"""

from __future__ import annotations

import asyncio
import struct
from collections import deque

from starlette.websockets import WebSocket

from .. import protocol as p

_SEQ = struct.Struct("!I")
_SEQ_AT = p.FRAME_HEADER.size - _SEQ.size
_pack_seq = _SEQ.pack_into


def frame_head(seq: int, payload: bytes) -> bytes:
    """A binary payload's frame header with the receiver's `seq` written in
    (`on_the_wire` without copying the body)."""
    return payload[:_SEQ_AT] + _SEQ.pack(seq)


def on_the_wire(seq: int | None, payload: str | bytes) -> str | bytearray:
    """What a connection sends for a payload of its stream: the receiver's
    `seq` written in (a text message's first field, a frame header's seq)."""
    if isinstance(payload, str):
        return f'{{"seq":{seq},{payload[1:]}' if seq is not None else payload
    data = bytearray(payload)  # one copy, the seq written into it
    _pack_seq(data, _SEQ_AT, seq)
    return data


class Outbox:
    """A connection's bounded send queue, by count and by bytes. ``seq`` None
    marks a direct reply (welcome, error, pong) outside the resumable stream.
    On overflow the queue is dropped and `overflowed` is set: the connection
    is closed, and the client resumes from the last seq it saw.

    A socket that can write at once (`FastSocket`) gives `direct`: each
    payload is then written as it comes, with no queue, no writer task and no
    `event` for one, and the bound is the socket's own write buffer (`direct`
    returns False past it)."""

    __slots__ = ("items", "limit", "max_bytes", "size", "event", "overflowed", "on_overflow", "direct")

    def __init__(self, limit: int, max_bytes: int, direct=None) -> None:
        self.items: deque[tuple[int | None, str | bytes]] | tuple = deque() if direct is None else ()
        self.limit = limit
        self.max_bytes = max_bytes
        self.size = 0
        self.event = asyncio.Event() if direct is None else None  # the writer task's wake-up
        self.overflowed = False
        self.on_overflow = lambda: None
        self.direct = direct

    def deliver(self, seq: int | None, payload) -> None:
        if self.overflowed:
            return
        if self.direct is not None:
            if not self.direct(seq, payload):
                self.drop()
            return
        if len(self.items) >= self.limit or self.size + len(payload) > self.max_bytes:
            self.drop()
        else:
            self.items.append((seq, payload))
            self.size += len(payload)
        self.event.set()

    def drop(self) -> None:
        """Give up on this connection's stream as on overflow: also what the
        broker calls when payloads were lost before it could deliver them."""
        if not self.overflowed:
            if self.items:
                self.items.clear()
            self.size = 0
            self.overflowed = True
            self.on_overflow()
            if self.event is not None:
                self.event.set()

    def pop(self) -> tuple[int | None, str | bytes]:
        item = self.items.popleft()
        self.size -= len(item[1])
        return item

    def reply(self, msg: p.Message) -> None:
        self.deliver(None, msg.model_dump_json())


EMPTY = object()
"""What a socket's `take` gives when nothing has come yet."""


class AsgiSocket:
    """A Starlette WebSocket as a `Connection`'s socket: what it reads is a
    text message (str), a binary one (bytes) or None once the client is gone."""

    direct = None  # ASGI sends are awaited: the outbox queues, a writer task sends
    frames = None  # and every message comes through `receive`

    def __init__(self, websocket: WebSocket) -> None:
        self.ws = websocket

    def take(self):
        """A message that has come already, without waiting (here: never)."""
        return EMPTY

    async def receive(self) -> str | bytes | None:
        raw = await self.ws.receive()
        if raw["type"] == "websocket.disconnect":
            return None
        text = raw.get("text")
        return text if text is not None else raw.get("bytes") or b""

    async def send(self, data: str | bytes | bytearray) -> None:
        await self.ws.send({"type": "websocket.send", "text": data} if isinstance(data, str)
                           else {"type": "websocket.send", "bytes": bytes(data)})

    async def close(self, code: int, reason: str = "") -> None:
        await self.ws.close(code, reason)
