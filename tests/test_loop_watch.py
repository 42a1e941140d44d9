"""`server.loop_watch`: a loop kept busy shows as lag, and a collection as a
GC pause, in the counters `/metrics` reads."""

from __future__ import annotations

import asyncio
import gc
import time

import pytest

from server.counters import Counters
from server.loop_watch import LAG_INTERVAL, LoopWatch

pytestmark = pytest.mark.anyio

BLOCK = 0.2  # seconds the test holds the loop


def observed(h) -> int:
    return sum(h.counts)


def at_least(h, seconds: float) -> int:
    """Observations above the largest bound below ``seconds``: at least that long."""
    below = [i for i, b in enumerate(h.bounds) if b < seconds]
    return sum(h.counts[below[-1] + 1:]) if below else observed(h)


async def test_a_loop_held_up_shows_as_lag_at_least_as_long():
    counters = Counters()
    watch = LoopWatch(counters)
    watch.start()
    try:
        await asyncio.sleep(3 * LAG_INTERVAL)
        assert observed(counters.loop_lag_seconds) >= 1  # it samples by itself
        assert at_least(counters.loop_lag_seconds, BLOCK) == 0  # an idle loop is not late by that much
        loop = asyncio.get_running_loop()
        # a callback that holds the loop, as a long collection or a slow request would
        loop.call_later(LAG_INTERVAL / 2, time.sleep, BLOCK)
        await asyncio.sleep(BLOCK + 3 * LAG_INTERVAL)
        assert at_least(counters.loop_lag_seconds, BLOCK / 2) >= 1
    finally:
        watch.stop()
    n = observed(counters.loop_lag_seconds)
    await asyncio.sleep(3 * LAG_INTERVAL)
    assert observed(counters.loop_lag_seconds) == n  # stopped: no more samples


async def test_collections_are_timed_by_generation_until_stopped():
    counters = Counters()
    watch = LoopWatch(counters)
    watch.start()
    try:
        gc.collect()
        gc.collect(0)
        assert observed(counters.gc_seconds[2]) >= 1
        assert observed(counters.gc_seconds[0]) >= 1
        assert counters.gc_seconds[2].sum > 0
    finally:
        watch.stop()
    n = observed(counters.gc_seconds[2])
    gc.collect()
    assert observed(counters.gc_seconds[2]) == n
