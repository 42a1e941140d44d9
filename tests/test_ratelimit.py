"""The sliding-window limiter (server/ratelimit.py), driven with explicit times."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.ratelimit import RateLimiter


def test_allows_up_to_the_limit_then_refuses():
    limiter = RateLimiter(limit=3, window=60)
    assert [limiter.hit("1.2.3.4", now=t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert limiter.hit("5.6.7.8", now=3), "other keys are not affected"


def test_window_slides():
    limiter = RateLimiter(limit=2, window=10)
    assert limiter.hit("k", 0) and limiter.hit("k", 5)
    assert not limiter.hit("k", 9.9)
    assert limiter.hit("k", 10.0), "the attempt at 0 left the window"
    assert not limiter.hit("k", 14.9)
    assert limiter.hit("k", 15.0)


def test_retry_after_says_when():
    limiter = RateLimiter(limit=2, window=10)
    assert limiter.retry_after("k", 0) == 0.0
    limiter.hit("k", 1)
    assert limiter.retry_after("k", 2) == 0.0
    limiter.hit("k", 4)
    assert limiter.retry_after("k", 6) == pytest.approx(5.0)
    assert not limiter.hit("k", 6)
    assert limiter.retry_after("k", 6) == pytest.approx(5.0), "refused attempts do not extend the wait"
    assert limiter.retry_after("k", 11) == 0.0
    assert limiter.hit("k", 11)


def test_reset_forgets_a_key():
    limiter = RateLimiter(limit=1, window=60)
    assert limiter.hit("ann@example.org", 0)
    assert not limiter.hit("ann@example.org", 1)
    limiter.reset("ann@example.org")
    limiter.reset("never-seen")
    assert limiter.hit("ann@example.org", 2)


def test_bad_settings_are_refused():
    for args in ((0, 10), (1, 0), (1, -5)):
        with pytest.raises(ValueError):
            RateLimiter(*args)


def test_memory_stays_bounded_with_many_distinct_keys_over_time():
    """100k addresses trying once each, 100 a second: only the last window's keys stay."""
    limiter = RateLimiter(limit=5, window=60)
    peak = 0
    for i in range(100_000):
        assert limiter.hit(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", now=i / 100)
        peak = max(peak, len(limiter))
    assert peak <= 60 * 100 + 1
    limiter.hit("late", now=100_000 / 100 + 61)
    assert len(limiter) == 1


def test_memory_is_capped_even_within_one_window():
    limiter = RateLimiter(limit=5, window=3600, max_keys=1000)
    for i in range(100_000):
        limiter.hit(f"key-{i}", now=i / 1000)
    assert len(limiter) == 1000
    assert not any(limiter.retry_after(f"key-{i}", 100.0) for i in range(1000)), "oldest were forgotten"
    assert limiter.hit("key-99999", 100.0)


def test_a_key_never_holds_more_than_limit_times():
    limiter = RateLimiter(limit=3, window=1000)
    for t in range(10_000):
        limiter.hit("k", float(t) / 100)
    assert len(limiter._hits["k"]) <= 3


@given(
    limit=st.integers(1, 5),
    window=st.floats(0.5, 20),
    gaps=st.lists(st.tuples(st.sampled_from("abc"), st.floats(0, 5)), max_size=60),
)
def test_never_more_than_limit_allowed_in_any_window(limit, window, gaps):
    limiter = RateLimiter(limit, window, max_keys=10)
    now = 0.0
    allowed: dict[str, list[float]] = {}
    for key, gap in gaps:
        now += gap
        if limiter.hit(key, now):
            allowed.setdefault(key, []).append(now)
        else:
            recent = [t for t in allowed.get(key, []) if t + window > now]
            assert len(recent) >= limit, "refused although under the limit"
            assert limiter.retry_after(key, now) > 0
    for times in allowed.values():
        for i, start in enumerate(times):
            assert len([t for t in times[i:] if t < start + window]) <= limit


def test_random_traffic_agrees_with_a_naive_model():
    rng = random.Random(7)
    limiter = RateLimiter(limit=4, window=30)
    log: dict[str, list[float]] = {}
    now = 0.0
    for _ in range(20_000):
        now += rng.random()
        key = f"k{rng.randrange(50)}"
        recent = [t for t in log.get(key, []) if t + 30 > now]
        expected = len(recent) < 4
        assert limiter.hit(key, now) is expected
        log[key] = recent + ([now] if expected else [])
