"""The exit survey: a customer rates the session with their capability token,
once, also after the session ended; the rating reaches the session report."""

from tests.conftest import Peer, bearer, make_rep, signin
from tests.test_pages import page_signin


def ended_session(client, rep_token: str, name: str = "Ann") -> tuple[str, str]:
    """A rep starts a session, a customer joins and says hello, the rep ends
    it. Returns (session id, the customer's capability token)."""
    with client.websocket_connect("/ws") as w1:
        rep = Peer(w1, rep_token)
        rep.send("start_session")
        state = rep.expect("session_state")
        sid = state["session"]
        joined = client.post("/api/join", json={"number": state["number"], "name": name}).json()
        with client.websocket_connect("/ws") as w2:
            cus = Peer(w2, joined["token"])
            cus.expect("session_state")
            cus.send("chat", session=sid, text="hello")
            rep.expect("chat_message", text="hello")
            rep.send("end_session", session=sid)
            cus.expect("session_ended")
    return sid, joined["token"]


def rate(client, sid: str, token: str, **body):
    return client.post(f"/api/sessions/{sid}/rating", headers=bearer(token), json=body)


def test_customer_rates_the_ended_session_once(client):
    admin = signin(client)
    _, rita = make_rep(client, admin, "rita@example.com", "Rita")
    sid, token = ended_session(client, rita)
    # the token no longer opens the session page, but still rates it
    assert client.get(f"/s/{token}").status_code == 410
    r = rate(client, sid, token, score=4, comment="  Quick and friendly  ")
    assert r.status_code == 201 and r.json() == {"session": sid, "score": 4, "comment": "Quick and friendly"}
    again = rate(client, sid, token, score=1)
    assert again.status_code == 409 and "rated this session already" in again.json()["error"]["message"]
    # the report wants a signed-in admin (or a rep of the session)
    assert client.get(f"/reports/sessions/{sid}", follow_redirects=False).headers["location"].startswith("/signin")
    page_signin(client)
    page = client.get(f"/reports/sessions/{sid}").text
    assert "4 of 5" in page and "Quick and friendly" in page


def test_rating_needs_the_customers_token_for_that_session(client):
    admin = signin(client)
    _, rita = make_rep(client, admin, "rita@example.com", "Rita")
    first, first_token = ended_session(client, rita, "Ann")
    second, second_token = ended_session(client, rita, "Bob")
    r = rate(client, first, second_token, score=5)
    assert r.status_code == 403 and "another session" in r.json()["error"]["message"]
    r = client.post(f"/api/sessions/{first}/rating", json={"score": 5})
    assert r.status_code == 401 and "token" in r.json()["error"]["message"]
    assert rate(client, first, "forged.token", score=5).status_code == 401
    # a rep's token is not a customer's
    assert rate(client, first, rita, score=5).status_code == 401
    assert rate(client, first, first_token, score=5).status_code == 201


def test_score_must_be_1_to_5_and_comment_short(client):
    admin = signin(client)
    _, rita = make_rep(client, admin, "rita@example.com", "Rita")
    sid, token = ended_session(client, rita)
    for bad in (0, 6, "5", 4.5, None):
        r = rate(client, sid, token, score=bad)
        assert r.status_code == 422 and "score" in r.json()["error"]["message"], bad
    r = rate(client, sid, token, score=3, comment="x" * 1001)
    assert r.status_code == 422 and "comment" in r.json()["error"]["message"]
    assert rate(client, sid, token, score=3).status_code == 201


def test_snippet_websites_may_send_the_rating(settings):
    from starlette.testclient import TestClient

    from server.web.app import create_app
    settings.allowed_origins = ("https://shop.example.com",)
    with TestClient(create_app(settings)) as client:
        r = client.options("/api/sessions/abc/rating", headers={
            "Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
        assert r.status_code == 204
        assert r.headers["access-control-allow-origin"] == "https://shop.example.com"
        assert "authorization" in r.headers["access-control-allow-headers"]
        r = client.options("/api/sessions/abc/rating", headers={"Origin": "https://evil.example.com"})
        assert "access-control-allow-origin" not in r.headers
