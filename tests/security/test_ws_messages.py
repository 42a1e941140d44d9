"""WebSocket messages that are valid JSON but not a protocol message (server/web/ws.py):
every one gets a typed ``error`` and the socket stays open; nothing reaches the
log as a traceback."""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from server import protocol as p
from tests.security.roles import World, relay  # noqa: F401 (fixture)
from tests.security.schemas import from_schema
from tests.test_ws import Client, admin  # noqa: F401 (fixture)

NOT_OBJECTS = ["[]", "5", '"x"', "null", "true", "1.5", "[{}]", '[{"type": "ping", "seq": 1}]']
DEEP = ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000,
        '{"type": "chat", "seq": 1, "session": "s", "text": ' + "[" * 1000 + "]" * 1000 + "}"]
WRONG_TYPES = [
    {"type": "ping", "seq": True},
    {"type": "ping", "seq": "1"},
    {"type": "ping", "seq": 1.5},
    {"type": "ping", "seq": -1},
    {"type": 5, "seq": 1},
    {"type": None},
    {"type": ["chat"], "seq": 1},
    {"type": "chat", "seq": 1, "session": {"a": 1}, "text": "hi"},
    {"type": "chat", "seq": 1, "session": "s", "text": ["hi"]},
    {"type": "note", "seq": True, "session": "s", "text": "x"},
    {"type": "decide_grant", "seq": 1, "session": "s", "grant": "one", "approve": "yes"},
    {"seq": 3},
    {},
]


@pytest.fixture
def rep(client, admin):  # noqa: F811
    with client.websocket_connect("/ws") as ws:
        rep = Client(ws, admin)
        rep.fence()  # what a console gets on connecting (queues, sessions)
        yield rep


def no_tracebacks(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def answer(rep: Client, text: str) -> list[dict]:
    """Send `text`; what came back before the pong of a ping sent after it. A
    dropped socket fails here."""
    rep.ws.send_text(text)
    return rep.fence()


@pytest.mark.parametrize("text", NOT_OBJECTS + DEEP, ids=lambda t: t[:24])
def test_json_that_is_not_an_object_gets_a_typed_error(rep, caplog, text):
    got = answer(rep, text)
    assert [m["type"] for m in got] == ["error"] and got[0]["code"] in ("bad_message", "bad_json"), got
    assert got[0]["ref"] is None
    assert no_tracebacks(caplog) == []


@pytest.mark.parametrize("msg", WRONG_TYPES, ids=lambda m: json.dumps(m)[:40])
def test_wrongly_typed_fields_get_a_typed_error(rep, caplog, msg):
    got = answer(rep, json.dumps(msg))
    assert [m["type"] for m in got] == ["error"] and got[0]["code"] == "bad_message", got
    ref = got[0]["ref"]
    assert ref is None or (type(ref) is int and ref == msg.get("seq")), got
    assert no_tracebacks(caplog) == []


# Any JSON value at all, and any message type with its fields replaced by JSON of
# another kind: the relay answers with one error (or what the message asks for)
# and keeps the socket.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
MODELS = {m.model_fields["type"].annotation.__args__[0]: m for m in p.ClientMessages.__origin__.__args__}
CLIENT_TYPES = sorted(MODELS)
mangled = st.sampled_from([t for t in CLIENT_TYPES if t != "hello"]).flatmap(lambda type_: st.builds(
    lambda fields: {"type": type_, **fields},
    st.dictionaries(st.sampled_from(sorted({"seq", "session", *MODELS[type_].model_fields} - {"type"})),
                    json_values, max_size=4)))
"""Any message type with some of its own fields (and seq, session) given JSON of any kind."""


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values | mangled)
def test_any_json_keeps_the_socket_open(rep, caplog, value):
    if isinstance(value, dict) and isinstance(value.get("seq"), int) and not isinstance(value["seq"], bool):
        value["seq"] = 0  # never ahead of the stream: the fence's ping must still count
    got = answer(rep, json.dumps(value))
    assert len(got) <= 1 and all(m["type"] == "error" for m in got), got
    assert no_tracebacks(caplog) == []


# Every message type drawn from the protocol's own JSON schema, well-formed (at
# and past its limits), sent in a live session by each kind of participant and
# by a rep outside it, with a seq the relay takes as new, so each one reaches
# the core's rules: whatever it asks, the sender gets at most one error, every
# socket stays open, and nothing reaches the log as a traceback.
PROTOCOL = p.client_message.json_schema()
SENDERS = ("primary", "assistant", "customer", "agent", "outsider")


@pytest.mark.parametrize("type_", CLIENT_TYPES)
def test_every_message_type_from_the_schema_keeps_every_socket_open(relay, caplog, type_):  # noqa: F811
    client, accounts = relay
    defs = PROTOCOL["$defs"]
    with World(client, accounts) as w:
        @hypothesis_settings(max_examples=30, deadline=None, database=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
        @given(msg=from_schema(defs[MODELS[type_].__name__], defs), sender=st.sampled_from(SENDERS),
               ours=st.booleans())
        def fuzz(msg, sender, ours):
            peer = w.sockets[sender]
            if ours and "session" in msg:
                msg["session"] = w.sid  # this session, so the rules are reached, not just "no such session"
            peer.seq += 1
            msg["seq"] = peer.seq
            got = answer(peer, json.dumps(msg))
            if type_ == "ping":
                peer.fence()  # the fence stopped at the ping's own pong: take its own too
            assert len([m for m in got if isinstance(m, dict) and m["type"] == "error"]) <= 1, got
            assert no_tracebacks(caplog) == []

        fuzz()
        for peer in w.sockets.values():
            peer.fence()  # every socket is still open
