"""The recording file: an append-only list of records, readable up to the
last complete one (a crash leaves a readable prefix).

    file   = MAGIC record*
    record = "!dBII" (at: seconds since the epoch, kind, stream, length) payload

``kind`` 0 is a session event (payload: UTF-8 JSON object with an
``action``); ``kind`` 255 (`CURSOR`, in a cluster) ends a write that holds
frames read from the recording's broker channel: its payload (`CURSOR_VALUE`)
is the channel's sequence number of the last of them, where a node taking the
recording over goes on reading; the other kinds are `protocol.StreamKind`
values and the payload is the body of a binary frame (without its header) on
``stream``. Readers skip kinds they do not know.

`RecordingWriter` buffers in memory and writes from one worker thread, so the
relay's event loop never waits for the disk. `reopen` makes a file a killed
writer left ready for another writer to append to.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import struct
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

log = logging.getLogger(__name__)

MAGIC = b"TANDEM-RECORDING-1\n"
RECORD = struct.Struct("!dBII")
EVENT = 0
CURSOR = 255
CURSOR_VALUE = struct.Struct("!Q")
FLUSH_BYTES = 256 * 1024
FLUSH_SECONDS = 0.5


class RecordingWriter:
    """Appends records to one file. `add_*` never block: records are buffered
    and written by a worker thread at least every `FLUSH_SECONDS`."""

    def __init__(self, path: Path, pool: ThreadPoolExecutor, appending: bool = False) -> None:
        """``appending``: the file exists (`reopen`); nothing is written
        before `resumed` says how far it got."""
        self.path = path
        self.size = 0
        self._pool = pool
        self._buffer: list[bytes] = [] if appending else [MAGIC]
        self._buffered = sum(map(len, self._buffer))
        self.cursor = 0
        """The channel seq of the last frame added from the recording's channel."""
        self._marked = 0
        self._last_at = 0.0
        self._held = appending
        self._file = None
        self._pending: asyncio.Future | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.closed = False

    def add_event(self, at: float, data: dict[str, Any]) -> None:
        self._add(at, EVENT, 0, json.dumps(data, separators=(",", ":"), default=str).encode())

    def add_frame(self, at: float, kind: int, stream: int, body: bytes | memoryview, seq: int | None = None) -> None:
        """A frame's body; ``seq``: its sequence number in the recording's channel, if it came from there."""
        self._add(at, kind, stream, bytes(body))
        if seq is not None and not self.closed:
            self.cursor = seq

    def resumed(self, size: int, cursor: int, events: Iterable[tuple[float, dict[str, Any]]] = ()) -> None:
        """The file `reopen` prepared: ``size`` bytes, frames of the channel
        through ``cursor``; ``events`` (at, data) go before what was added
        since the writer was made. Writing starts."""
        self.size += size
        self.cursor = self._marked = cursor
        added, self._buffer, self._buffered = self._buffer, [], 0
        for at, data in events:
            self.add_event(at, data)
        self._buffer += added
        self._buffered += sum(map(len, added))
        self._held = False
        self._flush()

    def _add(self, at: float, kind: int, stream: int, payload: bytes) -> None:
        if self.closed:
            return
        self._last_at = at
        self._buffer.append(RECORD.pack(at, kind, stream, len(payload)))
        self._buffer.append(payload)
        self._buffered += RECORD.size + len(payload)
        if self._buffered >= FLUSH_BYTES:
            self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self._flush)

    def _flush(self) -> asyncio.Future | None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._buffered or self._held:
            return self._pending
        if self.cursor != self._marked:  # the write ends with where the channel's frames got to
            self._marked = self.cursor
            self._buffer.append(RECORD.pack(self._last_at, CURSOR, 0, CURSOR_VALUE.size))
            self._buffer.append(CURSOR_VALUE.pack(self.cursor))
        data, self._buffer, self._buffered = b"".join(self._buffer), [], 0
        self.size += len(data)
        self._pending = asyncio.get_running_loop().run_in_executor(self._pool, self._write, data)
        return self._pending

    def _write(self, data: bytes) -> None:
        try:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("ab")
            self._file.write(data)
            self._file.flush()
        except OSError:
            log.exception("could not write the recording %s", self.path)

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def abandon(self) -> None:
        """Stop writing, dropping what is buffered: another node writes the file now."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._buffer, self._buffered, self.closed = [], 0, True
        asyncio.get_running_loop().run_in_executor(self._pool, self._close_file)

    async def close(self) -> int:
        """Write what is buffered and close the file; returns its size."""
        if self.closed:
            return self.size
        self._held = False
        self._flush()
        self.closed = True
        await asyncio.get_running_loop().run_in_executor(self._pool, self._close_file)
        return self.size


class BadRecording(ValueError):
    """The file is not a Tandem recording."""


def scan_records(f: BinaryIO) -> Iterator[tuple[float, int, int, int, int]]:
    """(at, kind, stream, offset, length) for every complete record of an
    open recording, without reading the payloads (``f.seek(offset)`` then
    ``f.read(length)`` gets one). Leaves the file position anywhere.
    Raises `BadRecording` when the file does not start like a recording."""
    f.seek(0)
    if f.read(len(MAGIC)) != MAGIC:
        raise BadRecording(f"{os.path.basename(str(getattr(f, 'name', 'the file')))} is not a Tandem recording")
    size = os.fstat(f.fileno()).st_size
    pos = len(MAGIC)
    while True:
        f.seek(pos)
        head = f.read(RECORD.size)
        if len(head) < RECORD.size:
            return
        at, kind, stream, length = RECORD.unpack(head)
        offset = pos + RECORD.size
        if offset + length > size:
            return  # cut short by a crash: the prefix is what there is
        yield at, kind, stream, offset, length
        pos = offset + length


def read_records(path: Path) -> Iterator[tuple[float, int, int, bytes]]:
    """(at, kind, stream, payload) for every complete record of the file.
    Raises `BadRecording` when the file does not start like a recording."""
    with path.open("rb") as f:
        for at, kind, stream, offset, length in scan_records(f):
            f.seek(offset)
            yield at, kind, stream, f.read(length)


class Reopened(NamedTuple):
    size: int
    cursor: int
    """The last `CURSOR` (0: none)."""
    first_at: float | None
    """The time of the first record (None: none)."""
    last_event_at: float | None
    """The time of the last event record (None: none)."""


def reopen(path: Path) -> Reopened:
    """Make the recording a killed writer left ready to append to: a torn last
    record is cut off (a file that is missing or not even a whole `MAGIC` is
    started over)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as f:
        end, cursor, first, last_event = len(MAGIC), 0, None, None
        try:
            for at, kind, _stream, offset, length in scan_records(f):
                end = offset + length
                first = at if first is None else first
                if kind == EVENT:
                    last_event = at
                elif kind == CURSOR and length == CURSOR_VALUE.size:
                    f.seek(offset)
                    cursor = CURSOR_VALUE.unpack(f.read(length))[0]
        except BadRecording:
            end = 0
        f.truncate(end)
        if not end:
            f.write(MAGIC)
            end = len(MAGIC)
    return Reopened(end, cursor, first, last_event)
