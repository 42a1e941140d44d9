"""Bugs the in-process suite showed on the Redis broker (cluster mode), made
small. Two relay apps in one process on one Redis and one SQLite file are
two nodes of a cluster: the first owns the desk, the second joins from its
snapshot. The store's own bug is tested on the store alone."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from dataclasses import replace

import pytest
import redis
from sqlalchemy import text
from starlette.testclient import TestClient

from server.config import Settings
from server.protocol import StreamKind
from server.web.app import create_app
from tests.conftest import ADMIN_PASSWORD, Peer, bearer, opened_store, signin
from tests.test_recording import recordings, rrweb, start_recording, timeline
from tests.test_ws import Client, Live


@pytest.fixture
def cluster_settings(tmp_path, redis_server) -> Settings:
    return Settings(var_dir=tmp_path, secret_key="test-secret", admin_password=ADMIN_PASSWORD,
                    database_url=f"sqlite+aiosqlite:///{tmp_path}/tandem.db", broker_url=redis_server.fresh_url(),
                    public_url="http://testserver")


@pytest.fixture(autouse=True)
def _collected():
    """Whatever a test's relays left open is collected, and warned about, in
    that test's teardown, not in a later test's."""
    yield
    gc.collect()


@contextlib.contextmanager
def two_nodes(settings: Settings):
    """The owner first (it builds the desk and writes the first snapshot),
    then a node that joins."""
    with TestClient(create_app(settings)) as owner:
        with TestClient(create_app(replace(settings))) as other:
            assert owner.app.state.relay.node.owner and not other.app.state.relay.node.owner
            yield owner, other


def test_a_session_record_read_on_a_node_that_does_not_own_the_desk_waits_for_nothing(cluster_settings, caplog):
    """A rep's chat line, then the session's record read through the other
    node: it is there, and that node did not sit out its whole wait for the
    store (STORED only moves on entries with records, so a node whose last
    applied entry is a clock tick waited ten seconds on every report)."""
    caplog.set_level(logging.WARNING, logger="server.cluster.node")
    with two_nodes(cluster_settings) as (_owner, other):
        admin = signin(other)
        with other.websocket_connect("/ws") as ws:
            rep = Peer(ws, admin)
            rep.send("start_session")
            sid = rep.expect("session_state")["session"]
            rep.send("chat", session=sid, text="hello from the second node", reps_only=True)
            rep.expect("chat_message", text="hello from the second node")
            record = other.get(f"/api/sessions/{sid}", headers=bearer(admin)).json()
        assert [c["text"] for c in record["chat"]] == ["hello from the second node"]
    assert not [r.message for r in caplog.records if "not stored" in r.message]


LONG_QUERY = ("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5000000) "
              "SELECT count(*) FROM n")


@pytest.mark.anyio
async def test_a_store_write_cancelled_midway_leaves_the_store_writable(tmp_path):
    """A relay stopping cancels its record writer, which may be inside a
    write transaction (in a cluster it is woken after every inbox batch, so
    it often is). On SQLite the cancelled transaction's connection kept the
    write lock: the node's last records, and every write after, failed with
    'database is locked' ten seconds later, and the app's shutdown raised."""
    async with opened_store(f"sqlite+aiosqlite:///{tmp_path}/tandem.db") as store:
        await store.set_policy("recording_retention_days", 1)
        running = asyncio.Event()
        loop = asyncio.get_running_loop()

        def progress() -> int:  # called by SQLite, in the driver's thread, while a statement runs
            loop.call_soon_threadsafe(running.set)
            return 0

        async def long_write(conn):
            await conn.execute(text("UPDATE policies SET value = value"))
            raw = await conn.get_raw_connection()
            await raw.driver_connection.set_progress_handler(progress, 10_000)
            await conn.execute(text(LONG_QUERY))

        writer = asyncio.create_task(store._write(long_write))
        await running.wait()
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
        await store.set_policy("recording_retention_days", 2)
        assert (await store.get_policies())["recording_retention_days"] == 2


