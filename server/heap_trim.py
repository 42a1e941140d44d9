"""Give the C heap's free pages back to the system, now and then.

A relay's frames larger than Python's small-object allocator takes (512
bytes: a page's changes, a screen tile) come from the C library's heap, and
so do the socket buffers. Bursts and departures leave whole pages of that
heap free between chunks still in use, and glibc returns only the free end
of its heap by itself: the rest stays in the process's RSS until the same
sizes are asked for again. `malloc_trim(0)` hands those pages back (glibc
2.8 and later), so `HeapTrim` calls it on the loop every
``TANDEM_HEAP_TRIM_INTERVAL`` seconds. After 500 connections each sent a
64 KiB frame and most closed, 40 MB stayed in the relay's RSS without it and
7.5 MB with it; at 1,000 live sessions one call took 0.2-0.8 ms
(BENCHMARKS.md, Capacity). Where the C library has no `malloc_trim` (musl,
macOS, Windows) it does nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
from functools import cache
from time import perf_counter

from .counters import Counters


@cache
def _malloc_trim():
    """The C library's ``malloc_trim``, or None where it has none."""
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the symbols the process has loaded: its C library's
    except (OSError, AttributeError, TypeError):  # TypeError: Windows loads no library by None
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


class HeapTrim:
    """Trims the C heap every ``interval`` seconds while started (0: never)."""

    def __init__(self, counters: Counters, interval: float) -> None:
        self.counters = counters
        self.interval = interval
        self._trim = _malloc_trim() if interval > 0 else None
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        if self._trim is not None:
            self._loop = asyncio.get_running_loop()
            self._timer = self._loop.call_later(self.interval, self._run)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _run(self) -> None:
        t0 = perf_counter()
        self._trim(0)
        self.counters.heap_trim_seconds.observe(perf_counter() - t0)
        self._timer = self._loop.call_later(self.interval, self._run)
