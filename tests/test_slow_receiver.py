"""A receiver that stops reading (server/web/ws.py `Outbox`): the relay drops it
instead of buffering for it, and the sender is not held up.

The slow rep is a raw TCP socket that does the WebSocket handshake and says
hello by hand, then never reads. Slow by design: the flood respects the relay's
per-connection rate limit (200 messages/s)."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import threading
import time

import anyio
import psutil
import pytest

from server.protocol import FRAME_HEADER, StreamKind
from tests.test_resume import OPEN, WsPeer, close_peers, join, present, sign_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

MB = 1 << 20
CLOSE_SLOW = 4008


# --- a WebSocket client by hand (RFC 6455), that reads only when told -------------


def ws_frame(opcode: int, payload: bytes) -> bytes:
    """A client frame: FIN, masked."""
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 1 << 16:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


RAW: list[RawClient] = []


@pytest.fixture(autouse=True)
def close_raw_clients():
    yield
    while RAW:
        RAW.pop().close()


class RawClient:
    def __init__(self, port: int, token: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        RAW.append(self)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fill up early
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            assert chunk, "relay closed during the handshake"
            self.buf += chunk
            assert len(self.buf) < 65536
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        self.sock.sendall(ws_frame(0x1, json.dumps({"type": "hello", "seq": 0, "token": token}).encode()))

    def read_until_closed(self, timeout: float = 60.0) -> tuple[str, int | None, int]:
        """Read (finally) until the relay closes: ("close", code, bytes read)
        for a close frame, ("eof"|"reset", None, bytes read) otherwise."""
        deadline = time.monotonic() + timeout
        total = 0
        buf = self.buf
        while time.monotonic() < deadline:
            # parse whole frames in buf
            while len(buf) >= 2:
                opcode, n, off = buf[0] & 0x0F, buf[1] & 0x7F, 2
                if n == 126:
                    if len(buf) < 4:
                        break
                    n, off = struct.unpack_from("!H", buf, 2)[0], 4
                elif n == 127:
                    if len(buf) < 10:
                        break
                    n, off = struct.unpack_from("!Q", buf, 2)[0], 10
                if len(buf) < off + n:
                    break
                if opcode == 0x8:
                    payload = buf[off:off + n]
                    return "close", struct.unpack("!H", payload[:2])[0] if n >= 2 else None, total
                buf = buf[off + n:]
            try:
                chunk = self.sock.recv(1 << 20)
            except ConnectionResetError:
                return "reset", None, total
            except TimeoutError:
                continue
            if not chunk:
                return "eof", None, total
            total += len(chunk)
            buf += chunk
        raise AssertionError(f"the relay kept the slow connection open ({total} bytes read in {timeout} s)")

    def close(self) -> None:
        self.sock.close()


# --- the scene ---------------------------------------------------------------


class MemoryWatch:
    """The relay process's largest RSS while the watch runs."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.before = self.proc.memory_info().rss
        self.peak = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)

    @property
    def growth(self) -> int:
        return self.peak - self.before


