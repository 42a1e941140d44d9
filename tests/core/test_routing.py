"""One test per routing rule of docs/architecture.md (queues, "Accept next", automatic
distribution, capacity, single and multi-session mode), driving the bare core.

The harness has two queues: ``billing`` (manual) and ``auto`` (automatic, offers
time out after 30 s); every rep it makes is in both unless told otherwise.
"""

import pytest

from server import protocol as p
from server.core.desk import customer_channel, rep_channel
from server.core.errors import NotAllowed, NotFound
from server.core.session import State


def positions(out, *customers):
    """The last place in line each customer was told in ``out``."""
    last = {}
    for ch, m in out:
        if m.type == "queue_position":
            last[ch] = m.position
    return [last.get(customer_channel(c.pid)) for c in customers]


def waiting_names(out, account_id, queue="billing"):
    """Who the rep's queue board last listed as waiting in ``queue``."""
    board = [m for ch, m in out if ch == rep_channel(account_id) and m.type == "queue_state"][-1]
    return [w.name for q in board.queues if q.name == queue for w in q.waiting]


def offers(out, account_id):
    return [(m.type, m.session, getattr(m, "reason", None)) for ch, m in out
            if ch == rep_channel(account_id) and m.type in ("offer", "offer_withdrawn")]


# --- the queue and the place in line -------------------------------------------

def test_help_link_puts_customer_in_queue_with_place_in_line(h):
    h.rep(1)
    h.sent()
    ann = h.enter("billing", "Ann")
    assert h.desk.sessions[ann.session_id].state is State.WAITING
    out = h.desk.data_to_send()
    assert [(m.queue, m.position) for ch, m in out
            if ch == customer_channel(ann.pid) and m.type == "queue_position"] == [("billing", 1)]
    view = [m for ch, m in out if ch == customer_channel(ann.pid) and m.type == "session_state"][-1]
    assert view.state == "waiting" and view.kind == "inbound" and view.queue == "billing"
    h.now += 1
    bob = h.enter("billing", "Bob")
    out = h.desk.data_to_send()
    assert positions(out, ann, bob) == [None, 2]  # Ann is not told again: her place did not change
    assert waiting_names(out, 1) == ["Ann", "Bob"]


def test_each_rep_is_sent_the_board_of_their_own_queues_and_only_when_it_changes(h):
    both, other_both = h.rep(1), h.rep(2)
    h.rep(3, queues=("billing",))
    h.available(both)
    h.available(other_both)
    h.sent()
    h.enter("auto", "Ann")
    out = h.desk.data_to_send()
    boards = {ch: m for ch, m in out if m.type == "queue_state"}
    # the auto queue changed: its reps hear of it, the billing-only rep does not
    assert set(boards) == {rep_channel(1), rep_channel(2)}
    assert [w.name for q in boards[rep_channel(1)].queues if q.name == "auto" for w in q.waiting] == ["Ann"]
    assert boards[rep_channel(1)] == boards[rep_channel(2)]
    h.enter("billing", "Bob")
    out = h.desk.data_to_send()
    assert waiting_names(out, 1) == waiting_names(out, 2) == waiting_names(out, 3) == ["Bob"]
    assert [[q.name for q in m.queues] for ch, m in out if ch == rep_channel(3) and m.type == "queue_state"][-1] == [
        "billing"]
    # a rep who turns unavailable sees their own board; the others' is unchanged, so not sent again
    h.available(other_both, False)
    out = h.desk.data_to_send()
    assert [(ch, m.available) for ch, m in out if m.type == "queue_state"] == [(rep_channel(2), False)]
    h.enter("billing", "Cy")
    out = h.desk.data_to_send()
    assert waiting_names(out, 1) == waiting_names(out, 2) == waiting_names(out, 3) == ["Bob", "Cy"]
    assert {m.available for ch, m in out if m.type == "queue_state" and ch == rep_channel(2)} == {False}
    assert {m.available for ch, m in out if m.type == "queue_state" and ch == rep_channel(1)} == {True}


