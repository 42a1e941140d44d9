"""`SqlStore`: the store in a SQL database (SQLite or PostgreSQL): its
connections (`server.store.sql_base`), what admins configure
(`server.store.sql_config`), recordings (`server.store.sql_recordings`), and
here the sessions' records, the audit log, ratings and the reports' reads.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.core.records import Record
from server.store import models as m
from server.store import projections
from server.store import reports as report_queries
from server.store.base import Conflict, NotFound, Store
from server.store.sql_base import SqlBase, as_dicts
from server.store.sql_config import SqlConfig
from server.store.sql_recordings import SqlRecordings


class SqlStore(SqlConfig, SqlRecordings, SqlBase, Store):
    """The store in a SQL database named by a SQLAlchemy async URL, e.g.
    ``sqlite+aiosqlite:///var/tandem.db``, ``sqlite+aiosqlite://`` (memory)
    or ``postgresql+asyncpg://user:password@host/dbname``."""

    # records and audit ----------------------------------------------------

    async def record(self, records: Sequence[Record]) -> None:
        if not records:
            return

        async def run(conn: AsyncConnection) -> None:
            await conn.run_sync(projections.apply_records, list(records))

        await self._write(run)

    async def record_entries(self, pairs: Sequence[tuple[str, Record]]) -> None:
        """Records with the (sortable) inbox entry each came from, in order:
        those of entries up to the stored cursor are skipped, so writing a
        batch twice, from two nodes, stores it once."""
        if not pairs:
            return

        async def run(conn: AsyncConnection) -> None:
            cursor = m.desk_cursor
            query = select(cursor.c.entry).where(cursor.c.name == "desk")
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()
            done = (await conn.execute(query)).scalar()
            fresh = [r for key, r in pairs if done is None or key > done]
            if fresh:
                await conn.run_sync(projections.apply_records, fresh)
            last = pairs[-1][0]
            if done is None:
                await conn.execute(insert(cursor).values(name="desk", entry=last))
            elif last > done:
                await conn.execute(update(cursor).where(cursor.c.name == "desk").values(entry=last))

        await self._write(run)

    async def audit(
        self,
        action: str,
        *,
        actor: str | None = None,
        session_id: str | None = None,
        data: dict[str, Any] | None = None,
        at: float | None = None,
    ) -> None:
        values = dict(
            at=time.time() if at is None else at, session_id=session_id, actor=actor, action=action, data=data or {}
        )

        async def run(conn: AsyncConnection) -> None:
            await conn.execute(insert(m.audit_log).values(**values))

        await self._write(run)

    async def audit_log(self, session_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        query = select(m.audit_log).order_by(m.audit_log.c.id.desc()).limit(limit)
        if session_id is not None:
            query = query.where(m.audit_log.c.session_id == session_id)
        async with self._read() as conn:
            rows = as_dicts(await conn.execute(query))
        rows.reverse()
        return rows

    # restoring and reporting ----------------------------------------------

    async def live_sessions(self) -> list[dict[str, Any]]:
        async with self._read() as conn:
            return await conn.run_sync(projections.live_sessions)

    async def max_ids(self) -> dict[str, int]:
        async with self._read() as conn:
            return await conn.run_sync(projections.max_ids)

    async def session_report(self, session_id: str) -> dict[str, Any] | None:
        async with self._read() as conn:
            return await conn.run_sync(projections.session_report, session_id)

    async def sessions(self, limit: int = 100) -> list[dict[str, Any]]:
        query = select(m.sessions).order_by(m.sessions.c.created_at.desc(), m.sessions.c.id.desc()).limit(limit)
        async with self._read() as conn:
            return as_dicts(await conn.execute(query))

    # ratings ------------------------------------------------------------------

    async def add_rating(self, session_id: str, pid: str, score: int, comment: str | None) -> None:
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise ValueError(f"score must be an integer from 1 to 5: {score!r}")
        p, r = m.participants, m.ratings

        async def run(conn: AsyncConnection) -> None:
            who = (p.c.session_id == session_id) & (p.c.pid == pid) & (p.c.kind == "customer")
            if (await conn.execute(select(p.c.pid).where(who))).first() is None:
                raise NotFound("no such customer in this session")
            if (await conn.execute(select(r.c.pid).where(r.c.session_id == session_id, r.c.pid == pid))).first():
                raise Conflict("you have rated this session already")
            await conn.execute(insert(r).values(session_id=session_id, pid=pid, score=score,
                                                comment=comment or None, at=time.time()))

        await self._write(run)

    # reports ------------------------------------------------------------------

    async def report_sessions(self, start: float | None = None, end: float | None = None,
                              account_id: int | None = None, queue: str | None = None) -> list[dict[str, Any]]:
        async with self._read() as conn:
            return await conn.run_sync(report_queries.sessions, start, end, account_id, queue)

    async def report_session(self, session_id: str) -> dict[str, Any] | None:
        async with self._read() as conn:
            return await conn.run_sync(report_queries.session_details, session_id)
