"""Intake through the relay: an admin defines a queue's form (admin API and
/admin/queues), customers fill it (/api/help, /help, /api/join, /join, an
invite link), the relay refuses what does not fit, keeps what was entered
(store, a restart), shows it to the session's reps and in the reports,
escaped everywhere. The rules themselves: tests/core/test_intake.py."""

import pytest

from server import protocol as p
from server.core.desk import Desk
from server.core.intake import IntakeField, IntakeForm
from server.core.records import Record
from tests.conftest import Peer, bearer, make_queue, make_rep, signin
from tests.test_pages import page_signin, post_form
from tests.test_reports import html_rows, same_rows

EVIL = "<img src=x onerror=alert(1)>"
ORDER_FORM = {"description": "required", "fields": [{"label": "Order number", "required": True},
                                                    {"label": "Phone", "required": False}]}


def billing(client) -> str:
    admin = signin(client)
    make_queue(client, admin, "billing", intake=ORDER_FORM)
    return admin


def test_admin_api_defines_a_queues_intake_and_customers_read_it(client):
    admin = billing(client)
    queues = {q["name"]: q for q in client.get("/api/queues").json()["queues"]}
    assert queues["billing"]["intake"] == ORDER_FORM
    r = client.patch("/api/admin/queues/billing", headers=bearer(admin),
                     json={"intake": {"description": "off", "fields": []}})
    assert r.status_code == 200 and r.json()["intake"] == {"description": "off", "fields": []}
    assert client.app.state.relay.desk.queues["billing"].intake == IntakeForm("off")
    make_queue(client, admin, "plain")
    assert client.get("/api/queues").json()["queues"][1]["intake"] == {"description": "optional", "fields": []}


@pytest.mark.parametrize("intake, status", [
    ({"description": "always"}, 422),
    ({"fields": [{"label": f"F{i}"} for i in range(p.INTAKE_FIELDS_MAX + 1)]}, 422),
    ({"fields": [{"label": "x" * (p.INTAKE_LABEL_MAX + 1)}]}, 422),
    ({"fields": [{"label": "Order"}, {"label": "ORDER"}]}, 400),
    ({"fields": [{"label": "Order", "required": "yes"}]}, 422),
])
def test_admin_api_refuses_a_bad_intake(client, intake, status):
    admin = billing(client)
    r = client.patch("/api/admin/queues/billing", headers=bearer(admin), json={"intake": intake})
    assert r.status_code == status, r.text
    assert client.app.state.relay.desk.queues["billing"].intake == IntakeForm.check(ORDER_FORM)


def test_help_api_checks_the_queues_form(client):
    billing(client)
    ok = {"queue": "billing", "name": "Ann", "description": "Charged twice", "fields": {"Order number": "A-1"}}
    assert client.post("/api/help", json=ok).status_code == 200
    for bad, status in [
        ({**ok, "fields": {}}, 400),  # a required field missing
        ({**ok, "description": ""}, 400),  # the description is required here
        ({**ok, "fields": {"Order number": "A-1", "Shoe size": "9"}}, 400),  # no such field
        ({**ok, "fields": {"Order number": 7}}, 422),  # not text
        ({**ok, "description": "x" * (p.INTAKE_DESCRIPTION_MAX + 1)}, 422),
        ({**ok, "name": "x" * (p.INTAKE_NAME_MAX + 1)}, 422),
        ({**ok, "fields": {str(i): "v" for i in range(p.INTAKE_FIELDS_MAX + 1)}}, 422),
    ]:
        r = client.post("/api/help", json=bad)
        assert r.status_code == status, (bad, r.text)


def test_the_rep_sees_the_intake_in_the_queue_and_the_session_and_the_customer_does_not(client):
    admin = billing(client)
    _, rita = make_rep(client, admin, "rita@example.com", "Rita", queue_rep=True, queues=["billing"])
    ann = client.post("/api/help", json={"queue": "billing", "name": "Ann Smith", "description": "Charged twice",
                                         "fields": {"Order number": "A-1"}}).json()
    with client.websocket_connect("/ws") as w1, client.websocket_connect("/ws") as w2:
        r, c = Peer(w1, rita), Peer(w2, ann["token"])
        c.expect("queue_position")
        board = r.expect("queue_state")
        while not board["queues"][0]["waiting"] or not board["queues"][0]["waiting"][0]["connected"]:
            board = r.expect("queue_state")
        (w,) = board["queues"][0]["waiting"]
        assert (w["name"], w["intake"]) == ("Ann Smith", {"description": "Charged twice",
                                                          "fields": [{"label": "Order number", "value": "A-1"}]})
        r.send("accept_next")
        state = r.expect("session_state", state="active")
        (customer,) = [x for x in state["participants"] if x["kind"] == "customer"]
        assert customer["name"] == "Ann Smith" and customer["intake"]["description"] == "Charged twice"
        mine = c.expect("session_state", state="active")
        assert all(x["intake"] is None for x in mine["participants"])


