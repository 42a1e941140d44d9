"""`Desk.participant`: the one answer to "is this actor a live participant of
this session", which the desk's messages and frames, the REST API, published
files and the recorder all ask."""

import pytest

from server.core.desk import CustomerActor, RepActor
from server.core.errors import NotAllowed, NotFound


def test_the_sessions_reps_customers_and_agents_are_participants(h):
    r, s, c = h.active_session()
    sam = h.rep(2, "Sam")
    h.send(sam, "assist_session", number=s.number)
    h.desk.pairing_code(c, s.id, "123456", h.now)
    agent_session, agent_pid = h.desk.pair_agent(s.number, "123456", "Ann's PC", h.now)
    assert h.desk.participant(r, s.id)[1].role == "primary"
    assert h.desk.participant(sam, s.id)[1].role == "assistant"
    assert h.desk.participant(c, s.id)[1].pid == c.pid
    assert h.desk.participant(CustomerActor(s.id, agent_pid), s.id)[1].owner == c.pid


def test_a_rep_outside_the_session_is_not(h):
    r, s, c = h.active_session()
    h.rep(2, "Sam")
    with pytest.raises(NotAllowed):
        h.desk.participant(RepActor(2), s.id)
    with pytest.raises(NotAllowed):
        h.desk.participant(RepActor(99), s.id)  # not even a known rep


def test_a_customer_counts_only_in_the_session_of_their_token(h):
    r, s, c = h.active_session()
    other = h.rep(2, "Sam")
    s2 = h.start(other)
    with pytest.raises(NotAllowed):
        h.desk.participant(c, s2.id)
    with pytest.raises(NotAllowed):  # a pid of this session under another session's name
        h.desk.participant(CustomerActor(s2.id, c.pid), s.id)


def test_unknown_and_ended_sessions_are_not_found(h):
    r, s, c = h.active_session()
    with pytest.raises(NotFound):
        h.desk.participant(r, "no-such-session")
    h.send(r, "end_session", session=s.id)
    for actor in (r, c):
        with pytest.raises(NotFound):
            h.desk.participant(actor, s.id)


def test_a_customer_who_left_is_no_longer_one(h):
    r, s, c = h.active_session()
    h.send(c, "leave_session", session=s.id)
    with pytest.raises(NotAllowed):
        h.desk.participant(c, s.id)


def test_a_customer_waiting_in_a_queue_is_one(h):
    ann = h.enter("billing")
    s, who = h.desk.participant(ann, ann.session_id)
    assert who.kind == "customer" and not s.live
