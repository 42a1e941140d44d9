"""Recordings in a cluster (server/cluster): one node at a time owns the desk
and writes every recording, in the shared recordings folder.

- Frames entering another node: when their session is being recorded, that
  node also publishes them to the recording's channel (`channel`), which the
  owner reads (`follow`) and writes to the file with the channel's sequence
  number (the file's `file.CURSOR` records keep where it got to).
- The owner dies (or loses Redis): the node taking the desk over goes on with
  every recording live in its replica of the desk (`take_over`): it cuts a
  torn last record off the file (`file.reopen`), appends from there, reads
  the channel after the file's last cursor (frames sent while nobody wrote
  are in the channel's history, as far as it keeps them), and finishes the
  same store row when the recording ends. A recording that ended while no
  node owned the desk gets what its channel still holds, and its row is
  finished. Events (chat, grants) applied while no node owned the desk are
  not in the file; the store has them.
- A node that is no longer the owner drops what it has not written yet
  (`step_down`): the new owner reads those frames from the channel again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .. import protocol as p
from ..broker import Broker, Gap, Payload, Subscription
from ..config import Settings
from ..core.desk import Desk
from ..core.grants import Activity
from ..core.session import Session
from ..store import Store
from .file import RecordingWriter, reopen

log = logging.getLogger(__name__)

RECORDED_KINDS = frozenset({p.StreamKind.COBROWSE, p.StreamKind.FRAMES, p.StreamKind.RECORD})
FOLLOW_RETRY = 1.0  # seconds between attempts to read a recording's channel


@dataclass
class LiveRecording:
    session_id: str
    activity_id: int
    started_at: float
    writer: RecordingWriter
    row_id: int | None = None
    reopened: asyncio.Future | None = None
    """Taken over: done once the file is ready to append to (`file.reopen`)."""
    reader: asyncio.Task | None = None
    """Subscribing to the recording's channel (a cluster's owner)."""
    subscription: Subscription | None = None


class Host(Protocol):
    """What the recorder needs of the relay node that owns it (`server.relay.Relay`)."""

    settings: Settings
    store: Store
    desk: Desk
    broker: Broker
    node: object | None
    """`server.cluster.node.Node` in a cluster (``token``: its lease while it owns the desk)."""
    clock: Callable[[], float]

    async def drain(self) -> None:
        """Wait until every core record so far is in the store."""


def recorded_stream(desk: Desk, stream: int) -> tuple[Session, Activity] | None:
    """The session of a live activity ``stream`` and its live recording
    activity, when it has one."""
    s = desk.sessions.get(desk._streams.get(stream, ""))
    if s is None or stream not in s.activities:
        return None
    recording = next((a for a in s.activities.values() if a.kind == "recording"), None)
    return (s, recording) if recording is not None else None


def recording_path(session_id: str, activity_id: int) -> str:
    """A recording's file, relative to the recordings folder."""
    return f"{session_id}/{activity_id}.tdr"


