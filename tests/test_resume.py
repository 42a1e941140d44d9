"""Resuming after a dropped network (server/web/ws.py, server/relay.py): a real
relay process, real sockets cut without a close frame, and a client that
comes back with its resume id and the last seq it saw."""

from __future__ import annotations

import json

import anyio
import httpx
import pytest
from websockets.asyncio.client import connect

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

pytestmark = pytest.mark.anyio

TIMEOUT = 15.0


OPEN: list[WsPeer] = []
"""Every `WsPeer` of the running test, closed after it (see `close_peers`)."""


@pytest.fixture(autouse=True)
async def close_peers():
    yield
    while OPEN:
        peer = OPEN.pop()
        with anyio.move_on_after(5):
            await peer.ws.close()
        peer.ws.transport.abort()


class WsPeer:
    """A protocol client over a real socket; remembers the last relay seq it read."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.seq = 0
        self.last_seq = 0
        self.welcome: dict = {}

    @classmethod
    async def open(cls, url: str, token: str, *, compression: str | None = "deflate", **hello) -> WsPeer:
        ws = await connect(url, proxy=None, open_timeout=TIMEOUT, max_size=None, compression=compression)
        peer = cls(ws)
        OPEN.append(peer)
        await ws.send(json.dumps({"type": "hello", "seq": 0, "token": token, **hello}))
        peer.welcome = await peer.next()
        assert peer.welcome["type"] == "welcome", peer.welcome
        return peer

    async def next(self, timeout: float = TIMEOUT):
        with anyio.fail_after(timeout):
            raw = await self.ws.recv()
        if isinstance(raw, bytes):
            return raw
        msg = json.loads(raw)
        if "seq" in msg:
            assert msg["seq"] > self.last_seq, f"stream went back: {msg['seq']} after {self.last_seq}"
            self.last_seq = msg["seq"]
        return msg

    async def send(self, type_: str, **fields) -> int:
        self.seq += 1
        await self.ws.send(json.dumps({"type": type_, "seq": self.seq, **fields}))
        return self.seq

    async def expect(self, type_: str, where=None, limit: int = 200, **match) -> dict:
        seen = []
        for _ in range(limit):
            msg = await self.next()
            if isinstance(msg, bytes):
                continue
            if msg["type"] == type_ and all(msg.get(k) == v for k, v in match.items()) \
                    and (where is None or where(msg)):
                return msg
            seen.append(msg["type"])
        raise AssertionError(f"no {type_} {match or ''} among {seen}")

    async def fence(self) -> list:
        """Everything that arrives before the answer to a ping."""
        await self.ws.send(json.dumps({"type": "ping", "seq": 0}))
        got = []
        for _ in range(5000):
            msg = await self.next()
            if isinstance(msg, dict) and msg["type"] == "pong":
                return got
            got.append(msg)
        raise AssertionError("no pong")

    def cut(self) -> None:
        """Drop the connection as a dead network would: no close frame."""
        self.ws.transport.abort()

    async def close(self) -> None:
        await self.ws.close()


def present(state: dict, pid: str) -> bool | None:
    for x in state["participants"]:
        if x["pid"] == pid:
            return x["present"]
    return None


def chats(msgs: list) -> list[str]:
    return [m["text"] for m in msgs if isinstance(m, dict) and m["type"] == "chat_message"]


async def sign_in(base: str, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> str:
    async with httpx.AsyncClient(base_url=base, trust_env=False) as http:
        r = await http.post("/api/signin", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        return r.json()["token"]


async def join(base: str, number: str, name: str = "Ann") -> str:
    async with httpx.AsyncClient(base_url=base, trust_env=False) as http:
        r = await http.post("/api/join", json={"number": number, "name": name})
        assert r.status_code == 200, r.text
        return r.json()["token"]


class Outbound:
    """The admin starts a session; a customer joins and connects."""

    rep: WsPeer
    cus: WsPeer
    sid: str
    number: str
    cus_token: str
    cus_pid: str

    @classmethod
    async def start(cls, relay) -> Outbound:
        self = cls()
        self.relay = relay
        self.rep = await WsPeer.open(relay.ws_url, await sign_in(relay.base))
        await self.rep.send("start_session")
        state = await self.rep.expect("session_state", state="open")
        self.sid, self.number = state["session"], state["number"]
        self.cus_token = await join(relay.base, self.number)
        self.cus = await WsPeer.open(relay.ws_url, self.cus_token)
        self.cus_pid = self.cus.welcome["pid"]
        await self.rep.expect("session_state", where=lambda m: present(m, self.cus_pid) is True)
        await self.cus.expect("session_state")
        return self

    async def reconnect(self, **hello) -> WsPeer:
        return await WsPeer.open(self.relay.ws_url, self.cus_token, **hello)


async def test_customer_cut_off_gets_exactly_what_it_missed(live_relay):
    s = await Outbound.start(live_relay)
    for text in ("hello Ann", "can you see the page?"):
        await s.rep.send("chat", session=s.sid, text=text)
        await s.cus.expect("chat_message", text=text)

    s.cus.cut()
    await s.rep.expect("session_state", where=lambda m: present(m, s.cus_pid) is False)

    missed = [f"missed {i}" for i in range(1, 6)]
    for text in missed:
        await s.rep.send("chat", session=s.sid, text=text)
    assert chats(await s.rep.fence())[-5:] == missed  # all five processed

    back = await s.reconnect(resume=s.cus.welcome["resume"], last_seq=s.cus.last_seq)
    assert back.welcome["resumed"] is True
    back.last_seq = s.cus.last_seq
    got = await back.fence()
    assert chats(got) == missed
    assert all(m["seq"] > s.cus.last_seq for m in got if isinstance(m, dict))

    state = await s.rep.expect("session_state", where=lambda m: present(m, s.cus_pid) is True)
    assert state["state"] == "active"
    await back.send("chat", session=s.sid, text="I'm back")
    await s.rep.expect("chat_message", text="I'm back")


async def test_unconfirmed_message_resent_after_reconnect_is_processed_once(live_relay):
    s = await Outbound.start(live_relay)
    seq = await s.cus.send("chat", session=s.sid, text="my invoice is wrong")
    await s.rep.expect("chat_message", text="my invoice is wrong")
    s.cus.cut()  # before the customer read anything that confirms it
    await s.rep.expect("session_state", where=lambda m: present(m, s.cus_pid) is False)

    back = await s.reconnect(resume=s.cus.welcome["resume"], last_seq=s.cus.last_seq)
    assert back.welcome["resumed"] is True
    assert back.welcome["client_seq"] == seq
    # a client that resends blindly, then goes on counting
    back.seq = seq - 1
    await back.send("chat", session=s.sid, text="my invoice is wrong")
    await back.send("chat", session=s.sid, text="number 42")
    # the customer's own lines come back once each: the first from the replay
    # of what it missed, the resend not at all
    assert chats(await back.fence()) == ["my invoice is wrong", "number 42"]
    await s.rep.expect("chat_message", text="number 42")
    assert await _rep_chat_lines(s) == ["my invoice is wrong", "number 42"]


async def _rep_chat_lines(s: Outbound) -> list[str]:
    async with httpx.AsyncClient(base_url=s.relay.base, trust_env=False) as http:
        token = await sign_in(s.relay.base)
        r = await http.get(f"/api/sessions/{s.sid}", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        return [c["text"] for c in r.json()["chat"]]


async def test_bogus_resume_id_gets_a_fresh_start(live_relay):
    s = await Outbound.start(live_relay)
    await s.rep.send("chat", session=s.sid, text="before the drop")
    await s.cus.expect("chat_message", text="before the drop")
    s.cus.cut()
    await s.rep.expect("session_state", where=lambda m: present(m, s.cus_pid) is False)

    back = await s.reconnect(resume="not-a-resume-id", last_seq=1)
    assert back.welcome["resumed"] is False
    assert back.welcome["client_seq"] == 0
    got = await back.fence()
    # a customer's stream is theirs alone: a fresh page gets it again from the start
    assert chats(got) == ["before the drop"]
    states = [m for m in got if isinstance(m, dict) and m["type"] == "session_state"]
    assert states and states[-1]["session"] == s.sid and present(states[-1], s.cus_pid) is True
    await s.rep.expect("session_state", where=lambda m: present(m, s.cus_pid) is True)


async def test_old_socket_closing_after_resume_does_not_mark_customer_absent(live_relay):
    s = await Outbound.start(live_relay)
    # the network changed: the new socket resumes while the relay still holds the old one
    back = await s.reconnect(resume=s.cus.welcome["resume"], last_seq=s.cus.last_seq)
    assert back.welcome["resumed"] is True
    await back.fence()
    s.cus.cut()  # the old socket's death is noticed only now
    # Watch the rep's view for a while: a correct relay never shows Ann absent.
    with anyio.move_on_after(3.0):
        while True:
            await s.rep.send("note", session=s.sid, text="is Ann here?")
            state = await s.rep.expect("session_state")
            assert present(state, s.cus_pid) is True, "the rep sees a connected customer as absent"
            await anyio.sleep(0.2)
    await back.send("chat", session=s.sid, text="still here")
    await s.rep.expect("chat_message", text="still here")


async def _viewed(relay) -> tuple[Outbound, int]:
    """An outbound session whose rep views the customer's tab: (session, stream)."""
    s = await Outbound.start(relay)
    await s.rep.send("request_grant", session=s.sid, kind="view", scope="tab")
    pending = await s.cus.expect("session_state", where=lambda m: m["grants"])
    await s.cus.send("decide_grant", session=s.sid, grant=pending["grants"][0]["id"], approve=True)
    view = await s.cus.expect("session_state", where=lambda m: m["activities"])
    await s.rep.fence()
    return s, view["activities"][0]["stream"]