def test_help_link_to_unknown_queue_is_refused(h):
    with pytest.raises(NotFound):
        h.enter("nonesuch")


def test_positions_move_up_when_the_head_is_taken(h):
    r = h.rep(1)
    ann, bob, cy = h.enter(name="Ann"), h.enter(name="Bob"), h.enter(name="Cy")
    h.sent()
    h.send(r, "accept_next")
    assert h.desk.sessions[ann.session_id].state is State.ACTIVE
    assert positions(h.desk.data_to_send(), bob, cy) == [1, 2]


def test_positions_move_up_when_the_head_leaves(h):
    h.rep(1)
    ann, bob, cy = h.enter(name="Ann"), h.enter(name="Bob"), h.enter(name="Cy")
    h.sent()
    h.send(ann, "leave_session", session=ann.session_id)
    out = h.desk.data_to_send()
    assert positions(out, bob, cy) == [1, 2]
    assert waiting_names(out, 1) == ["Bob", "Cy"]


def test_positions_move_up_as_soon_as_the_head_disconnects(h):
    h.rep(1)
    ann, bob = h.enter(name="Ann"), h.enter(name="Bob")
    h.sent()
    h.desk.customer_offline(ann, h.now)
    assert positions(h.desk.data_to_send(), bob) == [1]
    h.desk.customer_gone(ann, h.now + 60)
    assert ann.session_id not in h.desk.sessions


# --- "Accept next" -------------------------------------------------------------

def test_accept_next_takes_longest_waiting_across_the_reps_queues(h):
    r1 = h.rep(1, queues=("billing", "auto"))  # not available: no automatic offers
    h.rep(2, queues=("billing",))
    ann = h.enter("auto", "Ann")
    h.now += 1
    bob = h.enter("billing", "Bob")
    h.send(r1, "accept_next")
    s = h.desk.sessions[ann.session_id]
    assert s.primary == h.pid(s, r1) and s.state is State.ACTIVE
    assert h.desk.sessions[bob.session_id].state is State.WAITING
    view = h.sent(customer_channel(ann.pid), "session_state")[-1]
    assert view.state == "active" and [x.name for x in view.participants] == ["Ann", "Rep 1"]


def test_accept_next_ignores_queues_the_rep_is_not_in(h):
    h.enter("auto", "Ann")
    h.now += 1
    bob = h.enter("billing", "Bob")
    r = h.rep(1, queues=("billing",))
    h.send(r, "accept_next")
    assert h.desk.sessions[bob.session_id].primary is not None


def test_accept_next_with_nobody_waiting_is_not_found(h):
    r = h.rep(1)
    with pytest.raises(NotFound, match="no customer is waiting"):
        h.send(r, "accept_next")


def test_accept_next_refused_for_non_queue_rep(h):
    ann = h.enter()
    r = h.rep(1, queue_rep=False, queues=())
    with pytest.raises(NotAllowed, match="only queue reps"):
        h.send(r, "accept_next")
    assert h.desk.sessions[ann.session_id].state is State.WAITING


# --- automatic distribution -----------------------------------------------------

def test_automatic_offer_goes_to_longest_idle_available_rep(h):
    r1, r2, r3 = h.rep(1), h.rep(2), h.rep(3)
    h.available(r2)
    h.now += 10
    h.available(r1)
    h.available(r3)
    h.sent()
    ann = h.enter("auto", "Ann")
    out = h.desk.data_to_send()
    got = [(ch, m) for ch, m in out if m.type == "offer"]
    assert [ch for ch, m in got] == [rep_channel(2)]
    assert got[0][1].session == ann.session_id and got[0][1].expires_in == 30
    assert got[0][1].name == "Ann" and got[0][1].queue == "auto"


def test_manual_queue_makes_no_offers(h):
    r = h.rep(1)
    h.available(r)
    h.sent()
    h.enter("billing")
    assert offers(h.desk.data_to_send(), 1) == []


