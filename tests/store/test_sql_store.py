"""SqlStore on a real SQLite file and on a real PostgreSQL server (every test
that takes `store` or `db_url` runs on both): what the relay keeps, and keeps
across restarts."""

import pytest

from server.core.records import Record
from server.store import Conflict, NotFound, open_store
from server.store.sql import SqlStore

pytestmark = pytest.mark.anyio

SID = "s-1"


def rec(action, at, data=None, actor="system", session_id=SID):
    return Record(action=action, session_id=session_id, actor=actor, at=at, data=data or {})


def a_session(sid=SID, number="123456789", start=100.0):
    """created -> waiting -> customer joined -> rep joined -> active -> chat ->
    note -> grant -> activity -> transfer of control -> ended."""
    return [
        rec("session.created", start, {"number": number, "kind": "inbound", "queue": "billing"}, session_id=sid),
        rec("session.state", start + 1, {"state": "waiting", "reason": None, "queue": "billing"}, session_id=sid),
        rec("participant.joined", start + 2,
            {"pid": "c1", "kind": "customer", "account_id": None, "name": "Carla", "role": "customer"}, session_id=sid),
        rec("participant.joined", start + 3,
            {"pid": "r1", "kind": "rep", "account_id": 1, "name": "Rita", "role": "primary"}, session_id=sid),
        rec("session.state", start + 4, {"state": "active", "reason": None, "queue": None}, session_id=sid),
        rec("customer.selected", start + 4, {"pid": "c1"}, session_id=sid),
        rec("chat.posted", start + 5,
            {"message_id": 1, "pid": "c1", "name": "Carla", "text": "hello", "reps_only": False}, session_id=sid),
        rec("note.saved", start + 6, {"note_id": 1, "pid": "r1", "text": "printer issue"}, session_id=sid),
        rec("grant.changed", start + 7,
            {"grant_id": 1, "kind": "view", "scope": "desktop", "direction": "customer-to-rep",
             "requester": "r1", "grantor": "c1", "state": "requested"}, session_id=sid),
        rec("grant.changed", start + 8,
            {"grant_id": 1, "kind": "view", "scope": "desktop", "direction": "customer-to-rep",
             "requester": "r1", "grantor": "c1", "state": "granted"}, session_id=sid),
        rec("activity.started", start + 8,
            {"activity_id": 3, "kind": "sharing", "scope": "desktop", "sharer": "c1", "grant_id": 1}, session_id=sid),
        rec("participant.joined", start + 9,
            {"pid": "r2", "kind": "rep", "account_id": 2, "name": "Sam", "role": "assistant"}, session_id=sid),
        rec("transfer.control", start + 10, {"from_pid": "r1", "to_pid": "r2"}, session_id=sid),
        rec("activity.ended", start + 10, {"activity_id": 3, "kind": "sharing", "reason": "transfer"}, session_id=sid),
        rec("participant.role", start + 10, {"pid": "r2", "role": "primary"}, session_id=sid),
        rec("participant.role", start + 10, {"pid": "r1", "role": "assistant"}, session_id=sid),
        rec("session.state", start + 20, {"state": "ended", "reason": "ended by rep", "queue": None}, session_id=sid),
    ]


# accounts -----------------------------------------------------------------


async def test_accounts_crud(store):
    assert await store.count_accounts() == 0
    ann = await store.create_account("Ann@Example.org", "Ann", "hash1", is_admin=True)
    bob = await store.create_account("bob@example.org", "Bob", "hash2", queue_rep=True, max_customers=3,
                                     multi_session=True, queues=["billing", "tech"])
    assert ann.id != bob.id and ann.is_admin and not ann.queue_rep and ann.active
    assert bob.queues == ("billing", "tech") and bob.max_customers == 3 and bob.multi_session
    assert await store.get_account(ann.id) == ann
    assert await store.get_account_by_email(" ann@EXAMPLE.org ") == ann
    assert await store.get_account_by_email("nobody@example.org") is None
    assert await store.get_account(999) is None
    assert await store.list_accounts() == [ann, bob]
    assert await store.count_accounts() == 2

    changed = await store.update_account(bob.id, name="Robert", active=False, queues=("tech",), max_customers=5)
    assert (changed.name, changed.active, changed.queues, changed.max_customers) == ("Robert", False, ("tech",), 5)
    assert await store.get_account(bob.id) == changed
    assert changed.email == bob.email and changed.created_at == bob.created_at