async def _frames_and_chat(s: Outbound, stream: int, frames: int, size: int) -> list[bytes]:
    """The customer sends cobrowse frames with a chat line every tenth; returns the bodies."""
    from server.protocol import FRAME_HEADER, StreamKind

    bodies = []
    for i in range(frames):
        body = b"%05d" % i + b"." * (size - 5)
        bodies.append(body)
        s.cus.seq += 1
        await s.cus.ws.send(FRAME_HEADER.pack(StreamKind.COBROWSE, stream, s.cus.seq) + body)
        if i % 10 == 9:
            await s.cus.send("chat", session=s.sid, text=f"line {i // 10}")
    await s.cus.fence()
    return bodies


def _bodies(got: list) -> list[bytes]:
    from server.protocol import FRAME_HEADER

    return [m[FRAME_HEADER.size:] for m in got if isinstance(m, bytes)]


@pytest.mark.parametrize("live_relay", [{"TANDEM_HISTORY_LIVE_BYTES": "20000"}], indirect=True)
async def test_a_viewer_back_after_more_frames_than_the_relay_keeps_gets_every_line_the_newest_frames_and_a_notice(
        live_relay):
    """The relay keeps cobrowse frames for a resume within a byte budget
    (Settings.history_live_bytes), apart from messages: a rep whose network
    dropped gets every chat line, the frames still kept, and `frames_skipped`,
    on which its viewer asks the page for a fresh snapshot."""
    s, stream = await _viewed(live_relay)
    await s.rep.fence()
    resume, last = s.rep.welcome["resume"], s.rep.last_seq
    s.rep.cut()
    bodies = await _frames_and_chat(s, stream, 60, 1000)  # 60 kB of frames, 6 lines

    back = await WsPeer.open(live_relay.ws_url, await sign_in(live_relay.base), resume=resume, last_seq=last)
    assert back.welcome["resumed"] is True
    back.last_seq = last
    got = await back.fence()
    assert [f"line {i}" for i in range(6)] == [m["text"] for m in got
                                               if isinstance(m, dict) and m["type"] == "chat_message"]
    kept = _bodies(got)
    assert 10 <= len(kept) < 60 and kept == bodies[-len(kept):]  # the newest, in order, none twice
    assert [m["code"] for m in got if isinstance(m, dict) and m["type"] == "error"] == ["frames_skipped"]

    # a drop the budget covers is replayed whole, with no notice
    resume, last = back.welcome["resume"], back.last_seq
    back.cut()
    bodies = await _frames_and_chat(s, stream, 10, 1000)
    again = await WsPeer.open(live_relay.ws_url, await sign_in(live_relay.base), resume=resume, last_seq=last)
    again.last_seq = last
    got = await again.fence()
    assert _bodies(got) == bodies
    assert not [m for m in got if isinstance(m, dict) and m["type"] == "error"]


