"""Read-only queries behind the reports (`server/reports/pages.py`).

Plain synchronous SQLAlchemy Core, run through ``AsyncConnection.run_sync``
like `projections`, so every report reads one consistent snapshot. Nothing
here writes.

Queue wait is worked out from the audit log's ``session.state`` entries: the
sum of every stretch the session spent ``waiting`` (a session transferred to
a queue waits again), up to now for a session still waiting.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.store import models as m
from server.store.projections import session_report

MAX_SESSIONS = 5000
"""At most this many sessions (newest first) go into one report."""


def _queue_waits(conn: Connection, ids: list[str], now: float) -> dict[str, float]:
    a = m.audit_log
    rows = conn.execute(
        select(a.c.session_id, a.c.at, a.c.data)
        .where(a.c.action == "session.state", a.c.session_id.in_(ids))
        .order_by(a.c.session_id, a.c.id)
    ).all()
    waits: dict[str, float] = defaultdict(float)
    since: dict[str, float] = {}
    for row in rows:
        state = (row.data or {}).get("state")
        start = since.pop(row.session_id, None)
        if start is not None:
            waits[row.session_id] += max(0.0, row.at - start)
        if state == "waiting":
            since[row.session_id] = row.at
    for sid, start in since.items():
        waits[sid] += max(0.0, now - start)
    return waits


def _counts(conn: Connection, table: Any, ids: list[str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for (sid,) in conn.execute(select(table.c.session_id).where(table.c.session_id.in_(ids))):
        counts[sid] += 1
    return counts


def _chunks(ids: list[str], size: int = 500):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def sessions(conn: Connection, start: float | None, end: float | None, account_id: int | None,
             queue: str | None, now: float | None = None) -> list[dict[str, Any]]:
    """Sessions created in ``[start, end)`` (either may be None), of `queue`,
    with `account_id` among their reps; newest first. Each row: the session
    columns plus ``queue_wait`` (s), ``reps`` (account_id, pid, name, role
    (the latest), joined_at, left_at), ``gave_control`` (pids of reps who
    handed control over), ``customers`` (names), ``intakes`` (what each
    customer entered, as stored; None for none), ``transfers``, ``notes``,
    ``chat`` (counts) and ``ratings`` (score, comment)."""
    now = time.time() if now is None else now
    s, p = m.sessions, m.participants
    query = select(s).order_by(s.c.created_at.desc(), s.c.id.desc()).limit(MAX_SESSIONS)
    if start is not None:
        query = query.where(s.c.created_at >= start)
    if end is not None:
        query = query.where(s.c.created_at < end)
    if queue is not None:
        query = query.where(s.c.queue == queue)
    if account_id is not None:
        query = query.where(s.c.id.in_(select(p.c.session_id).where(p.c.account_id == account_id)))
    rows = [dict(r._mapping) for r in conn.execute(query)]
    by_id = {r["id"]: r for r in rows}
    for r in rows:
        r.update(queue_wait=0.0, reps=[], gave_control=[], customers=[], intakes=[], transfers=0, notes=0, chat=0, ratings=[])
    for ids in _chunks(list(by_id)):
        for sid, wait in _queue_waits(conn, ids, now).items():
            by_id[sid]["queue_wait"] = wait
        people = conn.execute(select(p).where(p.c.session_id.in_(ids)).order_by(p.c.session_id, p.c.ordinal))
        for person in people:
            row = by_id[person.session_id]
            if person.kind == "rep":
                row["reps"].append({k: getattr(person, k)
                                    for k in ("account_id", "pid", "name", "role", "joined_at", "left_at")})
            elif person.kind == "customer":
                row["customers"].append(person.name)
                row["intakes"].append(person.intake)
        t = m.transfers
        for handover in conn.execute(select(t.c.session_id, t.c.from_pid)
                                     .where(t.c.session_id.in_(ids), t.c.kind == "control")):
            by_id[handover.session_id]["gave_control"].append(handover.from_pid)
        for key, table in (("transfers", m.transfers), ("notes", m.notes), ("chat", m.chat_messages)):
            for sid, n in _counts(conn, table, ids).items():
                by_id[sid][key] = n
        r_ = m.ratings
        for rating in conn.execute(select(r_).where(r_.c.session_id.in_(ids)).order_by(r_.c.at)):
            by_id[rating.session_id]["ratings"].append({"score": rating.score, "comment": rating.comment})
    return rows


def session_details(conn: Connection, session_id: str, now: float | None = None) -> dict[str, Any] | None:
    """`projections.session_report` plus ``queue_wait``, ``ratings`` (pid,
    score, comment, at) and ``recordings`` (id, started_at, ended_at; deleted
    ones left out)."""
    report = session_report(conn, session_id)
    if report is None:
        return None
    report["queue_wait"] = _queue_waits(conn, [session_id], time.time() if now is None else now).get(session_id, 0.0)
    r_, rec = m.ratings, m.recordings
    report["ratings"] = [dict(x._mapping) for x in
                         conn.execute(select(r_).where(r_.c.session_id == session_id).order_by(r_.c.at))]
    report["recordings"] = [dict(x._mapping) for x in conn.execute(
        select(rec.c.id, rec.c.started_at, rec.c.ended_at)
        .where(rec.c.session_id == session_id, rec.c.deleted_at.is_(None)).order_by(rec.c.id))]
    return report
