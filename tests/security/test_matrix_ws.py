"""The role × action matrix over the WebSocket: every client message type of
server/protocol/client.py, sent by each of the nine roles (tests/security/roles.py)
in a live session, against the outcome this table expects: ``ok`` (no error)
or the error code. A message type the table does not name fails the test,
so a new one is covered as soon as it exists.

Anonymous callers and deactivated reps never get past ``hello``: whatever
they send first, the relay answers ``unauthorized`` and closes the socket."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from server import protocol as p
from tests.conftest import bearer
from tests.security.roles import ROLES, World, relay  # noqa: F401 (fixture)
from tests.test_ws import assert_refused

CLIENT_TYPES = sorted(m.model_fields["type"].annotation.__args__[0] for m in p.ClientMessages.__origin__.__args__)
IN_SESSION = ("customer", "agent", "assistant", "primary")
N = "not_allowed"


@dataclass
class Case:
    fields: Callable[[World], dict] = lambda w: {}
    """The message's fields (besides type and seq), made from the world."""
    expect: dict[str, str] = field(default_factory=dict)
    """Role -> ``ok`` or the error code; roles past hello not named here: not_allowed."""
    prepare: Callable[[World], dict] | None = None
    """Run before the roles send: sets up what the message refers to; its
    answer is handed to ``fields`` as ``w.ready``."""


def only(*roles: str, then: str = "ok") -> dict[str, str]:
    return {r: then for r in roles}


def approval_pending(w: World) -> dict:
    r = w.client.put("/api/admin/policies", headers=bearer(w.accounts.admin), json={"assist_approval": True})
    assert r.status_code == 200, r.text
    w.sockets["outsider"].send("assist_session", number=w.number)
    state = w.sockets["primary"].expect("session_state", limit=500, where=lambda m: bool(m["assist_requests"]))
    return {"request": state["assist_requests"][0]["id"]}


def customer_waiting(w: World) -> dict:
    token = w.client.post("/api/help", json={"queue": "billing", "name": "Walt"}).json()["token"]
    w.connect("waiting", token)  # only a connected customer is taken
    w.sockets["assistant"].expect("queue_state", limit=500, where=lambda m: any(
        c["name"] == "Walt" and c.get("connected", True) for q in m["queues"] for c in q["waiting"]))
    return {}


