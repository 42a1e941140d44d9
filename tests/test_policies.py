"""Every policy on /admin/policies is enforced, and a test says so: the table
below names it for each policy (a new policy without one fails here). The
policies' own tests are below, those of recording in tests/test_recording.py."""

from __future__ import annotations

import importlib
import time

import pytest

from server.web import admin as admin_module
from tests.conftest import bearer, make_queue, signin
from tests.test_pages import page_signin
from tests.test_ws import Client, Live, live  # noqa: F401 (fixture)

ENFORCED_BY = {
    "auto_record": "tests.test_recording::test_auto_record_records_every_session_and_cannot_be_stopped",
    "recording_retention_days": "tests.test_recording::test_retention_deletes_old_recordings_and_their_files",
    "grant_timeout": "tests.test_policies::test_a_request_nobody_answers_expires_after_the_grant_timeout",
    "chat_with_customers": "tests.test_policies::test_chat_with_customers_off_stops_the_customers_chat",
    "assist_approval": "tests.security.test_assist::test_under_the_approval_policy_the_primary_decides",
}


@pytest.fixture
def admin(client) -> str:
    return signin(client)


def test_every_policy_is_enforced_by_a_named_test():
    assert sorted(ENFORCED_BY) == sorted(admin_module.POLICY_DEFAULTS)
    for ref in ENFORCED_BY.values():
        module, name = ref.split("::")
        assert callable(getattr(importlib.import_module(module), name, None)), ref


def test_the_admin_page_offers_every_policy_and_nothing_else(client):
    page_signin(client)
    html = client.get("/admin/policies").text
    for name in admin_module.POLICY_DEFAULTS:
        assert f'name="{name}"' in html, name
    assert 'name="offer_timeout"' not in html  # each queue has its own (/admin/queues)


# --- chat with customers ------------------------------------------------------------


def test_chat_with_customers_off_stops_the_customers_chat(client, admin, live):  # noqa: F811
    r = client.put("/api/admin/policies", headers=bearer(admin), json={"chat_with_customers": False})
    assert r.status_code == 200 and r.json()["chat_with_customers"] is False
    live.cus.expect("session_state", customer_chat=False)
    live.rep.expect("session_state", customer_chat=False)

    seq = live.cus.send("chat", session=live.sid, text="hello, anyone?")
    assert live.cus.error("chat_off")["ref"] == seq
    seq = live.rep.send("chat", session=live.sid, text="hi Ann")
    assert "reps only" in live.rep.error("chat_off")["message"]
    live.rep.send("chat", session=live.sid, text="note to the team", reps_only=True)
    live.rep.expect("chat_message", text="note to the team")
    assert not [m for m in live.cus.fence() if isinstance(m, dict) and m["type"] == "chat_message"]

    client.put("/api/admin/policies", headers=bearer(admin), json={"chat_with_customers": True})
    live.cus.expect("session_state", customer_chat=True)
    live.cus.send("chat", session=live.sid, text="there you are")
    live.rep.expect("chat_message", text="there you are")
    record = client.get(f"/api/sessions/{live.sid}", headers=bearer(admin)).json()
    assert [c["text"] for c in record["chat"]] == ["note to the team", "there you are"]


def test_the_customer_page_says_when_chat_is_off(client, admin, live):  # noqa: F811
    client.put("/api/admin/policies", headers=bearer(admin), json={"chat_with_customers": False})
    page = client.get(f"/s/{live.cus_token}", headers={"Accept-Language": "sv"}).text
    assert "Chatten är avstängd i den här sessionen." in page  # shown by the page script when the state says so
    assert '"customer.error.chat_off"' in page


# --- grant timeout ------------------------------------------------------------------


def test_a_request_nobody_answers_expires_after_the_grant_timeout(client, admin, live):  # noqa: F811
    r = client.put("/api/admin/policies", headers=bearer(admin), json={"grant_timeout": 5})
    assert r.status_code == 200 and r.json()["grant_timeout"] == 5
    relay = client.app.state.relay
    start = time.time()
    relay.clock = lambda: start
    live.rep.send("request_grant", session=live.sid, kind="view", scope="tab")
    live.cus.expect("session_state", where=lambda m: [g["state"] for g in m["grants"]] == ["pending"])
    relay.clock = lambda: start + 5.5  # the relay's next tick sees the deadline passed
    live.cus.expect("session_state", where=lambda m: m["grants"] == [])
    client.app.state.relay.clock = time.time
    audit = client.get("/api/admin/audit", params={"session": live.sid}, headers=bearer(admin)).json()["entries"]
    assert [e["data"]["state"] for e in audit if e["action"] == "grant.changed"] == ["pending", "expired"]


def test_the_grant_timeout_defaults_to_the_relays_setting(client, admin, settings):
    assert client.get("/api/admin/policies", headers=bearer(admin)).json()["grant_timeout"] == settings.grant_timeout
    assert client.app.state.relay.desk.policies["grant_timeout"] == settings.grant_timeout


# --- offer timeout: each queue's own ------------------------------------------------


def test_an_offer_lasts_its_queues_offer_timeout(client, admin):
    make_queue(client, admin, "billing", routing="automatic", offer_timeout=12)
    me = client.get("/api/me", headers=bearer(admin)).json()
    client.patch(f"/api/admin/reps/{me['id']}", headers=bearer(admin), json={"queue_rep": True, "queues": ["billing"]})
    relay = client.app.state.relay
    with client.websocket_connect("/ws") as ws, client.websocket_connect("/ws") as ann_page, \
            client.websocket_connect("/ws") as bob_page:
        rep = Client(ws, signin(client))
        rep.send("set_availability", available=True)
        rep.expect("queue_state", available=True)
        start = time.time()
        relay.clock = lambda: start
        ann = client.post("/api/help", json={"queue": "billing", "name": "Ann"})
        Client(ann_page, ann.json()["token"])  # only a customer whose page is connected is offered
        assert rep.expect("offer")["expires_in"] == 12
        relay.clock = lambda: start + 12.5
        assert rep.expect("offer_withdrawn")["reason"] == "timeout"
        relay.clock = time.time

        r = client.patch("/api/admin/queues/billing", headers=bearer(admin), json={"offer_timeout": 40})
        assert r.status_code == 200 and r.json()["offer_timeout"] == 40
        rep.send("set_availability", available=True)  # an expired offer made the rep unavailable
        Client(bob_page, client.post("/api/help", json={"queue": "billing", "name": "Bob"}).json()["token"])
        assert rep.expect("offer", name="Bob")["expires_in"] == 40  # Ann's offer counts as declined


def test_there_is_no_relay_wide_offer_timeout_policy(client, admin):
    r = client.put("/api/admin/policies", headers=bearer(admin), json={"offer_timeout": 20})
    assert r.status_code == 422
    relay = client.app.state.relay
    client.portal.call(relay.store.set_policy, "offer_timeout", 20)  # stored by an older relay
    r = client.get("/api/admin/policies", headers=bearer(admin))
    assert r.status_code == 200 and "offer_timeout" not in r.json()
