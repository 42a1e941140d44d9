"""Cross-site requests (server/web/origins.py, server/web/pages.py): a page of another
origin cannot change anything with the rep's sign-in cookie, JSON endpoints
take JSON only, a form's CSRF field is bound to the signed-in session (a
planted cookie does not pass), and the allowed origins come from the settings,
never from the request's Host header."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from server.config import OFFICIAL_EXTENSION_ID
from server.web.app import create_app
from tests.conftest import bearer, signin
from tests.test_pages import csrf, page_signin
from tests.test_ws import Client

EVIL = "https://evil.example"
SAME_SITE = "http://testserver:8081"  # another port of the relay's host: same site, so Lax cookies go along
ATTACKS = [
    ("POST", "/api/admin/queues", {"name": "evil", "title": "Evil"}),
    ("PUT", "/api/admin/policies", {"auto_record": True}),
    ("POST", "/api/admin/reps", {"email": "evil@example.com", "name": "Evil", "password": "evil-password-1",
                                 "is_admin": True}),
]


@pytest.fixture
def cookie_admin(client):
    """The admin signed in through the sign-in page: the browser holds the cookie."""
    page_signin(client)
    assert client.cookies.get("tandem_rep")
    return client


def nothing_changed(client) -> None:
    token = bearer(signin(client))
    assert [q["name"] for q in client.get("/api/queues").json()["queues"]] == ["demo"]
    assert client.get("/api/admin/policies", headers=token).json()["auto_record"] is False
    assert [a["email"] for a in client.get("/api/admin/reps", headers=token).json()["reps"]] == ["admin@localhost"]


@pytest.mark.parametrize("origin", [EVIL, SAME_SITE, "null"])
@pytest.mark.parametrize("method,path,body", ATTACKS, ids=[f"{m} {p}" for m, p, _ in ATTACKS])
def test_another_origin_cannot_use_the_reps_cookie(cookie_admin, origin, method, path, body):
    r = cookie_admin.request(method, path, json=body, headers={"Origin": origin})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf", r.text
    nothing_changed(cookie_admin)


@pytest.mark.parametrize("method,path,body", ATTACKS, ids=[f"{m} {p}" for m, p, _ in ATTACKS])
def test_a_text_plain_body_is_not_taken_as_json(cookie_admin, method, path, body):
    """What a page of any origin can send without asking (a "simple" request)."""
    for headers in ({"Origin": "http://testserver"}, bearer(signin(cookie_admin))):
        r = cookie_admin.request(method, path, content=json.dumps(body),
                                 headers={"Content-Type": "text/plain;charset=UTF-8", **headers})
        assert r.status_code == 415, r.text
    nothing_changed(cookie_admin)


def test_a_cookie_request_without_origin_needs_the_csrf_header(cookie_admin):
    """Browsers send Origin with every cross-site change; without one, the cookie
    counts only with the relay's CSRF header (a form has its own field)."""
    r = cookie_admin.post("/api/admin/queues", json={"name": "plain", "title": "Plain"})
    assert r.status_code == 401, r.text
    r = cookie_admin.post("/api/admin/queues", json={"name": "plain", "title": "Plain"},
                          headers={"X-Tandem-CSRF": "1"})
    assert r.status_code == 201, r.text


def test_the_relays_own_pages_may_use_the_cookie(cookie_admin):
    r = cookie_admin.post("/api/admin/queues", json={"name": "billing", "title": "Billing"},
                          headers={"Origin": "http://testserver"})
    assert r.status_code == 201, r.text


def test_bearer_calls_work_from_any_origin(client):
    """The extension, the console and the Support Manager send a token, not the
    cookie: a page of another origin cannot add that header without CORS."""
    r = client.post("/api/admin/queues", json={"name": "billing", "title": "Billing"},
                    headers={**bearer(signin(client)), "Origin": f"chrome-extension://{OFFICIAL_EXTENSION_ID}"})
    assert r.status_code == 201, r.text
    r = client.post("/api/admin/queues", json={"name": "sales", "title": "Sales"},
                    headers={**bearer(signin(client)), "Origin": EVIL})
    assert r.status_code == 201, r.text