async def test_a_queue_rep_back_after_many_queue_changes_gets_the_newest_board_and_dashboard_once(live_relay):
    base = live_relay.base
    token = await sign_in(base)
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, trust_env=False) as http:
        me = (await http.get("/api/me", headers=auth)).json()
        r = await http.post("/api/admin/queues", headers=auth, json={"name": "boards", "title": "Boards"})
        assert r.status_code in (200, 201), r.text
        r = await http.patch(f"/api/admin/reps/{me['id']}", headers=auth,
                             json={"queues": sorted({*me["queues"], "boards"}), "queue_rep": True})
        assert r.status_code == 200, r.text
        rep = await WsPeer.open(live_relay.ws_url, token)
        await rep.send("set_availability", available=True)
        await rep.expect("queue_state", available=True)
        await rep.send("watch_dashboard", watch=True)  # the admin watches the dashboard too: a whole state as well
        await rep.expect("dashboard")
        read = rep.last_seq  # the rep reads nothing more: what follows is lost with its network
        # the admin's second console sees the pushes the first one misses
        other = await WsPeer.open(live_relay.ws_url, token)

        names = [f"Customer {i}" for i in range(1, 6)]
        for name in names:  # each one in line changes the board: five boards the rep never read
            r = await http.post("/api/help", json={"queue": "boards", "name": name})
            assert r.status_code == 200, r.text
            customer = await WsPeer.open(live_relay.ws_url, r.json()["token"])
            await customer.expect("queue_position")
        # a changed dashboard is pushed at most once a second (Desk.DASHBOARD_INTERVAL)
        await other.expect("dashboard", where=lambda m: [q["waiting"] for q in m["queues"] if q["name"] == "boards"] == [5])
    rep.cut()

    back = await WsPeer.open(live_relay.ws_url, token, resume=rep.welcome["resume"], last_seq=read)
    assert back.welcome["resumed"] is True
    back.last_seq = read
    got = await back.fence()
    boards = [m for m in got if isinstance(m, dict) and m["type"] == "queue_state"]
    waiting = [[w["name"] for q in b["queues"] if q["name"] == "boards" for w in q["waiting"]] for b in boards]
    assert waiting and all(w == names for w in waiting), waiting  # the newest board, not the five on the way
    dashboards = [[q["waiting"] for q in m["queues"] if q["name"] == "boards"] for m in got
                  if isinstance(m, dict) and m["type"] == "dashboard"]
    assert dashboards and all(d == [5] for d in dashboards), dashboards