def test_join_api_and_page_take_a_description(client):
    admin = signin(client)
    _, rita = make_rep(client, admin, "rita@example.com", "Rita", max_customers=3)
    with client.websocket_connect("/ws") as w1:
        r = Peer(w1, rita)
        r.send("start_session")
        number = r.expect("session_state")["number"]
        assert client.post("/api/join", json={"number": number, "name": "Bo",
                                              "description": "Printer offline"}).status_code == 200
        state = r.expect("session_state", state="active")
        assert state["participants"][-1]["intake"]["description"] == "Printer offline"
        page = client.get("/join")
        assert 'name="description"' in page.text and "What do you need help with?" in page.text
        long = post_form(client, "/join", "/join", number=number, name=EVIL, description="x" * 501)
        assert long.status_code == 400 and "Please fill in every required field" in long.text
        assert EVIL not in long.text and "&lt;img" in long.text  # what they typed comes back, escaped
        done = post_form(client, "/join", "/join", number=number, name="Cy", description="Screen is black")
        assert done.status_code == 303
        state = r.expect("session_state", state="active")
        assert [x["intake"]["description"] for x in state["participants"] if x["name"] == "Cy"] == ["Screen is black"]


def test_invite_link_page_takes_a_description(client):
    admin = signin(client)
    _, rita = make_rep(client, admin, "rita@example.com", "Rita", max_customers=3)
    with client.websocket_connect("/ws") as w1:
        r = Peer(w1, rita)
        r.send("start_session")
        sid = r.expect("session_state")["session"]
        link = client.post(f"/api/sessions/{sid}/invitations", headers=bearer(rita), json={}).json()["link"]
        path = link.replace("http://testserver", "")
        assert 'name="description"' in client.get(path).text
        long = post_form(client, path, path, name="Bo", description="x" * (p.INTAKE_DESCRIPTION_MAX + 1))
        assert long.status_code == 400 and "Please fill in every required field" in long.text
        assert post_form(client, path, path, name="Bo", description="VPN drops").status_code == 303
        state = r.expect("session_state", state="active")
        assert [x["intake"] for x in state["participants"] if x["name"] == "Bo"] == [
            {"description": "VPN drops", "fields": []}]


def test_help_page_asks_the_queues_fields_and_refuses_a_missing_one(client):
    billing(client)
    page = client.get("/help?queue=billing")
    assert 'name="field-0"' in page.text and "Order number" in page.text and 'name="description"' in page.text
    assert page.text.count(" required") >= 2  # the browser asks for the required ones too
    refused = post_form(client, "/help", "/help?queue=billing", queue="billing", name="Ann", description="Help")
    assert refused.status_code == 400 and "Please fill in every required field" in refused.text
    assert 'value="Ann"' in refused.text
    ok = post_form(client, "/help", "/help?queue=billing", queue="billing", name="Ann", description="Help",
                   **{"field-0": "A-1", "field-1": ""})
    assert ok.status_code == 303 and ok.headers["location"].startswith("/s/")
    (s,) = client.app.state.relay.desk.sessions.values()
    (ann,) = s.customers(present_only=False)
    assert (ann.name, ann.intake.description, ann.intake.fields) == ("Ann", "Help", (("Order number", "A-1"),))


def test_admin_page_defines_the_fields_and_escapes_their_labels(client):
    page_signin(client)
    admin = signin(client)
    make_queue(client, admin, "shop")
    page = client.get("/admin/queues")
    assert 'name="intake_description"' in page.text and 'name="intake_label-0"' in page.text
    r = post_form(client, "/admin/queues/shop", "/admin/queues", title="Shop", routing="manual", offer_timeout="30",
                  consent="view_on_accept", intake_description="required",
                  **{"intake_label-0": "Order number", "intake_required-0": "on", "intake_label-1": "",
                     "intake_label-2": EVIL})
    assert r.status_code == 303, r.text
    form = client.app.state.relay.desk.queues["shop"].intake
    assert form == IntakeForm("required", (IntakeField("Order number", True), IntakeField(EVIL, False)))
    page = client.get("/admin/queues")
    assert EVIL not in page.text and 'value="&lt;img src=x onerror=alert(1)&gt;"' in page.text
    help_page = client.get("/help?queue=shop")
    assert EVIL not in help_page.text and "&lt;img src=x onerror=alert(1)&gt;" in help_page.text
    same = post_form(client, "/admin/queues/shop", "/admin/queues", title="Shop", routing="manual",
                     offer_timeout="30", consent="view_on_accept", intake_description="optional",
                     **{"intake_label-0": "Order", "intake_label-1": "order"})
    assert same.status_code == 400 and "each needs a label of its own" in same.text  # two fields, one label
    assert client.app.state.relay.desk.queues["shop"].intake == form  # unchanged
    new = post_form(client, "/admin/queues", "/admin/queues", name="new-one", title="New", routing="manual",
                    offer_timeout="30", consent="view_on_accept", intake_description="optional",
                    **{"intake_label-0": "x" * (p.INTAKE_LABEL_MAX + 1)})
    assert new.status_code == 400 and "at most 40 characters" in new.text
    assert "new-one" not in client.app.state.relay.desk.queues