class NodeRecorder:
    """The cluster half of `recorder.Recorder` (which sets these attributes)."""

    relay: Host
    folder: Path
    live: dict[str, LiveRecording]
    _streams: dict[int, str]
    _pool: ThreadPoolExecutor

    def _queue(self, job: Callable[[], Awaitable[None]]) -> None: ...

    @property
    def owner(self) -> bool:
        """Does this node write the recordings (one relay, or a cluster's owner)?"""
        node = self.relay.node
        return node is None or node.token is not None

    def still_owner(self) -> bool:
        """`owner`, and if no longer, let the recordings go (`step_down`)."""
        if self.owner:
            return True
        self.step_down()
        return False

    @staticmethod
    def channel(session_id: str, activity_id: int) -> str:
        """The broker channel frames of a recording go to from the other nodes."""
        return f"rec:{session_id}:{activity_id}"

    def forward_channels(self, stream: int) -> list[str]:
        """In a cluster, on a node that does not own the desk: the channel a
        frame on ``stream`` must also go to for the owner's recorder (none
        when its session is not being recorded)."""
        found = recorded_stream(self.relay.desk, stream)
        return [self.channel(found[0].id, found[1].id)] if found is not None else []

    # --- the owner reads the channel ----------------------------------------------

    def follow(self, live: LiveRecording) -> None:
        """In a cluster: write the frames of the recording's channel after those the file has."""
        if self.relay.node is not None:
            live.reader = asyncio.ensure_future(self._follow(live))

    async def _follow(self, live: LiveRecording) -> None:
        if live.reopened is not None:
            await live.reopened
        after: int | None = live.writer.cursor
        name = self.channel(live.session_id, live.activity_id)
        while self.live.get(live.session_id) is live:
            try:
                sub = await self.relay.broker.subscribe(
                    name, after, lambda seq, data: self._deliver(live, seq, data), lambda: self._lost(live))
            except Gap:
                log.warning("session %s: frames sent to recording %d while no node wrote it are gone from %s",
                            live.session_id, live.activity_id, name)
                after = None
                continue
            except Exception:
                log.exception("session %s: cannot read %s; retrying", live.session_id, name)
                await asyncio.sleep(FOLLOW_RETRY)
                continue
            if self.live.get(live.session_id) is live:
                live.subscription = sub
            else:
                sub.close()
            return

    def _lost(self, live: LiveRecording) -> None:
        """The channel ran ahead of this node by more than its history: read on after what the file has."""
        live.subscription = None
        if self.live.get(live.session_id) is live:
            self.follow(live)

    def _deliver(self, live: LiveRecording, seq: int, data: Payload) -> None:
        if self.live.get(live.session_id) is not live or not self.still_owner() or seq <= live.writer.cursor:
            return
        frame = _recorded_frame(data)
        if frame is not None and self._streams.get(frame[1]) == live.session_id:
            live.writer.add_frame(self.relay.clock(), *frame, seq)

    def unfollow(self, live: LiveRecording) -> None:
        if live.reader is not None and not live.reader.done():
            live.reader.cancel()
        if live.subscription is not None:
            live.subscription.close()
            live.subscription = None

    async def forget_channel(self, session_id: str, activity_id: int) -> None:
        """The recording ended: its channel's history is of no more use."""
        if self.relay.node is None:
            return
        try:
            await self.relay.broker.forget(self.channel(session_id, activity_id))
        except Exception as exc:  # it expires by itself
            log.warning("could not drop the channel of recording %d: %s", activity_id, exc)

    # --- owners come and go ---------------------------------------------------------

    def take_over(self) -> None:
        """In a cluster: this node now owns the desk; recordings in progress
        go on in their files from here."""
        self.step_down()  # what is left from an earlier time as owner is stale: the files went on without us
        for s in self.relay.desk.sessions.values():
            for act in s.activities.values():
                if act.kind in ("view", "control"):
                    self._streams[act.id] = s.id
            recording = next((a for a in s.activities.values() if a.kind == "recording"), None)
            if recording is not None:
                self._resume(s.id, recording.id)
        self._queue(self._close_orphans)

    def _resume(self, session_id: str, activity_id: int) -> None:
        rel = recording_path(session_id, activity_id)
        path = self.folder / rel
        writer = RecordingWriter(path, self._pool, appending=True)
        live = self.live[session_id] = LiveRecording(session_id, activity_id, self.relay.clock(), writer)
        # the pool's one thread: the file is ready before any write of the writer
        prepared = asyncio.get_running_loop().run_in_executor(self._pool, reopen, path)
        first: list[float | None] = [None]

        async def ready() -> None:
            size, cursor, first[0] = await prepared
            writer.resumed(size, cursor)

        live.reopened = asyncio.ensure_future(ready())
        self.follow(live)
        log.warning("session %s: recording %d goes on on this node", session_id, activity_id)

        async def find_row() -> None:
            await live.reopened
            rows = await self.relay.store.list_recordings(session_id, unfinished=True)
            row = next((r for r in rows if r["activity_id"] == activity_id), None)
            if row is None:  # its owner died before storing it
                await self.relay.drain()
                live.started_at = first[0] or live.started_at
                live.row_id = await self.relay.store.create_recording(session_id, activity_id, rel, live.started_at)
            else:
                live.row_id, live.started_at = row["id"], row["started_at"]

        self._queue(find_row)

    def step_down(self) -> None:
        """This node no longer owns the desk: the new owner writes the
        recordings (and reads again from the channels what was not written here)."""
        if self.live:
            log.warning("no longer the owner of the desk: %d recordings go on elsewhere", len(self.live))
        for live in self.live.values():
            self.unfollow(live)
            live.writer.abandon()
        self.live.clear()
        self._streams.clear()

    def _hand_over(self, session_id: str) -> None:
        """This node stops while the session goes on: write what is buffered
        and close the file, but leave the row open for the next owner."""
        live = self.live.pop(session_id)
        self.unfollow(live)

        async def close() -> None:
            if live.reopened is not None:
                await live.reopened
            await live.writer.close()

        self._queue(close)

    async def _close_orphans(self) -> None:
        """Finish the rows left open by a crash (one relay) or by an owner that
        died (a cluster), except those of recordings live in the desk."""
        live = {(s.id, a.id) for s in self.relay.desk.sessions.values()
                for a in s.activities.values() if a.kind == "recording"}
        loop = asyncio.get_running_loop()
        for row in await self.relay.store.list_recordings(unfinished=True):
            if (row["session_id"], row["activity_id"]) in live:
                continue
            if self.relay.node is not None:
                await self._catch_up(row)
            at, size = await loop.run_in_executor(self._pool, _stat, self.folder / row["path"])
            await self.relay.store.finish_recording(row["id"], at or row["started_at"], size)

    async def _catch_up(self, row: dict) -> None:
        """A recording that ended while no node owned the desk: the frames its
        channel still holds after the file's cursor go into the file."""
        path = self.folder / row["path"]
        size, cursor, _ = await asyncio.get_running_loop().run_in_executor(self._pool, reopen, path)
        writer = RecordingWriter(path, self._pool, appending=True)
        writer.resumed(size, cursor)
        name = self.channel(row["session_id"], row["activity_id"])
        kept: list[tuple[int, Payload]] = []
        try:  # the broker delivers the history before subscribe returns
            (await self.relay.broker.subscribe(name, cursor, lambda seq, data: kept.append((seq, data)))).close()
        except Exception as exc:  # Gap too: what is still there cannot be told from what is gone
            log.warning("session %s: frames of recording %d sent after its owner died are lost: %s",
                        row["session_id"], row["activity_id"], exc)
        for seq, data in kept:
            frame = _recorded_frame(data)
            if frame is not None:
                writer.add_frame(self.relay.clock(), *frame, seq)
        await writer.close()
        await self.forget_channel(row["session_id"], row["activity_id"])


def _recorded_frame(data: Payload) -> tuple[int, int, memoryview] | None:
    """(kind, stream, body) of a frame from a recording's channel, if one of a recorded kind."""
    if not isinstance(data, bytes) or len(data) < p.FRAME_HEADER.size:
        return None
    kind, stream, _ = p.FRAME_HEADER.unpack_from(data)
    return (kind, stream, memoryview(data)[p.FRAME_HEADER.size:]) if kind in RECORDED_KINDS else None


def _stat(path: Path) -> tuple[float | None, int]:
    try:
        st = path.stat()
        return st.st_mtime, st.st_size
    except OSError:
        return None, 0
