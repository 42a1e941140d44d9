from tests.conftest import Peer, make_queue, make_rep, signin


def test_inbound_customer_accepted_and_chat_both_ways(client):
    admin = signin(client)
    make_queue(client, admin, "billing")
    _, rita = make_rep(client, admin, "rita@example.com", "Rita", queue_rep=True, queues=["billing"])
    joined = client.post("/api/help", json={"queue": "billing", "name": "Ann"}).json()
    with client.websocket_connect("/ws") as r, client.websocket_connect("/ws") as c:
        rep, cus = Peer(r, rita), Peer(c, joined["token"])
        assert cus.expect("queue_position")["position"] == 1
        rep.send("accept_next")
        state = rep.expect("session_state", state="active")
        cus.send("chat", session=state["session"], text="my invoice is wrong")
        assert rep.expect("chat_message")["text"] == "my invoice is wrong"
        rep.send("chat", session=state["session"], text="let me look")
        assert cus.expect("chat_message", text="let me look")["name"] == "Rita"
