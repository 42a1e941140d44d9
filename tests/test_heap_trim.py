"""`server.heap_trim`: pages the C heap keeps free after a burst leave the
process's RSS at the next trim, and `/metrics` counts the trims."""

from __future__ import annotations

import asyncio

import pytest

from server.config import Settings
from server.counters import Counters
from server.heap_trim import HeapTrim, _malloc_trim

pytestmark = pytest.mark.anyio

BURST = 20_000  # frames of 4 KiB (80 MB): from the C heap, as a relay's large frames are
INTERVAL = 0.05


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def observed(h) -> int:
    return sum(h.counts)


async def test_a_burst_freed_leaves_the_rss_at_the_next_trim():
    assert _malloc_trim() is not None, "glibc has malloc_trim (Debian, the relay's image)"
    counters = Counters()
    trim = HeapTrim(counters, INTERVAL)
    burst = [bytes([i % 256]) * (4096 - 33) for i in range(BURST)]
    # one frame in 16 stays (the last one too: the heap's top stays in use), as
    # some sessions outlive a burst; glibc keeps the pages between them
    keep = burst[15::16]
    before = rss()
    del burst
    assert rss() > before - 20e6, "glibc gives back only its heap's top by itself"
    trim.start()
    try:
        await asyncio.sleep(4 * INTERVAL)
    finally:
        trim.stop()
    assert rss() < before - 40e6, "at least half of what the burst freed went back to the system"
    n = observed(counters.heap_trim_seconds)
    assert n >= 1
    await asyncio.sleep(3 * INTERVAL)
    assert observed(counters.heap_trim_seconds) == n  # stopped: no more trims
    assert keep


async def test_no_trim_when_the_interval_is_zero():
    counters = Counters()
    trim = HeapTrim(counters, 0)
    trim.start()
    await asyncio.sleep(0.1)
    trim.stop()
    assert observed(counters.heap_trim_seconds) == 0


def test_a_negative_interval_is_refused():
    with pytest.raises(ValueError, match="TANDEM_HEAP_TRIM_INTERVAL is -1"):
        Settings.from_env({"TANDEM_HEAP_TRIM_INTERVAL": "-1"})
