"""Several relay nodes sharing live sessions (server/cluster): PostgreSQL,
Redis and HAProxy are real servers started by the tests (tests/backends.py,
tests/cluster/harness.py). A customer and a rep on different nodes work
together as on one relay; a queue seen from two nodes gives each customer to
one rep; a node killed mid-session loses nothing: its clients resume through
HAProxy on another node, which takes the desk over."""

from __future__ import annotations

import os

import pytest

from server import protocol as p
from tests.cluster.test_backends import api, next_frame, send_frame
from tests.test_resume import OPEN, WsPeer, chats, close_peers, present, sign_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.anyio

REP_PASSWORD = "rep-password-1"


async def team(base: str, *reps: str, routing: str = "manual") -> str:
    """The admin makes the queue 'billing' and a queue rep per name; returns the admin's token."""
    admin = await sign_in(base)
    r = await api(base, "POST", "/api/admin/queues", admin,
                  json={"name": "billing", "title": "Billing", "routing": routing})
    assert r.status_code == 201, r.text
    for name in reps:
        r = await api(base, "POST", "/api/admin/reps", admin, json={
            "email": f"{name.lower()}@example.com", "name": name, "password": REP_PASSWORD, "queue_rep": True,
            "queues": ["billing"], "max_customers": 5, "multi_session": True})
        assert r.status_code == 201, r.text
    return admin


async def rep_peer(base: str, ws_url: str, name: str) -> WsPeer:
    return await WsPeer.open(ws_url, await sign_in(base, f"{name.lower()}@example.com", REP_PASSWORD))


async def customer(base: str, ws_url: str, name: str = "Ann") -> tuple[WsPeer, str, str]:
    """A customer asks for help through ``base`` and connects to ``ws_url``."""
    r = await api(base, "POST", "/api/help", json={"queue": "billing", "name": name})
    assert r.status_code == 200, r.text
    token, sid = r.json()["token"], r.json()["session"]
    peer = await WsPeer.open(ws_url, token)
    await peer.expect("queue_position")
    return peer, sid, token


async def grant(rep: WsPeer, cus: WsPeer, sid: str, kind: str, scope: str) -> dict:
    """The rep asks, the customer allows; returns the activity the grant started."""
    await rep.send("request_grant", session=sid, kind=kind, scope=scope)
    pending = await cus.expect("session_state", where=lambda m: any(
        g["kind"] == kind and g["scope"] == scope and g["state"] == "pending" for g in m["grants"]))
    gid = next(g["id"] for g in pending["grants"] if g["kind"] == kind and g["state"] == "pending")
    await cus.send("decide_grant", session=sid, grant=gid, approve=True)
    wanted = "control" if kind == "control" else kind
    state = await rep.expect("session_state", where=lambda m: any(
        a["kind"] == wanted and a.get("scope") == scope for a in m["activities"]))
    return next(a for a in state["activities"] if a["kind"] == wanted and a.get("scope") == scope)


async def test_a_customer_on_one_node_and_a_rep_on_another_work_as_on_one_relay(cluster):
    c = cluster
    await team(c.base, "Rita")
    cus, sid, cus_token = await customer(c.node_base(0), c.node_ws(0))
    rep = await rep_peer(c.node_base(1), c.node_ws(1), "Rita")
    await rep.send("accept_next")
    await rep.expect("session_state", session=sid, state="active")

    await cus.send("chat", session=sid, text="my invoice is wrong")
    await rep.expect("chat_message", text="my invoice is wrong")
    await rep.send("chat", session=sid, text="let me look")
    await cus.expect("chat_message", text="let me look")

    # cobrowse: the page goes to the rep, the rep's clicks to the page
    control = await grant(rep, cus, sid, "control", "tab")
    view = next(a for a in (await cus.expect("session_state", where=lambda m: any(
        a["kind"] == "control" for a in m["activities"])))["activities"] if a["kind"] == "view")
    page = os.urandom(3000)
    await send_frame(cus, p.StreamKind.COBROWSE, view["stream"], page)
    assert await next_frame(rep) == (p.StreamKind.COBROWSE, view["stream"], page)
    click = b'{"type":"click","id":42}'
    await send_frame(rep, p.StreamKind.CONTROL, control["stream"], click)
    assert await next_frame(cus) == (p.StreamKind.CONTROL, control["stream"], click)

    # the customer's Support Manager: a code from node 1, paired through node 0, connected to node 1
    r = await api(c.node_base(1), "POST", f"/api/sessions/{sid}/pairing", cus_token)
    assert r.status_code == 200, r.text
    number = r.json()["number"].replace(" ", "")
    r = await api(c.node_base(0), "POST", "/api/agent/pair", json={"number": number, "code": r.json()["code"],
                                                                   "name": "Ann's PC"})
    assert r.status_code == 200, r.text
    agent = await WsPeer.open(c.node_ws(1), r.json()["token"])
    assert agent.welcome["role"] == "agent"
    await rep.expect("session_state", where=lambda m: present(m, agent.welcome["pid"]) is True)

    # the desktop over the relay path, and a file
    desktop = await grant(rep, cus, sid, "view", "desktop")
    picture = os.urandom(20_000)
    await send_frame(agent, p.StreamKind.FRAMES, desktop["stream"], picture)
    assert await next_frame(rep) == (p.StreamKind.FRAMES, desktop["stream"], picture)
    files = await grant(rep, cus, sid, "files", "desktop")
    await rep.send("file_request", session=sid, activity=files["id"], request=1, op="read", path="/notes.txt")
    asked = await agent.expect("file_message", where=lambda m: m["message"]["type"] == "file_request")
    assert (asked["message"]["op"], asked["message"]["path"]) == ("read", "/notes.txt")
    chunk = b"the customer's notes\n" * 100
    await send_frame(agent, p.StreamKind.FILE, files["stream"], chunk)
    assert await next_frame(rep) == (p.StreamKind.FILE, files["stream"], chunk)

    await rep.send("end_session", session=sid)
    await cus.expect("session_ended")
    admin = await sign_in(c.base)
    r = await api(c.base, "GET", f"/api/sessions/{sid}", admin)
    assert r.status_code == 200, r.text
    assert [x["text"] for x in r.json()["chat"]] == ["my invoice is wrong", "let me look"]
    assert r.json()["state"] == "ended"
