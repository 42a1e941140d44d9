"""One test per session rule of docs/architecture.md, driving the bare core (no sockets)."""

import math

import pytest
from pydantic import ValidationError

from server.core.desk import customer_channel, rep_channel
from server.core.errors import ChatOff, Conflict, Invalid, NotAllowed, NotFound
from server.core.grants import GrantState
from server.core.session import State


def grant_ids(s, **match):
    return [g.id for g in s.grants.values() if all(getattr(g, k) == v for k, v in match.items())]


# --- starting and joining ------------------------------------------------------

def test_outbound_start_gives_nine_digit_number_and_join_link(h):
    r = h.rep(1)
    h.send(r, "start_session")
    states = h.sent(rep_channel(1), "session_state")
    assert states[-1].number.replace(" ", "").isdigit() and len(states[-1].number) == 11
    assert states[-1].join_link.startswith("http://relay/j/")
    assert states[-1].role == "primary" and states[-1].state == "open"


def test_customer_joins_by_number_and_session_becomes_active(h):
    r = h.rep(1)
    s = h.start(r)
    c = h.join(s, "Ann")
    assert s.state is State.ACTIVE
    view = h.sent(customer_channel(c.pid), "session_state")[-1]
    assert view.role == "customer" and view.join_link is None
    assert [x.name for x in view.participants] == ["Rep 1", "Ann"]


def test_join_with_unknown_number_is_refused(h):
    with pytest.raises(NotFound):
        h.desk.join("999999999", "x", h.now)
    with pytest.raises(Invalid):
        h.desk.join("12345", "x", h.now)


def test_session_number_unusable_once_session_ends(h):
    r, s, c = h.active_session()
    h.send(r, "end_session", session=s.id)
    with pytest.raises(NotFound):
        h.desk.join(s.number, "Late", h.now)


def test_session_full_at_reps_max_customers(h):
    r = h.rep(1, max_customers=1)
    s = h.start(r)
    h.join(s)
    with pytest.raises(NotAllowed, match="full"):
        h.join(s, "Bob")


def test_tools_unavailable_until_customer_joined(h):
    r = h.rep(1)
    s = h.start(r)
    assert h.sent(rep_channel(1), "session_state")[-1].tools_available is False
    with pytest.raises(NotAllowed, match="until a customer has joined"):
        h.send(r, "request_grant", session=s.id, kind="view")
    with pytest.raises(NotAllowed, match="until a customer has joined"):
        h.send(r, "start_activity", session=s.id, kind="video")
    h.join(s)
    assert h.sent(rep_channel(1), "session_state")[-1].tools_available is True


def test_assist_session_by_number_joins_as_assistant(h):
    r1, s, c = h.active_session()
    r2 = h.rep(2, "Sam")
    h.send(r2, "assist_session", number=s.number)
    assert s.participants[h.pid(s, r2)].role == "assistant"
    assert s.primary == h.pid(s, r1)


def test_assistant_cannot_request_grants(h):
    r1, s, c = h.active_session()
    r2 = h.rep(2)
    h.send(r2, "assist_session", number=s.number)
    with pytest.raises(NotAllowed, match="only the primary"):
        h.send(r2, "request_grant", session=s.id, kind="view")


# --- inside a session ----------------------------------------------------------

def test_several_customers_and_primary_selects_whom_to_help(h):
    r, s, c1 = h.active_session()
    c2 = h.join(s, "Bob")
    assert s.selected == c1.pid
    h.send(r, "select_customer", session=s.id, pid=c2.pid)
    assert s.selected == c2.pid
    view = h.sent(rep_channel(1), "session_state")[-1]
    assert [x.name for x in view.participants if x.selected] == ["Bob"]


def test_switching_customer_ends_sharing(h):
    r, s, c1 = h.active_session()
    c2 = h.join(s, "Bob")
    h.send(r, "request_grant", session=s.id, kind="control")
    g = grant_ids(s)[0]
    h.send(c1, "decide_grant", session=s.id, grant=g, approve=True)
    assert any(a.kind == "control" for a in s.activities.values())
    h.send(r, "select_customer", session=s.id, pid=c2.pid)
    assert not [a for a in s.activities.values() if a.sharing]
    assert s.grants[g].state is GrantState.REVOKED


