"""Assisting a session by its number (server/core/assisting.py): limited per
rep account, audited, seen by the session's reps, and, under the assist
approval policy, only with the primary's yes."""

import pytest

from server.core.desk import customer_channel, rep_channel
from server.core.errors import Conflict, NotAllowed, NotFound, RateLimited
from server.core.session import format_number


def actions(h):
    return [(r.action, r.actor, r.data) for r in h.desk.records_to_store()]


def wrong_number(s):
    return str(int(s.number) + 1)


# --- tries are limited and audited --------------------------------------------------

def test_assisting_by_number_is_limited_per_rep_account(h):
    r1, s, c = h.active_session()
    sam, kim = h.rep(2, "Sam"), h.rep(3, "Kim")
    for _ in range(10):
        with pytest.raises(NotFound):
            h.send(sam, "assist_session", number=wrong_number(s))
    with pytest.raises(RateLimited, match="try again in"):
        h.send(sam, "assist_session", number=s.number)  # even the right number, now
    assert h.pid(s, sam) is None
    h.send(kim, "assist_session", number=s.number)  # another rep is not held up
    h.later(60)
    h.send(sam, "assist_session", number=s.number)
    assert s.participants[h.pid(s, sam)].role == "assistant"


def test_a_number_that_names_no_session_is_audited(h):
    r1, s, c = h.active_session()
    sam = h.rep(2, "Sam")
    h.desk.records_to_store()
    with pytest.raises(NotFound):
        h.send(sam, "assist_session", number="987 654 321")
    assert actions(h) == [("assist.refused", "rep:2", {"account_id": 2, "number": "987654321",
                                                       "reason": "no live session has this number"})]


# --- without approval: in at once, and the reps are told ----------------------------

def test_the_primary_sees_an_assistant_arrive(h):
    r1, s, c = h.active_session()
    kim = h.rep(3, "Kim")
    h.send(kim, "assist_session", number=s.number)
    h.desk.data_to_send()
    h.desk.records_to_store()
    sam = h.rep(2, "Sam")
    h.send(sam, "assist_session", number=s.number)
    out = h.desk.data_to_send()
    notices = sorted((ch, m.event, m.name) for ch, m in out if m.type == "session_notice")
    assert notices == [(rep_channel(1), "assistant_joined", "Sam"), (rep_channel(3), "assistant_joined", "Sam")]
    assert not [m for ch, m in out if ch == customer_channel(c.pid) and m.type == "session_notice"]
    joined = [(a, data["account_id"], data["approved_by"]) for a, _, data in actions(h) if a == "assist.joined"]
    assert joined == [("assist.joined", 2, None)]


# --- with approval: the primary decides ----------------------------------------------

@pytest.fixture
def asked(h):
    """The approval policy is on; Sam (rep 2) has asked to assist Rita's session."""
    h.desk.set_policies({"assist_approval": True, "grant_timeout": 60})
    r1, s, c = h.active_session()
    sam = h.rep(2, "Sam")
    h.desk.data_to_send()
    h.send(sam, "assist_session", number=s.number)
    return r1, sam, s, c


def test_under_the_approval_policy_a_rep_only_asks(h, asked):
    r1, sam, s, c = asked
    assert h.pid(s, sam) is None
    out = h.desk.data_to_send()
    answers = [(m.number, m.state) for ch, m in out if ch == rep_channel(2) and m.type == "assist_answer"]
    assert answers == [(format_number(s.number), "waiting")]
    [primary_state] = [m for ch, m in out if ch == rep_channel(1) and m.type == "session_state"]
    assert [x.name for x in primary_state.assist_requests] == ["Sam"]
    assert [m.event for ch, m in out if ch == rep_channel(1) and m.type == "session_notice"] == ["assist_requested"]
    [customer_state] = [m for ch, m in out if ch == customer_channel(c.pid) and m.type == "session_state"]
    assert customer_state.assist_requests == []


def test_the_primary_lets_the_rep_in(h, asked):
    r1, sam, s, c = asked
    [req] = s.assist_requests
    h.desk.data_to_send()
    h.send(r1, "decide_assist", session=s.id, request=req, approve=True)
    assert s.participants[h.pid(s, sam)].role == "assistant"
    out = h.desk.data_to_send()
    answer = next(m for ch, m in out if ch == rep_channel(2) and m.type == "assist_answer")
    assert (answer.state, answer.session) == ("approved", s.id)
    assert any(ch == rep_channel(2) and m.type == "session_state" for ch, m in out)
    assert next(m for ch, m in out if ch == rep_channel(1) and m.type == "session_state").assist_requests == []
    assert ("assist.decided", h.pid(s, r1)) in [(a, who) for a, who, _ in actions(h)]


