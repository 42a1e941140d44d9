"""Recordings in a cluster (server/recording/nodes.py): the node owning the
desk writes them in the shared folder, with the frames that enter any node;
when it dies, the node taking the desk over goes on with the same file and
store row. PostgreSQL, Redis and HAProxy are real (tests/cluster/harness.py)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from redis import Redis

from server import protocol as p
from server.recording.file import read_records
from server.recording.read import VIDEO_RECORD
from tests.cluster.test_backends import api, next_frame, send_frame
from tests.cluster.test_nodes import customer, rep_peer, team
from tests.test_recording import rrweb, tile
from tests.test_resume import OPEN, WsPeer, close_peers, sign_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.anyio


async def accept(rep: WsPeer, sid: str) -> dict:
    """The rep takes the customer; returns the view of the customer's tab (a
    queue's customers share it when taken)."""
    await rep.send("accept_next")
    state = await rep.expect("session_state", session=sid, state="active",
                             where=lambda m: any(a["kind"] == "view" for a in m["activities"]))
    return next(a for a in state["activities"] if a["kind"] == "view")


async def start_recording(rep: WsPeer, cus: WsPeer, sid: str) -> int:
    """The rep records the session; returns the recording activity's id once
    the customer's node has it too (the customer's next chat line went
    through that node's replica of the desk)."""
    await rep.send("start_activity", session=sid, kind="recording")
    state = await cus.expect("session_state", where=lambda m: any(a["kind"] == "recording" for a in m["activities"]))
    await cus.send("chat", session=sid, text="are you recording this?")
    await cus.expect("chat_message", text="are you recording this?")
    return next(a["id"] for a in state["activities"] if a["kind"] == "recording")


async def show(cus: WsPeer, rep: WsPeer, stream: int, text: str) -> None:
    """The customer's page says ``text``; the rep sees it."""
    page = rrweb(text, time.time())
    await send_frame(cus, p.StreamKind.COBROWSE, stream, page)
    assert await next_frame(rep) == (p.StreamKind.COBROWSE, stream, page)


async def until_written(path: Path, text: bytes) -> None:
    """Until the recording file holds a frame saying ``text``."""
    deadline = time.monotonic() + 20
    while not (path.exists() and any(text in payload for _at, _kind, _stream, payload in read_records(path))):
        assert time.monotonic() < deadline, f"{text!r} not written to {path.name}"
        await asyncio.sleep(0.1)


async def finished_recording(base: str, token: str, sid: str) -> dict:
    """The session's one recording, once its row says it ended."""
    deadline = time.monotonic() + 20
    while True:
        r = await api(base, "GET", f"/api/recordings?session={sid}", token)
        assert r.status_code == 200, r.text
        rows = r.json()
        if rows and rows[0]["ended_at"] is not None:
            assert len(rows) == 1, rows
            return rows[0]
        assert time.monotonic() < deadline, f"the recording of {sid} did not end: {rows}"
        await asyncio.sleep(0.2)


async def pages(base: str, token: str, rid: int) -> dict:
    """The texts of the pages a recording's cobrowse replay shows, its chat and its last event."""
    r = await api(base, "GET", f"/api/recordings/{rid}", token)
    assert r.status_code == 200, r.text
    data = r.json()
    texts = [n["textContent"] for e in data["cobrowse"] if e["type"] == 2
             for n in e["data"]["node"]["childNodes"][0]["childNodes"][0]["childNodes"]]
    last = data["events"][-1]
    return {"pages": texts, "chat": [c["text"] for c in data["chat"]],
            "last_event": {k: last[k] for k in ("action", "activity_id", "reason") if k in last}}


