"""The supervisor role over the pages and the WebSocket: the dashboard for
supervisors and admins only; every administration page, and every admin form,
refused to a supervisor. (The REST and message matrices hold the supervisor's
row for every API operation and message type.)"""

import re

import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Peer, bearer, make_queue, make_rep, signin
from tests.test_console import sign_in_with_the_form

ADMIN_PAGES = ["/admin/reps", "/admin/queues", "/admin/policies", "/admin/sessions", "/admin/canned",
               "/admin/outbox", "/reports/sessions", "/reports/reps"]


@pytest.fixture
def accounts(client):
    admin = signin(client)
    make_queue(client, admin, "billing")
    sue, sue_token = make_rep(client, admin, "sue@example.com", "Sue", is_supervisor=True)
    rita, rita_token = make_rep(client, admin, "rita@example.com", "Rita", queue_rep=True, queues=["billing"])
    return {"admin": admin, "sue": sue_token, "rita": rita_token, "sue_id": sue, "rita_id": rita}


def test_a_supervisor_sees_the_dashboard_and_only_it_in_the_admin_nav(client, accounts):
    sign_in_with_the_form(client, "sue@example.com", nxt="/admin/dashboard")
    page = client.get("/admin/dashboard")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    nav = re.search(r'<nav class="sub-nav".*?</nav>', page.text, re.S).group(0)
    assert re.findall(r'href="([^"]+)"', nav) == ["/admin/dashboard"]
    assert 'src="/static/dashboard.js"' in page.text and "<script>" not in page.text  # strict CSP: no inline script
    for path in ADMIN_PAGES:
        assert client.get(path, follow_redirects=False).status_code == 403, path


def test_a_supervisor_cannot_post_an_admin_form(client, accounts):
    sign_in_with_the_form(client, "sue@example.com", nxt="/admin/dashboard")
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/admin/dashboard").text).group(1)
    r = client.post(f"/admin/reps/{accounts['sue_id']}", data={"csrf": csrf, "name": "Sue", "is_admin": "on",
                                                               "active": "on", "max_customers": "1"},
                    follow_redirects=False)
    assert r.status_code == 403
    me = client.get("/api/me", headers=bearer(accounts["sue"])).json()
    assert me["is_admin"] is False and me["is_supervisor"] is True


def test_a_rep_is_refused_the_dashboard_and_an_admin_gets_it(client, accounts):
    sign_in_with_the_form(client, "rita@example.com", nxt="/admin/dashboard")
    assert client.get("/admin/dashboard").status_code == 403
    client.cookies.clear()
    assert client.get("/admin/dashboard", follow_redirects=False).headers["location"].startswith("/signin")
    sign_in_with_the_form(client, ADMIN_EMAIL, ADMIN_PASSWORD, nxt="/admin/dashboard")
    nav = re.search(r'<nav class="sub-nav".*?</nav>', client.get("/admin/dashboard").text, re.S).group(0)
    assert "/admin/dashboard" in nav and "/admin/reps" in nav


def test_the_admin_assigns_and_takes_away_the_role_and_the_relay_follows_at_once(client, accounts):
    with client.websocket_connect("/ws") as ws:
        sue = Peer(ws, accounts["sue"])
        sue.send("watch_dashboard")
        board = sue.expect("dashboard")
        assert {r["name"] for r in board["reps"]} >= {"Sue", "Rita"}
        r = client.patch(f"/api/admin/reps/{accounts['sue_id']}", headers=bearer(accounts["admin"]),
                         json={"is_supervisor": False})
        assert r.status_code == 200 and r.json()["is_supervisor"] is False
        seq = sue.send("watch_dashboard")
        error = sue.expect("error")
        assert (error["code"], error["ref"]) == ("not_allowed", seq)


def test_the_dashboard_page_is_no_console_the_supervisor_stays_away(client, accounts):
    with client.websocket_connect("/ws") as ws:
        sue = Peer(ws, accounts["sue"], client="dashboard")
        assert sue.welcome["type"] == "welcome"
        sue.send("watch_dashboard")
        reps = {r["name"]: r["presence"] for r in sue.expect("dashboard")["reps"]}
        assert reps["Sue"] == "away"
    with client.websocket_connect("/ws") as ws:  # a console makes her present
        sue = Peer(ws, accounts["sue"])
        sue.send("watch_dashboard")
        reps = {r["name"]: r["presence"] for r in sue.expect("dashboard")["reps"]}
        assert reps["Sue"] == "available"


def test_the_admin_assigns_the_role_on_the_reps_page(client, accounts):
    sign_in_with_the_form(client, ADMIN_EMAIL, ADMIN_PASSWORD, nxt="/admin/reps")
    page = client.get("/admin/reps")
    assert "Supervisor (sees the dashboard" in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = client.post(f"/admin/reps/{accounts['rita_id']}", data={
        "csrf": csrf, "name": "Rita", "max_customers": "1", "queue_rep": "on", "queues": "billing",
        "active": "on", "is_supervisor": "on"}, follow_redirects=False)
    assert r.status_code == 303
    me = client.get("/api/me", headers=bearer(accounts["rita"])).json()
    assert (me["is_supervisor"], me["is_admin"]) == (True, False)
    assert ">supervisor</span>" in client.get("/admin/reps").text
