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
  finished. Events (chat, grants) the dead owner had not stored are kept by
  the node (`Node.unstored`) and written first; those it had stored but not
  yet written to the file (at most half a second's) are only in the store.
- A node that is no longer the owner drops what it has not written yet
  (`step_down`): the new owner reads those frames from the channel again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .. import protocol as p
from ..broker import Gap, Payload
from ..core.records import Record
from .file import RecordingWriter, reopen
from .live import RECORDED_KINDS, Host, LiveRecording, event_data, recorded_stream, recording_path

log = logging.getLogger(__name__)

FOLLOW_RETRY = 1.0  # seconds between attempts to read a recording's channel


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

    async def last_frames(self, session_id: str, activity_id: int, writer: RecordingWriter) -> None:
        """The recording ended: the frames its channel holds after the
        writer's cursor (sent before the sender's node saw the end, not yet
        read here) go to the writer, and the channel is dropped."""
        if self.relay.node is None:
            return
        name, broker = self.channel(session_id, activity_id), self.relay.broker
        kept: list[tuple[int, Payload]] = []
        try:  # the broker delivers the history before subscribe returns
            (await broker.subscribe(name, writer.cursor, lambda seq, data: kept.append((seq, data)))).close()
        except Exception as exc:  # Gap too: what is still there cannot be told from what is gone
            log.warning("session %s: the last frames of recording %d are lost: %s", session_id, activity_id, exc)
        for seq, data in kept:
            frame = _recorded_frame(data)
            if frame is not None:
                writer.add_frame(self.relay.clock(), *frame, seq)
        try:
            await broker.forget(name)
        except Exception as exc:  # it expires by itself
            log.warning("could not drop the channel of recording %d: %s", activity_id, exc)

    # --- owners come and go ---------------------------------------------------------

    def take_over(self) -> None:
        """In a cluster: this node now owns the desk; recordings in progress
        go on in their files from here."""
        self.step_down()  # what is left from an earlier time as owner is stale: the files went on without us
        gap = self._unstored()
        for s in self.relay.desk.sessions.values():
            for act in s.activities.values():
                if act.kind in ("view", "control"):
                    self._streams[act.id] = s.id
            recording = next((a for a in s.activities.values() if a.kind == "recording"), None)
            if recording is not None:
                self._resume(s.id, recording.id, _span(gap.get(s.id, []), recording.id))
        going_on = {(live.session_id, live.activity_id) for live in self.live.values()}
        self._queue(lambda: self._close_orphans(going_on, gap))

    def _unstored(self) -> dict[str, list[Record]]:
        """Per session, the records of the inbox entries the dead owner did
        not store: the node keeps them (and applied them while nobody owned
        the desk); its files may lack their events."""
        gap: dict[str, list[Record]] = {}
        for _entry, records in getattr(self.relay.node, "unstored", ()):
            for r in records:
                gap.setdefault(r.session_id, []).append(r)
        return gap

    def _resume(self, session_id: str, activity_id: int, gap: list[Record]) -> None:
        rel = recording_path(session_id, activity_id)
        path = self.folder / rel
        writer = RecordingWriter(path, self._pool, appending=True)
        live = self.live[session_id] = LiveRecording(session_id, activity_id, self.relay.clock(), writer)
        # the pool's one thread: the file is ready before any write of the writer
        prepared = asyncio.get_running_loop().run_in_executor(self._pool, reopen, path)
        first: list[float | None] = [None]

        async def ready() -> None:
            got = await prepared
            first[0] = got.first_at
            writer.resumed(got.size, got.cursor, _after(gap, got.last_event_at))

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

    async def _close_orphans(self, going_on: set[tuple[str, int]], gap: dict[str, list[Record]] | None = None) -> None:
        """Finish the rows left open by a crash (one relay) or by an owner that
        died (a cluster), except those of the recordings ``going_on`` (session,
        activity), live in the desk when this node took it. ``gap``: records
        the dead owner did not store (`_unstored`)."""
        loop = asyncio.get_running_loop()
        for row in await self.relay.store.list_recordings(unfinished=True):
            if (row["session_id"], row["activity_id"]) in going_on:
                continue
            if self.relay.node is not None:
                records = _span((gap or {}).get(row["session_id"], []), row["activity_id"])
                ended = any(r.action == "activity.ended" and r.data.get("activity_id") == row["activity_id"]
                            for r in records)
                await self._catch_up(row, records if ended else [])
            at, size = await loop.run_in_executor(self._pool, _stat, self.folder / row["path"])
            await self.relay.store.finish_recording(row["id"], at or row["started_at"], size)

    async def _catch_up(self, row: dict, gap: list[Record]) -> None:
        """A recording that ended while no node owned the desk: its events in
        ``gap`` and the frames its channel still holds after the file's
        cursor go into the file."""
        path = self.folder / row["path"]
        got = await asyncio.get_running_loop().run_in_executor(self._pool, reopen, path)
        writer = RecordingWriter(path, self._pool, appending=True)
        writer.resumed(got.size, got.cursor, _after(gap, got.last_event_at))
        await self.last_frames(row["session_id"], row["activity_id"], writer)
        await writer.close()


def _span(records: list[Record], activity_id: int) -> list[Record]:
    """A session's records from the start of recording ``activity_id`` (if
    among them) through its end (if among them)."""
    start, end = 0, len(records)
    for i, r in enumerate(records):
        if r.action in ("activity.started", "activity.ended") and r.data.get("activity_id") == activity_id:
            if r.action == "activity.started":
                start = i
            else:
                end = i + 1
    return records[start:end]


def _after(records: list[Record], since: float | None) -> list[tuple[float, dict]]:
    """The events of ``records`` later than the file's last one (at ``since``)."""
    return [(r.at, data) for r in records
            if (since is None or r.at > since) and (data := event_data(r)) is not None]


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
