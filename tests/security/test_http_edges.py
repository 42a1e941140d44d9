"""The relay process at its HTTP edge (server/__main__.py, server/web/http_limits.py):
a client that trickles its headers is disconnected, and X-Forwarded-For is
believed only from the proxies in TANDEM_TRUSTED_PROXIES."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from tests.conftest import LiveRelay

WAIT = 60.0  # how long the test waits for the relay to act, far beyond the 1 s it is set to


@pytest.fixture
def relay(tmp_path, request):
    live = LiveRelay(tmp_path, **getattr(request, "param", {})).start()
    yield live
    live.stop()


def trickle(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"GET /api/queues HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    return sock


def closed_by_relay(sock: socket.socket, drip: bytes) -> bool:
    """Keep sending a header byte by byte; True when the relay closes the
    connection before `WAIT` passes, False if it is still open then."""
    deadline = time.monotonic() + WAIT
    sock.settimeout(0.3)
    while time.monotonic() < deadline:
        try:
            sock.sendall(drip)
            if sock.recv(4096) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:  # reset or broken pipe: closed
            return True
    return False


@pytest.mark.parametrize("relay", [{"TANDEM_HEADER_TIMEOUT": "1"}], indirect=True)
def test_a_client_trickling_its_headers_is_disconnected(relay):
    socks = [trickle(relay.port) for _ in range(20)]
    try:
        assert all(closed_by_relay(s, b"X") for s in socks)
        # and one that says nothing at all
        silent = socket.create_connection(("127.0.0.1", relay.port), timeout=WAIT)
        socks.append(silent)
        assert silent.recv(1) == b""
    finally:
        for s in socks:
            s.close()
    # a client that keeps to time is served as before
    assert httpx.get(f"{relay.base}/api/queues", trust_env=False).status_code == 200


def joins(relay, spoof: callable, n: int) -> list[int]:
    with httpx.Client(base_url=relay.base, trust_env=False) as http:
        return [http.post("/api/join", json={"number": "123456789"},
                          headers={"X-Forwarded-For": spoof(i)}).status_code for i in range(n)]


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(relay):
    """30 joins, each claiming another address: still one address, limited."""
    codes = joins(relay, lambda i: f"198.51.100.{i}", 30)
    assert codes.count(404) == 10 and codes[10:] == [429] * 20, codes


@pytest.mark.parametrize("relay", [{"TANDEM_TRUSTED_PROXIES": "127.0.0.1"}], indirect=True)
def test_x_forwarded_for_from_a_trusted_proxy_names_the_client(relay):
    """Behind the configured proxy each client has its own limit, and one client
    is limited by the address the proxy names."""
    assert joins(relay, lambda i: f"198.51.100.{i}", 30) == [404] * 30
    codes = joins(relay, lambda i: "203.0.113.7", 11)
    assert codes == [404] * 10 + [429], codes