async def test_duplicate_email_ignoring_case_is_a_conflict(store):
    await store.create_account("ann@example.org", "Ann", "h")
    with pytest.raises(Conflict):
        await store.create_account("ANN@example.org", "Other Ann", "h")
    assert await store.count_accounts() == 1


async def test_update_account_refuses_unknown_account_and_fields(store):
    ann = await store.create_account("ann@example.org", "Ann", "h")
    with pytest.raises(NotFound):
        await store.update_account(999, name="x")
    with pytest.raises(TypeError):
        await store.update_account(ann.id, email="new@example.org")
    with pytest.raises(ValueError):
        await store.update_account(ann.id, max_customers=0)


# queues and policies --------------------------------------------------------


async def test_queues(store):
    billing = await store.create_queue("billing", "Billing")
    tech = await store.create_queue("tech-2", "Tech", routing="automatic", offer_timeout=15)
    assert (billing.routing, billing.offer_timeout) == ("manual", 30.0)
    assert await store.get_queue("tech-2") == tech
    assert await store.list_queues() == [billing, tech]
    with pytest.raises(Conflict):
        await store.create_queue("billing", "Again")
    for bad in ("Billing", "a b", "", "x" * 41, "été"):
        with pytest.raises(ValueError):
            await store.create_queue(bad, "Bad")
    with pytest.raises(ValueError):
        await store.create_queue("ok", "Ok", routing="random")

    updated = await store.update_queue("billing", title="Invoices", routing="automatic")
    assert (updated.title, updated.routing) == ("Invoices", "automatic")
    with pytest.raises(NotFound):
        await store.update_queue("nope", title="x")


async def test_deleting_a_queue_removes_it_from_reps(store):
    await store.create_queue("billing", "Billing")
    rep = await store.create_account("rep@example.org", "Rep", "h", queue_rep=True, queues=["billing", "tech"])
    assert await store.delete_queue("billing") is True
    assert await store.delete_queue("billing") is False
    assert await store.get_queue("billing") is None
    assert (await store.get_account(rep.id)).queues == ("tech",)


async def test_policies(store):
    assert await store.get_policies() == {}
    await store.set_policy("auto_record", True)
    await store.set_policy("chat", {"reps_only_allowed": False, "max": 3})
    await store.set_policy("auto_record", False)
    assert await store.get_policies() == {"auto_record": False, "chat": {"reps_only_allowed": False, "max": 3}}


# records ----------------------------------------------------------------------


async def test_record_builds_the_session_report(store):
    await store.record(a_session())
    report = await store.session_report(SID)

    assert report["number"] == "123456789" and report["kind"] == "inbound" and report["queue"] == "billing"
    assert report["state"] == "ended" and report["reason"] == "ended by rep"
    assert (report["created_at"], report["started_at"], report["ended_at"]) == (100.0, 104.0, 120.0)
    assert report["waiting_since"] is None and report["selected_pid"] == "c1"

    people = {p["pid"]: p for p in report["participants"]}
    assert [p["pid"] for p in report["participants"]] == ["c1", "r1", "r2"]
    assert people["r1"]["role"] == "assistant" and people["r2"]["role"] == "primary"
    assert people["r1"]["account_id"] == 1 and people["c1"]["account_id"] is None

    [grant] = report["grants"]
    assert (grant["state"], grant["requested_at"], grant["updated_at"]) == ("granted", 107.0, 108.0)
    assert (grant["kind"], grant["scope"], grant["requester"], grant["grantor"]) == ("view", "desktop", "r1", "c1")
    [activity] = report["activities"]
    assert (activity["kind"], activity["sharer"], activity["ended_at"], activity["end_reason"]) == (
        "sharing", "c1", 110.0, "transfer")
    [chat] = report["chat"]
    assert (chat["pid"], chat["name"], chat["text"], chat["reps_only"]) == ("c1", "Carla", "hello", False)
    assert [n["text"] for n in report["notes"]] == ["printer issue"]
    [transfer] = report["transfers"]
    assert (transfer["kind"], transfer["from_pid"], transfer["to_pid"]) == ("control", "r1", "r2")
    assert [a["action"] for a in report["audit"]] == [r.action for r in a_session()]
    assert report["audit"][3]["data"]["name"] == "Rita"

    assert await store.session_report("nope") is None


