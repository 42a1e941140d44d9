"""A relay process on PostgreSQL and Redis (``TANDEM_DATABASE_URL=postgresql+asyncpg://``,
``TANDEM_BROKER_URL=redis://``), both real servers started by the tests: an
inbound session with chat, a grant, a binary frame and a resume after a cut
network, everything reaching the customer and the rep through Redis Streams
and the session's record landing in PostgreSQL."""

from __future__ import annotations

import os

import httpx
import pytest

from server import protocol as p
from tests.conftest import LiveRelay
from tests.test_resume import OPEN, WsPeer, chats, close_peers, present, sign_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.anyio

REP_PASSWORD = "rep-password-1"


@pytest.fixture
def relay(tmp_path, postgres, redis_server, request):
    relay = LiveRelay(tmp_path, TANDEM_DATABASE_URL=postgres.new_database(),
                      TANDEM_BROKER_URL=redis_server.fresh_url()).start()
    yield relay
    relay.stop()
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        print(f"--- relay log ---\n{relay.log.read_text()}")


async def api(base: str, method: str, path: str, token: str | None = None, **kw) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=15) as http:
        return await http.request(method, path, headers=headers, **kw)


async def send_frame(peer: WsPeer, kind: int, stream: int, body: bytes) -> None:
    peer.seq += 1
    await peer.ws.send(p.FRAME_HEADER.pack(kind, stream, peer.seq) + body)


async def next_frame(peer: WsPeer) -> tuple[int, int, bytes]:
    for _ in range(200):
        got = await peer.next()
        if isinstance(got, bytes):
            kind, stream, seq = p.FRAME_HEADER.unpack_from(got)
            assert seq > peer.last_seq, f"stream went back: {seq} after {peer.last_seq}"
            peer.last_seq = seq  # a frame's seq is the receiver's stream position too
            return kind, stream, got[p.FRAME_HEADER.size:]
    raise AssertionError("no binary frame")


async def frames_both_ways(cus: WsPeer, rep: WsPeer, view: dict, control: dict) -> None:
    """The customer's page goes to the rep (cobrowse), the rep's click to the page (control)."""
    page = os.urandom(3000)
    await send_frame(cus, p.StreamKind.COBROWSE, view["stream"], page)
    assert await next_frame(rep) == (p.StreamKind.COBROWSE, view["stream"], page)
    click = b'{"type":"click","id":42}'
    await send_frame(rep, p.StreamKind.CONTROL, control["stream"], click)
    assert await next_frame(cus) == (p.StreamKind.CONTROL, control["stream"], click)


async def test_a_session_on_postgresql_and_redis(relay):
    base = relay.base
    admin = await sign_in(base)
    r = await api(base, "POST", "/api/admin/queues", admin, json={"name": "billing", "title": "Billing"})
    assert r.status_code == 201, r.text
    r = await api(base, "POST", "/api/admin/reps", admin, json={
        "email": "rita@example.com", "name": "Rita", "password": REP_PASSWORD, "queue_rep": True,
        "queues": ["billing"]})
    assert r.status_code == 201, r.text

    r = await api(base, "POST", "/api/help", json={"queue": "billing", "name": "Ann"})
    assert r.status_code == 200, r.text
    cus_token, sid = r.json()["token"], r.json()["session"]
    cus = await WsPeer.open(relay.ws_url, cus_token)
    await cus.expect("queue_position")
    rep = await WsPeer.open(relay.ws_url, await sign_in(base, "rita@example.com", REP_PASSWORD))
    await rep.send("accept_next")
    await rep.expect("session_state", session=sid, state="active")
    cus_pid = cus.welcome["pid"]

    # chat both ways
    await cus.send("chat", session=sid, text="my invoice is wrong")
    await rep.expect("chat_message", text="my invoice is wrong")
    await rep.send("chat", session=sid, text="let me look")
    await cus.expect("chat_message", text="let me look")

    # a grant: the rep asks to control the page, the customer allows it
    await rep.send("request_grant", session=sid, kind="control", scope="tab")
    pending = await cus.expect("session_state", where=lambda m: any(
        g["kind"] == "control" and g["state"] == "pending" for g in m["grants"]))
    gid = next(g["id"] for g in pending["grants"] if g["kind"] == "control")
    await cus.send("decide_grant", session=sid, grant=gid, approve=True)
    state = await cus.expect("session_state", where=lambda m: any(
        a["kind"] == "control" for a in m["activities"]))
    view = next(a for a in state["activities"] if a["kind"] == "view")
    control = next(a for a in state["activities"] if a["kind"] == "control")

    # binary frames both ways: the page to the rep, the rep's input to the page
    await frames_both_ways(cus, rep, view, control)

    # the customer's network drops; what the rep sends meanwhile waits in Redis
    await cus.fence()
    cus.cut()
    await rep.expect("session_state", where=lambda m: present(m, cus_pid) is False)
    missed = ["are you there?", "I will wait"]
    for text in missed:
        await rep.send("chat", session=sid, text=text)
    await send_frame(rep, p.StreamKind.CONTROL, control["stream"], b"while away")
    await rep.fence()
    back = await WsPeer.open(relay.ws_url, cus_token, resume=cus.welcome["resume"], last_seq=cus.last_seq)
    assert back.welcome["resumed"] is True
    back.last_seq, back.seq = cus.last_seq, back.welcome["client_seq"]
    got = await back.fence()
    assert chats(got) == missed
    assert [x[p.FRAME_HEADER.size:] for x in got if isinstance(x, bytes)] == [b"while away"]
    await rep.expect("session_state", where=lambda m: present(m, cus_pid) is True)
    await back.send("chat", session=sid, text="back again")
    await rep.expect("chat_message", text="back again")
    await rep.send("end_session", session=sid)
    await back.expect("session_ended")

    # the record, from PostgreSQL
    r = await api(base, "GET", f"/api/sessions/{sid}", admin)
    assert r.status_code == 200, r.text
    record = r.json()
    assert [c["text"] for c in record["chat"]] == ["my invoice is wrong", "let me look", *missed, "back again"]
    assert [g["grant_id"] for g in record["grants"] if g["kind"] == "control"] == [gid]
    assert record["state"] == "ended"
    r = await api(base, "GET", "/api/admin/audit", admin, params={"session": sid})
    assert r.status_code == 200, r.text
    decisions = [e["data"]["state"] for e in r.json()["entries"]
                 if e["action"] == "grant.changed" and e["data"]["grant_id"] == gid]
    assert decisions == ["pending", "approved", "revoked"]  # revoked: the session ended
