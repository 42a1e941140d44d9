"""The store's SQLAlchemy asyncio engine, SQLite (the default, aiosqlite) or
PostgreSQL (asyncpg), opened with its schema at the newest revision.

`open_engine` brings the schema to the newest alembic revision, so a fresh
file gets every table and an old one is upgraded in place; on PostgreSQL the
upgrade holds an advisory lock, so relays starting together migrate once.
SQLite runs in WAL mode with foreign keys on, and with real transactions
(SQLAlchemy's documented recipe for the sqlite drivers): every write takes the
write lock up front (``BEGIN IMMEDIATE``, for connections with the
``tandem_write`` execution option), so a write never fails half-way on a busy
database, and every read sees one consistent snapshot.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK = 0x74616E64656D  # "tandem": the advisory lock key of schema upgrades on PostgreSQL
CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a PostgreSQL server before `open_engine` gives up."""


def _json_default(value: Any) -> Any:
    # records may carry enums, sets or tuples; the audit log must never refuse one
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


_dumps = functools.partial(json.dumps, default=_json_default, separators=(",", ":"), ensure_ascii=False)


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    # take over transaction control from the driver, see _on_begin
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable enough with WAL (`_use_wal`), much faster
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


async def _use_wal(engine: AsyncEngine) -> None:
    """Put a SQLite file in WAL mode, which it keeps. The switch needs the
    file to itself, and SQLite refuses it at once (no busy wait) while another
    relay starting on the same file holds a write lock: try again until that
    one is done, as its migration is waited for (`open_engine`)."""
    deadline = time.monotonic() + CONNECT_TIMEOUT
    while True:
        try:
            async with engine.connect() as conn:
                await conn.run_sync(_pragma, "PRAGMA journal_mode=WAL")
            return
        except (OperationalError, sqlite3.OperationalError) as exc:  # wrapped or not, as the driver raised it
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


def _on_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("tandem_write") else "BEGIN")


def _pragma(sync_conn: Connection, sql: str) -> None:
    # through the driver's own cursor: Connection.execute would open a transaction,
    # and SQLite ignores `PRAGMA foreign_keys` inside one
    cursor = sync_conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


def _upgrade(sync_conn: Connection) -> None:
    """Run ``alembic upgrade head`` on `sync_conn`, in one transaction."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    cfg.attributes["connection"] = sync_conn
    sqlite = sync_conn.dialect.name == "sqlite"
    if sqlite:
        # revisions may rebuild tables (batch mode); with foreign keys on, dropping
        # the old `sessions` table would cascade-delete every session's rows
        _pragma(sync_conn, "PRAGMA foreign_keys=OFF")
    try:
        with sync_conn.begin():
            if sync_conn.dialect.name == "postgresql":
                sync_conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            command.upgrade(cfg, "head")
            if sqlite and sync_conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                raise RuntimeError("migration left rows that break foreign keys")
    finally:
        if sqlite:
            _pragma(sync_conn, "PRAGMA foreign_keys=ON")


async def open_engine(url: URL) -> AsyncEngine:
    """Connect, create the parent folder of a SQLite file, and upgrade the
    schema to the newest revision."""
    options: dict[str, Any] = {"json_serializer": _dumps}
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite:
        database = url.database or ""
        if database in ("", ":memory:") or url.query.get("mode") == "memory":
            options["poolclass"] = StaticPool  # one connection, or each sees its own empty db
        elif not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    elif url.get_backend_name() == "postgresql":
        options["connect_args"] = {"timeout": CONNECT_TIMEOUT}
        options["pool_pre_ping"] = True  # a restarted server leaves dead connections in the pool
    engine = create_async_engine(url, **options)
    if sqlite:
        event.listen(engine.sync_engine, "connect", _on_connect)
        event.listen(engine.sync_engine, "begin", _on_begin)
    try:
        if sqlite and options.get("poolclass") is not StaticPool:
            await _use_wal(engine)
        # as a writer: on SQLite the upgrade takes the write lock up front, so
        # relays starting together on one file wait for each other
        async with engine.execution_options(tandem_write=True).connect() as conn:
            await conn.run_sync(_upgrade)
    except BaseException:
        await engine.dispose()
        raise
    return engine