def test_only_primary_selects_customer(h):
    r1, s, c1 = h.active_session()
    r2 = h.rep(2)
    h.send(r2, "assist_session", number=s.number)
    with pytest.raises(NotAllowed):
        h.send(r2, "select_customer", session=s.id, pid=c1.pid)


def test_shared_view_is_visible_to_every_participant(h):
    r1, s, c1 = h.active_session()
    r2 = h.rep(2)
    h.send(r2, "assist_session", number=s.number)
    c2 = h.join(s, "Bob")
    h.send(r1, "request_grant", session=s.id, kind="view")
    h.send(c1, "decide_grant", session=s.id, grant=grant_ids(s)[0], approve=True)
    act = next(a for a in s.activities.values() if a.kind == "view")
    channels = h.desk.route_frame(c1, 1, act.id)
    assert sorted(channels) == sorted([rep_channel(1), rep_channel(2), customer_channel(c2.pid)])


# --- grants --------------------------------------------------------------------

def test_control_never_starts_without_control_grant(h):
    r, s, c = h.active_session()
    h.send(r, "request_grant", session=s.id, kind="control")
    assert not s.activities
    with pytest.raises(NotAllowed):
        h.desk.route_frame(r, 2, 999)


def test_grant_approved_starts_activity_and_denied_does_not(h):
    r, s, c = h.active_session()
    h.send(r, "request_grant", session=s.id, kind="view")
    g1 = grant_ids(s)[0]
    h.send(c, "decide_grant", session=s.id, grant=g1, approve=False)
    assert s.grants[g1].state is GrantState.DENIED and not s.activities
    h.send(r, "request_grant", session=s.id, kind="view")
    g2 = grant_ids(s, state=GrantState.PENDING)[0]
    h.send(c, "decide_grant", session=s.id, grant=g2, approve=True)
    assert [a.kind for a in s.activities.values()] == ["view"]


def test_only_grantor_decides_grant(h):
    r, s, c = h.active_session()
    h.send(r, "request_grant", session=s.id, kind="view")
    with pytest.raises(NotAllowed, match="only the participant asked"):
        h.send(r, "decide_grant", session=s.id, grant=grant_ids(s)[0], approve=True)


def test_sharer_revokes_grant_at_any_moment(h):
    r, s, c = h.active_session()
    h.send(r, "request_grant", session=s.id, kind="control")
    g = grant_ids(s)[0]
    h.send(c, "decide_grant", session=s.id, grant=g, approve=True)
    stream = next(iter(s.activities))
    assert h.desk.route_frame(r, 2, stream) == [customer_channel(c.pid)]
    h.send(c, "revoke_grant", session=s.id, grant=g)
    assert not s.activities
    with pytest.raises(NotAllowed):
        h.desk.route_frame(r, 2, stream)


def test_grant_denied_on_timeout(h):
    r, s, c = h.active_session()
    h.send(r, "request_grant", session=s.id, kind="view")
    g = grant_ids(s)[0]
    h.now += 59
    h.desk.tick(h.now)
    assert s.grants[g].state is GrantState.PENDING
    h.now += 2
    h.desk.tick(h.now)
    assert s.grants[g].state is GrantState.EXPIRED
    with pytest.raises(Conflict):
        h.send(c, "decide_grant", session=s.id, grant=g, approve=True)


def test_a_grant_asked_for_after_quiet_ticks_still_expires(h):
    """The tick passes by a session with nothing pending; a grant asked for
    later brings it back in time for its deadline, and once it is decided
    the session is passed by again."""
    r, s, c = h.active_session()
    h.later(1)
    assert s.due == math.inf  # nothing pending: later ticks pass it by
    h.send(r, "request_grant", session=s.id, kind="view")
    g = grant_ids(s)[0]
    h.later(59)
    assert s.grants[g].state is GrantState.PENDING
    h.later(2)
    assert s.grants[g].state is GrantState.EXPIRED
    assert s.due == math.inf


