"""The recorder: while a session has a live recording activity, everything
the session shares goes into its recording file (`file`).

The relay hands it every batch of core records (`observe`) and every binary
frame it accepted (`frame`). A recording starts with the ``activity.started``
record of a ``recording`` activity and ends with its ``activity.ended``
(stopped, transfer control, session end); between them the file gets the
session's events and chat, COBROWSE and FRAMES frames of its view and
control activities, and RECORD frames (screen pictures an agent sends for the
recorder only, while WebRTC carries the live picture past the relay).

Store rows (`recordings`) are written by one task, in order, after the
relay's own records (a recording's row refers to its session's row).
Retention: recordings older than the ``recording_retention_days`` policy
(0: keep forever) are deleted at start-up and every
``retention_check_interval`` seconds.

In a cluster the node that owns the desk writes every recording; frames
entering the other nodes reach it through the recording's broker channel,
and a node taking the desk over goes on with the files (`nodes.NodeRecorder`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .. import protocol as p
from ..core.actors import Actor
from ..core.errors import NotAllowed
from ..core.records import Record
from .file import RecordingWriter
from .live import RECORDED_KINDS, Host, LiveRecording, event_data, recorded_stream, recording_path
from .nodes import NodeRecorder

log = logging.getLogger(__name__)

DAY = 86400.0
CLOSE_WAIT = 30.0  # seconds a stopping relay waits for recordings to be written and stored


def recordings_dir(settings) -> Path:
    return Path(settings.recordings_dir) if settings.recordings_dir else Path(settings.var_dir) / "recordings"


class Recorder(NodeRecorder):
    def __init__(self, relay: Host) -> None:
        self.relay = relay
        self.folder = recordings_dir(relay.settings)
        self.live: dict[str, LiveRecording] = {}
        """Session id -> its recording in progress."""
        self._streams: dict[int, str] = {}
        """View and control activity id -> session id."""
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="recorder")
        self._jobs: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: list[asyncio.Task] = []

    # --- life cycle ---------------------------------------------------------

    async def start(self) -> None:
        """Close the rows a crash left open, apply retention, start the tasks
        (in a cluster the owner of the desk does the first two)."""
        if self.owner:
            desk = self.relay.desk
            await self._close_orphans({(s.id, a.id) for s in desk.sessions.values()
                                       for a in s.activities.values() if a.kind == "recording"})
            await self.sweep()
        self._tasks = [asyncio.create_task(self._job_loop(), name="recorder"),
                       asyncio.create_task(self._retention_loop(), name="retention")]

    async def close(self) -> None:
        """Finish every recording in progress (the relay is stopping; in a
        cluster, the node: the next owner goes on with them)."""
        for sid in list(self.live):
            if self.relay.node is None:
                self._stop(sid, self.relay.clock())
            else:
                self._hand_over(sid)
        if self._tasks and not self._tasks[0].done():
            try:  # a stopping relay waits for the files' last bytes, but not forever
                await asyncio.wait_for(self.wait_idle(), CLOSE_WAIT)
            except TimeoutError:
                log.warning("recordings still being finished after %.0f s; stopping anyway", CLOSE_WAIT)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._pool.shutdown(wait=True)

    # --- inputs -------------------------------------------------------------

    def observe(self, records: list[Record]) -> None:
        """Every batch of core records, in order (called from `Relay.flush`)."""
        for r in records:
            if r.action == "activity.started":
                if r.data.get("kind") in ("view", "control"):
                    self._streams[r.data["activity_id"]] = r.session_id
                elif r.data.get("kind") == "recording" and r.session_id not in self.live:
                    self._start(r)
            live = self.live.get(r.session_id)
            data = event_data(r) if live is not None else None
            if data is not None:
                live.writer.add_event(r.at, data)
            if r.action == "activity.ended":
                self._streams.pop(r.data.get("activity_id"), None)
                if live is not None and r.data.get("activity_id") == live.activity_id:
                    self._stop(r.session_id, r.at)

    def accept_record_frame(self, actor: Actor, stream: int) -> list[str]:
        """A RECORD frame is accepted only from the sharer of a live view or
        control activity of a session being recorded; it goes to nobody but
        the recorder (in a cluster, on another node than the owner: to the
        recording's channel)."""
        found = recorded_stream(self.relay.desk, stream)
        if found is None:
            raise NotAllowed(f"stream {stream} is not being recorded")
        s, recording = found
        _, who = self.relay.desk.participant(actor, s.id)
        act = s.activities[stream]
        if act.kind not in ("view", "control") or act.sharer != who.pid:
            raise NotAllowed("only the sharer sends on this stream")
        return [] if self.owner else [self.channel(s.id, recording.id)]

    def frame(self, kind: int, stream: int, data: bytes) -> None:
        """A binary frame the relay accepted (header included)."""
        if kind not in RECORDED_KINDS:
            return
        sid = self._streams.get(stream)
        live = self.live.get(sid) if sid is not None else None
        if live is not None and self.still_owner():
            live.writer.add_frame(self.relay.clock(), kind, stream, memoryview(data)[p.FRAME_HEADER.size:])

    # --- recordings ---------------------------------------------------------

    def _start(self, r: Record) -> None:
        aid = r.data["activity_id"]
        rel = recording_path(r.session_id, aid)
        writer = RecordingWriter(self.folder / rel, self._pool)
        live = self.live[r.session_id] = LiveRecording(r.session_id, aid, r.at, writer)
        s = self.relay.desk.sessions.get(r.session_id)
        if s is not None:  # who is who, and what runs, when the recording starts
            writer.add_event(r.at, {
                "action": "recording.state", "number": s.number,
                "participants": [{"pid": x.pid, "name": x.name, "kind": x.kind, "role": x.role}
                                 for x in s.participants.values()],
                "activities": [{"activity_id": a.id, "kind": a.kind, "scope": a.scope, "sharer": a.sharer}
                               for a in s.activities.values()]})
        log.info("session %s: recording %d starts", r.session_id, aid)
        self.follow(live)

        async def create() -> None:
            await self.relay.drain()  # the session's row first
            live.row_id = await self.relay.store.create_recording(r.session_id, aid, rel, r.at)

        self._queue(create)

    def _stop(self, session_id: str, at: float) -> None:
        live = self.live.pop(session_id)
        log.info("session %s: recording %d ends", session_id, live.activity_id)
        self.unfollow(live)

        async def finish() -> None:
            if live.reopened is not None:
                await live.reopened
            await self.last_frames(session_id, live.activity_id, live.writer)
            size = await live.writer.close()
            if live.row_id is not None:
                await self.relay.store.finish_recording(live.row_id, at, size)

        self._queue(finish)

    def _queue(self, job: Callable[[], Awaitable[None]]) -> None:
        self._idle.clear()
        self._jobs.put_nowait(job)

    async def _job_loop(self) -> None:
        while True:
            job = await self._jobs.get()
            try:
                await job()
            except asyncio.CancelledError:
                if asyncio.current_task().cancelling():
                    raise  # the loop itself is being stopped
                log.warning("recording bookkeeping was cancelled")  # the loop goes on
            except Exception:
                log.exception("recording bookkeeping failed")
            if self._jobs.empty():
                self._idle.set()

    async def wait_idle(self) -> None:
        """Wait until every file closed so far is complete and its row stored."""
        await self.relay.drain()
        await self._idle.wait()

    # --- retention ----------------------------------------------------------

    async def sweep(self) -> int:
        """Delete the recordings past the retention policy; returns how many."""
        days = self.relay.desk.policies.get("recording_retention_days") or 0
        if days <= 0:
            return 0
        rows = await self.relay.store.delete_expired_recordings(self.relay.clock() - days * DAY)
        loop = asyncio.get_running_loop()
        for row in rows:
            await loop.run_in_executor(self._pool, _unlink, self.folder / row["path"])
        if rows:
            log.info("deleted %d recordings older than %s days", len(rows), days)
        return len(rows)

    async def _retention_loop(self) -> None:
        while True:
            await asyncio.sleep(self.relay.settings.retention_check_interval)
            if not self.owner:
                continue  # the cluster's owner sweeps
            try:
                await self.sweep()
            except Exception:
                log.exception("retention sweep failed")


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)
    try:
        path.parent.rmdir()  # the session's folder, once empty
    except OSError:
        pass