async def test_the_owner_records_the_pages_of_a_customer_on_another_node(cluster):
    c = cluster
    await team(c.base, "Rita")
    cus, sid, _ = await customer(c.node_base(1), c.node_ws(1))  # node 0 started first: it owns the desk
    rep = await rep_peer(c.node_base(0), c.node_ws(0), "Rita")
    view = await accept(rep, sid)

    await show(cus, rep, view["stream"], "before the recording")
    await send_frame(cus, p.StreamKind.RECORD, view["stream"], tile(8, 6))
    assert (await cus.expect("error", ref=cus.seq))["code"] == "not_allowed"  # nothing is being recorded
    activity = await start_recording(rep, cus, sid)
    await show(cus, rep, view["stream"], "Account settings")
    await send_frame(cus, p.StreamKind.RECORD, view["stream"], tile(8, 6))  # for the recorder only
    await show(cus, rep, view["stream"], "Payment methods")
    await rep.send("stop_activity", session=sid, activity=activity)
    await cus.expect("session_state", where=lambda m: not any(a["kind"] == "recording" for a in m["activities"]))
    await cus.send("chat", session=sid, text="did you stop?")
    await cus.expect("chat_message", text="did you stop?")
    await show(cus, rep, view["stream"], "after the recording")

    admin = await sign_in(c.base)
    row = await finished_recording(c.node_base(1), admin, sid)
    assert row["bytes"] > 0
    got = await pages(c.node_base(1), admin, row["id"])
    assert got == {"pages": ["Account settings", "Payment methods"], "chat": ["are you recording this?"],
                   "last_event": {"action": "activity.ended", "activity_id": activity, "reason": "stopped"}}
    assert (c.var / "recordings" / sid / f"{activity}.tdr").stat().st_size == row["bytes"]
    r = await api(c.node_base(0), "GET", f"/api/recordings/{row['id']}/video", admin)
    assert r.status_code == 200, r.text
    assert r.content[VIDEO_RECORD.size:] == tile(8, 6)
    assert VIDEO_RECORD.unpack_from(r.content)[1:] == (view["stream"], len(tile(8, 6)))


async def recording_on_node_1(c) -> tuple[WsPeer, WsPeer, str, int, int, list[str]]:
    """A customer and a rep on node 1, recorded by node 0 (the desk's owner),
    which wrote five pages to the file. Returns (customer, rep, session,
    view stream, recording activity, the pages shown)."""
    await team(c.base, "Rita")
    cus, sid, _ = await customer(c.node_base(1), c.node_ws(1))
    rep = await rep_peer(c.node_base(1), c.node_ws(1), "Rita")
    stream = (await accept(rep, sid))["stream"]
    activity = await start_recording(rep, cus, sid)
    shown = []
    for i in range(5):
        shown.append(f"page {i}")
        await show(cus, rep, stream, shown[-1])
    await until_written(c.var / "recordings" / sid / f"{activity}.tdr", b"page 4")
    return cus, rep, sid, stream, activity, shown


async def test_a_recording_goes_on_when_the_owner_is_killed(cluster):
    c = cluster
    lease = Redis.from_url(c.broker_url)
    owner_before = lease.get("tandem:owner")  # node 0's: it started first
    cus, rep, sid, stream, activity, shown = await recording_on_node_1(c)

    c.kill(0)
    await rep.send("chat", session=sid, text="is it still recording?")  # applied by node 1 while nobody owns the desk
    for i in range(5, 10):  # while nobody owns the desk: to the recording's channel
        shown.append(f"page {i}")
        await show(cus, rep, stream, shown[-1])
    # only the desk's owner publishes: once this signal (not recorded) arrives, node 1 owns the desk
    await rep.send("signal", session=sid, to=cus.welcome["pid"], data={"type": "hello"})
    await cus.expect("signal", session=sid)
    assert lease.get("tandem:owner") not in (None, owner_before)
    for i in range(10, 15):  # node 1 writes them itself
        shown.append(f"page {i}")
        await show(cus, rep, stream, shown[-1])
    await rep.send("chat", session=sid, text="still recording")
    await cus.expect("chat_message", text="still recording")
    await rep.send("end_session", session=sid)
    await cus.expect("session_ended")

    admin = await sign_in(c.node_base(1))
    row = await finished_recording(c.node_base(1), admin, sid)
    got = await pages(c.node_base(1), admin, row["id"])
    assert got["pages"] == shown  # before, during and after the failover, each once
    assert got["chat"] == ["are you recording this?", "is it still recording?", "still recording"]
    assert got["last_event"] == {"action": "activity.ended", "activity_id": activity, "reason": "session ended"}


async def test_a_session_ended_while_its_owner_is_dead_keeps_every_page_of_its_recording(cluster):
    c = cluster
    cus, rep, sid, stream, activity, shown = await recording_on_node_1(c)

    c.kill(0)
    for i in range(5, 10):
        shown.append(f"page {i}")
        await show(cus, rep, stream, shown[-1])
    await rep.send("chat", session=sid, text="thanks, bye")
    await rep.send("end_session", session=sid)  # most likely before node 1 took the desk over
    await cus.expect("session_ended")

    admin = await sign_in(c.node_base(1))
    row = await finished_recording(c.node_base(1), admin, sid)
    assert await pages(c.node_base(1), admin, row["id"]) == {
        "pages": shown, "chat": ["are you recording this?", "thanks, bye"],
        "last_event": {"action": "activity.ended", "activity_id": activity, "reason": "session ended"}}
