"""The load's WebSocket clients (bench/load.py, bench/churn.py): a picows
socket (`FastClient`) and the protocol connection on it (`Link`), which counts
what arrives and hands text messages to whoever waits for one."""

from __future__ import annotations

import asyncio
import json
import struct
from typing import TYPE_CHECKING

from picows import WSListener, WSMsgType
from relay import BenchError

from server.protocol import FRAME_HEADER

if TYPE_CHECKING:
    from load import Worker

STAMP = struct.Struct("!qII")  # monotonic ns, session index, frame counter (start of each body)


class FastClient(WSListener):
    """A load socket on picows, which parses and writes frames in C (as the
    relay's `/ws` does): each message goes to its `Link` as it arrives, with
    no queue between them, and a send is written at once. The load then costs
    its machine little beside the relay it times."""

    def __init__(self) -> None:
        super().__init__()
        self.ws = None  # picows' WSTransport
        self.transport = None  # the socket's transport: `abort` drops it without a goodbye
        self.link: Link | None = None
        self.early: list[bytes | str] = []  # what came before the link took over

    def on_ws_connected(self, transport) -> None:
        self.ws, self.transport = transport, transport.underlying_transport

    def on_ws_frame(self, transport, frame) -> None:
        kind = frame.msg_type
        if kind is WSMsgType.BINARY:
            msg = frame.get_payload_as_bytes()
        elif kind is WSMsgType.TEXT:
            msg = frame.get_payload_as_utf8_text()
        elif kind is WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()
            return
        else:
            return  # PING is answered by picows
        if not frame.fin:
            raise BenchError("the relay fragmented a message")  # picows then disconnects: counted as closed
        if self.link is None:
            self.early.append(msg)
        else:
            self.link.take(msg)

    async def send(self, payload: bytes | str) -> None:
        if isinstance(payload, str):
            self.ws.send(WSMsgType.TEXT, payload.encode())
        else:
            self.ws.send(WSMsgType.BINARY, payload)

    async def run(self, link: Link) -> None:
        """Hand every message to ``link`` until the connection ends."""
        self.link = link
        for msg in self.early:
            link.take(msg)
        self.early.clear()
        await self.ws.wait_disconnected()


class Link:
    """One WebSocket of the load. Messages are counted as they arrive, and
    text messages handed to whoever waits for one (setup); sends assign the
    connection's seq synchronously, so concurrent senders stay in order."""

    def __init__(self, ws, worker: Worker) -> None:
        self.ws = ws
        self.worker = worker
        self.seq = 0
        self.waiters: list[tuple] = []
        self.closed = False
        self.leaving = False  # it ends on purpose (`churn.Churn`): not counted as closed by the relay
        self.on_text = None  # called with every text message (`churn.Supervisor`)
        self.token = ""
        self.welcome: dict = {}
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            await self.receive()
        except Exception as exc:  # noqa: BLE001 - a closed socket is counted, not raised
            self.worker.note(f"connection ended: {exc!r}")
        finally:
            self.ended()

    async def receive(self) -> None:
        """Hand every message to `take` until the connection ends."""
        await self.ws.run(self)

    def take(self, msg: bytes | str) -> dict | None:
        """Count one message; a text one is parsed (and returned) when someone waits for it or it is an error."""
        w = self.worker
        if isinstance(msg, bytes):
            w.frames_rx += 1
            if len(msg) >= FRAME_HEADER.size + STAMP.size:
                w.on_frame(msg)
            return None
        w.texts_rx += 1
        if self.on_text is not None:
            self.on_text(msg)
        if self.waiters or '"type":"error"' in msg:
            data = json.loads(msg)
            self._on_text(data)
            return data
        return None

    def ended(self) -> None:
        self.closed = True
        if not (self.worker.stopping or self.leaving):
            self.worker.closed += 1
        for _, fut in self.waiters:
            if not fut.done():
                fut.set_exception(BenchError("connection closed during setup"))

    def _on_text(self, data: dict) -> None:
        if data.get("type") == "error":
            self.worker.errors += 1
            self.worker.note(f"relay error: {data}")
        for item in list(self.waiters):
            pred, fut = item
            if not fut.done() and pred(data):
                fut.set_result(data)
                self.waiters.remove(item)

    def expect(self, pred) -> asyncio.Future:
        """A future for the next text message matching ``pred``: register it
        before sending what it answers."""
        fut = asyncio.get_running_loop().create_future()
        self.waiters.append((pred, fut))
        return fut

    async def text(self, msg: dict) -> None:
        self.seq += 1
        msg["seq"] = self.seq
        await self.send(json.dumps(msg))

    async def frame(self, kind: int, stream: int, body: bytes) -> None:
        self.seq += 1
        await self.send(FRAME_HEADER.pack(kind, stream, self.seq) + body)

    async def send(self, payload: bytes | str) -> None:
        await self.ws.send(payload)