class Scene:
    """A session with an approved view grant; the rep's only connection is a
    raw socket that never reads. The customer reads everything in the background."""

    @classmethod
    async def build(cls, relay, tg) -> Scene:
        self = cls()
        admin = await sign_in(relay.base)
        rep = await WsPeer.open(relay.ws_url, admin)
        await rep.send("start_session")
        state = await rep.expect("session_state", state="open")
        self.sid = state["session"]
        # no permessage-deflate: large random frames would grow past the relay's frame limit
        self.cus = await WsPeer.open(relay.ws_url, await join(relay.base, state["number"]), compression=None)
        self.cus_pid = self.cus.welcome["pid"]
        await rep.expect("session_state", where=lambda m: present(m, self.cus_pid) is True)
        await rep.send("request_grant", session=self.sid, kind="view", scope="tab")
        pending = await self.cus.expect("session_state", where=lambda m: m["grants"])
        await self.cus.send("decide_grant", session=self.sid, grant=pending["grants"][0]["id"], approve=True)
        view = await self.cus.expect("session_state", where=lambda m: m["activities"])
        self.stream = view["activities"][0]["stream"]
        self.rep_pid = view["primary"]

        self.raw = RawClient(relay.port, admin)
        await rep.fence()  # the raw connection's hello is processed after this
        await rep.close()
        OPEN.remove(rep)
        # the customer sees the rep still present: the raw connection holds the seat
        self.states: list[dict] = []
        self.errors: list[dict] = []
        self.pongs = anyio.Event()
        tg.start_soon(self._read_customer)
        return self

    async def _read_customer(self) -> None:
        while True:
            msg = await self.cus.ws.recv()
            if isinstance(msg, bytes):
                continue
            msg = json.loads(msg)
            if msg["type"] == "session_state":
                self.states.append(msg)
            elif msg["type"] == "error":
                self.errors.append(msg)
            elif msg["type"] == "pong":
                self.pongs.set()

    async def flood(self, count: int, size: int) -> None:
        """``count`` cobrowse frames of ``size`` bytes, paced under the relay's rate limit."""
        body = os.urandom(size - FRAME_HEADER.size)
        start = time.monotonic()
        for i in range(count):
            due = start + max(0, i - 300) / 180
            await anyio.sleep(max(0.0, due - time.monotonic()))  # one clock reading: never negative
            self.cus.seq += 1
            await self.cus.ws.send(FRAME_HEADER.pack(StreamKind.COBROWSE, self.stream, self.cus.seq) + body)

    async def customer_still_connected(self) -> None:
        self.pongs = anyio.Event()
        await self.cus.ws.send(json.dumps({"type": "ping", "seq": 0}))
        with anyio.fail_after(15):
            await self.pongs.wait()

    def rep_shown_absent(self) -> bool:
        return bool(self.states) and present(self.states[-1], self.rep_pid) is False


async def test_a_rep_who_stops_reading_is_dropped_not_buffered(live_relay):
    async with anyio.create_task_group() as tg:
        scene = await Scene.build(live_relay, tg)
        with MemoryWatch(live_relay.proc.pid) as memory:
            await scene.flood(2000, 64 * 1024)  # 128 MiB towards a reader that reads nothing
            await scene.customer_still_connected()
        assert memory.growth < 100 * MB, f"relay RSS grew by {memory.growth / MB:.0f} MB"
        assert not [e for e in scene.errors if e["code"] == "rate_limited"]

        how, code, _ = await anyio.to_thread.run_sync(scene.raw.read_until_closed)
        assert how in ("close", "eof", "reset")
        if how == "close":
            assert code == CLOSE_SLOW
        scene.raw.close()
        await scene.customer_still_connected()
        tg.cancel_scope.cancel()


async def test_a_rep_who_stops_reading_is_shown_offline_without_reading(live_relay):
    async with anyio.create_task_group() as tg:
        scene = await Scene.build(live_relay, tg)
        await scene.flood(600, 64 * 1024)  # well beyond send_queue_depth frames
        await scene.customer_still_connected()
        # the relay dropped the rep's connection by itself: the customer sees the rep leave
        with anyio.move_on_after(10):
            while not scene.rep_shown_absent():
                await anyio.sleep(0.1)
        assert scene.rep_shown_absent(), "the relay still holds the non-reading rep connection"
        scene.raw.close()
        tg.cancel_scope.cancel()


async def test_large_frames_to_a_rep_who_stops_reading_stay_bounded(live_relay):
    async with anyio.create_task_group() as tg:
        scene = await Scene.build(live_relay, tg)
        with MemoryWatch(live_relay.proc.pid) as memory:
            await scene.flood(150, live_relay_max_binary())  # 150 MiB
            await scene.customer_still_connected()
        scene.raw.close()
        tg.cancel_scope.cancel()
    assert memory.growth < 100 * MB, f"relay RSS grew by {memory.growth / MB:.0f} MB"


def live_relay_max_binary() -> int:
    from server.config import Settings

    return Settings().max_binary_bytes