def test_control_frames_only_from_controller_to_sharer(h):
    r, s, c = h.active_session()
    h.send(r, "request_grant", session=s.id, kind="control")
    h.send(c, "decide_grant", session=s.id, grant=grant_ids(s)[0], approve=True)
    stream = next(iter(s.activities))
    with pytest.raises(NotAllowed):
        h.desk.route_frame(c, 2, stream)  # the sharer cannot inject control input
    assert h.desk.route_frame(c, 1, stream) == [rep_channel(1)]  # but shares its screen


def test_duplicate_grant_request_is_refused(h):
    r, s, c = h.active_session()
    h.send(r, "request_grant", session=s.id, kind="view")
    with pytest.raises(Conflict):
        h.send(r, "request_grant", session=s.id, kind="view")


def test_grant_prompt_reaches_customer(h):
    r, s, c = h.active_session()
    h.sent()
    h.send(r, "request_grant", session=s.id, kind="control", scope="tab")
    view = h.sent(customer_channel(c.pid), "session_state")[-1]
    assert [(g.kind, g.scope, g.state, g.grantor) for g in view.grants] == [("control", "tab", "pending", c.pid)]


# --- handing over --------------------------------------------------------------

def _with_assistant(h):
    r1, s, c = h.active_session()
    r2 = h.rep(2, "Sam")
    h.send(r2, "assist_session", number=s.number)
    return r1, r2, s, c


def test_transfer_control_makes_assistant_primary_and_former_primary_assistant(h):
    r1, r2, s, c = _with_assistant(h)
    h.send(r1, "transfer_control", session=s.id, to=h.pid(s, r2))
    assert s.primary == h.pid(s, r2)
    assert s.participants[h.pid(s, r1)].role == "assistant"


def test_transfer_control_ends_all_activities(h):
    r1, r2, s, c = _with_assistant(h)
    h.send(r1, "request_grant", session=s.id, kind="control")
    h.send(c, "decide_grant", session=s.id, grant=grant_ids(s)[0], approve=True)
    h.send(r1, "start_activity", session=s.id, kind="video")
    h.send(r1, "start_activity", session=s.id, kind="recording")
    h.send(r1, "transfer_control", session=s.id, to=h.pid(s, r2))
    assert not s.activities
    assert not [g for g in s.grants.values() if g.live]


def test_transfer_control_keeps_voice_if_new_primary_can_take_it(h):
    r1, r2, s, c = _with_assistant(h)
    h.send(r1, "start_activity", session=s.id, kind="audio")
    h.send(r2, "start_activity", session=s.id, kind="audio")
    h.send(r1, "transfer_control", session=s.id, to=h.pid(s, r2))
    assert sorted(a.kind for a in s.activities.values()) == ["audio", "audio"]


def test_transfer_control_ends_voice_if_new_primary_cannot_take_it(h):
    r1, r2, s, c = _with_assistant(h)
    h.send(r1, "start_activity", session=s.id, kind="audio")
    h.send(r1, "transfer_control", session=s.id, to=h.pid(s, r2))
    assert not s.activities


def test_assistant_cannot_end_session(h):
    r1, r2, s, c = _with_assistant(h)
    with pytest.raises(NotAllowed, match="only the primary can end"):
        h.send(r2, "end_session", session=s.id)


def test_former_primary_cannot_end_but_can_leave(h):
    r1, r2, s, c = _with_assistant(h)
    h.send(r1, "transfer_control", session=s.id, to=h.pid(s, r2))
    with pytest.raises(NotAllowed):
        h.send(r1, "end_session", session=s.id)
    view = h.sent(rep_channel(1), "session_state")[-1]
    assert view.can_end is False  # the console shows "Leave" instead of "End"
    h.send(r1, "leave_session", session=s.id)
    assert h.pid(s, r1) is None and s.state is State.ACTIVE


def test_former_primary_may_end_after_control_passed_back(h):
    r1, r2, s, c = _with_assistant(h)
    h.send(r1, "transfer_control", session=s.id, to=h.pid(s, r2))
    h.send(r2, "transfer_control", session=s.id, to=h.pid(s, r1))
    h.send(r1, "end_session", session=s.id)
    assert s.state is State.ENDED


