"""Assisting by session number (server/core/assisting.py) over the relay's
WebSocket: a rep cannot scan session numbers (every try counts against the
account, and is audited), the primary sees an assistant arrive, and under
the assist approval policy nobody gets in without the primary's yes."""

from __future__ import annotations

import pytest

from tests.conftest import bearer, make_rep, signin
from tests.test_ws import Client, Live

WRONG = [f"{900_000_000 + i * 7919}" for i in range(30)]


@pytest.fixture
def admin(client) -> str:
    return signin(client)


@pytest.fixture
def session(client, admin):
    """A live session of the admin with a customer; yields the Live set-up."""
    with client.websocket_connect("/ws") as r, client.websocket_connect("/ws") as c:
        yield Live(client, Client(r, admin), c)


def audit(client, admin, action: str) -> list[dict]:
    entries = client.get("/api/admin/audit", headers=bearer(admin)).json()["entries"]
    return [e for e in entries if e["action"] == action]


def test_a_rep_cannot_scan_session_numbers(client, admin, settings, session):
    rita_id, rita = make_rep(client, admin, "rita@example.com", "Rita")
    with client.websocket_connect("/ws") as ws:
        scanner = Client(ws, rita)
        codes = []
        for number in [*WRONG, session.number.replace(" ", "")]:
            scanner.send("assist_session", number=number)
            codes.append(scanner.expect("error")["code"])
        print(f"{len(codes)} assist_session tries from one rep: {codes.count('not_found')} answered, "
              f"then {codes.count('rate_limited')} rate_limited")
        assert codes[:settings.join_attempts] == ["not_found"] * settings.join_attempts
        assert set(codes[settings.join_attempts:]) == {"rate_limited"}  # the right number too
        with client.websocket_connect("/ws") as ws2:  # a second connection of the same account
            again = Client(ws2, rita)
            again.send("assist_session", number=session.number.replace(" ", ""))
            assert again.expect("error")["code"] == "rate_limited"
    refused = audit(client, admin, "assist.refused")
    assert len(refused) == settings.join_attempts and {e["actor"] for e in refused} == {f"rep:{rita_id}"}
    assert [e["data"]["number"] for e in refused] == WRONG[:settings.join_attempts]


def test_the_primary_sees_an_assistant_arrive(client, admin, session):
    rita_id, rita = make_rep(client, admin, "rita@example.com", "Rita")
    with client.websocket_connect("/ws") as ws:
        Client(ws, rita).send("assist_session", number=session.number)
        notice = session.rep.expect("session_notice")
        assert (notice["event"], notice["name"], notice["session"]) == ("assistant_joined", "Rita", session.sid)
        session.rep.expect("session_state", where=lambda m: any(
            x["name"] == "Rita" and x["role"] == "assistant" for x in m["participants"]))
    [joined] = audit(client, admin, "assist.joined")
    assert joined["session_id"] == session.sid and joined["data"]["account_id"] == rita_id


def test_under_the_approval_policy_the_primary_decides(client, admin, session):
    r = client.put("/api/admin/policies", headers=bearer(admin), json={"assist_approval": True})
    assert r.status_code == 200 and r.json()["assist_approval"] is True
    _, rita = make_rep(client, admin, "rita@example.com", "Rita")
    _, sam = make_rep(client, admin, "sam@example.com", "Sam")
    with client.websocket_connect("/ws") as w1, client.websocket_connect("/ws") as w2:
        rita_ws, sam_ws = Client(w1, rita), Client(w2, sam)
        for asking in (rita_ws, sam_ws):
            asking.send("assist_session", number=session.number)
            assert asking.expect("assist_answer")["state"] == "waiting"
        state = session.rep.expect("session_state", where=lambda m: len(m["assist_requests"]) == 2)
        assert session.cus.expect("session_state")["assist_requests"] == []
        ids = {x["name"]: x["id"] for x in state["assist_requests"]}

        session.rep.send("decide_assist", session=session.sid, request=ids["Sam"], approve=False)
        assert sam_ws.expect("assist_answer")["state"] == "denied"
        session.rep.send("decide_assist", session=session.sid, request=ids["Rita"], approve=True)
        answer = rita_ws.expect("assist_answer")
        assert (answer["state"], answer["session"]) == ("approved", session.sid)
        assert rita_ws.expect("session_state", session=session.sid)["role"] == "assistant"
        assert not [m for m in sam_ws.fence() if isinstance(m, dict) and m["type"] == "session_state"]
    decisions = [(e["data"]["account_id"], e["data"]["approved"]) for e in audit(client, admin, "assist.decided")]
    assert sorted(x for _, x in decisions) == [False, True]
