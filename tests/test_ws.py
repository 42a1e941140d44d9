"""The `/ws` endpoint (server/web/ws.py) through Starlette's TestClient: hello and
tokens, typed errors that keep the connection open, limits, resends, binary
frames checked against grants, and the Origin check."""

from __future__ import annotations

import asyncio
import json
import os
import time
from types import SimpleNamespace

import anyio
import pytest
from itsdangerous import TimestampSigner
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

import server.web.ws
from server.auth import Tokens
from server.config import OFFICIAL_EXTENSION_ID, Settings
from server.protocol import FRAME_HEADER, StreamKind
from server.web.app import create_app
from tests.conftest import Peer, make_rep, signin
from tests.test_resume import OPEN, WsPeer, sign_in  # noqa: F401

RECEIVE_TIMEOUT = 10.0


def receive(ws, timeout: float = RECEIVE_TIMEOUT) -> dict:
    """The next ASGI message the relay sent on ``ws``; fails instead of hanging
    when the relay sends nothing."""

    async def get():
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()

    return ws.portal.call(get)


class Client(Peer):
    """`Peer` with bounded receives, binary frames, and a ping fence."""

    def hello(self, token: str, **extra) -> dict:
        self.ws.send_text(json.dumps({"type": "hello", "seq": 0, "token": token, **extra}))
        return self.next()

    def next(self):
        """The next message: a dict for JSON, bytes for a binary frame."""
        msg = receive(self.ws)
        if msg["type"] == "websocket.close":
            raise WebSocketDisconnect(msg.get("code", 1000), msg.get("reason") or "")
        if msg.get("bytes") is not None:
            return msg["bytes"]
        return json.loads(msg["text"])

    def expect(self, type_: str, limit: int = 50, where=None, **match) -> dict:
        seen = []
        for _ in range(limit):
            msg = self.next()
            if isinstance(msg, bytes):
                seen.append("<frame>")
                continue
            if msg["type"] == type_ and all(msg.get(k) == v for k, v in match.items()) \
                    and (where is None or where(msg)):
                return msg
            seen.append(msg["type"])
        raise AssertionError(f"no {type_} {match or ''} among {seen}")

    def fence(self) -> list:
        """Ping, and return everything that arrives before the pong. The relay
        answers in order, so whatever a message caused is in this list."""
        self.ws.send_text(json.dumps({"type": "ping", "seq": 0}))
        got = []
        for _ in range(500):
            msg = self.next()
            if isinstance(msg, dict) and msg["type"] == "pong":
                return got
            got.append(msg)
        raise AssertionError("no pong")

    def frame(self, kind: int, stream: int, body: bytes) -> int:
        self.seq += 1
        self.ws.send_bytes(FRAME_HEADER.pack(kind, stream, self.seq) + body)
        return self.seq

    def error(self, code: str) -> dict:
        return self.expect("error", code=code)


def errors(msgs: list) -> list[dict]:
    return [m for m in msgs if isinstance(m, dict) and m["type"] == "error"]


def frames(msgs: list) -> list[bytes]:
    return [m for m in msgs if isinstance(m, bytes)]


def assert_refused(ws, why: str = "") -> None:
    """The relay says ``unauthorized`` and closes the socket with 4001."""
    msg = json.loads(receive(ws)["text"])
    assert msg["type"] == "error" and msg["code"] == "unauthorized", msg
    closing = receive(ws)
    assert closing["type"] == "websocket.close" and closing["code"] == 4001, closing


# --- fixtures and session set-up ------------------------------------------------


@pytest.fixture
def admin(client) -> str:
    return signin(client)


