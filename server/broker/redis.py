"""Redis broker (``redis://`` or ``rediss://``): channels are Redis Streams, so
any relay node sharing the server can publish to and read any channel.

Keys, per channel (the braces put both in one Redis Cluster slot):

- ``tandem:{CHANNEL}``: the stream. Entry ids are ``0-SEQ``, so the channel's
  sequence number *is* the entry id; fields ``k`` (``t`` text, ``b`` bytes)
  and ``p`` (the payload).
- ``tandem:{CHANNEL}:n``: a hash with ``seq`` (the last sequence number given)
  and ``bytes`` (the size of the history kept).

`publish` is one Lua script, atomic in Redis: the next seq, ``XADD`` with that
id and the time (field ``t``, ms), then trimming the oldest entries until at
most ``history_messages`` and ``history_bytes`` are kept, as the memory broker
does. Both keys expire after ``idle_expiry`` seconds without a publish; a seq
restarts from 1 only then, long after any resume window.

Other nodes read a channel a moment after it was published, and a node whose
loop stood still (a long collection, a busy core) reads later still. So an
entry younger than ``delivery_grace`` seconds is not trimmed for the history's
bounds unless the channel passes ``delivery_bytes`` or eight times
``history_messages``: a burst (a file transfer keeps 4 MiB in flight, against
a history of 1 MiB) reaches a node that fell behind for less than that,
instead of ending its clients' streams. The next publish after the grace
trims the channel back to its history.

Reading: one task per broker runs ``XREAD BLOCK`` over every channel this
process has a subscriber for, each from the last seq it delivered, and
delivers in order. Subscribing to a channel the task does not read yet adds an
entry to this broker's own wake stream, which is in every ``XREAD``, so the
task starts over with the new channel at once (an ``XADD`` is never lost the
way an unblock sent between two reads would be).
"""

from __future__ import annotations

import asyncio
import logging
import secrets

from ..backends import shown
from . import Deliver, Gap, Lost, Payload, Unreachable

log = logging.getLogger(__name__)

BLOCK_MS = 10_000
READ_COUNT = 1024
RETRY_DELAY = 1.0
STOP_WAIT = 1.0
CONNECT_TIMEOUT = 10.0
COMMAND_TIMEOUT = 10.0

PUBLISH_FUNCTION = """
local function publish(key, meta, kind, body, max_n, max_bytes, expiry, grace_ms, cap_bytes)
  local seq = redis.call('HINCRBY', meta, 'seq', 1)
  local now = redis.call('TIME')
  local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  redis.call('XADD', key, '0-' .. seq, 'k', kind, 'p', body, 't', ms)
  local size = redis.call('HINCRBY', meta, 'bytes', string.len(body))
  local n = redis.call('XLEN', key)
  if n > max_n or size > max_bytes then
    -- read as few entries as the trim needs: usually the one oldest, which
    -- also says whether the grace keeps them all
    local start, cut, count = '-', nil, 1
    local young, cap_n, kept = ms - grace_ms, max_n * 8, false
    while not kept and (n > max_n or size > max_bytes) do
      local batch = redis.call('XRANGE', key, start, '+', 'COUNT', count)
      count = math.min(count * 2, 256)
      if #batch == 0 then size = 0; break end
      for _, entry in ipairs(batch) do
        if n <= max_n and size <= max_bytes then break end
        -- not yet read, perhaps: kept for the grace, within the caps
        if size <= cap_bytes and n <= cap_n and tonumber(entry[2][6] or 0) > young then kept = true; break end
        size = size - string.len(entry[2][4])
        n = n - 1
        cut = entry[1]
      end
      if cut then start = '(' .. cut end
    end
    if cut then redis.call('XTRIM', key, 'MINID', '0-' .. (tonumber(string.sub(cut, 3)) + 1)) end
    redis.call('HSET', meta, 'bytes', size)
  end
  redis.call('PEXPIRE', key, expiry)
  redis.call('PEXPIRE', meta, expiry)
  return seq
end
"""
"""One channel's publish, as a Lua function: the broker's `PUBLISH` and the
cluster's scripts (server/cluster/scripts.py), which publish several payloads
in one atomic step, share it."""

PUBLISH = PUBLISH_FUNCTION + """
return publish(KEYS[1], KEYS[2], ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5],
               tonumber(ARGV[6]), tonumber(ARGV[7]))
"""


def _seq(entry_id: bytes) -> int:
    return int(entry_id.partition(b"-")[2])


def _payload(fields: dict[bytes, bytes]) -> Payload:
    body = fields[b"p"]
    return body.decode() if fields[b"k"] == b"t" else body


class _Channel:
    __slots__ = ("name", "key", "cursor", "subscribers")

    def __init__(self, name: str, key: bytes, cursor: int) -> None:
        self.name = name
        self.key = key
        self.cursor = cursor  # the last seq this process read from the stream
        self.subscribers: list[_Sub] = []


