"""The HTML pages, driven as a person would: forms with their CSRF field."""

import re

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Peer, bearer, make_queue, make_rep, signin


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def post_form(client, path: str, page: str, **fields):
    return client.post(path, data={"csrf": csrf(client.get(page).text), **fields}, follow_redirects=False)


def page_signin(client, email=ADMIN_EMAIL, password=ADMIN_PASSWORD):
    r = post_form(client, "/signin", "/signin", email=email, password=password, next="/")
    assert r.status_code == 303, r.text
    return r


def test_pages_send_strict_csp_and_speak_the_browsers_language(client):
    r = client.get("/join")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert '<html lang="en">' in r.text
    da = client.get("/join", headers={"Accept-Language": "da-DK,da;q=0.9,en;q=0.5"})
    zh = client.get("/join", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="da">' in da.text and '<html lang="zh-CN">' in zh.text
    assert da.text != r.text != zh.text


def test_post_without_csrf_token_is_refused(client):
    r = client.post("/join", data={"number": "123456789"})
    assert r.status_code == 403


def test_join_page_with_unknown_or_bad_number_says_so(client):
    r = post_form(client, "/join", "/join", number="123 456 789", name="Ann")
    assert r.status_code == 404 and "123 456 789" in r.text
    r = post_form(client, "/join", "/join", number="12", name="Ann")
    assert r.status_code == 400


def test_signin_page_sets_cookie_and_wrong_password_shows_error(client):
    r = post_form(client, "/signin", "/signin", email=ADMIN_EMAIL, password="wrong", next="/")
    assert r.status_code == 401 and "tandem_rep" not in r.cookies
    page_signin(client)
    assert client.get("/admin/reps").status_code == 200


def test_admin_pages_need_an_admin(client):
    r = client.get("/admin/reps", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")
    admin = signin(client)
    make_rep(client, admin, "rita@example.com", "Rita")
    page_signin(client, "rita@example.com", "rep-password-1")
    assert client.get("/admin/queues").status_code == 403


def test_admin_creates_rep_and_queue_with_forms(client):
    page_signin(client)
    r = post_form(client, "/admin/queues", "/admin/queues", name="support", title="Support",
                  routing="automatic", offer_timeout="20")
    assert r.status_code == 303
    queues = client.get("/admin/queues").text
    assert "/help?queue=support" in queues
    r = post_form(client, "/admin/reps", "/admin/reps", email="rita@example.com", name="Rita <b>",
                  password="", queue_rep="on", max_customers="3", multi_session="on", queues="support")
    assert r.status_code == 201
    generated = re.search(r"[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}", r.text).group(0)
    assert "Rita &lt;b&gt;" in r.text and "Rita <b>" not in r.text  # names are escaped
    token = signin(client, "rita@example.com", generated)
    me = client.get("/api/me", headers=bearer(token)).json()
    assert me["queue_rep"] and me["multi_session"] and me["max_customers"] == 3 and me["queues"] == ["support"]
    r = post_form(client, f"/admin/reps/{me['id']}", "/admin/reps", name="Rita", max_customers="1",
                  queues="support", active="on")
    assert r.status_code == 303
    assert client.get("/api/me", headers=bearer(token)).json()["multi_session"] is False


def test_admin_policies_form(client):
    page_signin(client)
    r = post_form(client, "/admin/policies", "/admin/policies", auto_record="on", grant_timeout="45",
                  offer_timeout="20", chat_with_customers="on")
    assert r.status_code == 303
    admin = signin(client)
    assert client.get("/api/admin/policies", headers=bearer(admin)).json()["grant_timeout"] == 45


def test_demo_shop_help_link_puts_customer_in_queue_with_place_in_line(client):
    admin = signin(client)
    make_queue(client, admin, "support")
    demo = client.get("/demo?queue=support")
    assert 'href="/help?queue=support"' in demo.text
    assert 'href="/help?queue=demo"' in client.get("/demo").text  # the demo queue made on first start
    help_page = client.get("/help?queue=support")
    assert help_page.status_code == 200 and "Support" in help_page.text
    r = post_form(client, "/help", "/help?queue=support", queue="support", name="Ann")
    assert r.status_code == 303 and r.headers["location"].startswith("/s/")
    token = r.headers["location"][3:]
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and 'src="/static/customer.js"' in page.text
    with client.websocket_connect("/ws") as ws:
        assert Peer(ws, token).expect("queue_position")["position"] == 1
    assert client.get("/help?queue=nope").status_code == 404


def test_customer_page_of_ended_session_says_it_ended(client):
    admin = signin(client)
    _, rita = make_rep(client, admin, "rita@example.com", "Rita")
    with client.websocket_connect("/ws") as ws:
        rep = Peer(ws, rita)
        rep.send("start_session")
        state = rep.expect("session_state")
        r = post_form(client, "/join", "/join", number=state["number"], name="Ann")
        assert r.status_code == 303
        rep.send("end_session", session=state["session"])
        rep.expect("session_ended")
    assert client.get(r.headers["location"]).status_code == 410
    r = post_form(client, "/join", "/join", number=state["number"], name="Late")
    assert r.status_code == 404  # the number died with the session


def test_the_browser_tab_shows_tandems_icon(client):
    """/favicon.ico (browsers ask for it on any page) and the pages' icon link."""
    import io

    from PIL import Image

    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"] == "image/x-icon"
    icon = Image.open(io.BytesIO(r.content))
    assert icon.format == "ICO" and (32, 32) in icon.info["sizes"]
    assert '<link rel="icon" href="/favicon.ico"' in client.get("/join").text
    assert client.get("/static/icon-180.png").status_code == 200


def test_too_many_joins_are_refused_with_a_retry_after(client, settings):
    """The join form and the help form count together per address; the page
    says when to try again, and so does Retry-After (for scripts and QA runs)."""
    codes = [post_form(client, "/join", "/join", number="000 000 000", name="Ann").status_code
             for _ in range(settings.join_attempts)]
    assert 429 not in codes, codes
    refused = post_form(client, "/join", "/join", number="000 000 000", name="Ann")
    assert refused.status_code == 429
    wait = int(refused.headers["retry-after"])
    assert 0 < wait <= settings.join_window + 1
    assert f"{wait} " in refused.text
    make_queue(client, signin(client), "billing")
    help_refused = post_form(client, "/help", "/help?queue=billing", queue="billing", name="Ann")
    assert help_refused.status_code == 429 and int(help_refused.headers["retry-after"]) > 0