class Live:
    """An outbound session: the admin as primary, one customer present."""

    def __init__(self, client: TestClient, rep: Client, cus_ws) -> None:
        self.rep = rep
        rep.send("start_session")
        state = rep.expect("session_state", state="open")
        self.sid, self.number = state["session"], state["number"]
        joined = client.post("/api/join", json={"number": self.number, "name": "Ann"})
        assert joined.status_code == 200, joined.text
        self.cus_token = joined.json()["token"]
        self.cus = Client(cus_ws, self.cus_token)
        assert self.cus.welcome["type"] == "welcome"
        self.cus_pid = self.cus.welcome["pid"]
        self.rep.expect("session_state", where=lambda m: self._present(m))
        self.cus.expect("session_state")

    def _present(self, state: dict) -> bool:
        return any(x["pid"] == self.cus_pid and x["present"] for x in state["participants"]) \
            and state["tools_available"]

    def grant(self, kind: str) -> tuple[int, int]:
        """The rep asks, the customer approves; returns (grant id, stream id)."""
        self.rep.send("request_grant", session=self.sid, kind=kind, scope="tab")
        pending = self.cus.expect("session_state", where=lambda m: any(
            g["kind"] == kind and g["state"] == "pending" for g in m["grants"]))
        gid = next(g["id"] for g in pending["grants"] if g["kind"] == kind)
        self.cus.send("decide_grant", session=self.sid, grant=gid, approve=True)
        return gid, self.stream(kind)

    def stream(self, kind: str) -> int:
        state = self.cus.expect("session_state", where=lambda m: any(a["kind"] == kind for a in m["activities"]))
        act = next(a for a in state["activities"] if a["kind"] == kind)
        assert act["stream"] == act["id"]
        return act["stream"]


@pytest.fixture
def live(client, admin):
    with client.websocket_connect("/ws") as r, client.websocket_connect("/ws") as c:
        yield Live(client, Client(r, admin), c)


# --- hello and tokens -------------------------------------------------------


def old_rep_token(monkeypatch, settings, account_id: int) -> str:
    """A genuine rep token issued longer ago than ``rep_token_ttl``."""
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp",
                  lambda self: int(time.time() - settings.rep_token_ttl - 3600))
        return Tokens(settings.secret_key).rep(account_id)


@pytest.mark.parametrize("kind", ["garbage", "forged", "expired", "empty-looking"])
def test_bad_token_is_refused_and_the_socket_closes(client, settings, monkeypatch, kind):
    admin_id = client.get("/api/me", headers={"Authorization": f"Bearer {signin(client)}"}).json()["id"]
    token = {"garbage": "not-a-token",
             "forged": Tokens("another-secret").rep(admin_id),
             "expired": old_rep_token(monkeypatch, settings, admin_id),
             "empty-looking": " "}[kind]
    with client.websocket_connect("/ws") as ws:
        ws.send_text(json.dumps({"type": "hello", "seq": 0, "token": token}))
        assert_refused(ws)


def test_valid_rep_token_is_welcomed(client, admin):
    with client.websocket_connect("/ws") as ws:
        welcome = Client(ws, admin).welcome
    assert welcome["type"] == "welcome" and welcome["role"] == "rep"
    assert welcome["account"]["email"] == "admin@localhost"
    assert welcome["resumed"] is False and welcome["resume"]


def test_customer_link_of_an_ended_session_is_refused(client, live):
    live.rep.send("end_session", session=live.sid)
    live.cus.expect("session_ended", reason="ended")
    with client.websocket_connect("/ws") as ws:
        ws.send_text(json.dumps({"type": "hello", "seq": 0, "token": live.cus_token}))
        assert_refused(ws)


@pytest.mark.parametrize("first", [
    {"type": "ping", "seq": 1},
    {"type": "chat", "seq": 1, "session": "x", "text": "hi"},
    "{not json",
])
def test_first_message_must_be_hello(client, admin, first):
    with client.websocket_connect("/ws") as ws:
        ws.send_text(first if isinstance(first, str) else json.dumps(first))
        assert_refused(ws)