async def test_a_rep_back_after_many_changes_of_a_session_gets_every_line_and_its_newest_state_once(live_relay):
    s = await Outbound.start(live_relay)
    read = s.rep.last_seq  # the rep reads nothing more: what follows is lost with its network
    s.rep.cut()
    lines, customer = [], s.cus
    for i in range(1, 4):  # the customer's page drops and comes back: each time the session's state changes twice
        lines.append(f"line {i}")
        await customer.send("chat", session=s.sid, text=lines[-1])
        await customer.expect("chat_message", text=lines[-1])
        customer.cut()
        gone, customer = customer, await s.reconnect(resume=customer.welcome["resume"], last_seq=customer.last_seq)
        assert customer.welcome["resumed"] is True
        customer.seq, customer.last_seq = gone.seq, gone.last_seq
    await customer.fence()

    back = await WsPeer.open(live_relay.ws_url, await sign_in(live_relay.base), resume=s.rep.welcome["resume"],
                             last_seq=read)
    assert back.welcome["resumed"] is True
    back.last_seq = read
    got = await back.fence()
    assert chats(got) == lines
    states = [m for m in got if isinstance(m, dict) and m["type"] == "session_state" and m["session"] == s.sid]
    missed = [m for m in states if not present(m, m["you"])]  # sent before the rep was back
    assert len(missed) == 1, [present(m, s.cus_pid) for m in missed]  # the newest, not the six on the way
    assert present(missed[0], s.cus_pid) is True and missed[0]["state"] == "active"


@pytest.mark.parametrize("live_relay", [{"TANDEM_RESUME_WINDOW": "1"}], indirect=True)
async def test_a_resume_id_shown_after_the_resume_window_starts_afresh(live_relay):
    """A resume id is good for TANDEM_RESUME_WINDOW seconds after its
    connection closed, to the moment: not until the relay next sweeps old ids.
    A rep back later starts afresh (the session's state), not resumed."""
    token = await sign_in(live_relay.base)
    rep = await WsPeer.open(live_relay.ws_url, token)
    await rep.send("start_session")
    await rep.expect("session_state", state="open")
    resume = rep.welcome["resume"]
    rep.cut()
    await anyio.sleep(1.5)
    back = await WsPeer.open(live_relay.ws_url, token, resume=resume, last_seq=rep.last_seq)
    assert back.welcome["resumed"] is False
    await back.send("start_session")
    await back.expect("session_state", state="open")


@pytest.mark.parametrize("live_relay", [{"TANDEM_HISTORY_SECONDS": "2", "TANDEM_RESUME_WINDOW": "2"}],
                         indirect=True)
async def test_a_page_loaded_after_the_history_window_gets_the_session_afresh(live_relay):
    """Messages are kept for a resume only as long as a resume may come
    (TANDEM_HISTORY_SECONDS): a customer's page loaded later, which asks for
    the whole stream, is told it starts afresh and gets the session's state,
    then everything new."""
    s = await Outbound.start(live_relay)
    await s.rep.send("chat", session=s.sid, text="before")
    await s.cus.expect("chat_message", text="before")
    await anyio.sleep(2.5)
    await s.rep.send("chat", session=s.sid, text="later")  # the lines of 2.5 s ago are let go
    await s.cus.expect("chat_message", text="later")

    page = await s.reconnect(last_seq=0)  # a new page: no resume id, the whole stream
    assert page.welcome["resumed"] is False
    got = await page.fence()
    errors = [m["code"] for m in got if isinstance(m, dict) and m["type"] == "error"]
    assert errors == ["resync"]
    state = [m for m in got if isinstance(m, dict) and m["type"] == "session_state"]
    assert state and state[-1]["session"] == s.sid and state[-1]["state"] == "active"
    assert "before" not in chats(got)
    await s.rep.send("chat", session=s.sid, text="after the page loaded")
    await page.expect("chat_message", text="after the page loaded")
