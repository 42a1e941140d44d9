"""One interface for every delivery between connections, backends chosen by URL.

A channel is an ordered stream: `publish` gives each payload the channel's
next sequence number and keeps a bounded history, so a client that drops and
comes back can be given what it missed (`subscribe(channel, after=last_seq)`).
Deliveries reach a subscriber through its callback, in order; the receiving
side decides what to do with a slow reader.

``memory://`` is the in-process backend (one relay node); ``redis://`` (and
``rediss://``, over TLS) keeps channels in Redis Streams, shared by every
process using the same server. Each backend is imported only when its scheme
is used. Deliveries of the memory broker happen inside `publish`; those of
the Redis broker come a moment later, from its read task: nothing may count
on a payload having been delivered when `publish` returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol
from urllib.parse import urlsplit

Payload = str | bytes
Deliver = Callable[[int, Payload], None]
Lost = Callable[[], None]


class Gap(Exception):
    """The subscriber asked for messages older than the history keeps: it must resync."""


class Unreachable(ConnectionError):
    """`Broker.connect` could not reach the backend; the message names its URL
    (password masked)."""


class Subscription(Protocol):
    skipped: bool
    """The resume skipped live frames no longer kept (a viewer starts afresh)."""

    def close(self) -> None: ...


class Broker(Protocol):
    async def connect(self) -> None:
        """Connect before any other call; raises `Unreachable`."""

    async def disconnect(self) -> None: ...

    async def publish(self, channel: str, payload: Payload, live: bool = False, replaces: str | None = None) -> int:
        """Append to the channel; returns the payload's sequence number (from 1).
        ``live``: a frame of a live stream (cobrowse events, input), which a
        backend may keep for a shorter time than messages (memory.py).
        ``replaces``: the message carries a whole state of that name, and a
        backend may keep only the newest of the name for a resume."""

    async def subscribe(self, channel: str, after: int | None, deliver: Deliver,
                        lost: Lost | None = None) -> Subscription:
        """Deliver every payload after sequence ``after`` (history first, then
        live), or only new ones when ``after`` is None. Raises `Gap`. Live
        frames already gone are skipped, and the subscription's ``skipped``
        says so.

        Should payloads be trimmed before this process read them (Redis: it
        fell more than the whole history behind, for longer than the grace
        that keeps unread payloads), the subscription ends and
        ``lost()`` is called instead of delivering past the hole: the
        subscriber resyncs (subscribes again; `Gap` tells it what it missed
        is gone). The memory broker never loses one."""

    async def last_seq(self, channel: str) -> int: ...

    async def forget(self, channel: str) -> None:
        """Drop a channel's history (its reader will not come back)."""


def open_broker(url: str, *, history_messages: int = 512, history_bytes: int = 1 << 20,
                history_seconds: float = 150.0, live_bytes: int = 16 * 1024, live_seconds: float = 10.5,
                delivery_grace: float = 2.0, delivery_bytes: int = 8 << 20) -> Broker:
    """``delivery_grace`` and ``delivery_bytes`` are Redis's (server/broker/redis.py);
    the memory broker delivers inside `publish`, before any trim."""
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        from .memory import MemoryBroker

        return MemoryBroker(history_messages=history_messages, history_bytes=history_bytes,
                            history_seconds=history_seconds, live_bytes=live_bytes, live_seconds=live_seconds)
    if scheme in ("redis", "rediss"):
        from .redis import RedisBroker

        return RedisBroker(url, history_messages=history_messages, history_bytes=history_bytes,
                           delivery_grace=delivery_grace, delivery_bytes=delivery_bytes)
    raise ValueError(f"no broker backend for {scheme!r} URLs (supported: memory://, redis://, rediss://)")
