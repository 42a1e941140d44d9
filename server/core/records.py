"""What the core tells the store: one `Record` per state transition.

Each record is written to the audit log and applied to the projections
(sessions, participants, grants, chat, notes). The core never waits for the
store: it returns records next to the messages it wants sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Record:
    action: str
    """Dotted name, e.g. ``"session.created"``; the list is in `ACTIONS`."""
    session_id: str | None
    actor: str | None
    """Participant id, ``"rep:<account id>"``, or ``"system"``."""
    at: float
    """Unix time the transition happened."""
    data: dict[str, Any] = field(default_factory=dict)


ACTIONS: dict[str, str] = {
    "session.created": "number, kind ('outbound'|'inbound'), queue (str|None)",
    "session.state": "state ('waiting'|'open'|'active'|'ended'), reason (str|None), queue (str|None)",
    "participant.joined": "pid, kind ('rep'|'customer'), account_id (int|None), name, role, intake (dict, customers who entered one)",
    "participant.role": "pid, role ('primary'|'assistant'|'customer')",
    "participant.left": "pid, reason",
    "customer.selected": "pid",
    "session.view_mode": "mode ('standard'|'sampling')",
    "grant.changed": "grant_id, kind, scope, direction, requester, grantor, state",
    "activity.started": "activity_id, kind, scope (str|None), sharer (pid|None), grant_id (int|None)",
    "activity.ended": "activity_id, kind, reason",
    "chat.posted": "message_id, pid, name, text, reps_only (bool)",
    "note.saved": "note_id, pid, text",
    "transfer.control": "from_pid, to_pid",
    "transfer.session": "from_pid, queue (str|None), reps (list[int]), message (str)",
    "offer.made": "rep_id",
    "offer.accepted": "rep_id",
    "offer.declined": "rep_id",
    "offer.expired": "rep_id",
}
