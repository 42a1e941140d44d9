"""The desk's records on their way to the store.

`Relay.flush` hands the records of each event to `RecordWriter.add`; one task
(`run`) writes them in order, in batches, one transaction each, so a slow
disk never stalls message delivery and nothing is dropped: a batch the store
refused is kept and tried again. In a cluster the node keeps its own records
with their inbox entries, and the writer only tells its owner when to write
them (`ready`).
"""

from __future__ import annotations

import asyncio
import logging
import time

from .counters import Counters

log = logging.getLogger(__name__)


class RecordWriter:
    INTERVAL = 0.2
    """Seconds at least between two record writes while records keep coming:
    under load (chat lines of hundreds of sessions) one transaction then takes
    every record of the interval. A transaction costs ~2.5 ms of CPU however
    little it holds (its statements go to SQLite's thread and back one by
    one), a chat line in it ~0.1 ms (bench/records.py): with 1,000 sessions'
    chat, 20 batches of 10 lines a second took 6 % of a core, 5 of 40 take 2 %.
    After a quiet spell the next record is written at once. Code that reads
    what was just recorded calls `drain()`; a relay that stops writes what it
    holds, one that is killed loses at most this interval's records."""

    RETRY_AFTER = 1.0
    """Seconds before a batch the store refused is tried again."""

    def __init__(self, store, counters: Counters, node=None) -> None:
        self.store = store
        self.counters = counters
        self.node = node  # a cluster's node writes its own records (`server.cluster.node`)
        self._records: list = []
        self._ready = asyncio.Event()
        self._writing = asyncio.Lock()

    def add(self, records: list) -> None:
        """Records of one relay process (no cluster), written soon."""
        self._records.extend(records)
        self._ready.set()

    def ready(self) -> None:
        """The cluster's node has records to write."""
        self._ready.set()

    async def store_entries(self, pairs: list) -> None:
        """Records with their inbox entries (a cluster's owner)."""
        t0 = time.perf_counter()
        await self.store.record_entries(pairs)
        self.counters.store_seconds.observe(time.perf_counter() - t0)

    async def run(self) -> None:
        """Write what comes, at most every `INTERVAL` seconds (a task)."""
        loop = asyncio.get_running_loop()
        last = float("-inf")
        while True:
            await self._ready.wait()
            wait = last + self.INTERVAL - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._ready.clear()
            await self.write()
            last = loop.time()

    async def write(self) -> None:
        """Write every record held now."""
        node = self.node
        if node is not None:
            if node.owner:
                try:
                    await node.write_records()
                except Exception:
                    log.exception("could not store the desk's records; retrying")
                    await asyncio.sleep(self.RETRY_AFTER)
                    self._ready.set()
            return
        # One writer at a time: a drain() waits for a batch already on its way.
        async with self._writing:
            while self._records:
                batch, self._records = self._records, []
                try:
                    t0 = time.perf_counter()
                    await self.store.record(batch)
                    self.counters.store_seconds.observe(time.perf_counter() - t0)
                except Exception:
                    log.exception("could not store %d records; retrying", len(batch))
                    self._records[:0] = batch
                    await asyncio.sleep(self.RETRY_AFTER)

    async def drain(self) -> None:
        """Wait until every record so far is in the store (reports, shutdown)."""
        if self.node is not None:
            await self.node.drain()
            return
        await self.write()
