"""`GET /healthz`, what a load balancer asks a relay node: 200 "ok" while its
database and broker answer, 503 and the reason in one line once one of them
is gone (here: the node's Redis stopped under it)."""

from __future__ import annotations

import time

import httpx

from tests.backends import RedisServer
from tests.conftest import LiveRelay


def test_a_working_relay_is_healthy_to_anyone(client):
    r = client.get("/healthz")  # no sign-in, no token
    assert r.status_code == 200
    assert r.text == "ok"
    assert r.headers["cache-control"] == "no-store"


def test_a_relay_whose_redis_stopped_answers_503_with_the_reason(tmp_path):
    redis = RedisServer().start()
    relay = LiveRelay(tmp_path, TANDEM_BROKER_URL=redis.url)
    try:
        relay.start()
        with httpx.Client(base_url=relay.base, trust_env=False, timeout=10) as http:
            assert http.get("/healthz").text == "ok"
            redis.stop()
            deadline = time.monotonic() + 30
            while (r := http.get("/healthz")).status_code == 200 and time.monotonic() < deadline:
                time.sleep(0.1)
        assert r.status_code == 503
        assert r.text == "broker unreachable (ConnectionError)"
    finally:
        relay.stop()
        redis.stop()
