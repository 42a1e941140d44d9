"""A queue's consent policy (view_on_accept or ask_first) through the admin
API and the admin page, kept across a reload of the queues, and the demo
shop saying what the policy does. The rule itself: tests/core/test_consent.py."""

import pytest

from tests.conftest import bearer, make_queue, signin
from tests.test_pages import page_signin, post_form

ASK_FIRST = "Our team can look at this page with you, only after you allow it."
ON_ACCEPT = "When our team takes your question, they see this page with you at once"


def test_queue_consent_defaults_to_view_on_accept_and_can_be_asked_first(client):
    admin = signin(client)
    make_queue(client, admin, "shop")
    queues = {q["name"]: q for q in client.get("/api/queues").json()["queues"]}
    assert queues["shop"]["consent"] == "view_on_accept"
    r = client.patch("/api/admin/queues/shop", headers=bearer(admin), json={"consent": "ask_first"})
    assert r.status_code == 200 and r.json()["consent"] == "ask_first"
    assert client.app.state.relay.desk.queues["shop"].consent == "ask_first"
    r = client.patch("/api/admin/queues/shop", headers=bearer(admin), json={"consent": "whenever"})
    assert r.status_code == 422
    make_queue(client, admin, "careful", consent="ask_first")
    assert client.app.state.relay.desk.queues["careful"].consent == "ask_first"


def test_admin_page_sets_a_queues_consent(client):
    page_signin(client)
    admin = signin(client)
    make_queue(client, admin, "shop")
    page = client.get("/admin/queues")
    assert 'name="consent"' in page.text and "Only after the customer allows it" in page.text
    r = post_form(client, "/admin/queues/shop", "/admin/queues", title="Shop", routing="manual",
                  offer_timeout="30", consent="ask_first")
    assert r.status_code == 303, r.text
    assert client.app.state.relay.desk.queues["shop"].consent == "ask_first"


def test_demo_shop_says_what_the_queues_consent_policy_does(client):
    admin = signin(client)
    make_queue(client, admin, "shop")
    assert ON_ACCEPT in client.get("/demo?queue=shop").text
    client.patch("/api/admin/queues/shop", headers=bearer(admin), json={"consent": "ask_first"})
    text = client.get("/demo?queue=shop").text
    assert ASK_FIRST in text and ON_ACCEPT not in text


@pytest.mark.anyio
async def test_the_migration_gives_existing_queues_view_on_accept(tmp_path):
    """A database from before the consent policy (revision 0004) is upgraded in place."""
    from tests.conftest import database_at, opened_store

    url = database_at(tmp_path / "old.db", "0004",
                      "INSERT INTO queues (name, title, routing, offer_timeout, created_at) "
                      "VALUES ('shop', 'Shop', 'manual', 30, 0)")
    async with opened_store(url) as store:
        assert (await store.get_queue("shop")).consent == "view_on_accept"
        assert (await store.update_queue("shop", consent="ask_first")).consent == "ask_first"
