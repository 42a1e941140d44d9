"""Upgrading a database an older relay left, on SQLite and on PostgreSQL:
revision 0006 (64-bit ids and sizes) keeps every row and the id sequences;
revision 0008 (the supervisor role) keeps every account, none a supervisor."""

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from server.store import open_store
from server.store.engine import MIGRATIONS

pytestmark = pytest.mark.anyio


async def at_revision(url: str, revision: str, *rows: str) -> None:
    """Migrate the empty database at `url` up to `revision` only, then add `rows` (SQL)."""
    if url.startswith("sqlite"):
        from pathlib import Path

        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)

    def upgrade(conn) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        for row in rows:
            conn.execute(text(row))

    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade)
    finally:
        await engine.dispose()


async def test_64_bit_upgrade_keeps_rows_and_counts_on(db_url):
    await at_revision(
        db_url, "0005",
        "INSERT INTO accounts (email, email_key, name, password_hash, is_admin, queue_rep, max_customers,"
        " multi_session, queues, active, created_at, token_version)"
        " VALUES ('ann@example.org', 'ann@example.org', 'Ann', 'h', true, false, 1, false, '[]', true, 1.0, 0)",
        "INSERT INTO sessions (id, number, kind, state, created_at) VALUES ('s-1', '123456789', 'outbound', 'ended', 1.0)",
        "INSERT INTO recordings (session_id, activity_id, path, started_at, bytes) VALUES ('s-1', 3, 's-1/a.trec', 2.0, 1000)",
    )
    async with open_store(db_url) as store:
        [ann] = await store.list_accounts()
        assert (ann.id, ann.email, ann.is_admin) == (1, "ann@example.org", True)
        bob = await store.create_account("bob@example.org", "Bob", "h")
        assert bob.id == 2  # the sequence went on from where it was
        [old] = await store.list_recordings()
        assert (old["id"], old["bytes"]) == (1, 1000)
        await store.finish_recording(old["id"], 3.0, 6 * 2**30)
        assert (await store.get_recording(old["id"]))["bytes"] == 6 * 2**30
        later = await store.create_recording("s-1", 2**40, "s-1/b.trec", 4.0)
        assert later == 2 and (await store.get_recording(later))["activity_id"] == 2**40


async def test_supervisor_upgrade_keeps_accounts_and_makes_nobody_a_supervisor_on(db_url):
    await at_revision(
        db_url, "0007",
        "INSERT INTO accounts (email, email_key, name, password_hash, is_admin, queue_rep, max_customers,"
        " multi_session, queues, active, created_at, token_version)"
        " VALUES ('ann@example.org', 'ann@example.org', 'Ann', 'h', true, false, 1, false, '[]', true, 1.0, 0)",
    )
    async with open_store(db_url) as store:
        [ann] = await store.list_accounts()
        assert (ann.email, ann.is_admin, ann.is_supervisor) == ("ann@example.org", True, False)
        sue = await store.create_account("sue@example.org", "Sue", "h", is_supervisor=True)
        assert (sue.is_supervisor, sue.is_admin) == (True, False)
        assert (await store.update_account(sue.id, is_supervisor=False)).is_supervisor is False