def test_a_form_from_another_origin_is_refused_even_with_its_token(cookie_admin):
    token = csrf(cookie_admin.get("/admin/queues").text)
    r = cookie_admin.post("/admin/queues", data={"csrf": token, "name": "evil", "title": "Evil"},
                          headers={"Origin": SAME_SITE}, follow_redirects=False)
    assert r.status_code == 403
    nothing_changed(cookie_admin)


def test_a_planted_csrf_cookie_does_not_pass_the_form_check(cookie_admin):
    """The attacker loads the sign-in page themselves (a CSRF cookie and its form
    field), plants that cookie in the rep's browser (cookies do not keep ports
    apart) and has the rep's browser post the form with the matching field."""
    victim = cookie_admin.cookies.get("tandem_rep")
    cookie_admin.cookies.clear()
    page = cookie_admin.get("/signin")
    planted, field = cookie_admin.cookies.get("tandem_csrf"), csrf(page.text)
    cookie_admin.cookies.clear()
    cookie_admin.cookies.set("tandem_rep", victim)
    cookie_admin.cookies.set("tandem_csrf", planted)
    r = cookie_admin.post("/admin/queues", data={"csrf": field, "name": "evil", "title": "Evil"},
                          follow_redirects=False)
    assert r.status_code == 403
    nothing_changed(cookie_admin)


def test_forms_still_work_for_the_rep_who_loaded_them(cookie_admin):
    token = csrf(cookie_admin.get("/admin/queues").text)
    r = cookie_admin.post("/admin/queues", data={"csrf": token, "name": "billing", "title": "Billing"},
                          headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert r.status_code == 303


# --- the WebSocket: origins from the settings, not from Host ----------------------


def refused(client, headers) -> int:
    with pytest.raises(WebSocketDisconnect) as closed:
        with client.websocket_connect("/ws", headers=headers):
            pass
    return closed.value.code


def test_dns_rebinding_cannot_open_the_websocket(client):
    """A rebound name points the attacker's page at the relay: Origin and Host
    then agree, and neither is the relay's configured address."""
    assert refused(client, {"Origin": "http://rebind.evil.example", "Host": "rebind.evil.example"}) == 4003


def test_only_configured_extensions_may_open_the_websocket(client):
    assert refused(client, {"Origin": "chrome-extension://abcdefghijklmnopabcdefghijklmnop"}) == 4003
    with client.websocket_connect("/ws", headers={"Origin": f"chrome-extension://{OFFICIAL_EXTENSION_ID}"}) as ws:
        assert Client(ws, signin(client)).welcome["type"] == "welcome"


def test_extension_ids_are_a_setting(settings):
    settings.extension_ids = ("abcdefghijklmnopabcdefghijklmnop",)
    with TestClient(create_app(settings)) as client:
        with client.websocket_connect("/ws", headers={"Origin": "chrome-extension://abcdefghijklmnopabcdefghijklmnop"}
                                      ) as ws:
            assert Client(ws, signin(client)).welcome["type"] == "welcome"
        assert refused(client, {"Origin": f"chrome-extension://{OFFICIAL_EXTENSION_ID}"}) == 4003


def test_the_default_extension_id_is_the_one_the_manifest_key_fixes():
    import base64
    import hashlib
    from pathlib import Path

    manifest = Path(__file__).resolve().parents[2] / "extension" / "static" / "manifest.json"
    key = base64.b64decode(json.loads(manifest.read_text())["key"])
    derived = "".join(chr(ord("a") + int(c, 16)) for c in hashlib.sha256(key).hexdigest()[:32])
    assert derived == OFFICIAL_EXTENSION_ID
