"""This relay process as one node of a cluster (see `server.cluster`).

Three tasks: the apply loop reads the inbox and applies every entry to this
node's replica of the desk (and, while this node holds the lease, publishes
what they produced); the lease loop takes or renews the lease; the owner's
tick loop appends a clock tick four times a second. The owner also writes the
desk's records to the store (each batch with its last entry, so a record is
never stored twice) and a signed snapshot to Redis every few seconds, from
which a starting node catches up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections import deque
from collections.abc import Awaitable
from typing import Any

from ..backends import shown
from ..broker import Unreachable
from ..core.actors import Actor
from ..core.errors import CoreError
from . import Unavailable, scripts
from .batch import Batcher
from .lease import ALIVE, ALIVE_TIMEOUT, FENCE, LEASE_MS, OWNER, LeaseHolder
from .limits import SharedBackoff, SharedWindow
from .replica import Replica, Signer, actor_data, entry_after, entry_key

log = logging.getLogger(__name__)

INBOX = "tandem:inbox"
PUBLISHED = "tandem:published"
STORED = "tandem:stored"
SNAPSHOT = "tandem:snapshot"
RESUME = "tandem:resume:"
NODES = "tandem:nodes"

READ_BLOCK_MS = 250
READ_COUNT = 512
BATCH_PAYLOADS = 256
SNAPSHOT_EVERY = 5.0
INBOX_KEEP_MS = 120_000
"""Entries older than the snapshot by this much are trimmed from the inbox."""
INBOX_MAXLEN = 1_000_000
SNAPSHOT_WAIT = 30.0
CURSORS_EVERY = 1.0
SUBMIT_TIMEOUT = 10.0
STOP_WAIT = 1.0
POOL_SIZE = 64


class Node(LeaseHolder):
    def __init__(self, relay) -> None:
        self.relay = relay
        """The `server.relay.Relay` this node runs (which imports this module)."""
        self.url = relay.settings.broker_url
        self.id = secrets.token_hex(4)
        self.signer = Signer(relay.settings.secret_key)
        self.replica = Replica(relay.desk, self.signer, relay.settings.resume_window)
        self.position = "0-0"
        """The last inbox entry this replica applied."""
        self.token: str | None = None
        """The lease's fencing token while this node owns the desk."""
        self._taken: str | None = None  # a lease just taken, for the apply loop to start owning with
        self.unpublished: deque[tuple[str, list]] = deque()
        """(entry, what it produced for the broker), until the owner published it."""
        self.unstored: deque[tuple[str, list]] = deque()
        """(entry, its records), until the owner stored them."""
        self._requests = 0
        self._waiting: dict[int, asyncio.Future] = {}
        self._synced: list[tuple[str, asyncio.Future]] = []
        self._redis = None
        self._reader = None
        self._scripts: dict[str, Any] = {}
        self.limits: dict[str, Any] = {}
        self._tasks: list[asyncio.Task] = []
        self._last_snapshot = 0.0
        self._snapshot_position = "0-0"
        self._last_cursors = 0.0
        self.healthy = True
        self._writing = asyncio.Lock()
        self._burying: set[str] = set()

    @property
    def owner(self) -> bool:
        return self.token is not None

    # --- life cycle -----------------------------------------------------------

    async def connect(self) -> None:
        from redis import asyncio as aioredis
        from redis.exceptions import RedisError

        options = dict(protocol=2, socket_connect_timeout=5, health_check_interval=30)
        # calls wait for a free connection rather than fail when all are busy
        pool = aioredis.BlockingConnectionPool.from_url(self.url, max_connections=POOL_SIZE, timeout=SUBMIT_TIMEOUT,
                                                        socket_timeout=5, **options)
        self._redis = aioredis.Redis(connection_pool=pool)
        self._batch = Batcher(self._redis)
        self._reader = aioredis.Redis.from_url(self.url, single_connection_client=True,
                                               socket_timeout=READ_BLOCK_MS / 1000 + 5, **options)
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            raise Unreachable(f"cannot reach Redis at {shown(self.url)}: {exc}") from None
        for name in ("SUBMIT", "PUBLISH_BATCH", "PUBLISH_FRAME", "START", "TAKE_LEASE", "RENEW_LEASE", "TAKE_RESUME"):
            self._scripts[name] = self._redis.register_script(getattr(scripts, name))
        relay = self.relay
        self.limits = {"join": SharedWindow(self._redis, "join", relay.join_by_address),
                       "signin_address": SharedWindow(self._redis, "signin", relay.signin_by_address),
                       "signin": SharedBackoff(self._redis, "backoff", relay.signin_backoff)}
        """The relay's rate limits, counted in Redis for every node together."""

    async def start(self, restore) -> None:
        """Join the cluster: load the newest snapshot and catch up, or, as the
        first node, build the desk with ``restore()`` (from the store) and
        write the first snapshot."""
        token = await self._scripts["START"](keys=[OWNER, FENCE, SNAPSHOT, NODES], args=[self.id, LEASE_MS, ALIVE])
        await self._redis.set(ALIVE + self.id, 1, px=LEASE_MS)
        await self._redis.sadd(NODES, self.id)
        if token is not None:
            self.token = token.decode()
        # the lease (and this node's alive mark) kept while the desk is built, however long that takes
        self._tasks = [asyncio.create_task(self._lease_loop(), name="cluster-lease")]
        data = None if token is not None else await self._redis.get(SNAPSHOT)
        if data is None:
            if token is not None:
                await restore()
                last = await self._redis.xrevrange(INBOX, count=1)
                self.position = last[0][0].decode() if last else "0-0"
                self._drop_output()
                await self._redis.set(SNAPSHOT, self.replica.snapshot(self.position))
                await self._redis.set(PUBLISHED, self.position)
                log.info("node %s: first node of the cluster, owner from %s", self.id, self.position)
            else:
                deadline = time.monotonic() + SNAPSHOT_WAIT
                while data is None and time.monotonic() < deadline:
                    await asyncio.sleep(0.1)
                    data = await self._redis.get(SNAPSHOT)
                if data is None:
                    raise Unreachable(f"no cluster state in Redis at {shown(self.url)} after {SNAPSHOT_WAIT:.0f} s")
        if data is not None:
            self.position = self.replica.load(data)
            self.relay.desk = self.replica.desk
            self._drop_output()
            log.info("node %s: joined the cluster at %s", self.id, self.position)
        self._tasks += [asyncio.create_task(self._apply_loop(), name="cluster-apply"),
                        asyncio.create_task(self._tick_loop(), name="cluster-tick")]
        await self.sync()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        _done, pending = await asyncio.wait(self._tasks, timeout=STOP_WAIT) if self._tasks else (set(), set())
        if pending:
            # redis-py can swallow a cancellation that lands mid-command and
            # block in the next XREAD: closing its connection ends that read
            await self._reader.aclose()
            await asyncio.gather(*pending, return_exceptions=True)
        if self.token is not None:
            try:
                await self._publish()
                await self.write_records()
                if self.token is not None:  # give the lease up: the next node need not wait for it to run out
                    await self._redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then "
                                           "return redis.call('DEL', KEYS[1]) end return 0", 1, OWNER, self.token)
                    self.token = None
            except Exception as exc:
                log.warning("node %s: could not hand over cleanly: %s", self.id, exc)
        try:  # gone: nobody need wait for this node's mark to run out
            await self._redis.delete(ALIVE + self.id)
            await self._redis.srem(NODES, self.id)
        except Exception as exc:
            log.warning("node %s: could not say goodbye: %s", self.id, exc)
        if self._reader is not None:
            await self._reader.aclose()
        if self._redis is not None:
            await self._redis.aclose(close_connection_pool=True)  # its pool was made here, not by the client

    def _drop_output(self) -> None:
        self.relay.desk.data_to_send()
        self.relay.desk.records_to_store()

    # --- inputs -----------------------------------------------------------------

    async def submit(self, kind: str, data: Any, *, resume: str | None = None, seq: int = 0) -> Any:
        """Append an input to the inbox; returns its result once this node's
        replica applied it (or raises the desk's `CoreError`)."""
        if not self.healthy:
            raise Unavailable("this relay node cannot reach Redis")
        body = self.signer.dumps(data) if kind in ("rep", "queues", "policies") else json.dumps(data)
        self._requests += 1
        request = self._requests
        future = self._waiting[request] = asyncio.get_running_loop().create_future()
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a
        # cancellation that lands as the answer comes (a connection closed as
        # a slow receiver would go on reading)
        try:
            try:
                async with asyncio.timeout(SUBMIT_TIMEOUT):
                    await self._batch.call(self._scripts["SUBMIT"], [INBOX, RESUME + resume if resume else ""],
                                           [kind, body, self.id, request, seq, INBOX_MAXLEN])
            except Exception as exc:
                raise Unavailable(f"the relay cannot reach Redis: {exc}") from None
            async with asyncio.timeout(SUBMIT_TIMEOUT):
                return await future
        finally:  # answered, failed or cancelled (a connection closed): nothing waits for it now
            self._waiting.pop(request, None)

    async def ask(self, call: Awaitable[Any]) -> Any:
        """A read or write of shared state (rate limits): `Unavailable` when
        this node has lost Redis, or Redis does not answer in time."""
        if not self.healthy:
            call.close()
            raise Unavailable("this relay node cannot reach Redis")
        try:
            async with asyncio.timeout(ALIVE_TIMEOUT):
                return await call
        except Exception as exc:
            raise Unavailable(f"the relay cannot reach Redis: {exc!r}") from None

    async def message(self, actor: Actor, text: str, resume: str | None, seq: int) -> None:
        await self.submit("msg", {"a": actor_data(actor), "m": text}, resume=resume, seq=seq)

    async def sync(self) -> None:
        """Wait until this replica applied everything appended so far."""
        last = await self._redis.xrevrange(INBOX, count=1)
        if not last:
            return
        target = last[0][0].decode()
        if not entry_after(target, self.position):
            return
        future = asyncio.get_running_loop().create_future()
        self._synced.append((target, future))
        async with asyncio.timeout(SUBMIT_TIMEOUT):
            await future

    async def publish_frame(self, channels: list[str], data: bytes, resume: str | None, seq: int) -> None:
        broker = self.relay.broker
        keys = [RESUME + (resume or "-")]
        for channel in channels:
            keys.extend(broker._keys(channel))
        try:
            await self._batch.call(self._scripts["PUBLISH_FRAME"], keys,
                                   [seq, broker.history_messages, broker.history_bytes, broker.idle_expiry_ms,
                                    *broker.bounds(), data])
        except Exception as exc:
            raise Unavailable(f"the relay cannot reach Redis: {exc}") from None

    # --- resume ids, cluster-wide -------------------------------------------------

    async def save_resume(self, key: str, channel: str, seq: int, ttl: float) -> None:
        await self._redis.hset(RESUME + key, mapping={"channel": channel, "seq": seq})
        await self._redis.pexpire(RESUME + key, int(ttl * 1000))

    async def take_resume(self, key: str) -> tuple[str, int] | None:
        channel, seq = await self._scripts["TAKE_RESUME"](keys=[RESUME + key], args=[])
        if channel is None:
            return None
        return channel.decode(), int(seq or 0)

    async def expire_resume(self, key: str, ttl: float) -> None:
        await self._redis.pexpire(RESUME + key, int(ttl * 1000))

    # --- the apply loop -----------------------------------------------------------

    async def _apply_loop(self) -> None:
        from redis.exceptions import RedisError

        while True:
            try:
                replies = await self._reader.xread({INBOX: self.position}, count=READ_COUNT, block=READ_BLOCK_MS)
                for _key, entries in replies or ():
                    for entry_id, fields in entries:
                        self._apply(entry_id.decode(), fields)
                self._wake_synced()
                await self._after_batch()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                if asyncio.current_task().cancelling():
                    raise asyncio.CancelledError from None  # redis-py turned our cancellation into this
                log.warning("node %s: reading the inbox failed (%s); retrying", self.id, exc)
                await asyncio.sleep(0.5)
            except Exception:
                if asyncio.current_task().cancelling():
                    raise asyncio.CancelledError from None
                log.exception("node %s: the apply loop failed; going on", self.id)
                await asyncio.sleep(0.5)

    def _apply(self, entry_id: str, fields: dict[bytes, bytes]) -> None:
        kind = fields[b"k"].decode()
        result, error = None, None
        try:
            result = self.replica.apply(entry_id, kind, fields[b"d"], fields[b"n"].decode())
        except CoreError as exc:
            error = exc
        except Exception as exc:  # the same on every replica: log it, keep the desk going
            log.exception("node %s: entry %s (%s) failed", self.id, entry_id, kind)
            error = exc
        desk = self.relay.desk
        out, records = desk.data_to_send(), desk.records_to_store()
        if out:
            self.unpublished.append((entry_id, out))
        if records:
            self.unstored.append((entry_id, records))
            self.relay.forget_links(records)
            if self.token is not None:
                self.relay.recorder.observe(records)
        self.position = entry_id
        if fields[b"n"].decode() == self.id:
            future = self._waiting.get(int(fields[b"r"]))
            if future is not None and not future.done():
                if error is None:
                    future.set_result(result)
                else:
                    future.set_exception(error)

    def _wake_synced(self) -> None:
        if not self._synced:
            return
        waiting = []
        for target, future in self._synced:
            if future.done():
                continue
            if entry_after(target, self.position):
                waiting.append((target, future))
            else:
                future.set_result(None)
        self._synced = waiting

    async def _after_batch(self) -> None:
        if self._taken is not None:
            await self._take_over()
        if self.token is not None:
            await self._publish()
            self.relay.records.ready()
            now = time.monotonic()
            if now - self._last_snapshot >= SNAPSHOT_EVERY and self.position != self._snapshot_position:
                await self._snapshot()
        elif time.monotonic() - self._last_cursors >= CURSORS_EVERY:
            await self._trim_by_cursors()

    async def _trim_by_cursors(self) -> None:
        """A replica keeps what its entries produced until the owner has
        published and stored it: should the owner die, this node may be next."""
        self._last_cursors = time.monotonic()
        published, stored = await self._redis.mget(PUBLISHED, STORED)
        if published:
            _trim(self.unpublished, published.decode())
        if stored:
            _trim(self.unstored, stored.decode())

    async def _take_over(self) -> None:
        token, self._taken = self._taken, None
        published, stored = await self._redis.mget(PUBLISHED, STORED)
        if published:
            _trim(self.unpublished, published.decode())
        if stored:
            _trim(self.unstored, stored.decode())
        self.token = token
        log.warning("node %s: took over the desk at %s (%d entries to publish)", self.id, self.position,
                    len(self.unpublished))
        self.relay.took_over()

    async def _publish(self) -> None:
        from redis.exceptions import ResponseError

        broker, relay = self.relay.broker, self.relay
        while self.unpublished and self.token is not None:
            keys, args, n, last = [OWNER, PUBLISHED], [], 0, None
            taken = []
            for entry_id, out in self.unpublished:
                if n and n + len(out) > BATCH_PAYLOADS:
                    break
                for channel, msg in out:
                    keys.extend(broker._keys(channel))
                    args.extend((b"t", msg.model_dump_json(exclude_none=False)))
                n += len(out)
                last = entry_id
                taken.append(out)
            t0 = time.perf_counter()
            try:
                await self._scripts["PUBLISH_BATCH"](keys=keys, args=[
                    self.token, last, broker.history_messages, broker.history_bytes, broker.idle_expiry_ms,
                    *broker.bounds(), *args])
            except ResponseError as exc:
                if "NOTOWNER" not in str(exc):
                    raise
                log.warning("node %s: lost the lease; another node owns the desk now", self.id)
                self._lost_lease()
                return
            relay.counters.broker_seconds.observe(time.perf_counter() - t0)
            for out in taken:
                self.unpublished.popleft()
                relay.published(out)

    async def write_records(self) -> None:
        """Store every record this node holds (the owner's job): the store
        keeps each entry's records once, whoever writes them."""
        async with self._writing:
            while self.unstored:
                batch = list(self.unstored)
                last = batch[-1][0]
                pairs = [(entry_key(entry_id), r) for entry_id, records in batch for r in records]
                await self.relay.records.store_entries(pairs)
                _trim(self.unstored, last)
                if self.token is not None:
                    await self._redis.set(STORED, last)

    async def drain(self) -> None:
        """Wait until every record applied here is in the store (reports)."""
        if self.token is not None:
            await self.write_records()
            return
        if not self.unstored:
            return  # every record this replica made is known to be stored
        target = self.unstored[-1][0]
        deadline = time.monotonic() + SUBMIT_TIMEOUT
        while time.monotonic() < deadline:
            stored = await self._redis.get(STORED)
            if stored is not None and not entry_after(target, stored.decode()):
                return
            await asyncio.sleep(0.05)
        log.warning("node %s: records up to %s not stored after %.0f s", self.id, target, SUBMIT_TIMEOUT)

    async def _snapshot(self) -> None:
        self._last_snapshot = time.monotonic()
        self._snapshot_position = self.position
        await self._redis.set(SNAPSHOT, self.replica.snapshot(self.position))
        ms = int(self.position.partition("-")[0]) - INBOX_KEEP_MS
        if ms > 0:
            await self._redis.xtrim(INBOX, minid=f"{ms}-0", approximate=True)


def _trim(queue: deque[tuple[str, list]], through: str) -> None:
    while queue and not entry_after(queue[0][0], through):
        queue.popleft()
