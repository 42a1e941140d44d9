"""In-process broker: channels are bounded histories in this process.

A channel keeps two histories, merged by seq when a subscriber resumes: its
messages (`history_messages`, `history_bytes`, and `history_seconds`: long
enough for any resume the relay allows), and the frames of live streams
published with ``live=True`` (cobrowse events, input), which are bounded much
tighter, by bytes (`live_bytes`) and by age (`live_seconds`), and trimmed in
steps (`_LiveHistory`): a viewer rebuilds its picture from a fresh snapshot,
and stale input is not worth replaying, so those frames need not hold the
relay's memory for long. A subscriber resuming past a live frame that is gone
gets the rest and has `skipped` set (`server.web.ws` tells the client, whose
viewer starts afresh); past a message that is gone, it gets `Gap` as before.

A message published with ``replaces`` (a name) carries a whole state, such as
a rep's queue board or one session's state: the channel's history keeps only
the newest message of that name, so a client resuming after many changes gets
the state once.

An entry of a history costs a slot in a list and 12 bytes in two arrays (its
seq and its time), not a tuple and two number objects: with thousands of
sessions the histories are most of the relay's memory.
"""

from __future__ import annotations

import time
from array import array
from bisect import bisect_right

from . import Deliver, Gap, Lost, Payload

_TICKS = 10  # history times are kept in tenths of a second since the broker started
_AGE_STEP = 5  # ticks a live frame may stay past the age bound, so that trims come in steps


class _History:
    """Payloads in seq order, trimmed from the front; a replaced one leaves a
    hole (None) until the front reaches it or the holes are compacted."""

    __slots__ = ("payloads", "seqs", "ticks", "head", "holes", "size", "dropped", "named")

    def __init__(self) -> None:
        self.payloads: list[Payload | None] = []
        self.seqs = array("Q")
        self.ticks = array("I")
        self.head = 0  # entries before it are gone
        self.holes = 0  # replaced entries at or after `head`
        self.size = 0  # bytes of the payloads kept
        self.dropped = 0  # the last seq trimmed from the front
        self.named: dict[str, int] | None = None  # `replaces` name -> the seq of its newest message

    def __len__(self) -> int:
        return len(self.payloads) - self.head - self.holes

    def add(self, seq: int, payload: Payload, tick: int, max_count: int, max_bytes: int, oldest_tick: int,
            replaces: str | None = None) -> None:
        """Append, then drop from the front past any bound: at most `max_count`
        entries, `max_bytes` of payloads, none older than `oldest_tick`."""
        if replaces is not None:
            self._replace(replaces, seq)
        payloads, ticks = self.payloads, self.ticks
        payloads.append(payload)
        self.seqs.append(seq)
        ticks.append(tick)
        size = self.size = self.size + len(payload)
        head = self.head
        if size > max_bytes or len(payloads) - head - self.holes > max_count or ticks[head] < oldest_tick:
            self._trim(max_count, max_bytes, oldest_tick)

    def _replace(self, name: str, seq: int) -> None:
        named = self.named
        if named is None:
            named = self.named = {}
        old = named.get(name)
        named[name] = seq
        if old is None or old <= self.dropped:
            return
        i = bisect_right(self.seqs, old, self.head) - 1
        gone = self.payloads[i] if i >= self.head and self.seqs[i] == old else None
        if gone is not None:
            self.payloads[i] = None
            self.size -= len(gone)
            self.holes += 1
            if self.holes > 32 and self.holes * 2 > len(self.payloads) - self.head:
                self._compact()

    def _trim(self, max_count: int, max_bytes: int, oldest_tick: int) -> None:
        payloads, ticks, head, size, holes = self.payloads, self.ticks, self.head, self.size, self.holes
        end = len(payloads)
        while head < end and (size > max_bytes or end - head - holes > max_count or ticks[head] < oldest_tick):
            gone = payloads[head]
            payloads[head] = None
            if gone is None:
                holes -= 1
            else:
                size -= len(gone)
            head += 1
        self.dropped = self.seqs[head - 1]
        self.size, self.holes = size, holes
        named = self.named
        if named is not None and len(named) > 8:
            # names whose newest message is gone (a rep's ended sessions): the dict
            # stays as small as the history
            for name in [k for k, v in named.items() if v <= self.dropped]:
                del named[name]
        if head > 32 and head * 2 > end:
            del payloads[:head], self.seqs[:head], ticks[:head]
            head = 0
        self.head = head

    def _compact(self) -> None:
        keep = [i for i in range(self.head, len(self.payloads)) if self.payloads[i] is not None]
        self.payloads = [self.payloads[i] for i in keep]
        self.seqs = array("Q", (self.seqs[i] for i in keep))
        self.ticks = array("I", (self.ticks[i] for i in keep))
        self.head = self.holes = 0

    def after(self, seq: int) -> list[tuple[int, Payload]]:
        """What is kept after `seq`, in order."""
        payloads, seqs = self.payloads, self.seqs
        start = bisect_right(seqs, seq, self.head)
        return [(seqs[i], payloads[i]) for i in range(start, len(payloads)) if payloads[i] is not None]

    def clear(self, seq: int) -> None:
        """Keep nothing: what came up to `seq` is gone."""
        _History.__init__(self)
        self.dropped = seq