def test_nodes_that_stopped_leave_no_connection_open_on_redis(cluster_settings, redis_server):
    """A relay stops its node (closing its Redis clients) before its recorder,
    whose last wait for the store (records this node applied and the owner
    may not have stored yet) asks Redis through the node again: the closed
    client opened a new connection, which stayed open after the stop."""
    with two_nodes(cluster_settings) as (owner, other):
        with other.websocket_connect("/ws") as ws:  # records made on the node that does not own the desk
            rep = Peer(ws, signin(other))
            rep.send("start_session")
            rep.expect("session_state")
    with redis.Redis.from_url(redis_server.url) as probe:  # the stopped relays are still referenced here
        left = [c for c in probe.client_list() if c["id"] != str(probe.client_id())]
    assert left == []


class _HeldSubmit:
    """One `Node.submit` in a task of its own, held where the test says: its
    call to Redis waits for `go` (when given), and the node's replica does not
    answer it (the test does)."""

    def __init__(self, node, go: asyncio.Event | None = None) -> None:
        self.node, self.go = node, go
        self.sent = asyncio.Event()  # the call to Redis came back: the task waits for its answer
        self.request = None
        held = self
        batch = node._batch

        class Waiting(dict):
            def __setitem__(self, request, future):
                if asyncio.current_task() is held.task:  # not the node's own ticks
                    held.request = request
                super().__setitem__(request, future)

            def get(self, request, default=None):
                return default if request == held.request else super().get(request, default)

        class Batch:
            async def call(self, *args):
                if asyncio.current_task() is held.task and held.go is not None:
                    await held.go.wait()
                result = await batch.call(*args)
                if asyncio.current_task() is held.task:
                    held.sent.set()
                return result

        node._waiting, node._batch = Waiting(node._waiting), Batch()
        self.task = asyncio.create_task(node.submit("tick", {}))

    async def outcome(self) -> tuple[bool, bool]:
        """Whether the task was cancelled, and whether its request is still kept."""
        await asyncio.wait([self.task], timeout=10)
        return self.task.done() and self.task.cancelled(), self.request in self.node._waiting


def test_a_submit_cancelled_as_its_answer_comes_stops_and_leaves_nothing(cluster_settings):
    """A connection closed (its task cancelled) just as the desk answers its
    message stops there: `asyncio.wait_for` on Python 3.11 returned the answer
    instead, and a connection closed as a slow receiver went on reading. One
    cancelled before Redis answered leaves no request behind."""
    with TestClient(create_app(cluster_settings)) as client:
        node = client.app.state.relay.node

        async def cancelled_as_answered():
            held = _HeldSubmit(node)
            await held.sent.wait()
            node._waiting[held.request].set_result(None)  # the answer and the
            held.task.cancel()  # cancellation, before the task runs again
            return await held.outcome()

        async def cancelled_before_redis_answered():
            held = _HeldSubmit(node, go=asyncio.Event())
            await asyncio.sleep(0)
            assert held.request is not None
            held.task.cancel()
            return await held.outcome()

        assert client.portal.call(cancelled_as_answered) == (True, False)
        assert client.portal.call(cancelled_before_redis_answered) == (True, False)


def test_a_frame_sent_before_the_recording_started_is_not_in_it(cluster_settings):
    """The relay routes a frame with the desk as it is, then publishes it
    (a Redis round trip in a cluster), and only then hands it to the
    recorder: a recording that started meanwhile took a frame the customer
    sent before it began (most runs on Redis before a node's script calls
    were batched; the window is still there while a publish is awaited)."""
    with TestClient(create_app(cluster_settings)) as client:
        with client.websocket_connect("/ws") as r, client.websocket_connect("/ws") as c:
            live = Live(client, Client(r, signin(client)), c)
            _, stream = live.grant("view")
            live.cus.frame(StreamKind.COBROWSE, stream, rrweb("before the recording", time.time()))
            activity = start_recording(live)
            live.cus.frame(StreamKind.COBROWSE, stream, rrweb("while recording", time.time()))
            live.cus.fence()
            live.rep.send("stop_activity", session=live.sid, activity=activity)
            live.rep.expect("session_state", where=lambda s: not any(a["kind"] == "recording" for a in s["activities"]))
        [row] = recordings(client)
        data = timeline(client, row["id"], signin(client))
    texts = [n["textContent"] for e in data["cobrowse"] if e["type"] == 2
             for n in e["data"]["node"]["childNodes"][0]["childNodes"][0]["childNodes"]]
    assert texts == ["while recording"]