async def test_waiting_since_is_set_while_waiting_only(store):
    await store.record(a_session()[:2])
    assert (await store.session_report(SID))["waiting_since"] == 101.0
    await store.record([rec("session.state", 130.0, {"state": "active", "reason": None, "queue": None})])
    assert (await store.session_report(SID))["waiting_since"] is None


async def test_transfer_session_keeps_the_message(store):
    await store.record(a_session()[:5])
    await store.record([
        rec("transfer.session", 140.0, {"from_pid": "r1", "queue": "tech", "reps": [], "message": "VIP, be kind"}),
        rec("participant.left", 140.0, {"pid": "r1", "reason": "transferred"}),
        rec("session.state", 140.0, {"state": "waiting", "reason": "transferred", "queue": "tech"}),
    ])
    [live] = await store.live_sessions()
    assert (live["queue"], live["state"], live["waiting_since"]) == ("tech", "waiting", 140.0)
    assert live["transfer_message"] == "VIP, be kind"
    assert [p["pid"] for p in live["participants"]] == ["c1"]
    [transfer] = (await store.session_report(SID))["transfers"]
    assert (transfer["kind"], transfer["queue"], transfer["reps"], transfer["message"]) == (
        "session", "tech", [], "VIP, be kind")


async def test_live_sessions_exclude_ended_sessions_and_people_who_left(store):
    await store.record(a_session("ended-one", "111111111", start=10.0))
    await store.record(a_session("live-one", "222222222", start=50.0)[:-1])
    await store.record([rec("participant.left", 70.0, {"pid": "c1", "reason": "closed tab"}, session_id="live-one")])

    [live] = await store.live_sessions()
    assert live["session_id"] == "live-one" and live["number"] == "222222222" and live["state"] == "active"
    assert live["participants"] == [
        {"pid": "r1", "kind": "rep", "account_id": 1, "name": "Rita", "role": "assistant", "owner": None,
         "intake": None},
        {"pid": "r2", "kind": "rep", "account_id": 2, "name": "Sam", "role": "primary", "owner": None,
         "intake": None},
    ]
    assert await store.max_ids() == {"grant_id": 1, "activity_id": 3, "message_id": 1, "note_id": 1}


async def test_max_ids_are_zero_on_a_fresh_store(store):
    assert await store.max_ids() == {"grant_id": 0, "activity_id": 0, "message_id": 0, "note_id": 0}


async def test_records_without_projection_or_session_are_only_audited(store):
    await store.record([
        rec("offer.made", 1.0, {"rep_id": 4}),
        rec("something.new", 2.0, {"x": 1}),
        rec("participant.joined", 3.0, {"pid": "c1", "kind": "customer", "account_id": None, "name": "C",
                                         "role": "customer"}, session_id="never-created"),
    ])
    assert [a["action"] for a in await store.audit_log()] == ["offer.made", "something.new", "participant.joined"]
    assert await store.live_sessions() == []
    assert await store.session_report("never-created") is None


async def test_applying_a_batch_twice_does_not_duplicate_rows(store):
    batch = a_session()[:11]
    await store.record(batch)
    await store.record(batch)
    report = await store.session_report(SID)
    assert (len(report["participants"]), len(report["chat"]), len(report["notes"]), len(report["grants"])) == (
        2, 1, 1, 1)
    assert len(report["audit"]) == 22  # the log keeps what happened, twice


async def test_a_batch_of_many_sessions_chat_lines_stores_each_line_once_in_order(store):
    """Chat lines of a batch are written together (one query, one insert):
    each once, the same line twice in a batch or again in a later batch (a
    failover) included, in the order they were posted."""
    other = "S2"
    batch = a_session()[:6] + a_session(sid=other, number="223456789")[:6]
    lines = [rec("chat.posted", 110.0 + i, {"message_id": 10 + i, "pid": "c1", "name": "Carla", "text": f"line {i}"},
                 session_id=sid) for i, sid in enumerate([SID, other, SID, other, SID])]
    await store.record(batch + lines + [lines[2]] + [rec("chat.posted", 120.0, {"pid": "c1"}, session_id=SID)])
    await store.record(lines[3:])
    assert [m["text"] for m in (await store.session_report(SID))["chat"]] == ["line 0", "line 2", "line 4"]
    assert [m["text"] for m in (await store.session_report(other))["chat"]] == ["line 1", "line 3"]


