"""Honest presence, one test per rule (server/core/routing.py `connected`,
queueing.py): reps see at once that a customer's page closed, the queue
offers only connected customers, a customer who never connects leaves after
the grace, and Accept next either takes a connected customer or says why not."""

import pytest

from server import protocol as p
from server.core.desk import customer_channel, rep_channel
from server.core.errors import NotFound
from server.core.session import State

GRACE = 30.0  # the Desk's default connect_grace


def board(out, account_id, queue="billing") -> list[p.WaitingCustomer]:
    """What the rep's queue board last listed in ``queue``."""
    boards = [m for ch, m in out if ch == rep_channel(account_id) and m.type == "queue_state"]
    return [w for q in boards[-1].queues if q.name == queue for w in q.waiting]


def session_of(h, customer):
    return h.desk.sessions.get(customer.session_id)


def test_customer_whose_page_closed_is_shown_disconnected_at_once(h):
    h.rep(1)
    ann = h.enter(name="Ann")
    assert [(w.name, w.connected) for w in board(h.desk.data_to_send(), 1)] == [("Ann", True)]
    h.desk.customer_offline(ann, h.now)
    assert [(w.name, w.connected) for w in board(h.desk.data_to_send(), 1)] == [("Ann", False)]
    assert session_of(h, ann).participants[ann.pid].present is False


def test_customer_in_a_session_whose_page_closed_is_shown_away_at_once(h):
    r, s, ann = h.active_session()
    h.desk.customer_online(ann, h.now)
    h.sent()
    h.desk.customer_offline(ann, h.now)
    state = h.sent(rep_channel(1), "session_state")[-1]
    assert [x.present for x in state.participants if x.pid == ann.pid] == [False]


def test_queue_offers_only_connected_customers(h):
    r = h.rep(1)
    ann, bob = h.enter(name="Ann"), h.enter(name="Bob")
    h.desk.customer_offline(ann, h.now)
    h.send(r, "accept_next")
    assert session_of(h, bob).state is State.ACTIVE
    assert session_of(h, ann).state is State.WAITING


def test_automatic_routing_never_offers_a_disconnected_customer(h):
    r = h.rep(1, queues=("auto",))
    ann = h.enter("auto", "Ann", online=False)
    h.send(r, "set_availability", available=True)
    assert session_of(h, ann).offer is None
    h.desk.customer_online(ann, h.now)
    assert session_of(h, ann).offer[0] == 1
    assert [m.session for m in h.sent(rep_channel(1), "offer")] == [ann.session_id]


def test_customer_not_yet_connected_is_not_offered_nor_told_a_place(h):
    r = h.rep(1)
    ann = h.enter(name="Ann", online=False)
    out = h.desk.data_to_send()
    assert [(w.name, w.connected) for w in board(out, 1)] == [("Ann", False)]
    assert not [m for ch, m in out if ch == customer_channel(ann.pid) and m.type == "queue_position"]
    with pytest.raises(NotFound, match="not connected"):
        h.send(r, "accept_next")
    h.desk.customer_online(ann, h.now)
    assert [m.position for m in h.sent(customer_channel(ann.pid), "queue_position")] == [1]


def test_customer_who_never_connects_leaves_the_queue_after_the_grace(h):
    h.rep(1)
    ann = h.enter(name="Ann", online=False)
    assert h.desk.next_deadline() == h.now + GRACE
    h.later(GRACE - 1)
    assert session_of(h, ann).state is State.WAITING
    h.sent()
    h.later(1)
    assert session_of(h, ann) is None
    assert board(h.desk.data_to_send(), 1) == []
    left = [r for r in h.desk.records_to_store() if r.action == "participant.left"]
    assert [r.data["reason"] for r in left] == ["never connected"]


def test_customer_who_connects_in_time_stays_after_the_grace(h):
    h.rep(1)
    ann = h.enter(name="Ann", online=False)
    h.later(GRACE / 2)
    h.desk.customer_online(ann, h.now)
    h.later(GRACE)
    assert session_of(h, ann).state is State.WAITING


def test_customer_who_comes_back_keeps_their_place_in_line(h):
    r = h.rep(1)
    ann = h.enter(name="Ann")
    h.later(5)
    h.enter(name="Bob")
    h.desk.customer_offline(ann, h.now)
    h.desk.customer_online(ann, h.now)
    assert [w.name for w in board(h.desk.data_to_send(), 1)] == ["Ann", "Bob"]
    h.send(r, "accept_next")
    assert session_of(h, ann).state is State.ACTIVE


def test_accept_next_says_why_when_nobody_waits(h):
    r = h.rep(1)
    with pytest.raises(NotFound, match="no customer is waiting"):
        h.send(r, "accept_next")


def test_accept_next_says_why_when_only_disconnected_customers_wait(h):
    r = h.rep(1)
    ann = h.enter(name="Ann")
    h.desk.customer_offline(ann, h.now)
    with pytest.raises(NotFound, match="not connected right now"):
        h.send(r, "accept_next")


def test_accept_next_opens_a_live_view_of_the_connected_customer(h):
    r = h.rep(1)
    ann = h.enter(name="Ann")
    h.send(r, "accept_next")
    s = session_of(h, ann)
    views = [a for a in s.activities.values() if a.kind == "view" and a.scope == "tab"]
    assert s.state is State.ACTIVE and [a.sharer for a in views] == [ann.pid]
