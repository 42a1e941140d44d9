"""The agent's relay link survives network loss: it reconnects, resumes, and
delivers what was sent while down exactly once."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest

from agent.link import Link
from agent.pairing import pair
from tests.conftest import ADMIN_PASSWORD, LiveRelay

pytestmark = pytest.mark.anyio


class Proxy:
    """A TCP forwarder on loopback whose connections can be cut at will."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.conns: set[asyncio.StreamWriter] = set()
        self.server: asyncio.AbstractServer | None = None
        self.port = 0

    async def start(self) -> Proxy:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def _handle(self, reader, writer) -> None:
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.close()
            return
        self.conns.update((writer, up_w))

        async def pipe(r, w):
            with contextlib.suppress(Exception):
                while data := await r.read(65536):
                    w.write(data)
                    await w.drain()
            w.close()

        await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer))

    def cut(self) -> None:
        for w in list(self.conns):
            w.transport.abort()
        self.conns.clear()

    async def stop(self) -> None:
        self.cut()
        self.server.close()
        await self.server.wait_closed()


async def wait(predicate, timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.05)


@pytest.fixture
def relay(tmp_path):
    r = LiveRelay(tmp_path).start()
    yield r
    r.stop()


async def test_link_resumes_after_network_loss_and_resends_once(relay):
    async with httpx.AsyncClient(base_url=relay.base, timeout=10) as http:
        admin = (await http.post("/api/signin", json={"email": "admin@localhost", "password": ADMIN_PASSWORD})).json()["token"]
        r = await http.post("/api/admin/reps", headers={"Authorization": f"Bearer {admin}"},
                            json={"email": "rita@example.com", "name": "Rita", "password": "rep-password-1"})
        assert r.status_code == 201
        rep_token = (await http.post("/api/signin", json={"email": "rita@example.com",
                                                          "password": "rep-password-1"})).json()["token"]
        rep = Link(relay.ws_url, rep_token, client="api")
        chats: list[dict] = []
        rep.on("chat_message", chats.append)
        rep_task = asyncio.create_task(rep.run())
        await rep.wait_connected(10)
        await rep.send("start_session")
        await wait(lambda: rep.state is not None)
        number = rep.state["number"].replace(" ", "")
        joined = (await http.post("/api/join", json={"number": number, "name": "Ann"})).json()
        code = (await http.post(f"/api/sessions/{joined['session']}/pairing",
                                headers={"Authorization": f"Bearer {joined['token']}"})).json()["code"]
    paired = await asyncio.to_thread(pair, relay.base, number, code, "Ann's PC")

    proxy = await Proxy(relay.port).start()
    agent = Link(f"ws://127.0.0.1:{proxy.port}/ws", paired["token"], "Ann's PC")
    welcomes: list[dict] = []
    agent.on("welcome", welcomes.append)
    task = asyncio.create_task(agent.run())
    try:
        assert await agent.wait_connected(10)
        await wait(lambda: agent.state is not None)
        assert agent.me == paired["pid"] and agent.session == paired["session"]
        assert agent.activities() == []

        proxy.cut()
        await wait(lambda: not agent.connected)
        assert await agent.send_frame(4, 1, b"x") is False  # frames are not queued while down
        await agent.send("chat", session=agent.session, text="sent while offline")
        await wait(lambda: len(welcomes) == 2)
        assert welcomes[1]["resumed"] is True
        await wait(lambda: any(c["text"] == "sent while offline" for c in chats))
        await asyncio.sleep(0.5)
        assert [c["text"] for c in chats].count("sent while offline") == 1
    finally:
        agent.stop()
        rep.stop()
        await asyncio.wait_for(asyncio.gather(task, rep_task), 10)
        await proxy.stop()
