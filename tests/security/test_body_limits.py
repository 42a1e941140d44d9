"""Request bodies are limited while they are read (server/web/http_limits.py), on
every endpoint, signed in or not: a relay process sent hundreds of MiB gives
413 after its limit and its memory does not grow by anything like the body.
Measured on a real relay process (RSS, psutil) with bodies sent over a real
socket, chunked so that no Content-Length gives the size away."""

from __future__ import annotations

import socket
import threading
import time

import psutil
import pytest

from tests.conftest import LiveRelay

MiB = 1 << 20
CHUNK = b"a" * MiB


class Peak:
    """The highest RSS of a process while the block runs (sampled)."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.base = self.process.memory_info().rss
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.01)

    def __enter__(self) -> Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def growth(self) -> int:
        return self.peak - self.base


def post_huge(port: int, path: str, size: int, content_type: str, chunked: bool = True) -> tuple[int | None, int]:
    """POST `size` bytes to `path`, reading the answer while sending; returns
    (status or None when the relay answered nothing, bytes the relay took)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    answer = bytearray()

    def read() -> None:
        try:
            while chunk := sock.recv(65536):
                answer.extend(chunk)
        except OSError:
            pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    sent = 0
    try:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {content_type}\r\n"
                     f"{length}\r\n\r\n".encode())
        while sent < size:
            sock.sendall(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK) if chunked else CHUNK)
            sent += len(CHUNK)
        if chunked:
            sock.sendall(b"0\r\n\r\n")
    except OSError:  # the relay stopped reading and closed: what we want
        pass
    reader.join(60)
    sock.close()
    head = bytes(answer).split(b"\r\n", 1)[0]
    return (int(head.split()[1]) if head.startswith(b"HTTP/1.1") else None), sent


@pytest.fixture(scope="module")
def relay(tmp_path_factory):
    live = LiveRelay(tmp_path_factory.mktemp("bodies")).start()
    yield live
    live.stop()


BODIES = [
    ("/api/help", "application/json", 300 * MiB),  # anonymous, the outside test's 300 MiB
    ("/api/join", "application/json", 256 * MiB),
    ("/api/signin", "application/json", 128 * MiB),
    ("/join", "application/x-www-form-urlencoded", 128 * MiB),  # a page's form
    ("/api/sessions/nope/files?name=x", "application/octet-stream", 128 * MiB),  # not even a session
]


@pytest.mark.parametrize("path,content_type,size", BODIES, ids=[b[0] for b in BODIES])
def test_a_huge_body_is_refused_and_costs_the_relay_no_memory(relay, path, content_type, size):
    post_huge(relay.port, "/api/help", MiB, "application/json")  # warm up what a request allocates anyway
    with Peak(relay.proc.pid) as rss:
        status, _ = post_huge(relay.port, path, size, content_type)
    print(f"{path}: {size // MiB} MiB sent -> {status}; relay RSS {rss.base / MiB:.0f} MiB, "
          f"peak +{rss.growth / MiB:.1f} MiB")
    assert status in (401, 404, 413), status
    assert rss.growth < size / 4, f"the relay grew by {rss.growth / MiB:.0f} MiB for a {size // MiB} MiB body"


def test_four_parallel_bodies_cost_no_memory_either(relay):
    size = 256 * MiB
    results: list = []
    with Peak(relay.proc.pid) as rss:
        threads = [threading.Thread(target=lambda: results.append(post_huge(relay.port, "/api/join", size,
                                                                             "application/json")))
                   for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    print(f"4 x {size // MiB} MiB to /api/join -> {[r[0] for r in results]}; peak +{rss.growth / MiB:.1f} MiB")
    assert [r[0] for r in results] == [413] * 4
    assert rss.growth < size / 4


def test_a_declared_length_over_the_limit_is_refused_before_reading(relay):
    status, _ = post_huge(relay.port, "/api/help", 64 * MiB, "application/json", chunked=False)
    assert status == 413