def test_a_socket_that_never_says_hello_is_refused_and_closed(client, monkeypatch):
    monkeypatch.setattr("server.web.ws.HELLO_TIMEOUT", 0.3)
    with client.websocket_connect("/ws") as ws:
        assert_refused(ws)  # without a word from the client


def test_second_hello_is_refused_but_connection_stays(client, admin):
    with client.websocket_connect("/ws") as ws:
        c = Client(ws, admin)
        seq = c.send("hello", token=admin)
        assert c.error("invalid")["ref"] == seq
        assert errors(c.fence()) == []


# --- recoverable errors -------------------------------------------------------


def test_malformed_json_gets_bad_json_and_connection_stays_open(client, admin):
    with client.websocket_connect("/ws") as ws:
        c = Client(ws, admin)
        ws.send_text('{"type": "ping", "seq": 1')
        err = c.error("bad_json")
        assert err["ref"] is None
        c.fence()


def test_unknown_type_names_the_type_and_refers_to_its_seq(client, admin):
    with client.websocket_connect("/ws") as ws:
        c = Client(ws, admin)
        seq = c.send("teleport", session="x")
        err = c.error("bad_message")
        assert err["ref"] == seq
        assert "teleport" in err["message"]
        c.fence()


def test_unknown_field_is_a_bad_message(client, admin):
    with client.websocket_connect("/ws") as ws:
        c = Client(ws, admin)
        seq = c.send("set_availability", available=True, sneaky=1)
        err = c.error("bad_message")
        assert err["ref"] == seq and "sneaky" in err["message"]
        c.fence()


def test_oversized_text_message_is_too_large_and_connection_stays_open(client, settings, admin):
    with client.websocket_connect("/ws") as ws:
        c = Client(ws, admin)
        ws.send_text(json.dumps({"type": "ping", "seq": 1, "pad": "x" * settings.max_message_bytes}))
        c.error("too_large")
        c.fence()


