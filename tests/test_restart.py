"""A relay restart keeps everything (server/relay.py `start`/`stop`, the
store, `Desk.restore`): reps, queues, live sessions and their number,
customers' links, the session record and the audit log. On SQLite and on
PostgreSQL (`database_url` runs each test on both)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import LiveRelay as Relay
from tests.test_resume import OPEN, WsPeer, chats, close_peers, present, sign_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.anyio

REP_PASSWORD = "rep-password-1"


async def api(base: str, method: str, path: str, token: str | None = None, **kw) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=15) as http:
        return await http.request(method, path, headers=headers, **kw)


@pytest.fixture
def live_relay(tmp_path, database_url):
    relay = Relay(tmp_path, TANDEM_DATABASE_URL=database_url).start()
    yield relay
    relay.stop()


@pytest.fixture
async def second_relay(tmp_path, database_url):
    """Started by the test, on the first relay's var dir and database, once the first has stopped."""
    relays: list[Relay] = []

    def start() -> Relay:
        relays.append(Relay(tmp_path, TANDEM_DATABASE_URL=database_url).start())
        return relays[-1]

    yield start
    for r in relays:
        r.stop()


async def test_a_restart_keeps_the_live_session_and_its_record(live_relay, second_relay):
    base = live_relay.base
    admin = await sign_in(base)
    r = await api(base, "POST", "/api/admin/queues", admin, json={"name": "billing", "title": "Billing"})
    assert r.status_code == 201, r.text
    r = await api(base, "POST", "/api/admin/reps", admin, json={
        "email": "rita@example.com", "name": "Rita", "password": REP_PASSWORD,
        "queue_rep": True, "queues": ["billing"]})
    assert r.status_code == 201, r.text
    rita = await sign_in(base, "rita@example.com", REP_PASSWORD)

    r = await api(base, "POST", "/api/help", json={"queue": "billing", "name": "Ann"})
    assert r.status_code == 200, r.text
    cus_token, sid = r.json()["token"], r.json()["session"]
    cus = await WsPeer.open(live_relay.ws_url, cus_token)
    await cus.expect("queue_position")
    rep = await WsPeer.open(live_relay.ws_url, rita)
    await rep.send("accept_next")
    state = await rep.expect("session_state", state="active")
    assert state["session"] == sid
    number, cus_pid = state["number"], cus.welcome["pid"]

    await cus.send("chat", session=sid, text="my invoice is wrong")
    await rep.expect("chat_message", text="my invoice is wrong")
    await rep.send("chat", session=sid, text="let me look")
    await cus.expect("chat_message", text="let me look")
    await rep.send("note", session=sid, text="invoice 42: double charge")
    await rep.fence()

    live_relay.stop()  # while both are connected
    relay = second_relay()
    base = relay.base

    rita = await sign_in(base, "rita@example.com", REP_PASSWORD)
    rep = await WsPeer.open(relay.ws_url, rita)
    state = await rep.expect("session_state", session=sid)
    assert state["number"] == number and state["state"] == "active" and state["role"] == "primary"

    cus = await WsPeer.open(relay.ws_url, cus_token)
    assert cus.welcome["role"] == "customer" and cus.welcome["pid"] == cus_pid
    mine = await cus.expect("session_state", session=sid)
    assert mine["number"] == number
    await rep.expect("session_state", where=lambda m: present(m, cus_pid) is True)
    await cus.send("chat", session=sid, text="are you still there?")
    await rep.expect("chat_message", text="are you still there?")

    admin = await sign_in(base)
    r = await api(base, "GET", f"/api/sessions/{sid}", admin)
    assert r.status_code == 200, r.text
    record = r.json()
    assert [c["text"] for c in record["chat"]] == ["my invoice is wrong", "let me look", "are you still there?"]
    assert [n["text"] for n in record["notes"]] == ["invoice 42: double charge"]
    assert {(x["name"], x["role"]) for x in record["participants"]} == {("Rita", "primary"), ("Ann", "customer")}

    r = await api(base, "GET", "/api/admin/audit", admin, params={"session": sid})
    assert r.status_code == 200, r.text
    entries = r.json()["entries"]
    states = [e["data"]["state"] for e in entries if e["action"] == "session.state"]
    assert states[:2] == ["waiting", "active"]
    actions = {e["action"] for e in entries}
    assert {"session.created", "participant.joined", "chat.posted", "note.saved"} <= actions


async def test_after_a_restart_the_queue_and_the_rep_account_are_still_there(live_relay, second_relay):
    admin = await sign_in(live_relay.base)
    await api(live_relay.base, "POST", "/api/admin/queues", admin, json={"name": "billing", "title": "Billing"})
    await api(live_relay.base, "POST", "/api/admin/reps", admin, json={
        "email": "rita@example.com", "name": "Rita", "password": REP_PASSWORD,
        "queue_rep": True, "queues": ["billing"]})
    live_relay.stop()
    relay = second_relay()

    rep = await WsPeer.open(relay.ws_url, await sign_in(relay.base, "rita@example.com", REP_PASSWORD))
    assert rep.welcome["account"]["queues"] == ["billing"]
    r = await api(relay.base, "POST", "/api/help", json={"queue": "billing", "name": "Bo"})
    assert r.status_code == 200, r.text
    board = await rep.expect("queue_state", where=lambda m: m["queues"] and m["queues"][0]["waiting"])
    assert board["queues"][0]["waiting"][0]["name"] == "Bo"
