"""What keeps the relay's event loop from answering, for `/metrics`.

Every frame and message a relay process serves waits for its one event loop,
so the loop's lateness is the latency the relay adds, whatever the network
and the clients add around it. `LoopWatch` measures it as a frame arriving at
a given moment meets it: every `LAG_INTERVAL` a timer falls due, then makes a
callback ready (``call_soon``), and the sample is how long after the due
moment that callback runs. A loop held up by one long piece of work shows in
the timer's lateness; a loop busy with many small ones, in the callback's
wait for its turn behind the next round of sockets. Timers count whole
milliseconds, so a sample is right to within one. It also times the garbage
collector's collections, which stop the loop while they run
(`server.workers.tune_gc`).

Both go into the relay's `Counters` (`loop_lag_seconds`, `gc_seconds` by
generation): a sample costs one timer and one callback, ten times a second.
"""

from __future__ import annotations

import asyncio
import gc
from time import perf_counter

from .counters import Counters

LAG_INTERVAL = 0.1
"""Seconds between two samples of the loop's lateness."""


class LoopWatch:
    """Samples the running loop's lateness and times GC collections while started."""

    def __init__(self, counters: Counters) -> None:
        self.counters = counters
        self._timer: asyncio.TimerHandle | None = None
        self._gc_started = 0.0

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._schedule()
        gc.callbacks.append(self._on_gc)

    def _schedule(self) -> None:
        self._timer = self._loop.call_later(LAG_INTERVAL, self._sample, perf_counter() + LAG_INTERVAL)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)

    def _sample(self, due: float) -> None:
        self._loop.call_soon(self._turn, due)
        self._schedule()

    def _turn(self, due: float) -> None:
        if self._timer is None:
            return  # stopped since this sample fell due
        self.counters.loop_lag_seconds.observe(max(0.0, perf_counter() - due))  # a timer may fire early by < 1 ms

    def _on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_started = perf_counter()
        elif self._gc_started:
            self.counters.gc_seconds[info["generation"]].observe(perf_counter() - self._gc_started)
            self._gc_started = 0.0
