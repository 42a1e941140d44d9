"""Sign-in limits (server/ratelimit.py `Backoff`, server/web/signin.py): wrong
passwords slow down that account from that address, with a delay that grows,
so an attacker's five tries for ``admin@localhost`` do not lock the real admin
out from their own address. An address trying many accounts is limited too."""

from __future__ import annotations

import httpx
import pytest

from server.ratelimit import Backoff
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, LiveRelay


def test_free_tries_then_a_delay_that_doubles_up_to_the_cap():
    b = Backoff(free=3, base=2.0, max_delay=60.0)
    delays = []
    now = 0.0
    for _ in range(10):
        assert b.wait("k", now) == 0
        b.failed("k", now)
        delays.append(b.wait("k", now))
        now += delays[-1]
    assert delays == [0, 0, 2, 4, 8, 16, 32, 60, 60, 60]


def test_waiting_part_of_the_delay_leaves_the_rest():
    b = Backoff(free=1, base=10.0, max_delay=60.0)
    b.failed("k", 100.0)
    assert b.wait("k", 104.0) == 6.0 and b.wait("k", 110.0) == 0


def test_success_and_time_forget_the_failures():
    b = Backoff(free=1, base=1.0, max_delay=60.0, forget_after=3600.0)
    for t in range(5):
        b.failed("a", float(t))
        b.failed("b", float(t))
    b.succeeded("a")
    assert b.wait("a", 5.0) == 0
    b.failed("a", 5.0)
    assert b.wait("a", 5.0) == 1.0  # counting again from the start
    assert b.wait("b", 5.0) == 15.0  # 4 + 16 - 5
    assert b.wait("b", 4.0 + 3600.0) == 0 and "b" not in b


def test_keys_are_independent_and_memory_is_bounded():
    b = Backoff(free=1, base=1.0, max_delay=60.0, max_keys=100)
    for i in range(1000):
        b.failed(f"k{i}", float(i))
    assert len(b) == 100
    assert b.wait("k999", 999.0) == 1.0 and b.wait("k0", 999.0) == 0


def test_bad_settings_are_refused():
    for kw in ({"free": -1}, {"base": 0}, {"max_delay": 0}, {"max_keys": 0}):
        with pytest.raises(ValueError):
            Backoff(**{"free": 1, "base": 1.0, "max_delay": 1.0, **kw})


def test_the_delay_grows_through_the_api(client, settings):
    relay = client.app.state.relay
    now = [1_000_000.0]
    relay.clock = lambda: now[0]
    waits = []
    for _ in range(settings.signin_attempts + 4):
        r = client.post("/api/signin", json={"email": "rita@example.com", "password": "wrong"})
        if r.status_code == 429:
            waits.append(int(r.headers["retry-after"]))
            now[0] += waits[-1]
            r = client.post("/api/signin", json={"email": "rita@example.com", "password": "wrong"})
        assert r.status_code == 401, r.text
    print(f"Retry-After after each wrong password past the free ones: {waits} s")
    assert len(waits) == 4 and waits == sorted(waits) and waits[-1] >= 4 * waits[0], waits


def client_from(relay: LiveRelay, address: str) -> httpx.Client:
    """An HTTP client whose connections come from `address` (any of 127.0.0.0/8)."""
    return httpx.Client(base_url=relay.base, trust_env=False,
                        transport=httpx.HTTPTransport(local_address=address))


@pytest.fixture
def relay(tmp_path):
    live = LiveRelay(tmp_path).start()
    yield live
    live.stop()


def test_an_attackers_wrong_passwords_do_not_lock_the_owner_out(relay):
    with client_from(relay, "127.0.0.2") as attacker, client_from(relay, "127.0.0.1") as owner:
        codes = [attacker.post("/api/signin", json={"email": ADMIN_EMAIL, "password": f"guess-{i}"}).status_code
                 for i in range(8)]
        print(f"attacker's tries: {codes}")
        assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}, codes
        r = owner.post("/api/signin", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        assert r.status_code == 200, r.text
        # even with the right password the attacker's address waits its turn
        r = attacker.post("/api/signin", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0


def test_one_address_trying_many_accounts_is_limited(relay):
    with client_from(relay, "127.0.0.3") as sprayer, client_from(relay, "127.0.0.1") as owner:
        codes = [sprayer.post("/api/signin", json={"email": f"rep{i}@example.com", "password": "Winter2026!"}
                              ).status_code for i in range(30)]
        assert 401 in codes and codes[-1] == 429, codes
        print(f"password spraying from one address: {codes.count(401)} tries before 429")
        assert owner.post("/api/signin", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).status_code == 200
