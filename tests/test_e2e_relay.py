"""The e2e suites' admin client (e2e/relay.py) sits out a relay's 429 as its
Retry-After says, and gives up on a wait longer than it will sit out."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from e2e import relay as e2e_relay


class Limited(BaseHTTPRequestHandler):
    """Answers 429 with the server's `retry_after` the first `refusals` times, then 200."""

    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.server.seen.append(self.path)
        if len(self.server.seen) <= self.server.refusals:
            self.send_response(429)
            self.send_header("Retry-After", self.server.retry_after)
            body = b'{"error": "rate_limited"}'
        else:
            self.send_response(200)
            body = b'{"ok": true}'
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def limited():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Limited)
    server.seen, server.refusals, server.retry_after = [], 1, "1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_a_429_is_waited_out_and_asked_again(limited):
    before = len(e2e_relay.WAITS)
    with e2e_relay.patient_client(f"http://127.0.0.1:{limited.server_address[1]}") as http:
        r = http.post("/api/join", json={"number": "123456789"})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert limited.seen == ["/api/join", "/api/join"]
    assert e2e_relay.WAITS[before:] == [("POST /api/join", 1.0)]


def test_a_wait_longer_than_the_suites_sit_out_is_the_answer(limited):
    limited.retry_after = str(int(e2e_relay.MAX_WAIT) + 1)
    with e2e_relay.patient_client(f"http://127.0.0.1:{limited.server_address[1]}") as http:
        r = http.post("/api/signin", json={})
    assert r.status_code == 429 and limited.seen == ["/api/signin"]


def test_retry_after_reads_seconds_and_dates():
    assert e2e_relay.retry_after(httpx.Response(429, headers={"Retry-After": "7"})) == 7.0
    assert e2e_relay.retry_after(httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert e2e_relay.retry_after(httpx.Response(429)) is None
