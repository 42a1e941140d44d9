"""The replicated desk without Redis (server/cluster/replica.py): replicas fed
the same inbox entries hold the same state and produce the same messages; a
replica started from another's snapshot goes on exactly as the other does; a
snapshot or an admin change signed with another key is refused."""

from __future__ import annotations

import json

import pytest

from server.cluster.replica import Replica, Signer, entry_after, entry_key, entry_time
from server.core.desk import Desk
from server.core.errors import Conflict
from server.core.routing import QueueConfig


class Links:
    """Stands for the relay: its join links are a method, as `Relay.join_link` is."""

    def join_link(self, session) -> str:
        return f"http://relay/invite/{session.number}"


def replica(secret: str = "k") -> Replica:
    desk = Desk(new_id=lambda: "unused", new_number=lambda: "unused", join_link=Links().join_link)
    return Replica(desk, Signer(secret), resume_window=30.0)


def entries(signer: Signer) -> list[tuple[str, str, bytes]]:
    """An inbox: a queue and a rep, a customer who waits, is taken, chats; clock ticks."""
    def js(kind, data):
        return kind, json.dumps(data).encode()

    rep = ["r", 7]
    items = [("rep", signer.dumps({"account_id": 7, "name": "Rita", "queue_rep": True, "queues": ("billing",),
                                   "max_customers": 2, "multi_session": True, "supervises": False,
                                   "active": True})),
             ("queues", signer.dumps([QueueConfig("billing", "Billing")])),
             js("online", {"a": rep, "c": True}),
             js("queue", {"queue": "billing", "name": "Ann", "description": "", "fields": None})]
    return [(f"{1_700_000_000_000 + i * 10}-0", kind, data) for i, (kind, data) in enumerate(items)]


def same_state(r: Replica) -> bytes:
    """The replica's state as bytes, the same for equal states (a snapshot
    loaded once more: which equal strings are one object differs otherwise)."""
    again = replica()
    again.load(r.snapshot("now"))
    return again.snapshot("now")


def apply_all(r: Replica, inbox) -> list:
    out = []
    for entry_id, kind, data in inbox:
        out.append(r.apply(entry_id, kind, data, "node-a"))
        out.extend((ch, m.model_dump_json()) for ch, m in r.desk.data_to_send())
        r.desk.records_to_store()
    return out


def session_inbox(sid: str, pid: str) -> list[tuple[str, str, bytes]]:
    cus = ["c", sid, pid]
    items = [("online", {"a": cus, "s": None, "c": True}),
             ("msg", {"a": ["r", 7], "m": json.dumps({"type": "accept_next", "seq": 1})}),
             ("msg", {"a": cus, "m": json.dumps({"type": "chat", "seq": 1, "session": sid, "text": "hello"})}),
             ("tick", {}),
             ("offline", {"a": cus, "c": True}),
             ("tick", {})]
    return [(f"{1_700_000_001_000 + i * 10}-{i}", kind, json.dumps(data).encode()) for i, (kind, data) in
            enumerate(items)]


def test_replicas_fed_the_same_entries_agree_and_one_started_from_a_snapshot_goes_on_alike():
    a, b = replica(), replica()
    first = entries(a.signer)
    assert apply_all(a, first) == apply_all(b, first)
    sid, pid = a.apply(f"{1_700_000_000_900}-0", "queue", json.dumps(
        {"queue": "billing", "name": "Bo", "description": "", "fields": None}).encode(), "node-b")
    assert b.apply(f"{1_700_000_000_900}-0", "queue", json.dumps(
        {"queue": "billing", "name": "Bo", "description": "", "fields": None}).encode(), "node-b") == [sid, pid]
    a.desk.data_to_send(), b.desk.data_to_send()
    a.desk.records_to_store(), b.desk.records_to_store()

    late = replica()  # a node that starts now, from a's snapshot
    assert late.load(a.snapshot("p")) == "p"
    assert late.desk.sessions[sid].number == a.desk.sessions[sid].number

    rest = session_inbox(sid, pid)
    outs = [apply_all(r, rest) for r in (a, b, late)]
    assert outs[0] == outs[1] == outs[2]
    assert any('"hello"' in x[1] for x in outs[0] if isinstance(x, tuple))  # the chat line went out
    assert same_state(a) == same_state(b) == same_state(late)
    assert list(late.offline_at) == [pid]  # gone after the resume window, on every replica alike


def test_ids_and_numbers_come_from_the_entry_and_the_key():
    a, b, other = replica("k"), replica("k"), replica("another key")
    made = [(r.new_id(), r.new_number()) for r in (a, b, other) for _ in [r.apply("5-0", "tick", b"{}")]]
    assert made[0] == made[1] != made[2]
    assert len(made[0][1]) == 9 and not made[0][1].startswith("0")


def test_signed_data_from_another_key_is_refused():
    a, stranger = replica("k"), replica("not the cluster's key")
    with pytest.raises(ValueError, match="signature"):
        a.load(stranger.snapshot("0-0"))
    with pytest.raises(ValueError, match="signature"):
        a.apply("1-0", "policies", stranger.signer.dumps({"auto_record": True}))


def test_a_pairing_code_given_out_twice_is_refused_the_second_time():
    r = replica()
    apply_all(r, entries(r.signer))
    sid, pid = r.apply("1700000000900-0", "queue", json.dumps(
        {"queue": "billing", "name": "Bo", "description": "", "fields": None}).encode())
    apply_all(r, session_inbox(sid, pid)[:2])  # taken by the rep: the session is live
    code = {"a": ["c", sid, pid], "session": sid, "code": "123456", "ttl": 600}
    r.apply("1700000002950-0", "pcode", json.dumps(code).encode())
    with pytest.raises(Conflict):
        r.apply("1700000002960-0", "pcode", json.dumps(code).encode())


def test_entry_ids_order_and_time():
    assert entry_time("1700000000123-4") == 1700000000.123
    assert entry_after("10-0", "9-5") and not entry_after("9-5", "10-0")
    assert entry_key("10-0") > entry_key("9-5")
