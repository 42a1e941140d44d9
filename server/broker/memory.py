"""In-process broker: channels are bounded deques in this process.

A channel keeps two histories, merged by seq when a subscriber resumes: its
messages (`history_messages`, `history_bytes`), and the frames of live
streams published with ``live=True`` (cobrowse events, input), which are
bounded much tighter, by bytes (`live_bytes`) and by age (`live_seconds`): a
viewer rebuilds its picture from a fresh snapshot, and stale input is not
worth replaying, so those frames need not hold the relay's memory for long.
A subscriber resuming past a live frame that is gone gets the rest and has
`skipped` set (`server.web.ws` tells the client, whose viewer starts afresh);
past a message that is gone, it gets `Gap` as before.
"""

from __future__ import annotations

import heapq
import time
from collections import deque

from . import Deliver, Gap, Lost, Payload


class _Channel:
    __slots__ = ("seq", "history", "size", "dropped", "live", "live_size", "live_dropped", "subscribers")

    def __init__(self) -> None:
        self.seq = 0
        self.history: deque[tuple[int, Payload]] = deque()
        self.size = 0
        self.dropped = 0  # the last seq trimmed from `history`
        self.live: deque[tuple[int, Payload, float]] = deque()
        self.live_size = 0
        self.live_dropped = 0
        self.subscribers: list[_Sub] = []


class _Sub:
    __slots__ = ("broker", "name", "deliver", "skipped")

    def __init__(self, broker: MemoryBroker, name: str, deliver: Deliver, skipped: bool = False) -> None:
        self.broker = broker
        self.name = name
        self.deliver = deliver
        self.skipped = skipped

    def close(self) -> None:
        ch = self.broker._channels.get(self.name)
        if ch is not None and self in ch.subscribers:
            ch.subscribers.remove(self)
            self.broker._maybe_drop(self.name, ch)


class MemoryBroker:
    def __init__(self, *, history_messages: int = 512, history_bytes: int = 1 << 20,
                 live_bytes: int = 64 * 1024, live_seconds: float = 15.0, clock=time.monotonic) -> None:
        self.history_messages = history_messages
        self.history_bytes = history_bytes
        self.live_bytes = live_bytes
        self.live_seconds = live_seconds
        self.clock = clock
        self._channels: dict[str, _Channel] = {}

    async def connect(self) -> None:
        pass

    async def disconnect(self) -> None:
        self._channels.clear()

    async def publish(self, channel: str, payload: Payload, live: bool = False) -> int:
        return self.publish_nowait(channel, payload, live)

    def publish_nowait(self, channel: str, payload: Payload, live: bool = False) -> int:
        ch = self._channels.get(channel)
        if ch is None:
            ch = self._channels[channel] = _Channel()
        ch.seq += 1
        seq = ch.seq
        if live:
            history = ch.live
            history.append((seq, payload, self.clock()))
            ch.live_size += len(payload)
            stale = history[-1][2] - self.live_seconds
            while history and (ch.live_size > self.live_bytes or len(history) > self.history_messages
                               or history[0][2] < stale):
                ch.live_dropped, old, _ = history.popleft()
                ch.live_size -= len(old)
        else:
            history = ch.history
            history.append((seq, payload))
            ch.size += len(payload)
            while history and (len(history) > self.history_messages or ch.size > self.history_bytes):
                ch.dropped, old = history.popleft()
                ch.size -= len(old)
        for sub in ch.subscribers:
            sub.deliver(seq, payload)
        return seq

    async def subscribe(self, channel: str, after: int | None, deliver: Deliver, lost: Lost | None = None) -> _Sub:
        ch = self._channels.get(channel)
        if ch is None:
            ch = self._channels[channel] = _Channel()
        skipped = False
        if after is not None and after < ch.seq:
            if after < ch.dropped:
                raise Gap(f"{channel}: history starts after {ch.dropped}, asked after {after}")
            skipped = after < ch.live_dropped
            messages = [m for m in ch.history if m[0] > after]
            frames = [f for f in ch.live if f[0] > after]
            for seq, payload, *_ in heapq.merge(messages, frames) if frames else messages:
                deliver(seq, payload)
        sub = _Sub(self, channel, deliver, skipped)
        ch.subscribers.append(sub)
        return sub

    async def last_seq(self, channel: str) -> int:
        ch = self._channels.get(channel)
        return ch.seq if ch else 0

    async def forget(self, channel: str) -> None:
        ch = self._channels.get(channel)
        if ch is not None:
            ch.history.clear()
            ch.live.clear()
            ch.size = ch.live_size = 0
            ch.dropped = ch.live_dropped = ch.seq
            self._maybe_drop(channel, ch)

    def _maybe_drop(self, name: str, ch: _Channel) -> None:
        # An idle channel keeps only its counter's worth of memory while it has
        # history to resume from; an empty one is dropped entirely.
        if not ch.subscribers and not ch.history and not ch.live and ch.seq == 0:
            del self._channels[name]
