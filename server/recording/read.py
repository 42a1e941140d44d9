"""What the playback page gets from a recording file: one timeline.

Times are milliseconds since the recording started (the relay's clock).
rrweb events keep rrweb's shape; their timestamps are moved onto the relay's
clock (per stream, by the offset of the first batch), so a customer's
skewed clock cannot shift the replay against the chat and the video.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

from .. import protocol as p
from .file import EVENT, read_records, scan_records

VIDEO_KINDS = (p.StreamKind.FRAMES, p.StreamKind.RECORD)
FRAME_HEAD = struct.Struct("!6H")
VIDEO_RECORD = struct.Struct("!dII")
"""One picture update in `video()`: at (ms), stream, length; then the FRAMES body."""
EVENT_FIELDS = ("action", "actor", "pid", "name", "kind", "role", "state", "scope", "activity_id",
                "reason", "from_pid", "to_pid", "grant_id")


def timeline(path: Path, started_at: float, ended_at: float | None) -> dict[str, Any]:
    """Events, chat and rrweb events of a recording (`BadRecording` if not one)."""
    events: list[dict] = []
    chat: list[dict] = []
    cobrowse: list[dict] = []
    parts: dict[int, list[str]] = {}
    offsets: dict[int, float] = {}
    video = 0
    last = started_at
    for at, kind, stream, payload in read_records(path):
        last = max(last, at)
        t = round((at - started_at) * 1000, 1)
        if kind == EVENT:
            data = _json(payload)
            if not isinstance(data, dict):
                continue
            if data.get("action") == "chat.posted":
                chat.append({"t": t, "name": str(data.get("name", "")), "text": str(data.get("text", "")),
                             "reps_only": bool(data.get("reps_only"))})
            elif data.get("action") == "recording.state":
                events.append({"t": t, "action": "recording.state",
                               "participants": data.get("participants", [])})
            else:
                events.append({"t": t, **{k: data[k] for k in EVENT_FIELDS if k in data}})
        elif kind == p.StreamKind.COBROWSE:
            batch = _cobrowse_events(payload, parts.setdefault(stream, []))
            if not batch:
                continue
            if stream not in offsets:
                offsets[stream] = at * 1000 - max(e["timestamp"] for e in batch)
            for e in batch:
                e["timestamp"] = round(e["timestamp"] + offsets[stream] - started_at * 1000, 1)
            cobrowse.extend(batch)
        elif kind in VIDEO_KINDS:
            video += 1
    cobrowse.sort(key=lambda e: e["timestamp"])
    end = ended_at if ended_at is not None else last
    return {"duration": round(max(0.0, end - started_at) * 1000, 1), "events": events, "chat": chat,
            "cobrowse": cobrowse, "video_frames": video}


def video(path: Path, started_at: float, start: float | None = None, end: float | None = None) -> bytes:
    """The screen picture updates of a recording, in order (see `VIDEO_RECORD`):
    all of them, or those from ``start`` to before ``end`` (ms) preceded by
    what it takes to paint ``start`` on its own: the last whole picture
    before it and the updates after that. Payloads outside are not read."""
    wanted: list[tuple[float, int, int, int]] = []  # (ms, stream, offset, length)
    with path.open("rb") as f:
        for at, kind, stream, offset, length in scan_records(f):
            if kind not in VIDEO_KINDS:
                continue
            t = (at - started_at) * 1000
            if end is not None and t >= end:
                break
            if start is not None and t < start:
                if length < FRAME_HEAD.size:
                    continue
                f.seek(offset)
                if _whole_picture(f.read(FRAME_HEAD.size)):
                    wanted = [(t, stream, offset, length)]  # what came before is painted over
                elif wanted:
                    wanted.append((t, stream, offset, length))
                continue
            wanted.append((t, stream, offset, length))
        out = []
        for t, stream, offset, length in wanted:
            f.seek(offset)
            out.append(VIDEO_RECORD.pack(t, stream, length))
            out.append(f.read(length))
    return b"".join(out)


def _whole_picture(head: bytes) -> bool:
    """Whether a FRAMES body (agent/fallback.py: x, y, w, h, full w, full h,
    then a JPEG) covers the whole screen."""
    x, y, w, h, fw, fh = FRAME_HEAD.unpack(head)
    return x == 0 and y == 0 and (w, h) == (fw, fh)


def _json(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except ValueError:
        return None


def _cobrowse_events(payload: bytes, parts: list[str]) -> list[dict]:
    """A COBROWSE body (see extension/src/customer/capture.js): an array of
    rrweb events, or one part of a large array."""
    body = _json(payload)
    if isinstance(body, dict) and isinstance(body.get("part"), int):
        if body["part"] == 0:
            parts.clear()
        parts.append(str(body.get("data", "")))
        if body["part"] != body.get("parts", 0) - 1:
            return []
        body = _json("".join(parts).encode())
        parts.clear()
    if not isinstance(body, list):
        return []
    return [e for e in body if isinstance(e, dict) and isinstance(e.get("type"), int)
            and isinstance(e.get("timestamp"), (int, float))]