def test_the_primary_turns_the_rep_away(h, asked):
    r1, sam, s, c = asked
    [req] = s.assist_requests
    h.desk.data_to_send()
    h.send(r1, "decide_assist", session=s.id, request=req, approve=False)
    assert h.pid(s, sam) is None and s.assist_requests == {}
    out = h.desk.data_to_send()
    assert [m.state for ch, m in out if ch == rep_channel(2) and m.type == "assist_answer"] == ["denied"]
    assert not any(ch == rep_channel(2) and m.type == "session_state" for ch, m in out)


def test_only_the_primary_decides(h, asked):
    r1, sam, s, c = asked
    [req] = s.assist_requests
    kim = h.rep(3, "Kim")
    h.send(r1, "decide_assist", session=s.id, request=req, approve=False)  # Sam out; Kim asks, Rita lets her in
    h.send(kim, "assist_session", number=s.number)
    [req] = s.assist_requests
    h.send(r1, "decide_assist", session=s.id, request=req, approve=True)
    h.send(sam, "assist_session", number=s.number)
    [req] = s.assist_requests
    with pytest.raises(NotAllowed, match="only the primary"):
        h.send(kim, "decide_assist", session=s.id, request=req, approve=True)
    with pytest.raises(NotAllowed, match="only the primary"):
        h.send(c, "decide_assist", session=s.id, request=req, approve=True)
    with pytest.raises(NotAllowed):  # Sam is not in the session: he cannot let himself in
        h.send(sam, "decide_assist", session=s.id, request=req, approve=True)
    assert h.pid(s, sam) is None


def test_a_request_made_after_quiet_ticks_still_expires(h):
    """The tick passes a session with nothing pending by; a request made
    later still expires when nobody answers it."""
    h.desk.set_policies({"assist_approval": True, "grant_timeout": 60})
    r1, s, c = h.active_session()
    h.later(1)
    sam = h.rep(2, "Sam")
    h.send(sam, "assist_session", number=s.number)
    assert s.assist_requests
    h.later(61)
    assert s.assist_requests == {}
    assert "assist.expired" in [a for a, _, _ in actions(h)]


def test_asking_twice_or_when_already_in_is_a_conflict(h, asked):
    r1, sam, s, c = asked
    with pytest.raises(Conflict, match="asked already"):
        h.send(sam, "assist_session", number=s.number)
    with pytest.raises(Conflict, match="already in"):
        h.send(r1, "assist_session", number=s.number)


def test_a_request_nobody_answers_expires(h, asked):
    r1, sam, s, c = asked
    h.desk.data_to_send()
    assert h.desk.next_deadline() <= h.now + 60
    h.later(61)
    assert s.assist_requests == {}
    out = h.desk.data_to_send()
    assert [m.state for ch, m in out if ch == rep_channel(2) and m.type == "assist_answer"] == ["expired"]
    assert "assist.expired" in [a for a, _, _ in actions(h)]


def test_the_rep_is_told_when_the_session_ends_first(h, asked):
    r1, sam, s, c = asked
    h.desk.data_to_send()
    h.send(r1, "end_session", session=s.id)
    out = h.desk.data_to_send()
    assert [m.state for ch, m in out if ch == rep_channel(2) and m.type == "assist_answer"] == ["ended"]


def test_a_request_follows_control_to_the_new_primary(h, asked):
    r1, sam, s, c = asked
    kim = h.rep(3, "Kim")
    [req] = s.assist_requests
    h.send(r1, "decide_assist", session=s.id, request=req, approve=False)
    h.send(kim, "assist_session", number=s.number)
    [req] = s.assist_requests
    h.send(r1, "decide_assist", session=s.id, request=req, approve=True)
    h.send(sam, "assist_session", number=s.number)
    h.send(r1, "transfer_control", session=s.id, to=h.pid(s, kim))
    h.desk.data_to_send()
    [req] = s.assist_requests
    h.send(kim, "decide_assist", session=s.id, request=req, approve=True)
    assert s.participants[h.pid(s, sam)].role == "assistant"
