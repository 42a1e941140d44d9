"""Recordings in the SQL store: their rows (the files are `server.recording`'s).
A mixin on `SqlBase`'s connections (`_read`, `_write`)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.store import models as m
from server.store.sql_base import as_dicts, fits


class SqlRecordings:
    # recordings -----------------------------------------------------------

    async def create_recording(self, session_id: str, activity_id: int, path: str, started_at: float) -> int:
        async def run(conn: AsyncConnection) -> int:
            result = await conn.execute(insert(m.recordings).values(
                session_id=session_id, activity_id=activity_id, path=path, started_at=started_at, bytes=0))
            return result.inserted_primary_key[0]

        return await self._write(run)

    async def finish_recording(self, id: int, ended_at: float, size: int) -> None:
        async def run(conn: AsyncConnection) -> None:
            await conn.execute(update(m.recordings).where(m.recordings.c.id == id)
                               .values(ended_at=ended_at, bytes=size))

        await self._write(run)

    async def get_recording(self, id: int) -> dict[str, Any] | None:
        r, p = m.recordings, m.participants
        if not fits(id):
            return None
        async with self._read() as conn:
            row = (await conn.execute(select(r).where(r.c.id == id))).first()
            if row is None:
                return None
            accounts = await conn.execute(select(p.c.account_id).where(
                p.c.session_id == row.session_id, p.c.account_id.is_not(None)).distinct())
        return {**row._mapping, "account_ids": sorted(a.account_id for a in accounts)}

    async def list_recordings(self, session_id: str | None = None, unfinished: bool = False) -> list[dict[str, Any]]:
        r = m.recordings
        query = select(r).where(r.c.deleted_at.is_(None)).order_by(r.c.started_at, r.c.id)
        if session_id is not None:
            query = query.where(r.c.session_id == session_id)
        if unfinished:
            query = query.where(r.c.ended_at.is_(None))
        async with self._read() as conn:
            return as_dicts(await conn.execute(query))

    async def delete_expired_recordings(self, before: float) -> list[dict[str, Any]]:
        r = m.recordings

        async def run(conn: AsyncConnection) -> list[dict[str, Any]]:
            which = r.c.deleted_at.is_(None) & r.c.ended_at.is_not(None) & (r.c.started_at < before)
            rows = as_dicts(await conn.execute(select(r).where(which)))
            if rows:
                await conn.execute(update(r).where(r.c.id.in_([x["id"] for x in rows])).values(deleted_at=time.time()))
            return rows

        return await self._write(run)
