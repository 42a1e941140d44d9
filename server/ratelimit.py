"""Rate limits, sans I/O: the caller passes the time.

`RateLimiter`, a sliding window, is used for joining by session number and
for sign-in attempts per address: at most `limit` attempts in any `window`
seconds. `Backoff` slows down wrong passwords per account *and* address with a
delay that grows, so an attacker's failures never lock the owner out from the
owner's own address (as Guacamole and RustDesk limit per address). The caller supplies `now` (``time.monotonic()`` in the relay, plain
numbers in tests), so the limiter never sleeps, never reads a clock and is
exact to test.

Memory is bounded: a key holds at most `limit` timestamps; keys whose
attempts have all left the window are dropped as time moves on, and at most
`max_keys` keys are kept (the least recently allowed is forgotten first, so
under a flood of distinct keys old keys lose their history before recent ones).
Not thread-safe: use it from one event loop.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass


class RateLimiter:
    """At most `limit` allowed attempts per key in any `window` seconds."""

    def __init__(self, limit: int, window: float, *, max_keys: int = 100_000) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if window <= 0:
            raise ValueError("window must be positive")
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self.limit = limit
        self.window = float(window)
        self.max_keys = max_keys
        # key -> times of its allowed attempts, oldest first. Ordered by the
        # latest allowed attempt (moved to the end on each), so stale keys
        # gather at the front and pruning stops at the first fresh one.
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        """How many keys are remembered now."""
        return len(self._hits)

    def hit(self, key: str, now: float) -> bool:
        """Count one attempt for `key` at `now`. True: allowed (and recorded).
        False: over the limit; the refused attempt is not recorded, so a
        client that keeps trying is let in again once `retry_after` passes."""
        self._prune(now)
        times = self._hits.get(key)
        if times is None:
            if len(self._hits) >= self.max_keys:
                self._hits.popitem(last=False)
            times = self._hits[key] = deque(maxlen=self.limit)
        else:
            self._expire(times, now)
            if len(times) >= self.limit:
                return False
        times.append(now)
        self._hits.move_to_end(key)
        return True

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until `key` may try again (0.0 when it may now). Does not
        count as an attempt; use it for a ``Retry-After`` header or message."""
        times = self._hits.get(key)
        if not times:
            return 0.0
        self._expire(times, now)
        if len(times) < self.limit:
            return 0.0
        return max(0.0, times[0] + self.window - now)

    def reset(self, key: str) -> None:
        """Forget `key`'s attempts, e.g. after a successful sign-in."""
        self._hits.pop(key, None)

    def _expire(self, times: deque[float], now: float) -> None:
        # `t + window <= now`, never `t <= now - window`: the same rounding as
        # in retry_after, so a refused key never gets "retry after 0 seconds"
        while times and times[0] + self.window <= now:
            times.popleft()

    def _prune(self, now: float) -> None:
        # amortised O(1): each key is dropped once; stops at the first fresh key
        hits = self._hits
        while hits:
            key, times = next(iter(hits.items()))
            if times and times[-1] + self.window > now:
                break
            del hits[key]


@dataclass(slots=True)
class _Failures:
    count: int
    last: float


class Backoff:
    """Failures per key (for sign-in: account and address): the first `free`
    cost nothing, each one after that makes the key wait ``base * 2**k``
    seconds (k = 0, 1, 2, ...; at most `max_delay`) before its next try. A
    success forgets the key's failures; so does `forget_after` seconds without
    a failure. At most `max_keys` keys are kept (the least recently failed is
    forgotten first). Not thread-safe: use it from one event loop."""

    def __init__(self, free: int, base: float = 2.0, max_delay: float = 300.0, *,
                 forget_after: float = 24 * 3600.0, max_keys: int = 100_000) -> None:
        if free < 0:
            raise ValueError("free must be 0 or more")
        if base <= 0 or max_delay <= 0 or forget_after <= 0:
            raise ValueError("base, max_delay and forget_after must be positive")
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self.free, self.base, self.max_delay = free, float(base), float(max_delay)
        self.forget_after, self.max_keys = float(forget_after), max_keys
        self._keys: OrderedDict[str, _Failures] = OrderedDict()  # by latest failure, oldest first

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def delay(self, failures: int) -> float:
        """How long a key with this many failures waits after the last one."""
        if failures < self.free:
            return 0.0
        return min(self.max_delay, self.base * 2.0 ** min(failures - self.free, 64))

    def wait(self, key: str, now: float) -> float:
        """Seconds until `key` may try again (0.0: now). Asking is free."""
        self._prune(now)
        f = self._keys.get(key)
        if f is None:
            return 0.0
        return max(0.0, f.last + self.delay(f.count) - now)

    def failed(self, key: str, now: float) -> None:
        """Count a failure of `key` at `now`."""
        self._prune(now)
        f = self._keys.pop(key, None)
        if f is None:
            if len(self._keys) >= self.max_keys:
                self._keys.popitem(last=False)
            f = _Failures(0, now)
        f.count, f.last = f.count + 1, now
        self._keys[key] = f

    def succeeded(self, key: str) -> None:
        """Forget `key`'s failures (the right password)."""
        self._keys.pop(key, None)

    def _prune(self, now: float) -> None:
        keys = self._keys
        while keys:
            key, f = next(iter(keys.items()))
            if f.last + max(self.forget_after, self.delay(f.count)) > now:
                break
            del keys[key]
