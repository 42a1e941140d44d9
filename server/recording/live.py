"""What the recorder's two halves share (recorder.py, nodes.py): a recording
in progress, what the recorder needs of its relay, what a recording keeps."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .. import protocol as p
from ..broker import Broker, Subscription
from ..config import Settings
from ..core.desk import Desk
from ..core.grants import Activity
from ..core.records import Record
from ..core.session import Session
from ..store import Store
from .file import RecordingWriter

RECORDED_KINDS = frozenset({p.StreamKind.COBROWSE, p.StreamKind.FRAMES, p.StreamKind.RECORD})
SKIPPED_ACTIONS = frozenset({"note.saved"})
"""Records that stay out of recordings (a rep's notes are private to the reps)."""


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


def event_data(r: Record) -> dict[str, Any] | None:
    """What a recording keeps of a core record (None: nothing)."""
    if r.action in SKIPPED_ACTIONS:
        return None
    return {"action": r.action, "actor": r.actor, **r.data}


def recording_path(session_id: str, activity_id: int) -> str:
    """A recording's file, relative to the recordings folder."""
    return f"{session_id}/{activity_id}.tdr"
