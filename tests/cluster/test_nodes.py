"""Several relay nodes sharing live sessions (server/cluster): PostgreSQL,
Redis and HAProxy are real servers started by the tests (tests/backends.py,
tests/cluster/harness.py). A customer and a rep on different nodes work
together as on one relay; a queue seen from two nodes gives each customer to
one rep; a node killed mid-session loses nothing: its clients resume through
HAProxy on another node, which takes the desk over."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time

import pytest
from redis import Redis
from websockets.exceptions import ConnectionClosed

from server import protocol as p
from tests.cluster.test_backends import api, frames_both_ways, next_frame, send_frame
from tests.conftest import ADMIN_EMAIL
from tests.test_resume import OPEN, WsPeer, chats, close_peers, present, sign_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.anyio

REP_PASSWORD = "rep-password-1"
CLOSE_SLOW = 4008


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


async def customer(base: str, ws_url: str, name: str = "Ann", position: int | None = None
                   ) -> tuple[WsPeer, str, str]:
    """A customer asks for help through ``base`` and connects to ``ws_url``
    (and is told its ``position`` in line, when given)."""
    r = await api(base, "POST", "/api/help", json={"queue": "billing", "name": name})
    assert r.status_code == 200, r.text
    token, sid = r.json()["token"], r.json()["session"]
    peer = await WsPeer.open(ws_url, token)
    told = await peer.expect("queue_position")
    if position is not None:
        assert told["position"] == position
    return peer, sid, token


async def session_taken(c, cus_node: int, rep_node: int) -> tuple[WsPeer, str, str, WsPeer]:
    """Rita's team; a customer asks for help on ``cus_node`` and Rita, on
    ``rep_node``, takes them: the customer, session, customer token and Rita."""
    await team(c.base, "Rita")
    cus, sid, token = await customer(c.node_base(cus_node), c.node_ws(cus_node))
    rep = await rep_peer(c.node_base(rep_node), c.node_ws(rep_node), "Rita")
    await rep.send("accept_next")
    await rep.expect("session_state", session=sid, state="active")
    return cus, sid, token, rep


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
    cus, sid, cus_token, rep = await session_taken(c, 0, 1)

    await cus.send("chat", session=sid, text="my invoice is wrong")
    await rep.expect("chat_message", text="my invoice is wrong")
    await rep.send("chat", session=sid, text="let me look")
    await cus.expect("chat_message", text="let me look")

    # cobrowse: the page goes to the rep, the rep's clicks to the page
    control = await grant(rep, cus, sid, "control", "tab")
    view = next(a for a in (await cus.expect("session_state", where=lambda m: any(
        a["kind"] == "control" for a in m["activities"])))["activities"] if a["kind"] == "view")
    await frames_both_ways(cus, rep, view, control)

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


async def reopen(url: str, token: str, peer: WsPeer, within: float = 15.0) -> WsPeer:
    """Resume ``peer`` through ``url`` as a client does after its node died:
    try again until the load balancer has a live node for it."""
    deadline = time.monotonic() + within
    while True:
        try:
            return await WsPeer.open(url, token, resume=peer.welcome["resume"], last_seq=peer.last_seq)
        except (OSError, AssertionError, TimeoutError) as exc:  # refused, or a node going down answered
            if time.monotonic() > deadline:
                raise AssertionError(f"could not resume within {within} s: {exc!r}") from None
            await asyncio.sleep(0.2)


async def read_until(peer: WsPeer, done, limit: int = 2000) -> list:
    """Everything ``peer`` receives up to and including the first that ``done`` accepts."""
    got = []
    for _ in range(limit):
        msg = await peer.next()
        got.append(msg)
        if done(msg):
            return got
    raise AssertionError(f"not done after {limit} messages")


def is_chat(text: str):
    return lambda m: isinstance(m, dict) and m["type"] == "chat_message" and m["text"] == text


async def test_the_owner_killed_mid_session_loses_nothing_and_its_clients_resume_elsewhere(cluster):
    c = cluster
    lease = Redis.from_url(c.broker_url)
    owner_before = lease.get("tandem:owner")
    assert owner_before is not None
    cus, sid, cus_token, rep = await session_taken(c, 0, 1)  # node 0 started first: it owns the desk
    control = await grant(rep, cus, sid, "control", "tab")

    cus_got, rep_got = [], []
    for i in range(5):
        await cus.send("chat", session=sid, text=f"c{i}")
        await rep.send("chat", session=sid, text=f"r{i}")
    rep_got += await read_until(rep, is_chat("c4"))
    cus_got += await read_until(cus, is_chat("r4"))

    # the customer says more as its node dies: whether those arrived is for the relay to say on resume
    unconfirmed = {}
    for i in range(5, 8):
        unconfirmed[await cus.send("chat", session=sid, text=f"c{i}")] = f"c{i}"
    c.kill(0)
    killed = time.monotonic()
    for i in range(5, 10):  # the rep goes on meanwhile, through node 1
        await rep.send("chat", session=sid, text=f"r{i}")
        await send_frame(rep, p.StreamKind.CONTROL, control["stream"], f"click {i}".encode())

    back = await reopen(c.ws_url, cus_token, cus)
    assert back.welcome["resumed"] is True
    back.last_seq = cus.last_seq
    for seq, text in unconfirmed.items():  # resent with their own seqs: taken at most once
        if seq > back.welcome["client_seq"]:
            await back.ws.send(json.dumps({"type": "chat", "seq": seq, "session": sid, "text": text}))
    back.seq = cus.seq
    await back.send("chat", session=sid, text="c8")
    cus_got += await read_until(back, is_chat("r9"))
    resumed_in = time.monotonic() - killed
    rep_got += await read_until(rep, is_chat("c8"))

    # nothing lost, nothing twice, in order; the grant, the customer and the control stream are still there
    for got in (cus_got, rep_got):  # each side sees every line (its own too) once
        assert len(chats(got)) == len(set(chats(got))), chats(got)
    assert [t for t in chats(cus_got) if t.startswith("r")] == [f"r{i}" for i in range(10)]
    assert [t for t in chats(rep_got) if t.startswith("c")] == [f"c{i}" for i in range(9)]
    frames = [x[p.FRAME_HEADER.size:] for x in cus_got if isinstance(x, bytes)]
    await back.send("chat", session=sid, text="still here")
    rest = await read_until(back, is_chat("still here"))
    frames += [x[p.FRAME_HEADER.size:] for x in rest if isinstance(x, bytes)]
    assert frames == [f"click {i}".encode() for i in range(5, 10)]
    await rep.send("chat", session=sid, text="after")  # and nothing came twice behind the marker either
    assert [t for t in chats(await read_until(back, is_chat("after"))) if t[0] in "cr"] == []
    rep_got += await read_until(rep, is_chat("after"))
    state = [m for m in rep_got if isinstance(m, dict) and m["type"] == "session_state" and m["session"] == sid][-1]
    assert present(state, back.welcome["pid"]) is True
    assert any(a["kind"] == "control" and a["stream"] == control["stream"] for a in state["activities"])
    assert lease.get("tandem:owner") not in (None, owner_before)  # node 1 took the desk over
    assert resumed_in < 15

    await send_frame(rep, p.StreamKind.CONTROL, control["stream"], b"after the failover")
    assert await next_frame(back) == (p.StreamKind.CONTROL, control["stream"], b"after the failover")
    await rep.send("end_session", session=sid)
    await back.expect("session_ended")
    admin = await sign_in(c.base)
    r = await api(c.base, "GET", f"/api/sessions/{sid}", admin)
    assert r.status_code == 200, r.text
    texts = [x["text"] for x in r.json()["chat"]]
    assert sorted(texts) == sorted([f"c{i}" for i in range(9)] + [f"r{i}" for i in range(10)]
                                   + ["still here", "after"])


@pytest.mark.parametrize("cluster", [{"nodes": 2, "partitionable": [0]}], indirect=True)
async def test_a_node_cut_from_redis_tells_its_clients_loses_the_desk_and_rejoins(cluster):
    c = cluster
    lease = Redis.from_url(c.broker_url)
    owner_before = lease.get("tandem:owner")
    cus, sid, cus_token, rep = await session_taken(c, 0, 1)  # on node 0, which owns the desk
    await cus.send("chat", session=sid, text="c0")
    await read_until(rep, is_chat("c0"))
    cus_got = await read_until(cus, is_chat("c0"))

    c.partition(0)
    gone = await read_until(cus, lambda m: isinstance(m, dict) and m["type"] == "error")
    assert gone[-1]["code"] == "unavailable"
    cus_got += gone
    r = await api(c.node_base(0), "POST", "/api/help", json={"queue": "billing", "name": "Cy"})
    assert (r.status_code, r.json()["error"]["code"]) == (503, "unavailable")  # no new sessions there meanwhile
    for i in range(3):
        await rep.send("chat", session=sid, text=f"r{i}")
    c.wait_down(0)  # its health check fails: HAProxy sends nobody there
    back = await reopen(c.ws_url, cus_token, cus)
    assert back.welcome["resumed"] is True
    back.last_seq = cus.last_seq
    back.seq = cus.seq
    cus_got += await read_until(back, is_chat("r2"))
    assert lease.get("tandem:owner") not in (None, owner_before)  # node 1 took the desk: node 0 cannot publish

    c.heal(0)
    c.wait_up(0)
    # node 0 is back, as a replica: a new customer through it reaches the rep on node 1
    other, sid2, _ = await customer(c.node_base(0), c.node_ws(0), "Bo")
    await rep.send("accept_next")
    await rep.expect("session_state", session=sid2, state="active")
    await other.send("chat", session=sid2, text="hello from node 0")
    await read_until(rep, is_chat("hello from node 0"))
    await rep.send("chat", session=sid, text="r3")
    cus_got += await read_until(back, is_chat("r3"))
    assert [t for t in chats(cus_got) if t.startswith("r")] == ["r0", "r1", "r2", "r3"]  # nothing twice


async def taken(rep: WsPeer, asked: set[int]) -> set[str]:
    """Sessions ``rep`` became primary of, once each of its ``asked`` accept_next got an answer."""
    mine: set[str] = set()
    refused: set[int] = set()
    while len(mine) + len(refused) < len(asked):
        msg = await rep.next()
        if isinstance(msg, bytes):
            continue
        if msg["type"] == "error" and msg.get("ref") in asked:
            assert msg["code"] == "not_found", msg
            refused.add(msg["ref"])
        elif msg["type"] == "session_state" and msg["state"] == "active" and any(
                x["pid"] == msg["you"] and x["role"] == "primary" for x in msg["participants"]):
            mine.add(msg["session"])
    return mine


async def test_a_queue_seen_from_two_nodes_gives_each_customer_to_exactly_one_rep(cluster):
    c = cluster
    await team(c.base, "Rita", "Sam")
    reps = [await rep_peer(c.node_base(i), c.node_ws(i), name) for i, name in enumerate(("Rita", "Sam"))]
    waiting = set()
    for i in range(6):
        _peer, sid, _ = await customer(c.node_base(i % 2), c.node_ws(i % 2), f"Customer {i}")
        waiting.add(sid)
    asked: list[set[int]] = [set(), set()]
    for _ in range(4):  # both reps press "Accept next" at once, four times each: 8 tries for 6 customers
        for rep, mine in zip(reps, asked, strict=True):
            mine.add(await rep.send("accept_next"))
    got = [await taken(rep, mine) for rep, mine in zip(reps, asked, strict=True)]
    assert got[0].isdisjoint(got[1])  # nobody was given to both
    assert got[0] | got[1] == waiting  # and everybody to one of them
    assert len(got[0]) + len(got[1]) == 6


async def test_automatic_routing_across_nodes_offers_each_customer_to_one_rep_at_a_time(cluster):
    c = cluster
    await team(c.base, "Rita", "Sam", routing="automatic")
    reps = [await rep_peer(c.node_base(i), c.node_ws(i), name) for i, name in enumerate(("Rita", "Sam"))]
    for rep in reps:
        await rep.send("set_availability", available=True)
    sids = []
    for i in range(2):
        _peer, sid, _ = await customer(c.node_base(1 - i), c.node_ws(1 - i), f"Customer {i}")
        sids.append(sid)
    offers = [await rep.expect("offer") for rep in reps]
    assert sorted(o["session"] for o in offers) == sorted(sids)  # one each: the longest idle first, then the other
    for rep, offer in zip(reps, offers, strict=True):
        await rep.send("accept_offer", session=offer["session"])
        await rep.expect("session_state", session=offer["session"], state="active")


async def test_waiting_customers_keep_their_place_when_the_owner_dies(cluster):
    c = cluster
    await team(c.base, "Rita")
    first, sid1, token1 = await customer(c.node_base(0), c.node_ws(0), "First", position=1)  # on the owner
    second, sid2, _ = await customer(c.node_base(1), c.node_ws(1), "Second", position=2)
    c.kill(0)
    back = await reopen(c.ws_url, token1, first)
    assert back.welcome["resumed"] is True
    rep = await rep_peer(c.base, c.ws_url, "Rita")
    await rep.send("accept_next")
    await rep.expect("session_state", session=sid1, state="active")  # the first in line is still first
    assert (await second.expect("queue_position"))["position"] == 1
    await rep.send("accept_next")
    await rep.expect("session_state", session=sid2, state="active")


@pytest.mark.parametrize("cluster", [{"nodes": 2, "TANDEM_JOIN_ATTEMPTS": "3", "TANDEM_SIGNIN_ATTEMPTS": "2"}],
                         indirect=True)
async def test_rate_limits_count_attempts_on_every_node_together(cluster):
    c = cluster
    answers = []
    for i in range(4):  # a guesser of session numbers going round the nodes
        r = await api(c.node_base(i % 2), "POST", "/api/join", json={"number": "123456789", "name": "Guess"})
        answers.append(r.status_code)
    assert answers == [404, 404, 404, 429]
    r = await api(c.node_base(0), "POST", "/api/join", json={"number": "123456789", "name": "Guess"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0

    wrong = []
    for i in range(4):  # wrong passwords for one account from one address, on alternate nodes
        r = await api(c.node_base(i % 2), "POST", "/api/signin", json={"email": ADMIN_EMAIL,
                                                                       "password": f"guess {i}"})
        wrong.append(r.status_code)
    assert wrong[:2] == [401, 401] and 429 in wrong[2:]  # two free tries in all, not two per node


async def test_a_node_started_again_catches_up_with_the_live_sessions(cluster):
    c = cluster
    cus, sid, _, rep = await session_taken(c, 0, 0)
    c.kill(1)
    await cus.send("chat", session=sid, text="while node 1 was down")
    await read_until(rep, is_chat("while node 1 was down"))
    c.restart(1)  # it loads the owner's snapshot and the inputs after it
    c.wait_up(1)
    again = await rep_peer(c.node_base(1), c.node_ws(1), "Rita")  # the rep's second console, on node 1
    await again.expect("session_state", session=sid, state="active")
    await cus.send("chat", session=sid, text="both consoles")
    await read_until(again, is_chat("both consoles"))


GRACE = 3.0


@pytest.mark.parametrize("cluster", [{"nodes": 2, "TANDEM_HISTORY_MESSAGES": "8", "TANDEM_HISTORY_GRACE": str(GRACE)}],
                         indirect=True)
async def test_a_node_that_stood_still_catches_up_or_closes_its_client_which_resyncs(cluster):
    """Node 1 stands still (SIGSTOP: a long collection, a starved core) while
    the rep on node 0 sends the customer on node 1 more than a channel's
    history keeps. Back within the grace, node 1 delivers all of it. Back
    after it, node 1 finds the hole: the customer is closed as a slow
    receiver, not left connected to a stream that no longer reaches it, and
    resuming is told to resync and gets what comes next."""
    c = cluster
    cus, sid, cus_token, rep = await session_taken(c, 1, 0)
    stalled = c.nodes[1].proc

    async def while_stalled(lines: list[str], longer_than_the_grace: bool) -> None:
        stalled.send_signal(signal.SIGSTOP)
        try:
            for text in lines:
                await rep.send("chat", session=sid, text=text)
            await read_until(rep, is_chat(lines[-1]))  # published while node 1 stood still
            if longer_than_the_grace:
                await asyncio.sleep(GRACE + 0.5)
                await rep.send("chat", session=sid, text="late")  # its publish trims to the history
                await read_until(rep, is_chat("late"))
        finally:
            stalled.send_signal(signal.SIGCONT)

    lines = [f"a{i}" for i in range(20)]
    await while_stalled(lines, False)
    got = await read_until(cus, is_chat("a19"))
    assert chats(got) == lines and not [m for m in got if isinstance(m, dict) and m["type"] == "error"]

    await while_stalled([f"b{i}" for i in range(20)], True)
    with pytest.raises(ConnectionClosed) as closed:
        await read_until(cus, lambda m: False)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_SLOW
    back = await reopen(c.node_ws(1), cus_token, cus)
    told = await read_until(back, lambda m: isinstance(m, dict) and m["type"] == "error")
    assert told[-1]["code"] == "resync"
    await rep.send("chat", session=sid, text="after")
    await read_until(back, is_chat("after"))
