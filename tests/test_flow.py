"""The issue's "done when", end to end: an admin sets up a rep and a queue with
the admin pages, a customer clicks the demo shop's help link, the rep accepts
them, they chat, an assistant joins and control is transferred to them."""

from tests.conftest import Peer, signin
from tests.test_pages import page_signin, post_form


def test_newcomer_flow_from_demo_shop_to_transfer_control(client):
    page_signin(client)
    post_form(client, "/admin/queues", "/admin/queues", name="support", title="Support", routing="manual",
              offer_timeout="30")
    for email, name in (("rita@example.com", "Rita"), ("sam@example.com", "Sam")):
        r = post_form(client, "/admin/reps", "/admin/reps", email=email, name=name, password="rep-password-1",
                      queue_rep="on", max_customers="2", queues="support")
        assert r.status_code == 201
    rita, sam = signin(client, "rita@example.com", "rep-password-1"), signin(client, "sam@example.com", "rep-password-1")

    assert 'href="/help?queue=support"' in client.get("/demo?queue=support").text
    r = post_form(client, "/help", "/help?queue=support", queue="support", name="Ann")
    customer_token = r.headers["location"][3:]

    with client.websocket_connect("/ws") as w1, client.websocket_connect("/ws") as w2, \
            client.websocket_connect("/ws") as w3:
        rep, cus = Peer(w1, rita), Peer(w2, customer_token)
        assert rep.expect("queue_state")["queues"][0]["waiting"][0]["name"] == "Ann"
        assert cus.expect("queue_position")["position"] == 1
        rep.send("accept_next")
        state = rep.expect("session_state", state="active")
        sid = state["session"]
        assert [a["kind"] for a in state["activities"]] == ["view"]  # cobrowse of her page starts at once

        cus.send("chat", session=sid, text="I can't find my order")
        assert rep.expect("chat_message")["text"] == "I can't find my order"
        rep.send("chat", session=sid, text="Let me bring in a colleague")
        assert cus.expect("chat_message", text="Let me bring in a colleague")["name"] == "Rita"

        assistant = Peer(w3, sam)
        assistant.send("assist_session", number=state["number"])
        joined = assistant.expect("session_state", session=sid)
        assert joined["role"] == "assistant" and joined["can_end"] is False

        rep.send("transfer_control", session=sid, to=joined["you"])
        after = assistant.expect("session_state", session=sid, primary=joined["you"])
        assert after["role"] == "primary" and after["can_end"] is True
        mine = rep.expect("session_state", session=sid, primary=joined["you"])
        assert mine["role"] == "assistant" and mine["can_end"] is False

        rep.send("end_session", session=sid)
        assert rep.expect("error")["code"] == "not_allowed"
        assistant.send("end_session", session=sid)
        assert cus.expect("session_ended")["reason"] == "ended"

    admin = signin(client)
    report = client.get(f"/api/sessions/{sid}", headers={"Authorization": f"Bearer {admin}"}).json()
    assert [m["text"] for m in report["chat"]] == ["I can't find my order", "Let me bring in a colleague"]
    assert [t["kind"] for t in report["transfers"]] == ["control"]
    assert report["state"] == "ended"
