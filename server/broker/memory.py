"""In-process broker: channels are bounded deques in this process."""

from __future__ import annotations

from collections import deque

from . import Deliver, Gap, Lost, Payload


class _Channel:
    __slots__ = ("seq", "history", "size", "subscribers")

    def __init__(self) -> None:
        self.seq = 0
        self.history: deque[tuple[int, Payload]] = deque()
        self.size = 0
        self.subscribers: list[_Sub] = []


class _Sub:
    __slots__ = ("broker", "name", "deliver")

    def __init__(self, broker: MemoryBroker, name: str, deliver: Deliver) -> None:
        self.broker = broker
        self.name = name
        self.deliver = deliver

    def close(self) -> None:
        ch = self.broker._channels.get(self.name)
        if ch is not None and self in ch.subscribers:
            ch.subscribers.remove(self)
            self.broker._maybe_drop(self.name, ch)


class MemoryBroker:
    def __init__(self, *, history_messages: int = 512, history_bytes: int = 1 << 20) -> None:
        self.history_messages = history_messages
        self.history_bytes = history_bytes
        self._channels: dict[str, _Channel] = {}

    async def connect(self) -> None:
        pass

    async def disconnect(self) -> None:
        self._channels.clear()

    async def publish(self, channel: str, payload: Payload) -> int:
        return self.publish_nowait(channel, payload)

    def publish_nowait(self, channel: str, payload: Payload) -> int:
        ch = self._channels.get(channel)
        if ch is None:
            ch = self._channels[channel] = _Channel()
        ch.seq += 1
        seq = ch.seq
        ch.history.append((seq, payload))
        ch.size += len(payload)
        while ch.history and (len(ch.history) > self.history_messages or ch.size > self.history_bytes):
            ch.size -= len(ch.history.popleft()[1])
        for sub in ch.subscribers:
            sub.deliver(seq, payload)
        return seq

    async def subscribe(self, channel: str, after: int | None, deliver: Deliver, lost: Lost | None = None) -> _Sub:
        ch = self._channels.get(channel)
        if ch is None:
            ch = self._channels[channel] = _Channel()
        if after is not None and after < ch.seq:
            oldest = ch.history[0][0] if ch.history else ch.seq + 1
            if after + 1 < oldest:
                raise Gap(f"{channel}: history starts at {oldest}, asked after {after}")
            for seq, payload in ch.history:
                if seq > after:
                    deliver(seq, payload)
        sub = _Sub(self, channel, deliver)
        ch.subscribers.append(sub)
        return sub

    async def last_seq(self, channel: str) -> int:
        ch = self._channels.get(channel)
        return ch.seq if ch else 0

    async def forget(self, channel: str) -> None:
        ch = self._channels.get(channel)
        if ch is not None:
            ch.history.clear()
            ch.size = 0
            self._maybe_drop(channel, ch)

    def _maybe_drop(self, name: str, ch: _Channel) -> None:
        # An idle channel keeps only its counter's worth of memory while it has
        # history to resume from; an empty one is dropped entirely.
        if not ch.subscribers and not ch.history and ch.seq == 0:
            del self._channels[name]
