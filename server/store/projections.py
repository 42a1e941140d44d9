"""The session projections: core `Record`s written in, relay state read out.

`apply_records(conn, records)` is called by `SqlStore.record()` inside one
write transaction (through ``AsyncConnection.run_sync``), so it is plain
synchronous SQLAlchemy Core and portable SQL: no dialect-specific upserts.

Every record is audited. A record that changes a session the store does not
know (no ``session.created`` before it) is only audited, never half-applied.
Actions without a projection (``offer.*``, anything unknown) are only audited.
Applying the same record twice leaves the projections as applying it once.

`live_sessions`, `max_ids` and `session_report` read the projections back
(see the `Store` methods of the same names).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from server.core.records import Record
from server.store import models as m

log = logging.getLogger(__name__)

GRANT_FIELDS = ("kind", "scope", "direction", "requester", "grantor", "state")


def _session_created(conn: Connection, r: Record) -> None:
    s = m.sessions
    if conn.execute(select(s.c.id).where(s.c.id == r.session_id)).first():
        return
    conn.execute(
        insert(s).values(
            id=r.session_id,
            number=str(r.data.get("number", "")),
            kind=r.data.get("kind", "outbound"),
            queue=r.data.get("queue"),
            state=r.data.get("state", "open"),
            created_at=r.at,
        )
    )


def _session_state(conn: Connection, r: Record) -> None:
    s = m.sessions
    state = r.data["state"]
    values: dict[str, Any] = {
        "state": state,
        "reason": r.data.get("reason"),
        # the queue's place in line: only meaningful while waiting
        "waiting_since": r.at if state == "waiting" else None,
    }
    if state == "active":
        values["started_at"] = func.coalesce(s.c.started_at, r.at)
    if state == "ended":
        values["ended_at"] = func.coalesce(s.c.ended_at, r.at)
    if r.data.get("queue") is not None:
        values["queue"] = r.data["queue"]
    conn.execute(update(s).where(s.c.id == r.session_id).values(**values))


def _participant_joined(conn: Connection, r: Record) -> None:
    p = m.participants
    d = r.data
    fields = {
        "kind": d.get("kind", "customer"),
        "account_id": d.get("account_id"),
        "name": d.get("name") or "",
        "role": d.get("role", "customer"),
        "owner": d.get("owner"),
        "left_at": None,
        "left_reason": None,
    }
    if d.get("intake"):  # a rejoin without one keeps what was entered first
        fields["intake"] = d["intake"]
    key = (p.c.session_id == r.session_id) & (p.c.pid == d["pid"])
    if conn.execute(update(p).where(key).values(**fields)).rowcount:
        return  # a rejoin keeps its first join time and place in the join order
    ordinal = select(func.coalesce(func.max(p.c.ordinal), 0) + 1).where(p.c.session_id == r.session_id)
    conn.execute(
        insert(p).values(
            session_id=r.session_id, pid=d["pid"], ordinal=ordinal.scalar_subquery(), joined_at=r.at, **fields
        )
    )


def _participant(conn: Connection, r: Record, **values: Any) -> None:
    p = m.participants
    conn.execute(update(p).where((p.c.session_id == r.session_id) & (p.c.pid == r.data["pid"])).values(**values))


def _participant_role(conn: Connection, r: Record) -> None:
    _participant(conn, r, role=r.data["role"])


def _participant_left(conn: Connection, r: Record) -> None:
    _participant(conn, r, left_at=r.at, left_reason=r.data.get("reason"))


def _customer_selected(conn: Connection, r: Record) -> None:
    s = m.sessions
    conn.execute(update(s).where(s.c.id == r.session_id).values(selected_pid=r.data.get("pid")))


def _grant_changed(conn: Connection, r: Record) -> None:
    g = m.grants
    fields = {k: r.data[k] for k in GRANT_FIELDS if k in r.data}
    key = (g.c.session_id == r.session_id) & (g.c.grant_id == r.data["grant_id"])
    if conn.execute(update(g).where(key).values(updated_at=r.at, **fields)).rowcount:
        return
    fields.setdefault("state", "requested")
    conn.execute(
        insert(g).values(
            session_id=r.session_id, grant_id=r.data["grant_id"], requested_at=r.at, updated_at=r.at, **fields
        )
    )


def _activity_started(conn: Connection, r: Record) -> None:
    a = m.activities
    d = r.data
    key = (a.c.session_id == r.session_id) & (a.c.activity_id == d["activity_id"])
    if conn.execute(select(a.c.activity_id).where(key)).first():
        return
    conn.execute(
        insert(a).values(
            session_id=r.session_id,
            activity_id=d["activity_id"],
            kind=d.get("kind", ""),
            scope=d.get("scope"),
            sharer=d.get("sharer"),
            grant_id=d.get("grant_id"),
            started_at=r.at,
        )
    )


def _activity_ended(conn: Connection, r: Record) -> None:
    a = m.activities
    key = (a.c.session_id == r.session_id) & (a.c.activity_id == r.data["activity_id"]) & a.c.ended_at.is_(None)
    conn.execute(update(a).where(key).values(ended_at=r.at, end_reason=r.data.get("reason")))


def _chats_posted(conn: Connection, records: list[Record]) -> None:
    """A batch's chat lines: one query for those stored already (a record
    written again after a failover), one insert for the others. Lines are
    many under load (every session's), so not two statements each."""
    c = m.chat_messages
    lines = []
    for r in records:
        try:
            lines.append(((r.session_id, r.data["message_id"]), r))
        except KeyError as missing:
            log.error("record %s for session %s lacks %s: audited only", r.action, r.session_id, missing)
    if not lines:
        return
    # both columns of the primary key, so that the query searches it instead
    # of reading every line ever stored
    stored = {tuple(row) for row in conn.execute(select(c.c.session_id, c.c.message_id).where(
        c.c.session_id.in_({key[0] for key, _ in lines}), c.c.message_id.in_({key[1] for key, _ in lines})))}
    rows = []
    for key, r in lines:
        if key in stored:
            continue
        stored.add(key)
        d = r.data
        rows.append({"session_id": r.session_id, "message_id": d["message_id"], "pid": d.get("pid"),
                     "name": d.get("name"), "text": d.get("text", ""),
                     "reps_only": bool(d.get("reps_only", False)), "at": r.at})
    if rows:
        conn.execute(insert(c), rows)


def _note_saved(conn: Connection, r: Record) -> None:
    n = m.notes
    d = r.data
    key = (n.c.session_id == r.session_id) & (n.c.note_id == d["note_id"])
    # saving a note again (edited) replaces its text
    if conn.execute(update(n).where(key).values(pid=d.get("pid"), text=d.get("text", ""), at=r.at)).rowcount:
        return
    conn.execute(
        insert(n).values(session_id=r.session_id, note_id=d["note_id"], pid=d.get("pid"), text=d.get("text", ""), at=r.at)
    )


def _transfer_control(conn: Connection, r: Record) -> None:
    conn.execute(
        insert(m.transfers).values(
            session_id=r.session_id, kind="control", from_pid=r.data.get("from_pid"), to_pid=r.data.get("to_pid"), at=r.at
        )
    )


def _transfer_session(conn: Connection, r: Record) -> None:
    d = r.data
    message = d.get("message") or ""
    conn.execute(
        insert(m.transfers).values(
            session_id=r.session_id,
            kind="session",
            from_pid=d.get("from_pid"),
            queue=d.get("queue"),
            reps=list(d.get("reps") or ()),
            message=message,
            at=r.at,
        )
    )
    s = m.sessions
    conn.execute(update(s).where(s.c.id == r.session_id).values(transfer_message=message))


PROJECTIONS: dict[str, Callable[[Connection, Record], None] | None] = {
    "session.created": _session_created,
    "session.state": _session_state,
    "participant.joined": _participant_joined,
    "participant.role": _participant_role,
    "participant.left": _participant_left,
    "customer.selected": _customer_selected,
    "grant.changed": _grant_changed,
    "activity.started": _activity_started,
    "activity.ended": _activity_ended,
    "chat.posted": None,  # a batch's lines together: _chats_posted
    "note.saved": _note_saved,
    "transfer.control": _transfer_control,
    "transfer.session": _transfer_session,
}


def apply_records(conn: Connection, records: list[Record]) -> None:
    """Audit and project `records`, in order, on `conn` (inside a transaction)."""
    conn.execute(
        insert(m.audit_log),
        [{"at": r.at, "session_id": r.session_id, "actor": r.actor, "action": r.action, "data": r.data} for r in records],
    )
    # the batch's sessions already stored, in one query (a batch under load holds
    # records of many sessions: chat lines, grants)
    ids = sorted({r.session_id for r in records if r.session_id is not None and r.action in PROJECTIONS})
    known: set[str] = set(conn.execute(select(m.sessions.c.id).where(m.sessions.c.id.in_(ids))).scalars()) \
        if ids else set()
    chats = []
    for r in records:
        if r.action not in PROJECTIONS or r.session_id is None:
            continue
        if r.action != "session.created" and r.session_id not in known:
            log.warning("record %s for unknown session %s: audited only", r.action, r.session_id)
            continue
        project = PROJECTIONS[r.action]
        if project is None:
            chats.append(r)
            continue
        try:
            project(conn, r)
        except KeyError as missing:
            # a malformed record is a core bug; keep its audit entry and the rest of the batch
            log.error("record %s for session %s lacks %s: audited only", r.action, r.session_id, missing)
            continue
        known.add(r.session_id)
    _chats_posted(conn, chats)  # last: after the sessions this batch creates


# reading back ------------------------------------------------------------------


def live_sessions(conn: Connection) -> list[dict[str, Any]]:
    s, p = m.sessions, m.participants
    live = s.c.state != "ended"
    session_rows = conn.execute(select(s).where(live).order_by(s.c.created_at, s.c.id)).all()
    people = conn.execute(
        select(p.c.session_id, p.c.pid, p.c.kind, p.c.account_id, p.c.name, p.c.role, p.c.owner, p.c.intake)
        .join(s, s.c.id == p.c.session_id)
        .where(live, p.c.left_at.is_(None))
        .order_by(p.c.session_id, p.c.ordinal)
    ).all()
    by_session: dict[str, list[dict[str, Any]]] = {}
    for row in people:
        person = dict(row._mapping)
        by_session.setdefault(person.pop("session_id"), []).append(person)
    return [
        {
            "session_id": row.id,
            "number": row.number,
            "kind": row.kind,
            "queue": row.queue,
            "state": row.state,
            "created_at": row.created_at,
            "waiting_since": row.waiting_since,
            "transfer_message": row.transfer_message,
            "selected_pid": row.selected_pid,
            "participants": by_session.get(row.id, []),
        }
        for row in session_rows
    ]


def max_ids(conn: Connection) -> dict[str, int]:
    columns = {
        "grant_id": m.grants.c.grant_id,
        "activity_id": m.activities.c.activity_id,
        "message_id": m.chat_messages.c.message_id,
        "note_id": m.notes.c.note_id,
    }
    row = conn.execute(select(*(select(func.max(c)).scalar_subquery().label(k) for k, c in columns.items()))).one()
    return {k: int(row._mapping[k] or 0) for k in columns}


REPORT_PARTS = {
    "participants": (m.participants, m.participants.c.ordinal),
    "grants": (m.grants, m.grants.c.grant_id),
    "activities": (m.activities, m.activities.c.activity_id),
    "chat": (m.chat_messages, m.chat_messages.c.message_id),
    "notes": (m.notes, m.notes.c.note_id),
    "transfers": (m.transfers, m.transfers.c.id),
    "audit": (m.audit_log, m.audit_log.c.id),
}


def session_report(conn: Connection, session_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(m.sessions).where(m.sessions.c.id == session_id)).first()
    if row is None:
        return None
    report = dict(row._mapping)
    for key, (table, order) in REPORT_PARTS.items():
        rows = conn.execute(select(table).where(table.c.session_id == session_id).order_by(order))
        report[key] = [dict(r._mapping) for r in rows]
    return report