async def test_writing_records_searches_the_tables_it_reads_never_scans_them(tmp_path):
    """Every statement writing a session's records, chat lines included, finds
    its rows through a key: a statement that read a whole table would cost
    more with every session and line ever stored, once per batch."""
    from sqlalchemy import event

    url = f"sqlite+aiosqlite:///{tmp_path}/plans.db"
    statements = []
    async with open_store(url) as store:
        event.listen(store._writer.sync_engine, "before_cursor_execute",
                     lambda conn, cursor, sql, params, context, many: statements.append((sql, params[0] if many else params)))
        await store.record(a_session() + a_session(sid="S2", number="223456789", start=300.0))
        async with store._engine.connect() as conn:
            plans = {sql: [row[3] for row in (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)).all()]
                     for sql, params in statements if sql.startswith(("SELECT", "UPDATE", "DELETE"))}
    assert any(sql.startswith("SELECT chat_messages") for sql in plans)
    scans = {sql.split(chr(10))[0]: plan for sql, plan in plans.items() if any(step.startswith("SCAN") for step in plan)}
    assert scans == {}


# audit ---------------------------------------------------------------------------


async def test_audit_log_is_oldest_first_and_limited_to_the_newest(store):
    for i in range(5):
        await store.audit("signin.failed", actor="1.2.3.4", data={"email": f"x{i}@example.org"}, at=float(i))
    await store.record([rec("session.created", 10.0, {"number": "1", "kind": "outbound", "queue": None})])
    await store.audit("account.created", actor="rep:1", data={"id": 2})

    everything = await store.audit_log()
    assert [a["action"] for a in everything] == ["signin.failed"] * 5 + ["session.created", "account.created"]
    assert [a["id"] for a in everything] == sorted(a["id"] for a in everything)
    newest = await store.audit_log(limit=2)
    assert [a["action"] for a in newest] == ["session.created", "account.created"]
    assert [a["data"]["email"] for a in (await store.audit_log(limit=7))[:2]] == ["x0@example.org", "x1@example.org"]
    assert [a["action"] for a in await store.audit_log(session_id=SID)] == ["session.created"]


async def test_sessions_lists_newest_first(store):
    await store.record(a_session("a", start=10.0))
    await store.record(a_session("b", start=50.0)[:3])
    assert [s["id"] for s in await store.sessions()] == ["b", "a"]
    assert [s["id"] for s in await store.sessions(limit=1)] == ["b"]


# restarts and migrations ------------------------------------------------------------


async def test_everything_survives_a_restart(db_url):
    store = open_store(db_url)
    await store.open()
    ann = await store.create_account("ann@example.org", "Ann", "h", queue_rep=True, queues=["billing"])
    billing = await store.create_queue("billing", "Billing")
    await store.set_policy("auto_record", True)
    await store.record(a_session("done", start=10.0))
    await store.record(a_session("live", start=50.0)[:-1])
    before = (await store.live_sessions(), await store.session_report("done"), await store.audit_log())
    await store.close()

    async with open_store(db_url) as again:
        assert await again.get_account(ann.id) == ann
        assert await again.list_queues() == [billing]
        assert await again.get_policies() == {"auto_record": True}
        assert (await again.live_sessions(), await again.session_report("done"), await again.audit_log()) == before
        assert await again.max_ids() == {"grant_id": 1, "activity_id": 3, "message_id": 1, "note_id": 1}
        with pytest.raises(Conflict):
            await again.create_account("ANN@example.org", "Ann", "h")


async def test_opening_twice_is_idempotent(db_url):
    async with open_store(db_url) as first:
        await first.create_account("ann@example.org", "Ann", "h")
        await first.open()  # already open: nothing happens
    async with open_store(db_url) as second:
        async with second._engine.connect() as conn:
            versions = (await conn.exec_driver_sql("SELECT version_num FROM alembic_version")).all()
            if conn.dialect.name == "sqlite":
                pragmas = [(await conn.exec_driver_sql(f"PRAGMA {p}")).scalar() for p in ("journal_mode", "foreign_keys")]
                assert pragmas == ["wal", 1]
        assert versions == [(_head(),)]
        assert await second.count_accounts() == 1


