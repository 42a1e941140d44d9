"""The rep console at /console/: the extension's side panel and its pages,
built from the same modules (extension/build.mjs), served by the relay. Only
for signed-in reps; the page hands over a rep token that works over /ws and
the API; scripts only from the relay."""

import html as html_lib
import json
import re

import pytest

from server.web.console import CONSOLE_DIR

from .conftest import Peer, bearer, make_queue, make_rep, signin

PAGES = ["sidepanel.html", "viewer.html", "desktop.html", "files.html", "call.html"]



def sign_in_with_the_form(client, email: str, password: str = "rep-password-1", nxt: str = "/console/") -> None:
    """What a rep does in the browser: the sign-in page, then its form."""
    page = client.get("/signin?next=" + nxt)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = client.post("/signin", data={"email": email, "password": password, "csrf": csrf,
                                     "next": html_lib.unescape(nxt)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == html_lib.unescape(nxt), r.text


def handed_over(page: str) -> dict:
    block = re.search(r'<script type="application/json" id="tandem-web-signin">(.*?)</script>', page, re.S)
    return json.loads(block.group(1))


@pytest.fixture
def rep(client):
    admin = signin(client)
    make_queue(client, admin, "billing")
    rep_id, _ = make_rep(client, admin, "rita@example.com", "Rita </script><b>", queue_rep=True, queues=["billing"])
    return rep_id


def test_the_console_is_built_from_the_extensions_pages():
    for name in PAGES:
        assert (CONSOLE_DIR / name).is_file(), f"{name}: run make extension"
    bundle = (CONSOLE_DIR / "sidepanel.js").read_text(encoding="utf-8")
    assert "chrome.storage" not in bundle and "chrome.runtime" not in bundle  # web/browser.js in its place


def test_a_signed_out_visitor_is_sent_to_sign_in_and_back(client, rep):
    r = client.get("/console", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/"
    r = client.get("/console/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signin?next=%2Fconsole%2F"
    sign_in_with_the_form(client, "rita@example.com")
    r = client.get("/console/")
    assert r.status_code == 200 and 'src="sidepanel.js"' in r.text
    assert r.headers["cache-control"] == "no-store"  # the page carries a token


def test_an_invitation_to_assist_keeps_its_number_through_sign_in(client, rep):
    r = client.get("/console?assist=123456789", follow_redirects=False)
    assert r.headers["location"] == "/console/?assist=123456789"
    r = client.get("/console/?assist=123456789", follow_redirects=False)
    assert r.headers["location"] == "/signin?next=%2Fconsole%2F%3Fassist%3D123456789"
    sign_in_with_the_form(client, "rita@example.com", nxt="/console/?assist=123456789")


def test_the_handed_over_token_says_hello_and_sends_invitations(client, rep):
    sign_in_with_the_form(client, "rita@example.com")
    page = client.get("/console/").text
    given = handed_over(page)
    assert given["account"]["id"] == rep and given["account"]["name"] == "Rita </script><b>"
    assert "</script><b>" not in page  # the name cannot close the element
    with client.websocket_connect("/ws") as ws:
        peer = Peer(ws, given["token"])
        assert peer.welcome["type"] == "welcome" and peer.welcome["role"] == "rep"
        assert peer.expect("queue_state")["queues"][0]["name"] == "billing"
        peer.send("start_session")
        state = peer.expect("session_state")
    r = client.post(f"/api/sessions/{state['session']}/invitations", headers=bearer(given["token"]),
                    json={"invitee": "customer"})
    assert r.status_code == 200, r.text
    assert r.json()["link"] == state["join_link"]


@pytest.mark.parametrize("name", PAGES)
def test_every_console_page_loads_scripts_only_from_the_relay(client, rep, name):
    sign_in_with_the_form(client, "rita@example.com")
    r = client.get("/console/" if name == "sidepanel.html" else f"/console/{name}")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", r.text, re.S | re.I):
        if 'type="application/json"' in attrs:
            continue
        assert re.search(r'src="[a-z-]+\.js"', attrs) and body.strip() == "", "inline script"
        script = re.search(r'src="([a-z-]+\.js)"', attrs).group(1)
        assert client.get(f"/console/{script}").status_code == 200
    assert not re.search(r"\son[a-z]+\s*=", r.text, re.I) and "javascript:" not in r.text.lower()


def test_the_console_speaks_the_extensions_catalogs(client):
    for lang in ["en", "da", "nb", "sr", "sv", "zh_CN"]:
        r = client.get(f"/console/_locales/{lang}/messages.json")
        assert r.status_code == 200 and "start_submit" in r.json()


def test_signing_out_on_the_relay_signs_the_console_out_too(client, rep):
    """The console keeps the handed-over token in the browser's storage;
    the relay's sign-out tells the browser to clear it."""
    sign_in_with_the_form(client, "rita@example.com")
    form = re.search(r'action="/signout".*?name="csrf" value="([^"]+)"', client.get("/").text, re.S)
    r = client.post("/signout", data={"csrf": form.group(1)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["clear-site-data"] == '"storage"'
    assert client.get("/console/", follow_redirects=False).headers["location"].startswith("/signin")
