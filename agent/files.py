"""Advanced file transfer, the customer's side: serve a rep's `file_request`s
inside the folders the customer shared (``tandem-agent --share-folder DIR``).

Nothing is served unless the relay lists a live ``files`` activity that this
agent shares and the request comes from its peer (the rep); every path is
resolved inside a shared folder or refused (and the refusal logged). With no
folder shared, every request is refused with a clear error.

Paths are relative, ``/``-separated. With one shared folder they start in it;
with several, the first component is the folder's name (``""`` lists them).
Absolute paths, ``..`` components and links that leave the folder are refused.

Data moves in FILE frames (``StreamKind.FILE``) on the activity's stream; the
frame body is `CHUNK` (u32 request id, u64 offset) then at most `CHUNK_SIZE`
bytes. Every reply is a `file_reply` with the request's id.

list  path                      -> entries (name, dir, size, mtime)
stat  path [sha256]             -> size, entries=[the entry]; sha256 of the file
                                   when the request carried one (to verify)
mkdir path                      -> ok (the parent must exist)
read  path offset [size]        -> FILE frames for bytes [offset, offset+size) (to the end
                                   without size), then the reply: size = the file's size,
                                   sha256 = the whole file's digest when the read reached
                                   the end. A dropped link mid-read answers ok=false,
                                   error "interrupted: ..."; the rep reads again from the
                                   last offset it got (`transfer.download` does it all).
write path offset size          -> opens the partial file ``.NAME.tandem-part`` next to the
                                   target (kept across disconnects), keeps min(offset,
                                   bytes held) of it and replies size = where to go on.
                                   The rep then sends FILE frames tagged with this request
                                   id, in order; a frame at any other offset is dropped.
                                   The agent acknowledges with further replies to the same
                                   request (size = bytes held) every `ACK_BYTES` and at the
                                   end. To resume, send `write` again with the last
                                   acknowledged offset.
write path offset=size size sha256  (commit) -> once every byte is held and its SHA-256
                                   matches, the partial file is renamed onto the target;
                                   reply size + sha256. A mismatch deletes the partial file.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import os
import re
import stat as stat_mod
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from server.protocol import FILE_CHUNK as CHUNK
from server.protocol import FILE_CHUNK_SIZE as CHUNK_SIZE
from server.protocol import StreamKind

from .alloc import tune_allocator
from .platform import backend

log = logging.getLogger("agent.files")

ACK_BYTES = 1024 * 1024
PART_SUFFIX = ".tandem-part"
MAX_ENTRIES = 10000
INTERRUPTED = "interrupted: the connection dropped; read again from the last offset received"
NO_FOLDER = "no folder is shared: the customer can share one with `tandem-agent run --share-folder DIR`"
_DRIVE = re.compile(r"^[A-Za-z]:")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)  # O_BINARY: no newline translation on Windows

Progress = Callable[[str, str, int, int], None]
"""progress(op, path, done, total): op is "read" (sent to the rep) or "write" (received)."""


class Refused(Exception):
    """A request the agent will not serve; the text goes back to the rep."""


_shown: dict[str, float] = {}


def cli_progress(op: str, path: str, done: int, total: int, *, out=sys.stderr) -> None:
    """A one-line progress display for the agent's terminal (at most ~5 updates a second)."""
    _last, now = _shown, time.monotonic()
    if done < total and now - _last.get(path, 0.0) < 0.2:
        return
    _last[path] = now
    verb = "sending" if op == "read" else "receiving"
    pct = 100 * done // total if total else 100
    out.write(f"\r  {verb} {path}: {pct:3d}%  {done / 1e6:.1f}/{total / 1e6:.1f} MB")
    if done >= total:
        out.write("\n")
        _last.pop(path, None)
    out.flush()


def _entry(name: str, st: os.stat_result) -> dict:
    return {"name": name, "dir": stat_mod.S_ISDIR(st.st_mode), "size": st.st_size, "mtime": st.st_mtime}


def _hash_range(fd: int, hasher, start: int, end: int) -> None:
    pos = start
    while pos < end:
        data = backend().fileio.read_at(fd, min(4 * CHUNK_SIZE, end - pos), pos)
        if not data:
            raise Refused("the file got shorter while it was read")
        hasher.update(data)
        pos += len(data)


@dataclass
class _Write:
    activity: int
    request: int
    path: str
    target: str
    part: str
    fd: int
    total: int
    held: int
    hasher: hashlib._Hash
    acked: int = 0


@dataclass
class _Cursor:
    """A running SHA-256 of a file being read in order, so the digest at the
    end costs nothing extra. Keyed by path, size and mtime."""

    key: tuple
    pos: int = 0
    hasher: hashlib._Hash = field(default_factory=hashlib.sha256)


