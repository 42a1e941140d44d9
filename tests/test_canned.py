"""Canned replies: admins manage them (API and admin page), every rep lists them."""

from tests.conftest import bearer, make_rep, signin
from tests.test_pages import page_signin, post_form


def test_admin_manages_canned_replies_and_reps_list_them(client):
    admin = signin(client)
    _, rita = make_rep(client, admin, "rita@example.com", "Rita")
    r = client.post("/api/admin/canned", headers=bearer(admin),
                    json={"title": "Greeting", "text": "Hello, how can I help you today?"})
    assert r.status_code == 201
    greeting = r.json()["id"]
    client.post("/api/admin/canned", headers=bearer(admin), json={"title": "Bye", "text": "Thanks for calling!"})

    replies = client.get("/api/canned", headers=bearer(rita)).json()["replies"]
    assert [(x["title"], x["text"]) for x in replies] == [
        ("Bye", "Thanks for calling!"), ("Greeting", "Hello, how can I help you today?")]

    r = client.patch(f"/api/admin/canned/{greeting}", headers=bearer(admin),
                     json={"title": "Greeting", "text": "Hi! What can I do for you?"})
    assert r.json()["text"] == "Hi! What can I do for you?"
    assert client.delete(f"/api/admin/canned/{greeting}", headers=bearer(admin)).json() == {"deleted": greeting}
    assert [x["title"] for x in client.get("/api/canned", headers=bearer(rita)).json()["replies"]] == ["Bye"]
    entries = client.get("/api/admin/audit", headers=bearer(admin)).json()["entries"]
    assert {"canned.created", "canned.updated", "canned.deleted"} <= {e["action"] for e in entries}


def test_only_admins_change_canned_replies_and_bad_input_is_refused(client):
    admin = signin(client)
    _, rita = make_rep(client, admin, "rita@example.com", "Rita")
    assert client.get("/api/canned").status_code == 401
    r = client.post("/api/admin/canned", headers=bearer(rita), json={"title": "x", "text": "y"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_allowed"
    r = client.post("/api/admin/canned", headers=bearer(admin), json={"title": "", "text": "y"})
    assert r.status_code == 422 and "title" in r.json()["error"]["message"]
    r = client.post("/api/admin/canned", headers=bearer(admin), json={"title": "x", "text": "   "})
    assert r.status_code == 400 and "title and a text" in r.json()["error"]["message"]
    assert client.patch("/api/admin/canned/999", headers=bearer(admin),
                        json={"title": "x", "text": "y"}).status_code == 404
    assert client.delete("/api/admin/canned/999", headers=bearer(admin)).status_code == 404


def test_admin_page_adds_edits_and_deletes_canned_replies(client):
    page_signin(client)
    page = client.get("/admin/canned")
    assert page.status_code == 200 and 'href="/admin/canned" aria-current="page"' in page.text
    r = post_form(client, "/admin/canned", "/admin/canned", title="Refunds", text="<b>Refunds</b> take 5 days")
    assert r.status_code == 303
    page = client.get("/admin/canned").text
    assert "&lt;b&gt;Refunds&lt;/b&gt; take 5 days" in page and "<b>Refunds" not in page
    admin = signin(client)
    reply = client.get("/api/canned", headers=bearer(admin)).json()["replies"][0]
    post_form(client, f"/admin/canned/{reply['id']}", "/admin/canned", title="Refunds", text="Refunds take 3 days")
    assert client.get("/api/canned", headers=bearer(admin)).json()["replies"][0]["text"] == "Refunds take 3 days"
    r = post_form(client, "/admin/canned", "/admin/canned", title="", text="")
    assert r.status_code == 400 and "needs a title and a text" in r.text
    post_form(client, f"/admin/canned/{reply['id']}/delete", "/admin/canned")
    assert client.get("/api/canned", headers=bearer(admin)).json()["replies"] == []


def test_rep_cannot_open_the_canned_admin_page(client):
    admin = signin(client)
    make_rep(client, admin, "rita@example.com", "Rita")
    page_signin(client, "rita@example.com", "rep-password-1")
    assert client.get("/admin/canned").status_code == 403
    r = client.post("/admin/canned", data={"csrf": "x", "title": "a", "text": "b"})
    assert r.status_code == 403
