"""The SQL store's connections: SQLAlchemy's asyncio engine on SQLite (the
default, aiosqlite) or PostgreSQL (asyncpg); `server.store.engine` opens it
(pragmas, WAL, schema upgrades).

Every write is one transaction that takes SQLite's write lock up front, and
every read sees one consistent snapshot; on PostgreSQL reads run in
REPEATABLE READ for the same snapshot. `server.store.sql.SqlStore` is this
with its concerns, each in its own module (`sql_config`, `sql_recordings`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from server.store.engine import open_engine

log = logging.getLogger(__name__)


def fits(id: Any) -> bool:
    """True when `id` can name a row: a signed 64-bit integer, as the database
    keeps them. Any other number (``/recordings/99999999999999999999999999``)
    names nothing, and is answered as not found instead of overflowing the driver."""
    return isinstance(id, int) and not isinstance(id, bool) and -(2**63) <= id < 2**63


def as_dicts(result: Any) -> list[dict[str, Any]]:
    """Result rows as plain dicts (column name -> value)."""
    return [dict(row._mapping) for row in result]


class SqlBase:
    """The store's engine: one writer at a time, reads on a snapshot."""

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