class FileServer:
    """Serves one agent's file requests. Create it once per `Link` (see `attach`)."""

    def __init__(self, link, folders: list[str | os.PathLike], *, progress: Progress | None = cli_progress,
                 max_file_bytes: int = 16 * 2**30, consent=None) -> None:
        tune_allocator()
        self.link = link
        self.consent = consent
        """`agent.consent.Consent`: the person at this machine allows file access first (None: tests in-process)."""
        self.progress = progress or (lambda *a: None)
        self.max_file_bytes = max_file_bytes
        self.roots: dict[str, str] = {}
        for folder in folders:
            real = os.path.realpath(folder)
            if not os.path.isdir(real):
                raise ValueError(f"--share-folder {folder}: not a folder")
            name, n = os.path.basename(real) or "root", 1
            while name in self.roots:
                n += 1
                name = f"{os.path.basename(real)}-{n}"
            self.roots[name] = real
        self._writes: dict[tuple[int, int], _Write] = {}
        self._cursors: dict[str, _Cursor] = {}
        self._queue: asyncio.Queue = asyncio.Queue()
        self._worker: asyncio.Task | None = None
        self._pause_until = 0.0
        link.on("file_message", self._on_message)
        link.on_frame(StreamKind.FILE, self._on_frame)
        link.on("error", self._on_error)

    # --- paths ------------------------------------------------------------

    def resolve(self, path: str) -> str:
        """The real path of ``path`` inside a shared folder, or `Refused`.
        The result may not exist yet (mkdir, write)."""
        if not self.roots:
            raise Refused(NO_FOLDER)
        if "\x00" in path or path.startswith(("/", "\\")) or _DRIVE.match(path):
            raise Refused("absolute paths are refused: use a path inside the shared folder")
        parts = [x for x in re.split(r"[/\\]", path) if x not in ("", ".")]
        if ".." in parts:
            raise Refused("'..' is refused: paths stay inside the shared folder")
        if len(self.roots) == 1:
            root = next(iter(self.roots.values()))
        elif not parts:
            raise Refused("choose one of the shared folders")
        elif parts[0] not in self.roots:
            raise Refused(f"{parts[0]!r} is not a shared folder")
        else:
            root = self.roots[parts.pop(0)]
        real = os.path.realpath(os.path.join(root, *parts))
        if os.path.commonpath([real, root]) != root:
            raise Refused("a link there leads outside the shared folder")
        if os.path.basename(real).endswith(PART_SUFFIX):
            raise Refused("transfer files in progress are not served")
        return real

    # --- incoming -----------------------------------------------------------

    def _activity(self, activity: int, sender: str | None = None) -> dict | None:
        for a in self.link.activities("files", mine=True):
            if a["id"] == activity and (sender is None or a.get("peer") == sender):
                return a
        return None

    async def _on_message(self, msg: dict) -> None:
        req = msg.get("message") or {}
        if req.get("type") != "file_request":
            return
        if self._activity(req["activity"], msg.get("sender")) is None:
            log.warning("refused %s %r: no live file grant for activity %s", req.get("op"), req.get("path"),
                        req.get("activity"))
            await self._reply(req, ok=False, error="no live file grant for this transfer")
            return
        if self.consent is not None and not self.consent.allowed("files"):
            act = self._activity(req["activity"])

            async def refused() -> None:  # say why, then end the grant
                await self._reply(req, ok=False, error="the customer did not allow access to their files")
                await self.link.send("revoke_grant", session=self.link.session, grant=act.get("grant"))

            who = (self.link.participant(msg.get("sender")) or {}).get("name", "")
            if not await self.consent.ask("files", who, refused):
                return
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work(), name="files")
        self._queue.put_nowait(req)

    def _on_error(self, msg: dict) -> None:
        if msg.get("code") == "rate_limited":
            self._pause_until = time.monotonic() + 0.25  # the relay dropped a frame: let its bucket refill

    async def _work(self) -> None:
        while True:
            req = await self._queue.get()
            try:
                await getattr(self, f"_op_{req['op']}")(req)
            except Refused as exc:
                log.warning("refused %s %r: %s", req["op"], req.get("path"), exc)
                await self._reply(req, ok=False, error=str(exc))
            except OSError as exc:
                log.warning("%s %r failed: %s", req["op"], req.get("path"), exc)
                await self._reply(req, ok=False, error=f"{exc.strerror or exc}")
            except Exception:
                log.exception("file request %r failed", req)
                await self._reply(req, ok=False, error="the Support Manager could not do this")

    async def _reply(self, req: dict, **fields) -> None:
        await self.link.send("file_reply", session=self.link.session, activity=req["activity"],
                             request=req["request"], **{k: v for k, v in fields.items() if v is not None})

    # --- operations ---------------------------------------------------------

    async def _op_list(self, req: dict) -> None:
        if len(self.roots) > 1 and not re.sub(r"[/\\.]", "", req["path"]):
            entries = [_entry(name, os.stat(root)) for name, root in self.roots.items()]
            await self._reply(req, ok=True, entries=entries)
            return
        real = self.resolve(req["path"])
        root = self._root_of(real)
        entries = []
        with os.scandir(real) as it:
            for e in it:
                if e.name.endswith(PART_SUFFIX):
                    continue
                if e.is_symlink():
                    target = os.path.realpath(e.path)
                    if os.path.commonpath([target, root]) != root:
                        continue  # a link out of the folder is not even shown
                try:
                    entries.append(_entry(e.name, e.stat()))
                except OSError:
                    continue
                if len(entries) >= MAX_ENTRIES:
                    break
        entries.sort(key=lambda x: (not x["dir"], x["name"]))
        await self._reply(req, ok=True, entries=entries)

    def _root_of(self, real: str) -> str:
        return next(r for r in self.roots.values() if os.path.commonpath([real, r]) == r)

    async def _op_stat(self, req: dict) -> None:
        real = self.resolve(req["path"])
        st = os.stat(real)
        digest = None
        if req.get("sha256") and stat_mod.S_ISREG(st.st_mode):
            fd = os.open(real, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
            try:
                h = hashlib.sha256()
                _hash_range(fd, h, 0, os.fstat(fd).st_size)
                digest = h.hexdigest()
            finally:
                os.close(fd)
        await self._reply(req, ok=True, size=st.st_size, sha256=digest,
                          entries=[_entry(os.path.basename(real), st)])

    async def _op_mkdir(self, req: dict) -> None:
        real = self.resolve(req["path"])
        os.mkdir(real, 0o755)
        log.info("created folder %s for the rep", real)
        await self._reply(req, ok=True)

    async def _op_read(self, req: dict) -> None:
        real = self.resolve(req["path"])
        fd = os.open(real, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
        try:
            st = os.fstat(fd)
            if not stat_mod.S_ISREG(st.st_mode):
                raise Refused("only files can be read")
            total, offset = st.st_size, req.get("offset", 0)
            if offset > total:
                raise Refused(f"offset {offset} is past the end of the file ({total} bytes)")
            end = total if req.get("size") is None else min(total, offset + req["size"])
            key = (real, st.st_size, st.st_mtime_ns)
            cursor = self._cursors.get(real)
            if cursor is None or cursor.key != key:
                cursor = self._cursors[real] = _Cursor(key)
            log.info("sending %s [%d, %d) of %d bytes", real, offset, end, total)
            if not await self._send_range(req, fd, offset, end, cursor):
                log.info("read of %s interrupted", real)
                await self._reply(req, ok=False, error=INTERRUPTED)
                return
            digest = None
            if end == total:
                _hash_range(fd, cursor.hasher, cursor.pos, total)
                cursor.pos = total
                digest = cursor.hasher.hexdigest()
                del self._cursors[real]
            await self._reply(req, ok=True, size=total, sha256=digest)
        finally:
            os.close(fd)

    async def _send_range(self, req: dict, fd: int, pos: int, end: int, cursor: _Cursor) -> bool:
        """Send bytes [pos, end) of ``fd`` in FILE frames; False when the link
        dropped. Each chunk is read into one of two reused buffers right after
        its frame header (no copy to prepend it, no fresh pages per chunk) and
        hashed in a thread while the next one is read and sent."""
        request, stream, total = req["request"], req["activity"], os.fstat(fd).st_size
        buffers = [bytearray(CHUNK.size + CHUNK_SIZE) for _ in range(2)]
        fileio = backend().fileio
        hashing: asyncio.Future | None = None
        loop = asyncio.get_running_loop()
        try:
            for turn in itertools.count():
                if pos >= end:
                    return True
                if self._pause_until > time.monotonic():
                    await asyncio.sleep(self._pause_until - time.monotonic())
                buf = memoryview(buffers[turn % 2])
                n = fileio.read_into_at(fd, buf[CHUNK.size:CHUNK.size + min(CHUNK_SIZE, end - pos)], pos)
                if not n:
                    raise Refused("the file got shorter while it was read")
                CHUNK.pack_into(buf, 0, request, pos)
                if not await self.link.send_frame(StreamKind.FILE, stream, buf[:CHUNK.size + n]):
                    return False
                if hashing is not None:
                    await hashing  # the other buffer is free again
                    hashing = None
                if cursor.pos == pos:
                    hashing = loop.run_in_executor(None, cursor.hasher.update, buf[CHUNK.size:CHUNK.size + n])
                    cursor.pos += n
                pos += n
                self.progress("read", req["path"], pos, total)
        finally:
            if hashing is not None:
                await hashing

    async def _op_write(self, req: dict) -> None:
        real = self.resolve(req["path"])
        total = req.get("size")
        if total is None:
            raise Refused("a write names the file's total size")
        if total > self.max_file_bytes:
            raise Refused(f"files are limited to {self.max_file_bytes} bytes here")
        parent, name = os.path.split(real)
        if not os.path.isdir(parent):
            raise Refused("the folder does not exist")
        if os.path.isdir(real):
            raise Refused("a folder of that name is in the way")
        part = os.path.join(parent, f".{name}{PART_SUFFIX}")
        w = next((x for x in self._writes.values() if x.part == part), None)
        if req.get("sha256"):
            await self._commit(req, real, part, w, total)
            return
        if w is not None:
            self._close(w)
        fd = os.open(part, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _CLOEXEC, 0o600)
        try:
            held = min(req.get("offset", 0), os.fstat(fd).st_size, total)
            os.ftruncate(fd, held)
            hasher = hashlib.sha256()
            _hash_range(fd, hasher, 0, held)
        except BaseException:
            os.close(fd)
            raise
        key = (req["activity"], req["request"])
        self._writes[key] = _Write(req["activity"], req["request"], req["path"], real, part, fd, total, held,
                                   hasher, acked=held)
        log.info("receiving %s from %d of %d bytes", real, held, total)
        await self._reply(req, ok=True, size=held)

    async def _commit(self, req: dict, real: str, part: str, w: _Write | None, total: int) -> None:
        if w is None:
            if not os.path.exists(part):
                if os.path.isfile(real) and os.path.getsize(real) == total:  # a resent commit
                    fd = os.open(real, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
                    try:
                        h = hashlib.sha256()
                        _hash_range(fd, h, 0, total)
                    finally:
                        os.close(fd)
                    if h.hexdigest() == req["sha256"]:
                        await self._reply(req, ok=True, size=total, sha256=req["sha256"])
                        return
                raise Refused("nothing was received for this file: write it first")
            fd = os.open(part, os.O_RDWR | _NOFOLLOW | _CLOEXEC)
            h = hashlib.sha256()
            held = os.fstat(fd).st_size
            _hash_range(fd, h, 0, held)
            w = _Write(req["activity"], req["request"], req["path"], real, part, fd, total, held, h)
            self._writes[(w.activity, w.request)] = w
        if w.held != total:
            await self._reply(req, ok=False, size=w.held,
                              error=f"only {w.held} of {total} bytes arrived: resume from {w.held}")
            return
        digest = w.hasher.hexdigest()
        if digest != req["sha256"]:
            self._close(w)
            os.unlink(part)
            log.warning("SHA-256 mismatch for %s: the partial file was deleted", real)
            await self._reply(req, ok=False, error="SHA-256 mismatch: the file was not saved; send it again")
            return
        os.fsync(w.fd)
        self._close(w)
        os.replace(part, real)
        log.info("saved %s (%d bytes, sha256 %s)", real, total, digest)
        await self._reply(req, ok=True, size=total, sha256=digest)

    def _close(self, w: _Write) -> None:
        self._writes.pop((w.activity, w.request), None)
        os.close(w.fd)

    async def _on_frame(self, stream: int, seq: int, body: bytes) -> None:
        if len(body) < CHUNK.size:
            return
        request, offset = CHUNK.unpack_from(body)
        w = self._writes.get((stream, request))
        if w is None or offset != w.held:
            return  # stale or out of order (after a loss): the rep resumes from the last ack
        if self._activity(stream) is None:
            self._close(w)
            return
        data = memoryview(body)[CHUNK.size:]
        if w.held + len(data) > w.total:
            return
        backend().fileio.write_at(w.fd, data, offset)
        w.hasher.update(data)
        w.held += len(data)
        self.progress("write", w.path, w.held, w.total)
        if w.held - w.acked >= ACK_BYTES or w.held == w.total:
            w.acked = w.held
            await self._reply({"activity": w.activity, "request": w.request}, ok=True, size=w.held)

    def close(self) -> None:
        """Close open partial files (they stay on disk for a later resume)."""
        for w in list(self._writes.values()):
            self._close(w)
        if self._worker is not None:
            self._worker.cancel()


def attach(link, folders: list[str | os.PathLike] = (), **kwargs) -> FileServer:
    """Called by the CLI: serve file requests on ``link`` inside ``folders``."""
    server = FileServer(link, list(folders), **kwargs)
    if server.roots:
        log.info("sharing on a file grant: %s", ", ".join(server.roots.values()))
    else:
        log.info("no folder shared: file requests will be refused (use --share-folder DIR)")
    return server
