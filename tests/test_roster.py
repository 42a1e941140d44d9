"""GET /api/roster: reps read who is there (presence, load) and the queues'
waiting counts; GET /api/sessions/{id}/chat: a session's reps read its chat so far."""

from starlette.testclient import TestClient

from server.web.app import create_app
from tests.conftest import Peer, bearer, make_queue, make_rep, signin


def test_roster_shows_presence_load_and_waiting_to_reps_only(settings):
    with TestClient(create_app(settings)) as client:
        admin = signin(client)
        make_queue(client, admin, "billing")
        rita_id, rita = make_rep(client, admin, "rita@example.com", "Rita", queue_rep=True, queues=["billing"])
        bert_id, _ = make_rep(client, admin, "bert@example.com", "Bert", queue_rep=True, queues=["billing"])
        gone_id, _ = make_rep(client, admin, "gone@example.com", "Gone")
        client.patch(f"/api/admin/reps/{gone_id}", headers=bearer(admin), json={"active": False})
        assert client.get("/api/roster").status_code == 401
        ann = client.post("/api/help", json={"queue": "billing", "name": "Ann"}).json()["token"]
        with client.websocket_connect("/ws") as ws, client.websocket_connect("/ws") as ws_ann:
            rep = Peer(ws, rita)
            rep.send("start_session")
            rep.expect("session_state")
            Peer(ws_ann, ann).expect("queue_position")
            roster = client.get("/api/roster", headers=bearer(rita)).json()
        reps = {r["name"]: r for r in roster["reps"]}
        assert "Gone" not in reps
        assert reps["Rita"]["you"] and reps["Rita"]["presence"] == "busy"  # single-session, in a session
        assert (reps["Rita"]["sessions"], reps["Rita"]["max_customers"]) == (1, 1)
        assert reps["Bert"]["presence"] == "away" and not reps["Bert"]["you"]
        assert reps["Bert"]["id"] == bert_id and reps["Rita"]["id"] == rita_id
        assert "email" not in reps["Bert"]
        assert {"name": "billing", "title": "Billing", "waiting": 1} in roster["queues"]


def test_an_assistant_reads_the_chat_so_far_and_an_outsider_cannot(settings):
    with TestClient(create_app(settings)) as client:
        admin = signin(client)
        _, rita = make_rep(client, admin, "rita@example.com", "Rita")
        _, bert = make_rep(client, admin, "bert@example.com", "Bert")
        _, olga = make_rep(client, admin, "olga@example.com", "Olga")
        with client.websocket_connect("/ws") as ws_r, client.websocket_connect("/ws") as ws_b:
            r, b = Peer(ws_r, rita), Peer(ws_b, bert)
            r.send("start_session")
            state = r.expect("session_state")
            r.send("chat", session=state["session"], text="Hello before Bert came", reps_only=False)
            r.send("chat", session=state["session"], text="Between us reps", reps_only=True)
            r.expect("chat_message", text="Between us reps")
            assert client.get(f"/api/sessions/{state['session']}/chat", headers=bearer(bert)).status_code == 403
            b.send("assist_session", number=state["number"])
            b.expect("session_state", role="assistant")
            lines = client.get(f"/api/sessions/{state['session']}/chat", headers=bearer(bert)).json()["lines"]
            assert [(x["text"], x["reps_only"], x["name"]) for x in lines] == [
                ("Hello before Bert came", False, "Rita"), ("Between us reps", True, "Rita")]
            assert all(x["at"] > 0 for x in lines)
            assert client.get(f"/api/sessions/{state['session']}/chat", headers=bearer(olga)).status_code == 403