def test_primary_cannot_leave(h):
    r, s, c = h.active_session()
    with pytest.raises(NotAllowed, match="transfer control or end"):
        h.send(r, "leave_session", session=s.id)


def test_transfer_control_only_to_assistant(h):
    r, s, c = h.active_session()
    with pytest.raises(NotAllowed):
        h.send(r, "transfer_control", session=s.id, to=c.pid)


def test_transfer_session_to_queue_with_message_and_rep_leaves(h):
    r1, s, c = h.active_session()
    h.send(r1, "start_activity", session=s.id, kind="audio")
    h.sent()
    h.send(r1, "transfer_session", session=s.id, queue="billing", message="Needs a refund")
    assert s.state is State.WAITING and s.primary is None and h.pid(s, r1) is None
    assert not s.activities  # voice ends too
    assert [m.reason for m in h.sent(rep_channel(1), "session_ended")] == ["transferred"]
    r3 = h.rep(3, "Una")
    boards = h.sent(rep_channel(3), "queue_state")
    waiting = boards[-1].queues[0].waiting
    assert waiting[0].message == "Needs a refund"
    h.send(r3, "accept_next")
    assert s.primary == h.pid(s, r3) and s.state is State.ACTIVE


def test_transfer_session_message_at_most_345_characters(h):
    r1, s, c = h.active_session()
    with pytest.raises(ValidationError, match="345"):
        h.send(r1, "transfer_session", session=s.id, queue="billing", message="x" * 346)
    h.send(r1, "transfer_session", session=s.id, queue="billing", message="x" * 345)
    assert s.transfer_message == "x" * 345


def test_transfer_session_only_by_queue_reps(h):
    r = h.rep(1, queue_rep=False, queues=())
    s = h.start(r)
    h.join(s)
    h.rep(2)
    with pytest.raises(NotAllowed, match="only queue reps"):
        h.send(r, "transfer_session", session=s.id, queue="billing")


def test_transfer_session_to_reps_offers_each_and_first_accept_wins(h):
    r1, s, c = h.active_session()
    r2, r3 = h.rep(2), h.rep(3)
    h.sent()
    h.send(r1, "transfer_session", session=s.id, reps=[2, 3], message="VIP")
    assert [o.message for o in h.sent(rep_channel(2), "offer")] == ["VIP"]
    h.send(r3, "accept_offer", session=s.id)
    assert s.primary == h.pid(s, r3)
    assert [m.reason for m in h.sent(rep_channel(2), "offer_withdrawn")] == ["taken"]
    with pytest.raises(NotAllowed):
        h.send(r2, "accept_offer", session=s.id)


def test_transfer_session_to_reps_all_decline_falls_back_to_queue(h):
    r1 = h.rep(1, queues=("billing",))
    s = h.start(r1)
    h.join(s)
    r2 = h.rep(2, queues=())
    h.send(r1, "transfer_session", session=s.id, reps=[2])
    h.send(r2, "decline_offer", session=s.id)
    assert s.queue == "billing" and not s.offered_to and s.state is State.WAITING


def test_end_session_only_primary_and_everyone_is_told(h):
    r1, r2, s, c = _with_assistant(h)
    h.sent()
    h.send(r1, "end_session", session=s.id)
    assert s.state is State.ENDED
    out = h.desk.data_to_send()
    for ch in (rep_channel(1), rep_channel(2), customer_channel(c.pid)):
        assert [m.reason for to, m in out if to == ch and m.type == "session_ended"] == ["ended"]
    with pytest.raises(NotFound):
        h.send(r1, "chat", session=s.id, text="hello?")


def test_ended_session_accepts_nothing(h):
    r, s, c = h.active_session()
    h.send(r, "end_session", session=s.id)
    for actor, kind, fields in [(c, "chat", {"text": "x"}), (r, "request_grant", {"kind": "view"}),
                                (r, "end_session", {}), (c, "leave_session", {})]:
        with pytest.raises((NotFound, NotAllowed)):
            h.send(actor, kind, session=s.id, **fields)


# --- chat and notes ------------------------------------------------------------