def test_oversized_multibyte_text_message_is_too_large(client, settings, admin):
    with client.websocket_connect("/ws") as ws:
        c = Client(ws, admin)
        pad = "\u20ac" * (settings.max_message_bytes // 3 + 100)  # 3 bytes each in UTF-8
        text = json.dumps({"type": "ping", "seq": 1, "pad": pad}, ensure_ascii=False)
        assert len(text) < settings.max_message_bytes < len(text.encode())
        ws.send_text(text)
        c.error("too_large")


def test_oversized_binary_frame_is_too_large_and_connection_stays_open(client, settings, live):
    live.cus.frame(StreamKind.COBROWSE, 1, b"\0" * (settings.max_binary_bytes + 1))
    live.cus.error("too_large")
    live.cus.fence()


def test_customer_cannot_end_the_session(live):
    seq = live.cus.send("end_session", session=live.sid)
    assert live.cus.error("not_allowed")["ref"] == seq
    live.cus.fence()
    live.rep.send("note", session=live.sid, text="still here?")
    assert live.rep.expect("session_state")["state"] == "active"


def test_assistant_cannot_transfer_control(client, admin, live):
    _, bob = make_rep(client, admin, "bob@example.com", "Bob")
    with client.websocket_connect("/ws") as b:
        assistant = Client(b, bob)
        assistant.send("assist_session", number=live.number)
        state = assistant.expect("session_state", role="assistant")
        seq = assistant.send("transfer_control", session=live.sid, to=state["you"])
        err = assistant.error("not_allowed")
        assert err["ref"] == seq and "primary" in err["message"]
        assistant.fence()
        live.rep.send("note", session=live.sid, text="who is primary?")
        assert live.rep.expect("session_state")["role"] == "primary"


def test_rep_cannot_act_in_a_session_they_are_not_in(client, admin, live):
    _, bob = make_rep(client, admin, "bob@example.com", "Bob")
    with client.websocket_connect("/ws") as b:
        outsider = Client(b, bob)
        for kind, fields in [("chat", {"text": "hello from outside"}), ("end_session", {}),
                             ("request_grant", {"kind": "view"})]:
            seq = outsider.send(kind, session=live.sid, **fields)
            assert outsider.error("not_allowed")["ref"] == seq
        outsider.fence()
    seen = live.cus.fence()
    assert not [m for m in seen if isinstance(m, dict) and m["type"] in ("chat_message", "session_ended")]


# --- rate limit ----------------------------------------------------------------


@pytest.fixture
def frozen_clock(monkeypatch):
    """The endpoint's rate-limit clock, moved only by the test."""
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(server.web.ws, "time", SimpleNamespace(monotonic=lambda: clock.now, time=time.time))
    return clock


@pytest.fixture
def limited_client(settings, frozen_clock):
    settings.messages_per_second = 2.0
    settings.message_burst = 5
    with TestClient(create_app(settings)) as c:
        yield c


def test_a_burst_is_rate_limited_and_later_messages_work(limited_client, frozen_clock):
    client = limited_client
    admin = signin(client)
    with client.websocket_connect("/ws") as ws:
        c = Client(ws, admin)
        for _ in range(12):
            ws.send_text(json.dumps({"type": "ping", "seq": 0}))
        answers = []
        for _ in range(50):
            msg = c.next()
            if msg["type"] in ("pong", "error"):
                answers.append(msg)
            if len(answers) == 12:
                break
        assert [m["type"] for m in answers[:5]] == ["pong"] * 5
        assert [(m["type"], m.get("code")) for m in answers[5:]] == [("error", "rate_limited")] * 7
        seq = c.send("set_availability", available=True)
        assert c.error("rate_limited")
        frozen_clock.now += 1.0  # two more messages' worth
        c.seq = seq - 1  # resend the refused message: it was not processed
        c.send("set_availability", available=True)
        assert c.expect("queue_state")["available"] is True


# --- closing a connection ----------------------------------------------------------


def test_a_connection_told_to_stop_closes_even_when_a_library_swallowed_the_cancel(client, live, monkeypatch):
    """The broker lost payloads of the customer's stream (a Redis node fell
    behind its history) just as a call of the relay's answered: Python 3.11's
    asyncio.wait_for then returns the answer and drops the cancellation. The
    customer is closed as a slow receiver all the same, and resumes."""
    relay = client.app.state.relay
    receive = relay.receive

    async def answered_as_the_stream_was_lost(actor, msg, text=None, resume=None):
        if msg.type == "chat" and msg.text == "lost":
            conn = next(c for c in relay.connections if c.actor == actor)
            answer = asyncio.get_running_loop().create_future()

            def same_turn():
                answer.set_result(None)
                conn.outbox.drop()  # what the Redis broker calls (`lost`): this cancels the connection's task

            asyncio.get_running_loop().call_soon(same_turn)
            await asyncio.wait_for(answer, 10)
        await receive(actor, msg, text, resume)

    monkeypatch.setattr(relay, "receive", answered_as_the_stream_was_lost)
    live.cus.send("chat", session=live.sid, text="lost")
    with pytest.raises(WebSocketDisconnect) as closed:
        for _ in range(50):
            live.cus.next()
    assert closed.value.code == server.web.ws.CLOSE_SLOW
    assert relay.counters.slow_receivers == 1


# --- resends ---------------------------------------------------------------------


def test_a_resent_chat_with_the_same_seq_appears_once(live):
    msg = {"type": "chat", "seq": 7, "session": live.sid, "text": "my invoice is wrong"}
    live.cus.ws.send_text(json.dumps(msg))
    live.cus.ws.send_text(json.dumps(msg))
    live.cus.ws.send_text(json.dumps({**msg, "seq": 8, "text": "number 42"}))
    live.cus.fence()
    got = [m["text"] for m in live.rep.fence() if isinstance(m, dict) and m["type"] == "chat_message"]
    assert got == ["my invoice is wrong", "number 42"]


# --- binary frames ---------------------------------------------------------------


def test_cobrowse_frames_reach_the_rep_only_after_the_view_grant(live):
    live.rep.send("request_grant", session=live.sid, kind="view", scope="tab")
    pending = live.cus.expect("session_state", where=lambda m: m["grants"])
    gid = pending["grants"][0]["id"]
    # before approval: not even the stream the approval will create works
    for stream in (gid, gid + 1, 999_999):
        seq = live.cus.frame(StreamKind.COBROWSE, stream, b"early")
        assert live.cus.error("not_allowed")["ref"] == seq
    assert frames(live.rep.fence()) == []

    live.cus.send("decide_grant", session=live.sid, grant=gid, approve=True)
    stream = live.stream("view")
    bodies = [b"rrweb:" + bytes(range(256)) * 4, b"\x00\xff" * 1000, b"x"]
    for body in bodies:
        live.cus.frame(StreamKind.COBROWSE, stream, body)
    seq = live.cus.frame(StreamKind.COBROWSE, stream + 1000, b"elsewhere")
    assert live.cus.error("not_allowed")["ref"] == seq
    got = frames(live.rep.fence())
    assert [g[FRAME_HEADER.size:] for g in got] == bodies
    for g in got:
        kind, s, _ = FRAME_HEADER.unpack_from(g)
        assert (kind, s) == (StreamKind.COBROWSE, stream)


def test_relay_frame_seq_is_the_receivers_stream_position(live):
    _, stream = live.grant("view")
    live.rep.send("note", session=live.sid, text="before the frames")
    before = live.rep.expect("session_state")["seq"]
    for i in range(5):
        live.cus.frame(StreamKind.COBROWSE, stream, b"%d" % i)
    live.rep.send("note", session=live.sid, text="after the frames")
    got = live.rep.fence()
    seqs = [FRAME_HEADER.unpack_from(g)[2] if isinstance(g, bytes) else g["seq"] for g in got]
    assert len(frames(got)) == 5
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert seqs[0] > before


def test_the_rep_cannot_send_cobrowse_on_the_customers_view(live):
    _, stream = live.grant("view")
    seq = live.rep.frame(StreamKind.COBROWSE, stream, b"not mine")
    assert live.rep.error("not_allowed")["ref"] == seq
    assert frames(live.cus.fence()) == []


def test_control_frames_need_a_live_control_grant(live):
    _, view = live.grant("view")
    seq = live.rep.frame(StreamKind.CONTROL, view, b"click 1")
    assert live.rep.error("not_allowed")["ref"] == seq

    gid, control = live.grant("control")
    live.rep.frame(StreamKind.CONTROL, control, b"click 2")
    live.rep.fence()
    got = frames(live.cus.fence())
    assert [g[FRAME_HEADER.size:] for g in got] == [b"click 2"]
    assert FRAME_HEADER.unpack_from(got[0])[:2] == (StreamKind.CONTROL, control)

    # the customer (the sharer) does not control their own page through the relay
    seq = live.cus.frame(StreamKind.CONTROL, control, b"echo")
    assert live.cus.error("not_allowed")["ref"] == seq

    live.cus.send("revoke_grant", session=live.sid, grant=gid)
    live.rep.expect("session_state", where=lambda m: not any(a["kind"] == "control" for a in m["activities"]))
    seq = live.rep.frame(StreamKind.CONTROL, control, b"click 3")
    assert live.rep.error("not_allowed")["ref"] == seq
    assert frames(live.cus.fence()) == []


@pytest.mark.parametrize("routes_kept", [1, 16])
def test_a_rep_controls_two_customers_in_turn_and_a_revoke_stops_only_its_own(client, admin, monkeypatch,
                                                                               routes_kept):
    """A rep's connection sends on the streams of all their sessions in turn; it
    keeps a route per stream (at most `MAX_ROUTES`), and a revoke in one session
    refuses that stream's next frame while the other's go on."""
    monkeypatch.setattr(server.web.ws, "MAX_ROUTES", routes_kept)
    with client.websocket_connect("/ws") as r, client.websocket_connect("/ws") as c1, \
            client.websocket_connect("/ws") as c2:
        rep = Client(r, admin)
        one, two = Live(client, rep, c1), Live(client, rep, c2)
        gid, s1 = one.grant("control")
        _, s2 = two.grant("control")
        for i in range(3):
            rep.frame(StreamKind.CONTROL, s1, b"one %d" % i)
            rep.frame(StreamKind.CONTROL, s2, b"two %d" % i)
        assert errors(rep.fence()) == []
        assert [g[FRAME_HEADER.size:] for g in frames(one.cus.fence())] == [b"one 0", b"one 1", b"one 2"]
        assert [g[FRAME_HEADER.size:] for g in frames(two.cus.fence())] == [b"two 0", b"two 1", b"two 2"]

        one.cus.send("revoke_grant", session=one.sid, grant=gid)
        rep.expect("session_state", where=lambda m: m["session"] == one.sid
                   and not any(a["kind"] == "control" for a in m["activities"]))
        seq = rep.frame(StreamKind.CONTROL, s1, b"one late")
        assert rep.error("not_allowed")["ref"] == seq
        rep.frame(StreamKind.CONTROL, s2, b"two late")
        assert errors(rep.fence()) == []
        assert frames(one.cus.fence()) == []
        assert [g[FRAME_HEADER.size:] for g in frames(two.cus.fence())] == [b"two late"]


def test_a_short_binary_frame_is_a_bad_message(live):
    live.cus.ws.send_bytes(b"\x01\x00")
    live.cus.error("bad_message")
    live.cus.fence()


# --- Origin ----------------------------------------------------------------------


@pytest.mark.parametrize("origin", ["http://evil.example", "http://testserver.evil.example", "null"])
def test_a_page_from_another_origin_cannot_open_the_websocket(client, origin):
    with pytest.raises(WebSocketDisconnect) as refused:
        with client.websocket_connect("/ws", headers={"origin": origin}):
            pass
    assert refused.value.code == 4003


@pytest.mark.parametrize("origin", ["http://testserver", f"chrome-extension://{OFFICIAL_EXTENSION_ID}"])
def test_own_pages_and_the_extension_may_open_the_websocket(client, admin, origin):
    with client.websocket_connect("/ws", headers={"origin": origin}) as ws:
        assert Client(ws, admin).welcome["type"] == "welcome"


# --- a real relay process (uvicorn) ------------------------------------------------


@pytest.mark.anyio
async def test_a_frame_at_the_size_limit_from_a_deflate_client_keeps_the_connection(live_relay, settings):
    peer = await WsPeer.open(live_relay.ws_url, await sign_in(live_relay.base), compression="deflate")
    OPEN.remove(peer)
    try:
        await _send_big_frame(peer, settings)
    finally:
        peer.ws.transport.abort()


async def _send_big_frame(peer, settings) -> None:
    body = os.urandom(settings.max_binary_bytes - FRAME_HEADER.size)  # like a JPEG: incompressible
    await peer.ws.send(FRAME_HEADER.pack(StreamKind.FRAMES, 1, 1) + body)
    err = await peer.expect("error")
    assert err["code"] == "not_allowed"  # no such stream, but the frame was read
    await peer.fence()


@pytest.mark.parametrize("value", ["0", "-5"])
def test_a_ping_interval_that_is_not_positive_is_refused_at_start(tmp_path, value):
    with pytest.raises(ValueError, match=f"TANDEM_PING_INTERVAL is {value}; give a positive number of seconds"):
        Settings.from_env({"TANDEM_VAR": str(tmp_path), "TANDEM_SECRET_KEY": "k", "TANDEM_PING_INTERVAL": value})