class _LiveHistory(_History):
    """Frames of live streams, trimmed in steps: once past the byte or count
    bound, down to three quarters of it, and the frames past the age bound only
    once the oldest is half a second past it. Most frames then pass with no trim
    (a trim per frame was a fifth of the relay's CPU per frame), what is kept
    never passes the bounds, and never less than the age bound is kept while
    bytes and count allow it. Live frames replace nothing."""

    __slots__ = ()

    def add(self, seq: int, payload: Payload, tick: int, max_count: int, max_bytes: int, oldest_tick: int,
            replaces: str | None = None) -> None:
        payloads, ticks = self.payloads, self.ticks
        payloads.append(payload)
        self.seqs.append(seq)
        ticks.append(tick)
        size = self.size = self.size + len(payload)
        head = self.head
        if size > max_bytes or len(payloads) - head > max_count or ticks[head] < oldest_tick - _AGE_STEP:
            self._trim(max_count - (max_count >> 2), max_bytes - (max_bytes >> 2), oldest_tick)


class _Channel:
    __slots__ = ("seq", "history", "live", "subscribers")

    def __init__(self) -> None:
        self.seq = 0
        self.history = _History()
        self.live = _LiveHistory()
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
                 history_seconds: float = 150.0, live_bytes: int = 16 * 1024, live_seconds: float = 10.5,
                 clock=time.monotonic) -> None:
        self.history_messages = history_messages
        self.history_bytes = history_bytes
        self.history_ticks = round(history_seconds * _TICKS)
        self.live_bytes = live_bytes
        self.live_ticks = round(live_seconds * _TICKS)
        self.clock = clock
        self._epoch = clock()
        self._channels: dict[str, _Channel] = {}

    async def connect(self) -> None:
        pass

    async def disconnect(self) -> None:
        self._channels.clear()

    async def publish(self, channel: str, payload: Payload, live: bool = False, replaces: str | None = None) -> int:
        return self.publish_nowait(channel, payload, live, replaces)

    def publish_nowait(self, channel: str, payload: Payload, live: bool = False, replaces: str | None = None) -> int:
        ch = self._channels.get(channel)
        if ch is None:
            ch = self._channels[channel] = _Channel()
        ch.seq += 1
        seq = ch.seq
        tick = int((self.clock() - self._epoch) * _TICKS)
        if live:
            ch.live.add(seq, payload, tick, self.history_messages, self.live_bytes, tick - self.live_ticks)
        else:
            ch.history.add(seq, payload, tick, self.history_messages, self.history_bytes, tick - self.history_ticks,
                           replaces)
        for sub in ch.subscribers:
            sub.deliver(seq, payload)
        return seq

    async def subscribe(self, channel: str, after: int | None, deliver: Deliver, lost: Lost | None = None) -> _Sub:
        ch = self._channels.get(channel)
        if ch is None:
            ch = self._channels[channel] = _Channel()
        skipped = False
        if after is not None and after < ch.seq:
            if after < ch.history.dropped:
                raise Gap(f"{channel}: history starts after {ch.history.dropped}, asked after {after}")
            skipped = after < ch.live.dropped
            messages = ch.history.after(after)
            frames = ch.live.after(after)
            for seq, payload in sorted(messages + frames) if frames else messages:
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
            ch.history.clear(ch.seq)
            ch.live.clear(ch.seq)
            self._maybe_drop(channel, ch)

    def _maybe_drop(self, name: str, ch: _Channel) -> None:
        # An idle channel keeps only its counter's worth of memory while it has
        # history to resume from; an empty one is dropped entirely.
        if not ch.subscribers and not ch.history and not ch.live and ch.seq == 0:
            del self._channels[name]
