"""Rate limits shared by every node of a cluster, kept in Redis.

The same rules as `server.ratelimit` (a sliding window per key; a backoff
that grows with each failure), each check one Lua step, so two nodes never
both let through the attempt that goes over a limit. Keys expire with their
window: Redis forgets them as the in-process limiters do.
"""

from __future__ import annotations

import hashlib

from ..ratelimit import Backoff, RateLimiter

WINDOW_HIT = """
-- KEYS: the key's sorted set of attempt times; ARGV: now, window, limit, attempt id
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return '0'
"""

BACKOFF_FAILED = """
-- KEYS: the key's hash; ARGV: now, forget after (ms)
redis.call('HINCRBY', KEYS[1], 'count', 1)
redis.call('HSET', KEYS[1], 'last', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""


def _key(name: str, key: str) -> str:
    # addresses and email addresses: hashed, so Redis holds no list of who tried
    return f"tandem:limit:{name}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"


class SharedWindow:
    """`RateLimiter`'s rule for every node: ``await hit(key, now)`` returns the
    seconds to wait (0.0: allowed, and counted)."""

    def __init__(self, redis, name: str, limiter: RateLimiter) -> None:
        self.redis, self.name = redis, name
        self.limit, self.window = limiter.limit, limiter.window
        self._hit = redis.register_script(WINDOW_HIT)
        self._n = 0

    async def hit(self, key: str, now: float) -> float:
        self._n += 1
        wait = await self._hit(keys=[_key(self.name, key)], args=[now, self.window, self.limit, f"{now}:{self._n}"])
        return float(wait)


class SharedBackoff:
    """`Backoff`'s rule for every node."""

    def __init__(self, redis, name: str, backoff: Backoff) -> None:
        self.redis, self.name, self.rule = redis, name, backoff
        self._failed = redis.register_script(BACKOFF_FAILED)

    async def wait(self, key: str, now: float) -> float:
        count, last = await self.redis.hmget(_key(self.name, key), "count", "last")
        if count is None:
            return 0.0
        return max(0.0, float(last) + self.rule.delay(int(count)) - now)

    async def failed(self, key: str, now: float) -> None:
        forget = max(self.rule.forget_after, self.rule.max_delay)
        await self._failed(keys=[_key(self.name, key)], args=[now, int(forget * 1000)])

    async def succeeded(self, key: str) -> None:
        await self.redis.delete(_key(self.name, key))