MATRIX: dict[str, Case] = {
    "hello": Case(lambda w: {"token": w.tokens["primary"]}, {r: "invalid" for r in ROLES}),
    "ping": Case(expect={r: "ok" for r in ROLES}),
    "set_availability": Case(lambda w: {"available": True}, only("admin", "assistant", "primary")),  # queue reps
    "start_session": Case(expect=only("outsider", "supervisor", "admin", "assistant", "primary")),
    "assist_session": Case(lambda w: {"number": w.number},
                           {**only("outsider", "supervisor", "admin"), **only("assistant", "primary", then="conflict")}),
    "decide_assist": Case(lambda w: {"session": w.sid, "request": w.ready["request"], "approve": False},
                          only("primary"), prepare=approval_pending),
    "accept_next": Case(expect={"admin": "not_found", "assistant": "ok", "primary": "not_found"},
                        prepare=customer_waiting),  # the admin is a queue rep without this queue
    "accept_offer": Case(lambda w: {"session": w.sid}),
    "decline_offer": Case(lambda w: {"session": w.sid}),
    "select_customer": Case(lambda w: {"session": w.sid, "pid": w.pids["customer"]}, only("primary")),
    "request_grant": Case(lambda w: {"session": w.sid, "kind": "view", "scope": "tab"}, only("primary")),
    "decide_grant": Case(lambda w: {"session": w.sid, "grant": w.ready["grant"], "approve": False},
                         {"customer": "ok", "agent": "conflict"}, prepare=lambda w: {"grant": w.grant()}),
    "revoke_grant": Case(lambda w: {"session": w.sid, "grant": w.ready["grant"]},
                         {"customer": "ok", "agent": "conflict", "assistant": N, "primary": "conflict"},
                         prepare=lambda w: {"grant": w.grant(approve=True)}),
    "start_activity": Case(lambda w: {"session": w.sid, "kind": "video"}, only(*IN_SESSION)),
    "stop_activity": Case(lambda w: {"session": w.sid, "activity": w.ready["activity"]}, only("primary"),
                          prepare=lambda w: {"activity": w.activity("video")}),
    "set_view_mode": Case(lambda w: {"session": w.sid, "mode": "sampling"}, only("primary")),
    "transfer_control": Case(lambda w: {"session": w.sid, "to": w.pids["assistant"]}, only("primary")),
    "transfer_session": Case(lambda w: {"session": w.sid, "queue": "billing"}, only("primary")),
    "end_session": Case(lambda w: {"session": w.sid}, only("primary")),
    "leave_session": Case(lambda w: {"session": w.sid}, {**only("customer", "agent", "assistant"), "primary": N}),
    "chat": Case(lambda w: {"session": w.sid, "text": "hello"}, only(*IN_SESSION)),
    "note": Case(lambda w: {"session": w.sid, "text": "a note"}, only("assistant", "primary")),
    "signal": Case(lambda w: {"session": w.sid, "to": w.pids["customer"], "data": {"sdp": "x"}},
                   {**only("agent", "assistant", "primary"), "customer": "not_found"}),
    "file_request": Case(lambda w: {"session": w.sid, "activity": w.ready["activity"], "request": 1, "op": "list",
                                    "path": "/"}, only("primary"), prepare=lambda w: {"activity": w.files_activity()}),
    "file_reply": Case(lambda w: {"session": w.sid, "activity": w.ready["activity"], "request": 1, "ok": True},
                       only("agent"), prepare=lambda w: {"activity": w.files_activity()}),
    # the supervisor dashboard: supervisors and admins only, whatever session they are in
    "watch_dashboard": Case(lambda w: {"watch": True}, only("supervisor", "admin")),
}


def test_every_client_message_type_has_a_row():
    assert sorted(MATRIX) == CLIENT_TYPES


def outcome(peer, type_: str, fields: dict) -> str:
    if type_ == "ping":
        peer.send("ping")
        peer.expect("pong")
        return "ok"
    seq = peer.send(type_, **fields)
    refused = [m for m in peer.fence() if isinstance(m, dict) and m["type"] == "error" and m.get("ref") == seq]
    return refused[0]["code"] if refused else "ok"


@pytest.mark.parametrize("type_", CLIENT_TYPES)
def test_each_role_gets_what_the_matrix_says(relay, type_):  # noqa: F811
    client, accounts = relay
    case = MATRIX[type_]
    try:
        with World(client, accounts) as w:
            w.ready = case.prepare(w) if case.prepare else {}
            fields = case.fields(w)
            got, want = {}, {}
            for role in ROLES:
                if role in ("anonymous", "deactivated"):
                    continue
                got[role] = outcome(w.sockets[role], type_, fields)
                want[role] = case.expect.get(role, N)
            assert got == want
    finally:
        client.put("/api/admin/policies", headers=bearer(accounts.admin), json={"assist_approval": False})


@pytest.mark.parametrize("type_", CLIENT_TYPES)
def test_anonymous_and_deactivated_never_get_past_hello(relay, type_):  # noqa: F811
    client, accounts = relay
    message = {"type": type_, "seq": 1, **({"token": accounts.deactivated} if type_ == "hello" else {})}
    with client.websocket_connect("/ws") as ws:  # anonymous: the message itself comes first
        ws.send_text(json.dumps(message))
        assert_refused(ws)
    with client.websocket_connect("/ws") as ws:  # a deactivated rep's genuine token
        ws.send_text(json.dumps({"type": "hello", "seq": 0, "token": accounts.deactivated}))
        assert_refused(ws)
