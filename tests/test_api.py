"""REST API: sign-in and its limits, joining, administration, OpenAPI."""

from openapi_spec_validator import validate

from tests.conftest import ADMIN_EMAIL, bearer, make_queue, make_rep, signin


def test_signin_gives_token_and_wrong_password_is_refused(client):
    token = signin(client)
    assert client.get("/api/me", headers=bearer(token)).json()["email"] == ADMIN_EMAIL
    r = client.post("/api/signin", json={"email": ADMIN_EMAIL, "password": "nope"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


def test_signin_attempts_rate_limited_per_account(client, settings):
    for _ in range(settings.signin_attempts):
        assert client.post("/api/signin", json={"email": "rita@example.com", "password": "x"}).status_code == 401
    r = client.post("/api/signin", json={"email": "rita@example.com", "password": "x"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    # another account from the same address is still allowed
    assert client.post("/api/signin", json={"email": ADMIN_EMAIL, "password": "admin-password-1"}).status_code == 200


def test_join_by_number_rate_limited_per_address(client, settings):
    codes = [client.post("/api/join", json={"number": "123456789"}).status_code
             for _ in range(settings.join_attempts + 1)]
    assert codes[:-1] == [404] * settings.join_attempts and codes[-1] == 429


def test_api_needs_token_and_admin_api_needs_admin(client):
    admin = signin(client)
    _, rita = make_rep(client, admin, "rita@example.com", "Rita")
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/me", headers=bearer("forged.token")).status_code == 401
    r = client.get("/api/admin/reps", headers=bearer(rita))
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_allowed"


def test_admin_manages_reps_queues_and_policies(client):
    admin = signin(client)
    make_queue(client, admin, "billing", routing="automatic", offer_timeout=20)
    r = client.post("/api/admin/reps", headers=bearer(admin), json={
        "email": "Sam@Example.com", "name": "Sam", "queue_rep": True, "max_customers": 3,
        "multi_session": True, "queues": ["billing"]})
    assert r.status_code == 201
    created = r.json()
    assert created["password"]  # generated, shown once
    assert signin(client, "sam@example.com", created["password"])
    rid = created["account"]["id"]
    r = client.patch(f"/api/admin/reps/{rid}", headers=bearer(admin), json={"max_customers": 5, "multi_session": False})
    assert r.json()["max_customers"] == 5 and r.json()["multi_session"] is False
    assert client.post("/api/admin/reps", headers=bearer(admin),
                       json={"email": "sam@example.com", "name": "Again"}).status_code == 409
    assert client.post("/api/admin/queues", headers=bearer(admin),
                       json={"name": "Bad Name!", "title": "x"}).status_code == 422
    queues = client.get("/api/queues").json()["queues"]
    assert {q["name"]: q["routing"] for q in queues}["billing"] == "automatic"
    assert queues[0]["help_link"].endswith("/help?queue=" + queues[0]["name"])
    r = client.put("/api/admin/policies", headers=bearer(admin), json={"auto_record": True, "grant_timeout": 30})
    assert r.json()["auto_record"] is True and r.json()["grant_timeout"] == 30
    assert client.put("/api/admin/policies", headers=bearer(admin), json={"grant_timeout": 1}).status_code == 422
    entries = client.get("/api/admin/audit", headers=bearer(admin)).json()["entries"]
    assert {"account.created", "queue.created", "policies.changed"} <= {e["action"] for e in entries}


def test_admin_cannot_remove_own_admin_access(client):
    admin = signin(client)
    me = client.get("/api/me", headers=bearer(admin)).json()
    r = client.patch(f"/api/admin/reps/{me['id']}", headers=bearer(admin), json={"is_admin": False})
    assert r.status_code == 409


def test_deactivated_rep_cannot_sign_in(client):
    admin = signin(client)
    rid, _ = make_rep(client, admin, "rita@example.com", "Rita")
    client.patch(f"/api/admin/reps/{rid}", headers=bearer(admin), json={"active": False})
    assert client.post("/api/signin", json={"email": "rita@example.com", "password": "rep-password-1"}).status_code == 401


def test_bad_bodies_get_clear_errors(client):
    r = client.post("/api/signin", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid"
    r = client.post("/api/signin", json={"email": "a@b.c", "password": "x", "extra": 1})
    assert r.status_code == 422 and "extra" in r.json()["error"]["message"]
    r = client.post("/api/help", json={"queue": "nope"})
    assert r.status_code == 404 and "nope" in r.json()["error"]["message"]


def test_openapi_document_is_valid_and_lists_endpoints(client):
    doc = client.get("/api/openapi.json").json()
    validate(doc)
    assert {"/api/signin", "/api/join", "/api/help", "/api/sessions/{session}/invitations",
            "/api/admin/reps/{rep}"} <= set(doc["paths"])
    assert client.get("/api/docs").status_code == 200


def test_invitation_texts_link_mailto_and_phone(client):
    admin = signin(client)
    _, rita = make_rep(client, admin, "rita@example.com", "Rita")
    with client.websocket_connect("/ws") as ws:
        from tests.conftest import Peer
        rep = Peer(ws, rita)
        rep.send("start_session")
        state = rep.expect("session_state")
    r = client.post(f"/api/sessions/{state['session']}/invitations", headers=bearer(rita),
                    json={"invitee": "customer", "email": "ann@example.com"})
    inv = r.json()
    assert r.status_code == 200 and inv["sent"] is False
    assert inv["number"] == state["number"] and inv["link"] == state["join_link"]
    assert inv["mailto"].startswith("mailto:ann@example.com?subject=")
    assert state["number"] in inv["phone"] and "/join" in inv["phone"]
    # the link works: the invite page lets the customer in
    page = client.get(inv["link"].replace("http://testserver", ""))
    assert page.status_code == 200 and state["number"] in page.text
    rep_inv = client.post(f"/api/sessions/{state['session']}/invitations", headers=bearer(rita),
                          json={"invitee": "rep"}).json()
    assert rep_inv["link"] != inv["link"] and state["number"] in rep_inv["body"]
    # only reps in the session may invite
    _, sam = make_rep(client, admin, "sam@example.com", "Sam")
    assert client.post(f"/api/sessions/{state['session']}/invitations", headers=bearer(sam),
                       json={}).status_code == 403


def test_expired_invite_link_is_refused(client, settings):
    import itsdangerous.timed

    from server.auth import Tokens

    token = Tokens(settings.secret_key).invite("sid", "123456789", "customer")
    orig = itsdangerous.timed.TimestampSigner.get_timestamp
    try:
        itsdangerous.timed.TimestampSigner.get_timestamp = lambda self: int(orig(self) + settings.invite_ttl + 10)
        r = client.get(f"/invite/{token}")
    finally:
        itsdangerous.timed.TimestampSigner.get_timestamp = orig
    assert r.status_code == 410


def test_snippet_websites_may_call_the_customer_api(settings):
    from starlette.testclient import TestClient

    from server.web.app import create_app

    settings.allowed_origins = ("https://shop.example",)
    with TestClient(create_app(settings)) as client:
        ok = client.options("/api/help", headers={"Origin": "https://shop.example",
                                                  "Access-Control-Request-Method": "POST"})
        assert ok.status_code == 204 and ok.headers["access-control-allow-origin"] == "https://shop.example"
        r = client.post("/api/help", json={"queue": "demo"}, headers={"Origin": "https://shop.example"})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://shop.example"
        other = client.post("/api/help", json={"queue": "demo"}, headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        assert "access-control-allow-origin" not in client.post(
            "/api/signin", json={"email": "a@b.c", "password": "x"}, headers={"Origin": "https://shop.example"}).headers


def test_support_manager_pairs_with_a_code_from_the_customers_page(client):
    from tests.conftest import Peer

    admin = signin(client)
    _, rita = make_rep(client, admin, "rita@example.com", "Rita")
    with client.websocket_connect("/ws") as ws:
        rep = Peer(ws, rita)
        rep.send("start_session")
        state = rep.expect("session_state")
    joined = client.post("/api/join", json={"number": state["number"], "name": "Ann"}).json()
    assert client.post(f"/api/sessions/{state['session']}/pairing").status_code == 401
    code = client.post(f"/api/sessions/{state['session']}/pairing", headers=bearer(joined["token"])).json()
    assert len(code["code"]) == 6 and code["code"] in code["command"]
    bad = client.post("/api/agent/pair", json={"number": state["number"], "code": "000000"})
    assert bad.status_code == 403
    paired = client.post("/api/agent/pair", json={"number": state["number"], "code": code["code"], "name": "Ann's PC"})
    assert paired.status_code == 200, paired.text
    with client.websocket_connect("/ws") as ws:
        agent = Peer(ws, paired.json()["token"])
        assert agent.welcome["role"] == "agent"
        view = agent.expect("session_state")
        me = next(p for p in view["participants"] if p["pid"] == view["you"])
        ann = next(p for p in view["participants"] if p["kind"] == "customer")
        assert me["kind"] == "agent" and me["role"] == "agent" and me["owner"] == ann["pid"]
