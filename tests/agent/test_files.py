"""Advanced file transfer through a real relay: the customer's agent serves its
shared folder (agent/files.py), the rep browses and moves files both ways
(agent/transfer.py), also across cut connections; nothing outside the shared
folder is ever read or written."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
from pathlib import Path

import httpx
import pytest

from agent.files import NO_FOLDER, FileServer, Refused
from agent.link import Link
from agent.transfer import FileClient, TransferError
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.anyio
MiB = 2**20


async def until(pred, timeout: float = 15.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class Transfer:
    """A live session with a files activity: the rep's `FileClient` and the
    customer's agent serving ``shared``, both in this process over real sockets."""

    async def start(self, relay, shared: list[Path], **client) -> Transfer:
        self.links: list[Link] = []
        self.tasks: list[asyncio.Task] = []
        async with httpx.AsyncClient(base_url=relay.base, timeout=10) as http:
            r = await http.post("/api/signin", json={"email": "admin@localhost", "password": ADMIN_PASSWORD})
            self.rep = await self._link(relay, r.json()["token"])
            await self.rep.send("start_session")
            state = await until(lambda: self.rep.state, what="session")
            session, number = state["session"], state["number"].replace(" ", "")
            joined = (await http.post("/api/join", json={"number": number, "name": "Ann"})).json()
            self.customer = await self._link(relay, joined["token"])
            code = (await http.post(f"/api/sessions/{session}/pairing",
                                    headers={"Authorization": f"Bearer {joined['token']}"})).json()["code"]
            paired = (await http.post("/api/agent/pair", json={"number": number, "code": code})).json()
        self.agent = await self._link(relay, paired["token"])
        self.server = FileServer(self.agent, shared, progress=None)
        self.reads: list[int] = []  # offsets of the reads the agent served
        self.writes: list[int] = []  # offsets of the writes it opened
        for op, seen in (("_op_read", self.reads), ("_op_write", self.writes)):
            original = getattr(self.server, op)

            async def spy(req, original=original, seen=seen):
                if not req.get("sha256"):
                    seen.append(req["offset"] if "offset" in req else 0)
                await original(req)
            setattr(self.server, op, spy)
        await until(lambda: self.rep.state and self.rep.state["tools_available"], what="customer")
        await self.rep.send("request_grant", session=session, kind="files")
        grant = await until(lambda: [g for g in (self.customer.state or {}).get("grants", [])
                                     if g["state"] == "pending"], what="grant")
        await self.customer.send("decide_grant", session=session, grant=grant[0]["id"], approve=True)
        act = await until(lambda: self.rep.activities("files", mine=False), what="files activity")
        await until(lambda: self.agent.activities("files"), what="agent sees the activity")
        self.files = FileClient(self.rep, act[0]["id"], **client)
        return self

    async def _link(self, relay, token: str) -> Link:
        link = Link(relay.ws_url, token)
        self.links.append(link)
        self.tasks.append(asyncio.create_task(link.run()))
        assert await link.wait_connected(10)
        return link

    async def close(self) -> None:
        self.server.close()
        for link in self.links:
            link.stop()
        await asyncio.wait_for(asyncio.gather(*self.tasks, return_exceptions=True), 10)


@pytest.fixture
async def shared(tmp_path: Path) -> Path:
    root = tmp_path / "shared"
    (root / "docs").mkdir(parents=True)
    (root / "notes.txt").write_text("hello from Ann\n")
    (root / "docs" / "empty.cfg").write_bytes(b"")
    (root / "big.bin").write_bytes(os.urandom(5 * MiB + 123))
    return root


@pytest.fixture(params=[pytest.param("x11", marks=pytest.mark.skipif(not hasattr(os, "pread"), reason="POSIX only")),
                        "portable"])
async def transfer(request, live_relay, shared):
    """The agent's file server on each backend's file I/O: pread/pwrite, and
    the seek-and-read Windows uses."""
    from agent import platform
    platform.use(request.param)
    t = await Transfer().start(live_relay, [shared], timeout=3.0)
    yield t
    await t.close()
    platform.use(None)