def test_offer_accepted_in_time_starts_the_session(h):
    r1 = h.rep(1)
    h.available(r1)
    ann = h.enter("auto")
    h.later(29)
    h.send(r1, "accept_offer", session=ann.session_id)
    s = h.desk.sessions[ann.session_id]
    assert s.primary == h.pid(s, r1) and s.state is State.ACTIVE


def test_offer_times_out_and_moves_on_to_next_rep(h):
    r1, r2 = h.rep(1), h.rep(2)
    h.available(r1)
    h.now += 1
    h.available(r2)
    ann = h.enter("auto")
    assert offers(h.desk.data_to_send(), 1) == [("offer", ann.session_id, None)]
    h.later(29.9)
    out = h.desk.data_to_send()
    assert offers(out, 1) == [] and offers(out, 2) == []
    h.later(0.1)
    out = h.desk.data_to_send()
    assert offers(out, 1) == [("offer_withdrawn", ann.session_id, "timeout")]
    assert offers(out, 2) == [("offer", ann.session_id, None)]
    assert [m.expires_in for ch, m in out if m.type == "offer"] == [30]
    # the rep who let it expire is not at their desk: marked unavailable
    assert [m.available for ch, m in out if ch == rep_channel(1) and m.type == "queue_state"] == [False]
    with pytest.raises(NotAllowed, match="not offered to you"):
        h.send(r1, "accept_offer", session=ann.session_id)
    h.send(r2, "accept_offer", session=ann.session_id)
    assert h.desk.sessions[ann.session_id].state is State.ACTIVE


def test_expired_offer_with_nobody_else_leaves_customer_waiting(h):
    r1 = h.rep(1)
    h.available(r1)
    ann = h.enter("auto")
    h.sent()
    h.later(30)
    h.later(60)
    out = h.desk.data_to_send()
    assert offers(out, 1) == [("offer_withdrawn", ann.session_id, "timeout")]
    assert h.desk.sessions[ann.session_id].state is State.WAITING
    h.send(r1, "accept_next")  # still there for "Accept next"
    assert h.desk.sessions[ann.session_id].state is State.ACTIVE


def test_an_offer_made_after_quiet_ticks_still_expires(h):
    """A customer waits with nobody to offer them to (the tick then passes
    their session by); the offer made when a rep comes still times out."""
    ann = h.enter("auto")
    h.later(5)
    r1 = h.rep(1)
    h.available(r1)
    out = h.desk.data_to_send()
    assert offers(out, 1) == [("offer", ann.session_id, None)]
    h.later(31)
    assert offers(h.desk.data_to_send(), 1) == [("offer_withdrawn", ann.session_id, "timeout")]


def test_declined_offer_moves_on_to_next_rep(h):
    r1, r2 = h.rep(1), h.rep(2)
    h.available(r1)
    h.now += 1
    h.available(r2)
    ann = h.enter("auto")
    h.sent()
    h.send(r1, "decline_offer", session=ann.session_id)
    assert offers(h.desk.data_to_send(), 1) == [("offer_withdrawn", ann.session_id, "declined")]
    h.send(r2, "decline_offer", session=ann.session_id)
    assert offers(h.desk.data_to_send(), 1) == []  # declined once: not offered again
    assert h.desk.reps[1].available is True  # declining is not being away
    assert h.desk.sessions[ann.session_id].state is State.WAITING


def test_declined_customer_does_not_hold_up_offers_for_those_behind(h):
    r1 = h.rep(1)
    h.available(r1)
    ann = h.enter("auto", "Ann")
    h.send(r1, "decline_offer", session=ann.session_id)
    h.sent()
    h.now += 1
    bob = h.enter("auto", "Bob")
    assert offers(h.desk.data_to_send(), 1) == [("offer", bob.session_id, None)]


