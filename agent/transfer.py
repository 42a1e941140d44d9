"""Advanced file transfer, the rep's side: browse the customer's shared
folders through their Support Manager and move files both ways.

A small asyncio helper over a `agent.link.Link` signed in as the rep; the
wire sequence is described in `agent.files`. It is what the tests drive and
the reference for the extension's file panel::

    files = FileClient(link, activity_id)
    await files.list("")                        # [{'name', 'dir', 'size', 'mtime'}]
    await files.download("report.pdf", "/tmp/report.pdf", progress=print)
    await files.upload("/tmp/setup.exe", "setup.exe", progress=print)

Both transfers are resumable: a download keeps ``DEST.part`` and continues
from its size; an upload continues from the last offset the agent
acknowledged. Dropped links, lost frames and agent restarts only cost a
retry; the SHA-256 of the whole file is checked at the end either way.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
import secrets
from collections import deque
from collections.abc import Callable

from server.protocol import StreamKind

from .alloc import tune_allocator
from .files import CHUNK, CHUNK_SIZE, INTERRUPTED

Progress = Callable[[int, int], None]
"""progress(done, total) in bytes."""


class TransferError(Exception):
    """The agent refused, or the file did not verify."""


class _Retry(Exception):
    pass


class FileClient:
    """The rep's end of one live files activity.

    ``window``: bytes asked for by one read request; ``depth``: read requests
    in flight. Together they bound what waits in the relay for this rep
    (``window * depth`` must stay well under the relay's per-connection
    ``send_queue_bytes``). ``timeout``: seconds without progress before a
    request is sent again."""

    def __init__(self, link, activity: int, *, session: str | None = None, window: int = 2 * 2**20,
                 depth: int = 2, timeout: float = 10.0) -> None:
        tune_allocator()
        self.link, self.activity, self.session = link, activity, session
        self.window, self.depth, self.timeout = window, depth, timeout
        self._ids = itertools.count(secrets.randbelow(2**30) + 1)
        self._replies: dict[int, Callable[[dict], None]] = {}
        self._sinks: dict[int, _Sink] = {}
        self._reconnected = asyncio.Event()
        link.on("file_message", self._on_message)
        link.on_frame(StreamKind.FILE, self._on_frame)
        link.on("welcome", lambda msg: self._reconnected.set())

    # --- plumbing -------------------------------------------------------

    def _on_message(self, msg: dict) -> None:
        reply = msg.get("message") or {}
        if reply.get("type") == "file_reply" and reply.get("activity") == self.activity:
            handler = self._replies.get(reply["request"])
            if handler is not None:
                handler(reply)

    def _on_frame(self, stream: int, seq: int, body: bytes) -> None:
        if stream != self.activity or len(body) < CHUNK.size:
            return
        request, offset = CHUNK.unpack_from(body)
        sink = self._sinks.get(request)
        if sink is not None:
            sink.chunk(offset, memoryview(body)[CHUNK.size:])

    async def _send(self, op: str, path: str, **fields) -> tuple[int, asyncio.Future]:
        rid = next(self._ids)
        fut = asyncio.get_running_loop().create_future()
        self._replies[rid] = lambda r: fut.done() or fut.set_result(r)
        await self.link.send("file_request", session=self.session or self.link.session, activity=self.activity,
                              request=rid, op=op, path=path, **{k: v for k, v in fields.items() if v is not None})
        return rid, fut

    async def request(self, op: str, path: str, **fields) -> dict:
        """One request and its reply; raises `TransferError` on a refusal."""
        while True:
            rid, fut = await self._send(op, path, **fields)
            try:
                reply = await asyncio.wait_for(fut, self.timeout)
            except TimeoutError:
                continue  # lost with a dropped link: ask again
            finally:
                self._replies.pop(rid, None)
            if not reply["ok"]:
                raise TransferError(reply.get("error") or "refused")
            return reply

    async def list(self, path: str = "") -> list[dict]:
        return (await self.request("list", path))["entries"]

    async def stat(self, path: str, *, sha256: bool = False) -> dict:
        """size, entries=[entry]; with ``sha256`` the agent hashes the file too."""
        return await self.request("stat", path, sha256="0" * 64 if sha256 else None)

    async def mkdir(self, path: str) -> None:
        await self.request("mkdir", path)

    # --- download -------------------------------------------------------

    async def download(self, path: str, dest: str | os.PathLike, *, progress: Progress | None = None) -> str:
        """Copy the customer's ``path`` to ``dest``; returns its SHA-256.
        Resumes from ``dest.part`` when one is there."""
        dest = os.fspath(dest)
        total = (await self.stat(path))["size"]
        part = dest + ".part"
        sink = _Sink(open(part, "ab+"), total, progress)
        try:
            digest = await self._download(path, sink, total)
        finally:
            sink.file.close()
        if digest != sink.hasher.hexdigest():
            os.unlink(part)
            raise TransferError(f"{path}: SHA-256 mismatch (the file changed while it was read?)")
        os.replace(part, dest)
        return digest

    async def _download(self, path: str, sink: _Sink, total: int) -> str:
        digest = None
        pending: deque[tuple[int, asyncio.Future, int]] = deque()
        next_at = sink.offset
        try:
            while True:
                while len(pending) < self.depth and (next_at < total or (digest is None and not pending)):
                    size = min(self.window, total - next_at)
                    rid, fut = await self._send("read", path, offset=next_at, size=size)
                    self._sinks[rid] = sink
                    pending.append((rid, fut, next_at + size))
                    next_at += size
                if not pending:
                    return digest
                rid, fut, end = pending[0]
                self._reconnected.clear()
                reply = await self._wait(fut, sink)
                pending.popleft()
                self._forget(rid)
                if reply is not None and not reply["ok"] and reply.get("error") != INTERRUPTED:
                    raise TransferError(reply.get("error") or "refused")
                if reply is not None and reply["ok"]:
                    if reply["size"] != total:
                        raise TransferError(f"{path} changed size while it was read")
                    digest = reply.get("sha256") or digest
                if sink.offset < end:  # something was lost: ask again from what arrived
                    for r, _, _ in pending:
                        self._forget(r)
                    pending.clear()
                    next_at, digest = sink.offset, None
        finally:
            for r, _, _ in pending:
                self._forget(r)

    async def _wait(self, fut: asyncio.Future, sink: _Sink | None) -> dict | None:
        """The reply, or None when the link came back or nothing moved for `timeout` s."""
        while True:
            before = sink.offset if sink else None
            reconnected = asyncio.ensure_future(self._reconnected.wait())
            done, _ = await asyncio.wait({fut, reconnected}, timeout=self.timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
            reconnected.cancel()
            if fut in done:
                return fut.result()
            if reconnected in done or sink is None or sink.offset == before:
                return None

    def _forget(self, rid: int) -> None:
        self._replies.pop(rid, None)
        self._sinks.pop(rid, None)

    # --- upload ---------------------------------------------------------

    async def upload(self, src: str | os.PathLike, path: str, *, progress: Progress | None = None) -> str:
        """Copy the local ``src`` to the customer's ``path``; returns its SHA-256
        once the agent has verified it and saved the file."""
        with open(src, "rb") as f:
            total = os.fstat(f.fileno()).st_size
            hasher = hashlib.sha256()
            while data := f.read(4 * CHUNK_SIZE):
                hasher.update(data)
            digest = hasher.hexdigest()
            acked = 0
            while True:
                acked, complete = await self._upload_from(f, path, total, acked, progress)
                if not complete:
                    await self.link.wait_connected(self.timeout)
                    continue
                reply = await self._send_commit(path, total, digest)
                if reply["ok"]:
                    return digest
                if reply.get("size") is None:  # a mismatch: the agent dropped the partial file
                    raise TransferError(reply.get("error") or "refused")
                acked = reply["size"]

    async def _send_commit(self, path: str, total: int, digest: str) -> dict:
        while True:
            rid, fut = await self._send("write", path, offset=total, size=total, sha256=digest)
            reply = await self._wait(fut, None)
            self._replies.pop(rid, None)
            if reply is not None:
                return reply

    async def _upload_from(self, f, path: str, total: int, offset: int,
                           progress: Progress | None) -> tuple[int, bool]:
        """One attempt: open the partial file at ``offset`` and send the rest.
        Returns the acknowledged size and whether all of it was."""
        rid, fut = await self._send("write", path, offset=offset, size=total)
        state = {"acked": None}
        moved = asyncio.Event()

        def on_reply(reply: dict) -> None:
            if not reply["ok"]:
                state["error"] = reply.get("error") or "refused"
            elif state["acked"] is None or reply["size"] > state["acked"]:
                state["acked"] = reply["size"]
            moved.set()

        self._replies[rid] = on_reply  # this request gets several replies: the open, then acks
        if fut.done():
            on_reply(fut.result())
        self._reconnected.clear()
        try:
            pos = await self._until(moved, state, lambda: state["acked"] is not None)
            if progress:
                progress(pos, total)
            while pos < total or state["acked"] < total:
                if pos < total and pos - state["acked"] < self.window * self.depth:
                    f.seek(pos)
                    data = f.read(CHUNK_SIZE)
                    if not await self.link.send_frame(StreamKind.FILE, self.activity, CHUNK.pack(rid, pos) + data):
                        raise _Retry
                    pos += len(data)
                    continue
                before = state["acked"]
                await self._until(moved, state, lambda before=before: state["acked"] > before)
                if progress:
                    progress(state["acked"], total)
            return state["acked"], True
        except _Retry:
            return (offset if state["acked"] is None else state["acked"]), False
        finally:
            self._replies.pop(rid, None)

    async def _until(self, moved: asyncio.Event, state: dict, cond: Callable[[], bool]) -> int:
        while not cond():
            if "error" in state:
                raise TransferError(state["error"])
            if self._reconnected.is_set():
                raise _Retry
            moved.clear()
            try:
                await asyncio.wait_for(moved.wait(), self.timeout)
            except TimeoutError:
                raise _Retry from None
        if "error" in state:
            raise TransferError(state["error"])
        return state["acked"]


class _Sink:
    """Where a download's chunks land: in order only, hashed as they come."""

    def __init__(self, file, total: int, progress: Progress | None) -> None:
        self.file, self.total, self.progress = file, total, progress
        self.file.seek(0)
        self.hasher = hashlib.sha256()
        while data := self.file.read(4 * CHUNK_SIZE):
            self.hasher.update(data)
        self.offset = self.file.tell()
        if self.offset > total:
            self.file.truncate(0)
            self.offset, self.hasher = 0, hashlib.sha256()

    def chunk(self, offset: int, data: memoryview) -> None:
        if offset != self.offset:
            return
        self.file.write(data)
        self.hasher.update(data)
        self.offset += len(data)
        if self.progress:
            self.progress(self.offset, self.total)