def cut(link: Link) -> None:
    link._ws.transport.abort()  # as a network loss: no closing handshake


async def test_a_folders_files_round_trip_both_ways_byte_identical(transfer, shared, tmp_path):
    listing = await transfer.files.list("")
    assert [(e["name"], e["dir"]) for e in listing] == [("docs", True), ("big.bin", False), ("notes.txt", False)]
    assert [e["name"] for e in await transfer.files.list("docs")] == ["empty.cfg"]
    got = tmp_path / "got"
    got.mkdir()
    seen = []
    for name in ("notes.txt", "docs/empty.cfg", "big.bin"):
        digest = await transfer.files.download(name, got / Path(name).name,
                                               progress=lambda d, t: seen.append((d, t)))
        data = (shared / name).read_bytes()
        assert (got / Path(name).name).read_bytes() == data and digest == hashlib.sha256(data).hexdigest()
    assert seen[-1] == (5 * MiB + 123, 5 * MiB + 123)

    await transfer.files.mkdir("back")
    for name in ("notes.txt", "empty.cfg", "big.bin"):
        await transfer.files.upload(got / name, f"back/{name}")
        assert (shared / "back" / name).read_bytes() == (got / name).read_bytes()
    assert sorted(os.listdir(shared / "back")) == ["big.bin", "empty.cfg", "notes.txt"]  # no partial file left
    st = await transfer.files.stat("back/big.bin", sha256=True)
    assert st["sha256"] == hashlib.sha256((got / "big.bin").read_bytes()).hexdigest()


@pytest.mark.parametrize("side", ["rep", "agent"])
async def test_download_cut_mid_file_resumes_from_the_offset(transfer, shared, tmp_path, side):
    cut_at = []

    def progress(done, total):
        if not cut_at and done >= 2 * MiB:
            cut_at.append(done)
            cut(transfer.rep if side == "rep" else transfer.agent)

    digest = await asyncio.wait_for(transfer.files.download("big.bin", tmp_path / "big.bin", progress=progress), 60)
    data = (shared / "big.bin").read_bytes()
    assert cut_at and (tmp_path / "big.bin").read_bytes() == data and digest == hashlib.sha256(data).hexdigest()
    # nothing before the cut was sent again (a resumed relay link may need no new read at all)
    assert transfer.reads[0] == 0 and all(r >= 2 * MiB for r in transfer.reads[1:])


@pytest.mark.parametrize("side", ["rep", "agent"])
async def test_upload_cut_mid_file_resumes_from_the_offset(transfer, shared, tmp_path, side):
    src = tmp_path / "setup.bin"
    src.write_bytes(os.urandom(5 * MiB + 7))
    cut_at = []

    def progress(done, total):
        if not cut_at and done >= 2 * MiB:
            cut_at.append(done)
            cut(transfer.rep if side == "rep" else transfer.agent)

    await asyncio.wait_for(transfer.files.upload(src, "setup.bin", progress=progress), 60)
    assert cut_at and (shared / "setup.bin").read_bytes() == src.read_bytes()
    # never started over: either the relay's resume replayed what the cut missed,
    # or the rep re-opened the write from the offset the agent acknowledged
    assert transfer.writes[0] == 0 and transfer.writes.count(0) == 1
    assert all(w >= 2 * MiB for w in transfer.writes[1:])
    assert not list(shared.glob(".*tandem-part"))


async def test_a_partial_upload_survives_and_a_new_client_resumes_it(transfer, shared, tmp_path):
    src = tmp_path / "setup.bin"
    src.write_bytes(os.urandom(3 * MiB))

    class Died(Exception):
        pass

    def stop(done, total):
        if done >= MiB:
            raise Died  # the rep's side dies mid-file

    with pytest.raises(Died):
        await transfer.files.upload(src, "setup.bin", progress=stop)
    assert (shared / ".setup.bin.tandem-part").stat().st_size >= MiB
    assert not (shared / "setup.bin").exists()
    # a fresh client (e.g. the rep's console reloaded) asks from the end; the agent says where to go on
    fresh = FileClient(transfer.rep, transfer.files.activity, timeout=3.0)
    opened = await fresh.request("write", "setup.bin", offset=3 * MiB, size=3 * MiB)
    assert MiB <= opened["size"] <= 3 * MiB
    await fresh.upload(src, "setup.bin")
    assert (shared / "setup.bin").read_bytes() == src.read_bytes()


