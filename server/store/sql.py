"""`SqlStore`: the store on SQLAlchemy's asyncio engine, SQLite (the
default, aiosqlite) or PostgreSQL (asyncpg); `server.store.engine` opens it
(pragmas, WAL, schema upgrades).

Every write is one transaction that takes SQLite's write lock up front, and
every read sees one consistent snapshot; on PostgreSQL reads run in
REPEATABLE READ for the same snapshot.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.core.intake import IntakeForm
from server.core.records import Record
from server.store import models as m
from server.store import projections
from server.store import reports as report_queries
from server.store.base import (
    Account,
    CannedReply,
    Conflict,
    NotFound,
    Queue,
    Store,
    check_account_fields,
    check_queue_fields,
    check_queue_name,
)
from server.store.engine import open_engine

log = logging.getLogger(__name__)


def _account(row: Any) -> Account:
    return Account(
        id=row.id,
        email=row.email,
        name=row.name,
        password_hash=row.password_hash,
        is_admin=bool(row.is_admin),
        is_supervisor=bool(row.is_supervisor),
        queue_rep=bool(row.queue_rep),
        max_customers=row.max_customers,
        multi_session=bool(row.multi_session),
        queues=tuple(row.queues or ()),
        active=bool(row.active),
        created_at=row.created_at,
        token_version=row.token_version,
    )


def _queue(row: Any) -> Queue:
    return Queue(
        name=row.name, title=row.title, routing=row.routing, offer_timeout=row.offer_timeout, created_at=row.created_at,
        consent=row.consent, intake=IntakeForm.from_json(row.intake),
    )


def _canned(row: Any) -> CannedReply:
    return CannedReply(id=row.id, title=row.title, text=row.text, created_at=row.created_at,
                       updated_at=row.updated_at)


def _canned_fields(title: str, text: str) -> dict[str, str]:
    title, text = str(title).strip(), str(text).strip()
    if not title or not text:
        raise ValueError("a canned reply needs a title and a text")
    return {"title": title, "text": text}


def _fits(id: Any) -> bool:
    """True when `id` can name a row: a signed 64-bit integer, as the database
    keeps them. Any other number (``/recordings/99999999999999999999999999``)
    names nothing, and is answered as not found instead of overflowing the driver."""
    return isinstance(id, int) and not isinstance(id, bool) and -(2**63) <= id < 2**63


def _rows(result: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in result]


class SqlStore(Store):
    """The store in a SQL database named by a SQLAlchemy async URL, e.g.
    ``sqlite+aiosqlite:///var/tandem.db``, ``sqlite+aiosqlite://`` (memory)
    or ``postgresql+asyncpg://user:password@host/dbname``."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self._engine: AsyncEngine | None = None
        self._reader: AsyncEngine | None = None
        self._writer: AsyncEngine | None = None
        # one writer at a time inside this process; other processes wait in BEGIN IMMEDIATE
        self._write_lock = asyncio.Lock()
        self._writes: set[asyncio.Task] = set()

    def __repr__(self) -> str:
        return f"SqlStore({self.url.render_as_string(hide_password=True)!r})"

    # lifecycle ------------------------------------------------------------

    async def open(self) -> None:
        """Connect, create the parent folder of a SQLite file, and upgrade the
        schema to the newest revision (`open_engine`). Calling it again does nothing."""
        if self._engine is not None:
            return
        engine = await open_engine(self.url)
        sqlite = self.url.get_backend_name() == "sqlite"
        self._engine = engine
        self._reader = engine if sqlite else engine.execution_options(isolation_level="REPEATABLE READ")
        self._writer = engine.execution_options(tandem_write=True)
        log.info("store open: %r", self)

    async def close(self) -> None:
        """Close every connection. The store can be opened again afterwards."""
        if self._writes:  # writes are never cut off: wait for those a cancelled caller left running
            await asyncio.gather(*self._writes, return_exceptions=True)
        engine, self._engine, self._reader, self._writer = self._engine, None, None, None
        if engine is not None:
            await engine.dispose()

    def _read(self) -> Any:
        if self._reader is None:
            raise RuntimeError("store is not open")
        return self._reader.connect()

    async def _write(self, fn: Any, *args: Any) -> Any:
        """Run ``await fn(conn, *args)`` in one write transaction. A caller
        that is cancelled (a stopping relay's record writer) does not cancel
        the transaction: cut off mid-statement, SQLite's would keep the write
        lock, and every later write would fail with 'database is locked'. It
        ends by itself, and `close` waits for it."""
        if self._writer is None:
            raise RuntimeError("store is not open")
        task = asyncio.ensure_future(self._write_now(fn, *args))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)
        return await asyncio.shield(task)

    async def _write_now(self, fn: Any, *args: Any) -> Any:
        async with self._write_lock:
            async with self._writer.begin() as conn:
                return await fn(conn, *args)

    # accounts -------------------------------------------------------------

    async def create_account(
        self,
        email: str,
        name: str,
        password_hash: str,
        *,
        is_admin: bool = False,
        is_supervisor: bool = False,
        queue_rep: bool = False,
        max_customers: int = 1,
        multi_session: bool = False,
        queues: Sequence[str] = (),
    ) -> Account:
        email = email.strip()
        if not email:
            raise ValueError("email is required")
        values = check_account_fields(
            dict(
                name=name,
                password_hash=password_hash,
                is_admin=is_admin,
                is_supervisor=is_supervisor,
                queue_rep=queue_rep,
                max_customers=max_customers,
                multi_session=multi_session,
                queues=queues,
                active=True,
            )
        )
        values.update(email=email, email_key=email.lower(), created_at=time.time())

        async def run(conn: AsyncConnection) -> Account:
            result = await conn.execute(insert(m.accounts).values(**values))
            query = select(m.accounts).where(m.accounts.c.id == result.inserted_primary_key[0])
            return _account((await conn.execute(query)).one())

        try:
            return await self._write(run)
        except IntegrityError:
            raise Conflict(f"an account with email {email!r} exists already") from None

    async def get_account(self, id: int) -> Account | None:
        if not _fits(id):
            return None
        async with self._read() as conn:
            row = (await conn.execute(select(m.accounts).where(m.accounts.c.id == id))).first()
        return _account(row) if row else None

    async def get_account_by_email(self, email: str) -> Account | None:
        async with self._read() as conn:
            query = select(m.accounts).where(m.accounts.c.email_key == email.strip().lower())
            row = (await conn.execute(query)).first()
        return _account(row) if row else None

    async def list_accounts(self) -> list[Account]:
        async with self._read() as conn:
            result = await conn.execute(select(m.accounts).order_by(m.accounts.c.id))
        return [_account(row) for row in result]

    async def update_account(self, id: int, **fields: Any) -> Account:
        values = check_account_fields(fields)
        if not _fits(id):
            raise NotFound(f"no account {id}")

        async def run(conn: AsyncConnection) -> Account:
            if values:
                await conn.execute(update(m.accounts).where(m.accounts.c.id == id).values(**values))
            row = (await conn.execute(select(m.accounts).where(m.accounts.c.id == id))).first()
            if row is None:
                raise NotFound(f"no account {id}")
            return _account(row)

        return await self._write(run)

    async def revoke_tokens(self, id: int) -> Account:
        if not _fits(id):
            raise NotFound(f"no account {id}")
        a = m.accounts

        async def run(conn: AsyncConnection) -> Account:
            await conn.execute(update(a).where(a.c.id == id).values(token_version=a.c.token_version + 1))
            row = (await conn.execute(select(a).where(a.c.id == id))).first()
            if row is None:
                raise NotFound(f"no account {id}")
            return _account(row)

        return await self._write(run)

    async def count_accounts(self) -> int:
        async with self._read() as conn:
            return (await conn.execute(select(func.count()).select_from(m.accounts))).scalar_one()

    # queues ---------------------------------------------------------------

    async def create_queue(
        self, name: str, title: str, routing: str = "manual", offer_timeout: float = 30.0,
        consent: str = "view_on_accept", intake: IntakeForm | dict | None = None,
    ) -> Queue:
        check_queue_name(name)
        form = check_queue_fields(dict(title=title, routing=routing, offer_timeout=offer_timeout, consent=consent,
                                       intake=intake))["intake"]
        queue = Queue(name, title, routing, float(offer_timeout), time.time(), consent, form)

        async def run(conn: AsyncConnection) -> None:
            await conn.execute(
                insert(m.queues).values(
                    name=name, title=title, routing=routing, offer_timeout=queue.offer_timeout,
                    created_at=queue.created_at, consent=consent, intake=form.to_json(),
                )
            )

        try:
            await self._write(run)
        except IntegrityError:
            raise Conflict(f"a queue named {name!r} exists already") from None
        return queue

    async def get_queue(self, name: str) -> Queue | None:
        async with self._read() as conn:
            row = (await conn.execute(select(m.queues).where(m.queues.c.name == name))).first()
        return _queue(row) if row else None

    async def list_queues(self) -> list[Queue]:
        async with self._read() as conn:
            result = await conn.execute(select(m.queues).order_by(m.queues.c.name))
        return [_queue(row) for row in result]

    async def update_queue(self, name: str, **fields: Any) -> Queue:
        values = check_queue_fields(fields)
        if "intake" in values:
            values["intake"] = values["intake"].to_json()

        async def run(conn: AsyncConnection) -> Queue:
            if values:
                await conn.execute(update(m.queues).where(m.queues.c.name == name).values(**values))
            row = (await conn.execute(select(m.queues).where(m.queues.c.name == name))).first()
            if row is None:
                raise NotFound(f"no queue {name!r}")
            return _queue(row)

        return await self._write(run)

    async def delete_queue(self, name: str) -> bool:
        async def run(conn: AsyncConnection) -> bool:
            deleted = (await conn.execute(delete(m.queues).where(m.queues.c.name == name))).rowcount
            for row in (await conn.execute(select(m.accounts.c.id, m.accounts.c.queues))).all():
                if name in (row.queues or ()):
                    kept = [q for q in row.queues if q != name]
                    await conn.execute(update(m.accounts).where(m.accounts.c.id == row.id).values(queues=kept))
            return deleted > 0

        return await self._write(run)

    # policies -------------------------------------------------------------

    async def get_policies(self) -> dict[str, Any]:
        async with self._read() as conn:
            result = await conn.execute(select(m.policies.c.key, m.policies.c.value))
        return {row.key: row.value for row in result}

    async def set_policy(self, key: str, value: Any) -> None:
        if not isinstance(key, str) or not key:
            raise ValueError("policy key must be a non-empty string")
        json.dumps(value)  # refuse what cannot be stored before touching the database

        async def run(conn: AsyncConnection) -> None:
            now = time.time()
            done = await conn.execute(
                update(m.policies).where(m.policies.c.key == key).values(value=value, updated_at=now)
            )
            if done.rowcount == 0:
                await conn.execute(insert(m.policies).values(key=key, value=value, updated_at=now))

        await self._write(run)

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
            rows = _rows(await conn.execute(query))
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
            return _rows(await conn.execute(query))

    # canned replies, ratings, reports -------------------------------------

    async def list_canned(self) -> list[CannedReply]:
        c = m.canned_replies
        async with self._read() as conn:
            return [_canned(r) for r in await conn.execute(select(c).order_by(c.c.title, c.c.id))]

    async def create_canned(self, title: str, text: str) -> CannedReply:
        values = _canned_fields(title, text)

        async def run(conn: AsyncConnection) -> CannedReply:
            now = time.time()
            result = await conn.execute(insert(m.canned_replies).values(created_at=now, updated_at=now, **values))
            query = select(m.canned_replies).where(m.canned_replies.c.id == result.inserted_primary_key[0])
            return _canned((await conn.execute(query)).one())

        return await self._write(run)

    async def update_canned(self, id: int, title: str, text: str) -> CannedReply:
        values = _canned_fields(title, text)
        c = m.canned_replies
        if not _fits(id):
            raise NotFound(f"no canned reply {id}")

        async def run(conn: AsyncConnection) -> CannedReply:
            await conn.execute(update(c).where(c.c.id == id).values(updated_at=time.time(), **values))
            row = (await conn.execute(select(c).where(c.c.id == id))).first()
            if row is None:
                raise NotFound(f"no canned reply {id}")
            return _canned(row)

        return await self._write(run)

    async def delete_canned(self, id: int) -> bool:
        if not _fits(id):
            return False

        async def run(conn: AsyncConnection) -> bool:
            return (await conn.execute(delete(m.canned_replies).where(m.canned_replies.c.id == id))).rowcount > 0

        return await self._write(run)

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
        if not _fits(id):
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
            return _rows(await conn.execute(query))

    async def delete_expired_recordings(self, before: float) -> list[dict[str, Any]]:
        r = m.recordings

        async def run(conn: AsyncConnection) -> list[dict[str, Any]]:
            which = r.c.deleted_at.is_(None) & r.c.ended_at.is_not(None) & (r.c.started_at < before)
            rows = _rows(await conn.execute(select(r).where(which)))
            if rows:
                await conn.execute(update(r).where(r.c.id.in_([x["id"] for x in rows])).values(deleted_at=time.time()))
            return rows

        return await self._write(run)

    async def report_sessions(self, start: float | None = None, end: float | None = None,
                              account_id: int | None = None, queue: str | None = None) -> list[dict[str, Any]]:
        async with self._read() as conn:
            return await conn.run_sync(report_queries.sessions, start, end, account_id, queue)

    async def report_session(self, session_id: str) -> dict[str, Any] | None:
        async with self._read() as conn:
            return await conn.run_sync(report_queries.session_details, session_id)