def test_offline_or_unavailable_rep_gets_no_offer(h):
    r1 = h.rep(1)
    h.available(r1)
    h.desk.rep_offline(1, h.now)  # available, but gone
    h.rep(2)  # online, but not available
    h.now += 1
    r3 = h.rep(3)
    h.available(r3)
    h.sent()
    ann = h.enter("auto")
    out = h.desk.data_to_send()
    assert [(ch, m.session) for ch, m in out if m.type == "offer"] == [(rep_channel(3), ann.session_id)]


def test_nobody_eligible_means_no_offer_and_customer_waits(h):
    h.rep(1)
    h.sent()
    ann = h.enter("auto")
    out = h.desk.data_to_send()
    assert not [m for ch, m in out if m.type == "offer"]
    assert positions_in(out, ann) == 1


def positions_in(out, customer):
    told = [m.position for ch, m in out
            if ch == customer_channel(customer.pid) and m.type == "queue_position"]
    return told[-1] if told else None


def test_rep_at_max_customers_gets_no_offer(h):
    r1 = h.rep(1, multi_session=True, max_customers=1)
    h.enter("billing", "Ann")
    h.send(r1, "accept_next")
    h.now += 5
    h.available(r1)  # longest idle, but full
    h.sent()
    bob = h.enter("auto", "Bob")
    assert offers(h.desk.data_to_send(), 1) == []
    h.now += 5
    r2 = h.rep(2)
    h.available(r2)
    assert offers(h.desk.data_to_send(), 2) == [("offer", bob.session_id, None)]


def test_busy_single_session_rep_gets_no_offer(h):
    r1 = h.rep(1, max_customers=3)
    h.enter("billing", "Ann")
    h.send(r1, "accept_next")
    h.available(r1)
    h.sent()
    h.enter("auto", "Bob")
    assert offers(h.desk.data_to_send(), 1) == []


# --- capacity and session modes ---------------------------------------------------

def test_max_customers_enforced_on_accept(h):
    r = h.rep(1, multi_session=True, max_customers=2)
    ann, bob, cy = h.enter(name="Ann"), h.enter(name="Bob"), h.enter(name="Cy")
    h.send(r, "accept_next")
    h.send(r, "accept_next")
    h.sent()
    with pytest.raises(NotAllowed, match="maximum of 2"):
        h.send(r, "accept_next")
    assert h.desk.sessions[cy.session_id].state is State.WAITING
    assert [h.desk.sessions[c.session_id].state for c in (ann, bob)] == [State.ACTIVE, State.ACTIVE]


def test_max_customers_counts_customers_across_all_of_a_reps_sessions(h):
    r = h.rep(1, multi_session=True, max_customers=2)
    h.enter(name="Ann")
    h.send(r, "accept_next")
    h.now += 1
    s = h.start(r)
    assert s.kind == "outbound"
    h.join(s, "Bob")
    with pytest.raises(NotAllowed, match="full"):
        h.join(s, "Cy")


def test_single_session_rep_cannot_accept_another(h):
    r = h.rep(1, multi_session=False, max_customers=3)
    h.enter(name="Ann")
    bob = h.enter(name="Bob")
    h.send(r, "accept_next")
    with pytest.raises(NotAllowed, match="single-session mode"):
        h.send(r, "accept_next")
    assert h.desk.sessions[bob.session_id].state is State.WAITING


def test_single_session_rep_can_accept_again_once_the_session_ended(h):
    r = h.rep(1)
    ann = h.enter(name="Ann")
    bob = h.enter(name="Bob")
    h.send(r, "accept_next")
    h.send(r, "end_session", session=ann.session_id)
    h.send(r, "accept_next")
    assert h.desk.sessions[bob.session_id].state is State.ACTIVE


def test_multi_session_mode_each_customer_is_a_separate_session_tab(h):
    r = h.rep(1, multi_session=True, max_customers=3)
    ann, bob = h.enter(name="Ann"), h.enter(name="Bob")
    h.sent()
    h.send(r, "accept_next")
    h.send(r, "accept_next")
    assert ann.session_id != bob.session_id
    states = h.sent(rep_channel(1), "session_state")
    tabs = {m.session: m for m in states}
    assert set(tabs) == {ann.session_id, bob.session_id}
    assert all(m.role == "primary" and m.state == "active" for m in tabs.values())
    assert [x.name for x in tabs[ann.session_id].participants if x.kind == "customer"] == ["Ann"]
    assert [x.name for x in tabs[bob.session_id].participants if x.kind == "customer"] == ["Bob"]