async def test_a_wrong_sha256_is_not_saved(transfer, shared):
    reply = await transfer.files.request("write", "x.bin", offset=0, size=0)
    assert reply["size"] == 0
    with pytest.raises(TransferError, match="SHA-256 mismatch"):
        await transfer.files.request("write", "x.bin", offset=0, size=0, sha256="1" * 64)
    assert not (shared / "x.bin").exists() and not list(shared.glob(".*tandem-part"))


async def test_paths_leaving_the_shared_folder_are_refused_and_logged(transfer, shared, tmp_path, caplog):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not for the rep")
    (shared / "link.txt").symlink_to(outside / "secret.txt")
    (shared / "out").symlink_to(outside)
    (shared / "dangling").symlink_to(outside / "new.txt")
    before = sorted(os.listdir(outside))
    src = tmp_path / "payload"
    src.write_bytes(b"x" * 1000)
    frames = []
    transfer.rep.on_frame(3, lambda stream, seq, body: frames.append(body))
    bad = ["..", "../outside/secret.txt", "docs/../../outside/secret.txt", str(outside / "secret.txt"),
           "/etc/passwd", "C:\\Windows\\win.ini", "link.txt", "out/secret.txt", "out", "dangling"]
    caplog.set_level(logging.WARNING, "agent.files")
    for path in bad:
        for op in ("list", "stat", "read", "mkdir"):
            with pytest.raises(TransferError) as exc:
                await transfer.files.request(op, path, offset=0)
            assert any(w in str(exc.value) for w in ("absolute", "'..'", "outside")), (op, path, exc.value)
        with pytest.raises(TransferError):
            await transfer.files.upload(src, path)
        with pytest.raises(TransferError):
            await transfer.files.download(path, tmp_path / "stolen")
    assert frames == [] and not (tmp_path / "stolen").exists()
    assert sorted(os.listdir(outside)) == before and (outside / "secret.txt").read_text() == "not for the rep"
    assert not (outside / "new.txt").exists()
    assert sum("refused" in r.getMessage() for r in caplog.records) >= len(bad) * 5
    # the links out are not even listed
    assert {e["name"] for e in await transfer.files.list("")} == {"docs", "big.bin", "notes.txt"}


async def test_with_no_shared_folder_everything_is_refused_with_a_clear_error(live_relay, tmp_path):
    t = await Transfer().start(live_relay, [], timeout=3.0)
    try:
        for op in ("list", "read", "mkdir", "write"):
            with pytest.raises(TransferError, match="no folder is shared"):
                await t.files.request(op, "notes.txt", size=1)
    finally:
        await t.close()


class FakeLink:
    def on(self, *a): pass
    def on_frame(self, *a): pass


@pytest.mark.parametrize("path, ok", [
    ("", True), ("a/b.txt", True), ("./a//b.txt", True), ("a\\b.txt", True),
    ("../x", False), ("a/../../x", False), ("a/..", False), ("/etc", False), ("\\\\host\\share", False),
    ("C:/x", False), ("a\x00b", False), (".big.bin.tandem-part", False),
])
def test_path_resolution(tmp_path, path, ok):
    server = FileServer(FakeLink(), [tmp_path], progress=None)
    if ok:
        assert server.resolve(path).startswith(str(tmp_path.resolve()))
    else:
        with pytest.raises(Refused):
            server.resolve(path)


def test_no_folder_shared_refuses_with_the_command_to_share_one():
    with pytest.raises(Refused, match="--share-folder"):
        FileServer(FakeLink(), [], progress=None).resolve("x")
    assert "--share-folder" in NO_FOLDER