def test_chat_reaches_everyone_and_reps_only_stays_with_reps(h):
    r1, r2, s, c = _with_assistant(h)
    h.sent()
    h.send(c, "chat", session=s.id, text="hello")
    h.send(r1, "chat", session=s.id, text="psst", reps_only=True)
    out = h.desk.data_to_send()
    got = {}
    for ch, m in out:
        if m.type == "chat_message":
            got.setdefault(ch, []).append(m.text)
    assert got[customer_channel(c.pid)] == ["hello"]
    assert got[rep_channel(2)] == ["hello", "psst"]


def test_customer_cannot_send_reps_only_chat(h):
    r, s, c = h.active_session()
    with pytest.raises(NotAllowed):
        h.send(c, "chat", session=s.id, text="x", reps_only=True)


def test_chat_with_customers_off_leaves_the_reps_chatting_among_themselves(h):
    r, s, c = h.active_session()
    h.desk.set_policies({"chat_with_customers": False})
    assert h.sent(customer_channel(c.pid), "session_state")[-1].customer_chat is False
    with pytest.raises(ChatOff):
        h.send(c, "chat", session=s.id, text="hello?")
    with pytest.raises(ChatOff, match="reps only"):
        h.send(r, "chat", session=s.id, text="hi")
    h.send(r, "chat", session=s.id, text="for the team", reps_only=True)
    assert [m.text for m in h.sent(rep_channel(1), "chat_message")] == ["for the team"]
    s2 = h.start(h.rep(2))  # sessions started later follow the policy too
    assert s2.customer_chat is False


def test_notes_are_recorded_for_the_report(h):
    r, s, c = h.active_session()
    h.desk.records_to_store()
    h.send(r, "note", session=s.id, text="Customer on v2.1")
    assert [x.data["text"] for x in h.desk.records_to_store() if x.action == "note.saved"] == ["Customer on v2.1"]
    with pytest.raises(NotAllowed):
        h.send(c, "note", session=s.id, text="x")


def test_auto_record_policy_records_and_hides_stop(h):
    h.desk.set_policies({"auto_record": True})
    r, s, c = h.active_session()
    rec = [a for a in s.activities.values() if a.kind == "recording"]
    assert rec
    with pytest.raises(NotAllowed, match="policy"):
        h.send(r, "stop_activity", session=s.id, activity=rec[0].id)
    assert h.sent(rep_channel(1), "session_state")[-1].auto_record is True


def test_customer_leaving_while_waiting_abandons_session(h):
    h.rep(1)
    s, pid = h.desk.enter_queue("billing", "Ann", h.now)
    from server.core.desk import CustomerActor
    h.send(CustomerActor(s.id, pid), "leave_session", session=s.id)
    assert s.state is State.ENDED and s.id not in h.desk.sessions


def test_customer_cannot_act_in_another_session(h):
    r, s1, c1 = h.active_session()
    r2 = h.rep(2)
    s2 = h.start(r2)
    h.join(s2, "Bob")
    with pytest.raises(NotAllowed):
        h.send(c1, "chat", session=s2.id, text="hi")


def test_a_change_in_one_session_keeps_the_routes_of_the_others(h):
    """Who a frame may go to is checked again when its own session changes
    (here: control revoked), not when another session does (a customer
    entering a queue, a rep taking them), which in a large contact center
    happens several times a second."""
    r, s, c = h.active_session()
    h.send(r, "request_grant", session=s.id, kind="control")
    g = grant_ids(s)[0]
    h.send(c, "decide_grant", session=s.id, grant=g, approve=True)
    stream = next(iter(s.activities))
    route = h.desk.route_frame(r, 2, stream)
    version = h.desk.stream_session(stream).routes_version

    bert = h.rep(2, "Bert")
    h.enter("billing", "Carl")
    h.send(bert, "accept_next")
    assert h.desk.stream_session(stream).routes_version == version
    assert h.desk.route_frame(r, 2, stream) is route  # not checked again

    h.send(c, "revoke_grant", session=s.id, grant=g)
    assert s.routes_version > version
    with pytest.raises(NotAllowed):
        h.desk.route_frame(r, 2, stream)