class _Sub:
    __slots__ = ("broker", "name", "deliver", "lost", "floor")
    skipped = False  # live frames share the history of messages here (see `publish`)

    def __init__(self, broker: RedisBroker, name: str, deliver: Deliver, lost: Lost | None, floor: int) -> None:
        self.broker = broker
        self.name = name
        self.deliver = deliver
        self.lost = lost
        self.floor = floor  # the last seq delivered to this subscriber

    def close(self) -> None:
        ch = self.broker._channels.get(self.name)
        if ch is not None and self in ch.subscribers:
            ch.subscribers.remove(self)
            if not ch.subscribers:
                self.broker._drop(ch)


class RedisBroker:
    def __init__(self, url: str, *, history_messages: int = 512, history_bytes: int = 1 << 20,
                 idle_expiry: float = 24 * 3600, delivery_grace: float = 2.0, delivery_bytes: int = 8 << 20) -> None:
        self.url = url
        self.history_messages = history_messages
        self.history_bytes = history_bytes
        self.grace_ms = int(delivery_grace * 1000)
        self.delivery_bytes = max(delivery_bytes, history_bytes)
        self.idle_expiry_ms = int(idle_expiry * 1000)
        self._redis = None
        self._reader = None
        self._publish = None
        self._channels: dict[str, _Channel] = {}
        self._by_key: dict[bytes, _Channel] = {}
        self._wake_key = f"tandem:wake:{secrets.token_hex(8)}".encode()
        self._wake_id = b"0-0"
        self._task: asyncio.Task | None = None

    def __repr__(self) -> str:
        return f"RedisBroker({shown(self.url)!r})"

    @staticmethod
    def _keys(channel: str) -> tuple[bytes, bytes]:
        key = f"tandem:{{{channel}}}".encode()
        return key, key + b":n"

    # lifecycle ------------------------------------------------------------

    async def connect(self) -> None:
        """Connect and check the server answers; raises `Unreachable` naming
        the URL (password masked) when it does not."""
        if self._redis is not None:
            return
        from redis import asyncio as aioredis
        from redis.exceptions import RedisError

        # RESP2 on the wire: the reply shapes this module reads are the same in every redis-py since 5
        options = dict(protocol=2, socket_connect_timeout=CONNECT_TIMEOUT, health_check_interval=30)
        self._redis = aioredis.Redis.from_url(self.url, socket_timeout=COMMAND_TIMEOUT, **options)
        # its XREAD waits up to BLOCK_MS for an answer: longer than any command
        self._reader = aioredis.Redis.from_url(self.url, single_connection_client=True,
                                               socket_timeout=BLOCK_MS / 1000 + COMMAND_TIMEOUT, **options)
        try:
            await self._redis.ping()
            await self._reader.ping()
        except (RedisError, OSError) as exc:
            await self._close_clients()
            raise Unreachable(f"cannot reach Redis at {shown(self.url)}: {exc}") from None
        self._publish = self._redis.register_script(PUBLISH)
        self._start_reading()
        log.info("broker connected: %r", self)

    async def disconnect(self) -> None:
        await self._stop_reading()
        if self._redis is not None:
            try:
                await self._redis.delete(self._wake_key)
            except Exception:  # the server is gone: the key expires by itself
                pass
        self._channels.clear()
        self._by_key.clear()
        await self._close_clients()

    async def _close_clients(self) -> None:
        for client in (self._reader, self._redis):
            if client is not None:
                await client.aclose()
        self._redis = self._reader = self._publish = None

    def _client(self):
        if self._redis is None:
            raise RuntimeError("broker is not connected")
        return self._redis

    # the interface --------------------------------------------------------

    async def publish(self, channel: str, payload: Payload, live: bool = False, replaces: str | None = None) -> int:
        """``live`` and ``replaces`` are the memory broker's: in Redis a live
        frame or a state is kept in the channel's one stream like any payload
        (the relay process holds none)."""
        self._client()
        key, meta = self._keys(channel)
        kind, body = (b"t", payload.encode()) if isinstance(payload, str) else (b"b", payload)
        return int(await self._publish(keys=[key, meta], args=[
            kind, body, self.history_messages, self.history_bytes, self.idle_expiry_ms, *self.bounds()]))

    def bounds(self) -> tuple[int, int]:
        """The Lua `publish`'s last two arguments: the grace (ms) and the cap (bytes)."""
        return self.grace_ms, self.delivery_bytes

    async def last_seq(self, channel: str) -> int:
        return int(await self._client().hget(self._keys(channel)[1], "seq") or 0)

    async def forget(self, channel: str) -> None:
        key, meta = self._keys(channel)
        async with self._client().pipeline(transaction=True) as pipe:
            pipe.xtrim(key, maxlen=0, approximate=False)
            pipe.hset(meta, "bytes", 0)
            await pipe.execute()

    async def subscribe(self, channel: str, after: int | None, deliver: Deliver, lost: Lost | None = None) -> _Sub:
        while True:
            start = await self.last_seq(channel) if after is None else after
            try:
                return await self._subscribe(channel, start, deliver, lost)
            except Gap:
                if after is not None:
                    raise
                # trimmed between reading the seq and the history: only new ones anyway

    async def _subscribe(self, channel: str, after: int, deliver: Deliver, lost: Lost | None) -> _Sub:
        key, meta = self._keys(channel)
        last = after
        while True:
            async with self._client().pipeline(transaction=True) as pipe:
                pipe.xrange(key, min=f"0-{last + 1}", max="+")
                pipe.hget(meta, "seq")
                entries, seq = await pipe.execute()
            seq = int(seq or 0)
            if entries and _seq(entries[0][0]) != last + 1:
                raise Gap(f"{channel}: history starts at {_seq(entries[0][0])}, asked after {last}")
            if not entries and seq > last:
                raise Gap(f"{channel}: nothing kept after {last} of {seq}")
            last = min(last, seq)  # asked after more than was ever sent: deliver from what comes
            for entry_id, fields in entries:
                last = _seq(entry_id)
                deliver(last, _payload(fields))
            # no await from here on: the read task cannot move meanwhile
            ch = self._channels.get(channel)
            if ch is None:
                ch = self._channels[channel] = self._by_key[key] = _Channel(channel, key, last)
                self._wake()
            elif ch.cursor > last:
                continue  # the read task delivered more to the others meanwhile: catch up first
            sub = _Sub(self, channel, deliver, lost, last)
            ch.subscribers.append(sub)
            return sub

    # reading --------------------------------------------------------------

    def _start_reading(self) -> None:
        self._task = asyncio.create_task(self._read_loop(), name="redis-broker")

    async def _stop_reading(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=STOP_WAIT)
        if not done:
            # redis-py can swallow a cancellation that lands mid-command and
            # block in the next XREAD: closing its connection ends that read
            await self._reader.aclose()
            await asyncio.gather(task, return_exceptions=True)

    def _wake(self) -> None:
        async def wake() -> None:
            try:
                await self._client().xadd(self._wake_key, {"w": "1"}, maxlen=1, approximate=False)
                await self._client().pexpire(self._wake_key, self.idle_expiry_ms)
            except Exception as exc:
                log.warning("could not wake the broker's reader: %s", exc)

        asyncio.get_running_loop().create_task(wake())

    def _drop(self, ch: _Channel) -> None:
        # the running XREAD may still return entries of it: they are ignored
        del self._channels[ch.name]
        self._by_key.pop(ch.key, None)

    async def _read_loop(self) -> None:
        from redis.exceptions import RedisError

        while True:
            if asyncio.current_task().cancelling():
                raise asyncio.CancelledError
            streams = {self._wake_key: self._wake_id}
            for ch in self._channels.values():
                streams[ch.key] = f"0-{ch.cursor}"
            try:
                replies = await self._reader.xread(streams, count=READ_COUNT, block=BLOCK_MS)
            except (RedisError, OSError) as exc:
                if asyncio.current_task().cancelling():
                    # redis-py turned our cancellation (disconnect) into a connection error
                    raise asyncio.CancelledError from None
                log.error("broker %r: reading failed (%s); retrying", self, exc)
                await asyncio.sleep(RETRY_DELAY)
                continue
            for key, entries in replies or ():
                if key == self._wake_key:
                    self._wake_id = entries[-1][0]
                    continue
                ch = self._by_key.get(key)
                if ch is not None:
                    self._dispatch(ch, entries)

    def _lose(self, ch: _Channel, seq: int) -> None:
        """End the subscriptions that miss payloads before `seq`."""
        for sub in list(ch.subscribers):
            if sub.floor >= seq - 1:
                continue  # caught up from the history already
            if sub.lost is None:
                log.error("broker channel %s: a subscriber without `lost` missed payloads", ch.name)
                continue
            sub.close()
            sub.lost()

    def _dispatch(self, ch: _Channel, entries: list) -> None:
        for entry_id, fields in entries:
            seq = _seq(entry_id)
            if seq <= ch.cursor:
                continue
            if seq != ch.cursor + 1:
                # this process fell more than the whole history behind
                log.warning("broker channel %s: %d messages trimmed before they were read; its %d "
                            "subscribers resync", ch.name, seq - ch.cursor - 1, len(ch.subscribers))
                self._lose(ch, seq)
            ch.cursor = seq
            payload = _payload(fields)
            for sub in list(ch.subscribers):
                if seq > sub.floor:
                    sub.floor = seq
                    try:
                        sub.deliver(seq, payload)
                    except Exception:
                        log.exception("broker channel %s: a subscriber failed", ch.name)