# --- inbound cobrowse -------------------------------------------------------------

def test_inbound_accept_starts_cobrowse_view_of_customers_tab(h):
    r = h.rep(1)
    ann = h.enter(name="Ann")
    h.sent()
    h.send(r, "accept_next")
    s = h.desk.sessions[ann.session_id]
    rep_pid = h.pid(s, r)
    view = h.sent(customer_channel(ann.pid), "session_state")[-1]
    assert [(g.kind, g.scope, g.state, g.requester, g.grantor) for g in view.grants] == \
        [("view", "tab", "approved", rep_pid, ann.pid)]
    assert [(a.kind, a.scope, a.sharer, a.peer) for a in view.activities] == \
        [("view", "tab", ann.pid, rep_pid)]
    stream = view.activities[0].stream
    assert h.desk.route_frame(ann, p.StreamKind.COBROWSE, stream) == [rep_channel(1)]


def test_customer_can_stop_inbound_cobrowse_view(h):
    r = h.rep(1)
    ann = h.enter(name="Ann")
    h.send(r, "accept_next")
    h.sent()
    s = h.desk.sessions[ann.session_id]
    grant = next(iter(s.grants))
    stream = next(iter(s.activities))
    h.send(ann, "revoke_grant", session=s.id, grant=grant)
    view = h.sent(customer_channel(ann.pid), "session_state")[-1]
    assert view.grants == [] and view.activities == []
    with pytest.raises(NotAllowed):
        h.desk.route_frame(ann, p.StreamKind.COBROWSE, stream)


def test_outbound_session_starts_no_cobrowse(h):
    r, s, c = h.active_session()
    assert not s.grants and not s.activities


# --- transfer to a queue -------------------------------------------------------------

def test_transfer_to_queue_goes_to_the_back_of_its_line(h):
    r1 = h.rep(1)
    ann = h.enter(name="Ann")
    h.now += 1
    h.send(r1, "accept_next")
    h.now += 1
    bob = h.enter(name="Bob")
    h.now += 1
    cy = h.enter(name="Cy")
    h.now += 1
    h.sent()
    h.send(r1, "transfer_session", session=ann.session_id, queue="billing")
    # waiting_since restarts at the transfer: Ann waits behind those already in line
    assert h.desk.sessions[ann.session_id].waiting_since == h.now
    # those already waiting keep their places and are not bothered
    assert positions(h.desk.data_to_send(), ann, bob, cy) == [3, None, None]
    h.rep(2)
    assert waiting_names(h.desk.data_to_send(), 2) == ["Bob", "Cy", "Ann"]


def test_customer_transferred_back_to_a_queue_is_told_their_place_again(h):
    r1 = h.rep(1)
    ann = h.enter(name="Ann")
    assert positions(h.desk.data_to_send(), ann) == [1]
    h.send(r1, "accept_next")
    h.send(r1, "transfer_session", session=ann.session_id, queue="billing")
    assert positions(h.desk.data_to_send(), ann) == [1]


def test_transfer_to_automatic_queue_is_offered_to_another_rep(h):
    r1 = h.rep(1)
    ann = h.enter("billing", "Ann")
    h.send(r1, "accept_next")
    r2 = h.rep(2)
    h.available(r2)
    h.sent()
    h.send(r1, "transfer_session", session=ann.session_id, queue="auto")
    assert offers(h.desk.data_to_send(), 2) == [("offer", ann.session_id, None)]
    assert offers(h.desk.data_to_send(), 1) == []


# --- reps going offline --------------------------------------------------------------