def test_the_session_reports_show_what_the_customer_entered(client):
    admin = billing(client)
    _, rita = make_rep(client, admin, "rita@example.com", "Rita", queue_rep=True, queues=["billing"])
    ann = client.post("/api/help", json={"queue": "billing", "name": EVIL, "description": "=Charged\ntwice",
                                         "fields": {"Order number": "A-1", "Phone": EVIL}}).json()
    with client.websocket_connect("/ws") as w1, client.websocket_connect("/ws") as w2:
        r, c = Peer(w1, rita), Peer(w2, ann["token"])
        c.expect("queue_position")
        r.send("accept_next")
        sid = r.expect("session_state", state="active")["session"]
        r.send("end_session", session=sid)
        c.expect("session_ended")
    page_signin(client)
    rows = same_rows(client, "/reports/sessions")
    assert rows[0][7:9] == ["Customers", "Problem and details"]
    assert rows[1][7:9] == [EVIL, f"=Charged\ntwice; Order number: A-1; Phone: {EVIL}"]
    assert "'=Charged" in client.get("/reports/sessions?format=csv").text  # no formula in a spreadsheet
    detail = client.get(f"/reports/sessions/{sid}")
    assert EVIL not in detail.text and "&lt;img src=x onerror=alert(1)&gt;" in detail.text
    people = html_rows(detail.text, "participants")
    assert people[0][-1] == "Problem and details"
    assert people[1][0] == EVIL and people[1][-1] == f"=Charged\ntwice; Order number: A-1; Phone: {EVIL}"


@pytest.mark.anyio
async def test_the_store_keeps_queue_forms_and_customers_intake_across_a_restart(tmp_path):
    from server.store import open_store

    store = open_store(f"sqlite+aiosqlite:///{tmp_path / 'relay.db'}")
    await store.open()
    try:
        await store.create_queue("billing", "Billing", intake=ORDER_FORM)
        assert (await store.get_queue("billing")).intake == IntakeForm.check(ORDER_FORM)
        changed = await store.update_queue("billing", intake={"description": "off", "fields": []})
        assert changed.intake == IntakeForm("off")
        with pytest.raises(ValueError):
            await store.update_queue("billing", intake={"fields": [{"label": ""}]})
        intake = {"description": "Charged twice", "fields": [{"label": "Order number", "value": "A-1"}]}
        await store.record([
            Record("session.created", "s1", "system", 1.0, {"number": "123456789", "kind": "inbound",
                                                              "queue": "billing", "state": "waiting"}),
            Record("participant.joined", "s1", "c1", 1.0, {"pid": "c1", "kind": "customer", "account_id": None,
                                                            "name": "Ann", "role": "customer", "intake": intake}),
            # the page came back: a rejoin without the intake keeps it
            Record("participant.joined", "s1", "c1", 2.0, {"pid": "c1", "kind": "customer", "account_id": None,
                                                            "name": "Ann", "role": "customer"}),
        ])
        rows = await store.live_sessions()
    finally:
        await store.close()
    desk = Desk(new_id=lambda: "x", new_number=lambda: "987654321")
    desk.restore(rows, {})
    (ann,) = desk.sessions["s1"].customers(present_only=False)
    assert ann.intake.description == "Charged twice" and ann.intake.fields == (("Order number", "A-1"),)


@pytest.mark.anyio
async def test_the_migration_adds_intake_to_existing_queues_and_participants(tmp_path):
    """A database from before intake (revision 0006) is upgraded in place."""
    from tests.conftest import database_at, opened_store

    url = database_at(tmp_path / "old.db", "0006",
                      "INSERT INTO queues (name, title, routing, offer_timeout, created_at, consent) "
                      "VALUES ('shop', 'Shop', 'manual', 30, 0, 'view_on_accept')")
    async with opened_store(url) as store:
        assert (await store.get_queue("shop")).intake == IntakeForm()
        assert (await store.update_queue("shop", intake=ORDER_FORM)).intake == IntakeForm.check(ORDER_FORM)
