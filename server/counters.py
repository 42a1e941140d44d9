"""What the relay counts for operators, as plain numbers.

The hot paths (every frame, every message) only add to an int here; nothing
is formatted or locked per frame. `/metrics` (server/web/metrics.py) reads
these at scrape time. One `Counters` per relay node, created by `Relay`.
"""

from __future__ import annotations

from bisect import bisect_left

from .protocol import StreamKind

CONNECTION_KINDS = ("rep", "customer", "agent")
STREAM_KINDS = {int(k): k.name.lower() for k in StreamKind}
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Seconds: from half a millisecond (the in-process broker) to seconds (a stalled disk)."""


class Histogram:
    """A latency histogram as Prometheus counts it: `counts[i]` observations
    at or below `bounds[i]` (not cumulative here; the last slot is +Inf)."""

    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(self.bounds, seconds)] += 1
        self.sum += seconds

    def cumulative(self) -> list[tuple[str, int]]:
        """``[(le, count), ...]`` ending with ``("+Inf", total)``, as the text format wants."""
        out, total = [], 0
        for bound, n in zip((*(repr(b) for b in self.bounds), "+Inf"), self.counts, strict=True):
            total += n
            out.append((bound, total))
        return out


class Counters:
    """Totals since the relay started, and the live connections by kind."""

    __slots__ = ("connections", "frames", "frame_bytes", "messages", "slow_receivers", "rate_limited",
                 "resumed", "resume_gaps", "resume_skipped", "store_seconds", "broker_seconds", "loop_lag_seconds",
                 "gc_seconds", "heap_trim_seconds")

    def __init__(self) -> None:
        self.connections = dict.fromkeys(CONNECTION_KINDS, 0)
        """Open WebSockets that said hello, by who holds them."""
        self.frames = [0] * 256
        """Binary frames accepted and relayed, by the header's kind byte (`StreamKind`)."""
        self.frame_bytes = [0] * 256
        self.messages = 0
        """Text messages (JSON protocol messages) received after hello."""
        self.slow_receivers = 0
        """Connections closed because they stopped reading (their outbox overflowed)."""
        self.rate_limited = {"messages": 0, "frames": 0}
        self.resumed = 0
        """Reconnections that picked up where they left off."""
        self.resume_gaps = 0
        """Reconnections that had missed more than the history keeps: told to resync."""
        self.resume_skipped = 0
        """Reconnections that had missed live frames no longer kept: told frames_skipped."""
        self.store_seconds = Histogram()
        """Durable writes (record batches) and the sign-in lookups of hello."""
        self.broker_seconds = Histogram()
        """Publishing the relay's own messages (session states, chat, boards) and subscribing."""
        self.loop_lag_seconds = Histogram()
        """How long a callback made ready waits for the event loop (`server.loop_watch`)."""
        self.gc_seconds = [Histogram() for _ in range(3)]
        """The garbage collector's collections, by generation: the loop stops while they run."""
        self.heap_trim_seconds = Histogram()
        """Giving the C heap's free pages back to the system (`server.heap_trim`): the loop waits for it."""