async def test_relays_starting_together_migrate_once(db_url, tmp_path):
    import anyio

    # on new SQLite files, a few times: the one to switch the file to WAL
    # found another one's migration under way now and then (database is locked)
    urls = [db_url] + ([f"sqlite+aiosqlite:///{tmp_path}/again-{i}.db" for i in range(11)]
                       if db_url.startswith("sqlite") else [])
    for url in urls:
        stores = [open_store(url) for _ in range(3)]
        try:
            with anyio.fail_after(30):
                async with anyio.create_task_group() as tg:
                    for s in stores:
                        tg.start_soon(s.open)
            ann = await stores[0].create_account("ann@example.org", "Ann", "h")
            assert [await s.get_account(ann.id) for s in stores] == [ann] * 3
        finally:
            for s in stores:
                await s.close()


def _head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from server.store.engine import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


async def test_schema_matches_the_models(store):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from server.store.models import metadata

    async with store._engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), metadata)
        )
    assert diff == []


async def test_memory_store_and_unknown_schemes():
    async with open_store("sqlite+aiosqlite://") as store:
        assert isinstance(store, SqlStore)
        await store.create_queue("q", "Q")
        assert [q.name for q in await store.list_queues()] == ["q"]
    with pytest.raises(ValueError):
        open_store("mongodb://localhost/tandem")


async def test_a_closed_store_refuses_work(db_url):
    store = open_store(db_url)
    with pytest.raises(RuntimeError):
        await store.count_accounts()
    await store.open()
    await store.close()
    await store.close()
    with pytest.raises(RuntimeError):
        await store.count_accounts()


async def test_64_bit_ids_and_sizes(store):
    await store.record(a_session()[:1])
    big = 2**40
    assert await store.get_account(big) is None and await store.get_account(2**63) is None
    assert await store.get_recording(big) is None
    await store.record([
        rec("grant.changed", 200.0, {"grant_id": big, "kind": "view", "scope": "desktop", "state": "requested"}),
        rec("chat.posted", 201.0, {"message_id": big + 1, "pid": "c1", "name": "C", "text": "hi"}),
    ])
    rid = await store.create_recording(SID, big + 2, "s-1/one.trec", 202.0)
    await store.finish_recording(rid, 300.0, 5 * 2**30)  # a 5 GiB recording
    assert (await store.get_recording(rid))["bytes"] == 5 * 2**30
    assert (await store.max_ids())["grant_id"] == big


async def test_odd_strings_never_fail_a_batch(store):
    """NUL characters and over-long values (PostgreSQL refuses both, SQLite
    takes both) are stored the same on every engine, with the rest of the batch."""
    await store.record(a_session()[:3] + [
        rec("chat.posted", 105.0, {"message_id": 1, "pid": "c1", "name": "Nul\x00Name", "text": "a\x00b"}),
        rec("activity.started", 106.0, {"activity_id": 1, "kind": "sharing", "scope": "w" * 500, "sharer": "c1"}),
        rec("note.saved", 107.0, {"note_id": 1, "pid": "c1", "text": "after them"}),
    ])
    report = await store.session_report(SID)
    [chat] = report["chat"]
    assert (chat["name"], chat["text"]) == ("Nul\ufffdName", "a\ufffdb")
    assert report["activities"][0]["scope"] == "w" * 200
    assert [n["text"] for n in report["notes"]] == ["after them"]
    assert report["audit"][3]["data"]["text"] == "a\x00b"  # the log keeps exactly what happened


async def test_concurrent_writers_all_land(store):
    import anyio

    async def session(i):
        await store.record(a_session(f"s{i}", str(i), start=float(i)))

    async def signup(i):
        await store.create_account(f"rep{i}@example.org", f"Rep {i}", "h")

    async with anyio.create_task_group() as tg:
        for i in range(20):
            tg.start_soon(session, i)
            tg.start_soon(signup, i)
    assert await store.count_accounts() == 20
    assert len(await store.sessions()) == 20
    assert len(await store.audit_log(limit=1000)) == 20 * len(a_session())