def test_rep_going_offline_withdraws_nothing_from_manual_queues(h):
    r1, r2 = h.rep(1), h.rep(2)
    h.available(r1)
    ann, bob = h.enter(name="Ann"), h.enter(name="Bob")
    h.sent()
    h.desk.rep_offline(1, h.now)
    out = h.desk.data_to_send()
    assert not [m for ch, m in out if m.type in ("offer_withdrawn", "session_ended")]
    assert [h.desk.sessions[c.session_id].state for c in (ann, bob)] == [State.WAITING] * 2
    h.send(r2, "accept_next")
    assert h.desk.sessions[ann.session_id].primary == h.pid(h.desk.sessions[ann.session_id], r2)


def test_rep_going_offline_moves_automatic_offer_on(h):
    r1, r2 = h.rep(1), h.rep(2)
    h.available(r1)
    h.now += 1
    h.available(r2)
    ann = h.enter("auto")
    h.sent()
    h.desk.rep_offline(1, h.now)
    assert offers(h.desk.data_to_send(), 2) == [("offer", ann.session_id, None)]
    assert h.desk.sessions[ann.session_id].offer[0] == 2
    h.send(r2, "accept_offer", session=ann.session_id)
    assert h.desk.sessions[ann.session_id].state is State.ACTIVE


def test_offer_withdrawn_when_the_waiting_customer_leaves(h):
    r1 = h.rep(1)
    h.available(r1)
    ann = h.enter("auto")
    h.sent()
    h.send(ann, "leave_session", session=ann.session_id)
    assert offers(h.desk.data_to_send(), 1) == [("offer_withdrawn", ann.session_id, "ended")]
    with pytest.raises(NotFound):
        h.send(r1, "accept_offer", session=ann.session_id)


def test_offer_withdrawn_from_others_when_taken(h):
    r1, r2 = h.rep(1), h.rep(2)
    h.available(r1)
    ann = h.enter("auto")
    h.sent()
    h.send(r2, "accept_next")
    assert offers(h.desk.data_to_send(), 1) == [("offer_withdrawn", ann.session_id, "taken")]


def test_transfer_declined_by_every_named_rep_falls_back_to_the_queue_line(h):
    r1 = h.rep(1, queues=("billing",))
    s = h.start(r1)
    ann = h.join(s, "Ann")
    r2 = h.rep(2, queues=())
    h.sent()
    h.send(r1, "transfer_session", session=s.id, reps=[2])
    told = [(m.queue, m.position) for m in h.sent(customer_channel(ann.pid), "queue_position")]
    assert told == [(None, 1)]  # waiting for the named rep, outside any line
    h.send(r2, "decline_offer", session=s.id)
    told = [(m.queue, m.position) for m in h.sent(customer_channel(ann.pid), "queue_position")]
    assert told == [("billing", 1)]


def test_assistant_who_stayed_takes_session_transferred_to_queue(h):
    r1 = h.rep(1, queues=("billing",))
    s = h.start(r1)
    h.join(s)
    r2 = h.rep(2, queues=("billing",))
    h.send(r2, "assist_session", number=s.number)
    h.send(r1, "transfer_session", session=s.id, queue="billing")
    h.send(r2, "accept_next")
    assert s.primary == h.pid(s, r2) and s.state.value == "active"


def test_going_unavailable_moves_an_offer_in_flight_on(h):
    r1, r2 = h.rep(1, queues=("auto",)), h.rep(2, queues=("auto",))
    h.send(r1, "set_availability", available=True)
    h.now += 1
    h.send(r2, "set_availability", available=True)
    s = h.desk.sessions[h.enter("auto").session_id]
    assert s.offer[0] == 1
    h.sent()
    h.send(r1, "set_availability", available=False)
    assert s.offer[0] == 2
    assert [m.reason for m in h.sent(rep_channel(1), "offer_withdrawn")] == ["unavailable"]


def test_transfer_session_without_customer_is_refused(h):
    r1 = h.rep(1)
    s = h.start(r1)
    with pytest.raises(NotAllowed, match="no customer"):
        h.send(r1, "transfer_session", session=s.id, queue="billing")
