"""The queue's consent policy (QueueConfig.consent), one test per rule: a
queue rep who takes an inbound customer sees their page at once
(view_on_accept, the default), or the customer is asked first (ask_first)
and the view starts only when they allow it."""

from server.core.desk import QueueConfig, customer_channel
from server.core.grants import GrantState
from server.core.session import State


def tab_views(s):
    return [a for a in s.activities.values() if a.kind == "view" and a.scope == "tab"]


def test_view_on_accept_queue_starts_the_view_when_the_rep_takes_the_customer(h):
    r = h.rep(1)
    ann = h.enter(name="Ann")
    h.send(r, "accept_next")
    s = h.desk.sessions[ann.session_id]
    assert [a.sharer for a in tab_views(s)] == [ann.pid]


def test_ask_first_queue_asks_the_customer_and_views_only_once_allowed(h):
    h.desk.configure_queues([QueueConfig("billing", "Billing", consent="ask_first")])
    r = h.rep(1, queues=("billing",))
    ann = h.enter(name="Ann")
    h.send(r, "accept_next")
    s = h.desk.sessions[ann.session_id]
    assert s.state is State.ACTIVE and tab_views(s) == []
    asked = [g for g in s.grants.values() if g.state is GrantState.PENDING]
    assert [(g.kind, g.scope, g.grantor) for g in asked] == [("view", "tab", ann.pid)]
    state = h.sent(customer_channel(ann.pid), "session_state")[-1]
    assert [(g.kind, g.scope, g.state) for g in state.grants] == [("view", "tab", "pending")]
    h.send(ann, "decide_grant", session=s.id, grant=asked[0].id, approve=True)
    assert [a.sharer for a in tab_views(s)] == [ann.pid]


def test_ask_first_customer_who_denies_is_not_viewed(h):
    h.desk.configure_queues([QueueConfig("billing", "Billing", consent="ask_first")])
    r = h.rep(1, queues=("billing",))
    ann = h.enter(name="Ann")
    h.send(r, "accept_next")
    s = h.desk.sessions[ann.session_id]
    grant = next(iter(s.grants.values()))
    h.send(ann, "decide_grant", session=s.id, grant=grant.id, approve=False)
    assert tab_views(s) == [] and s.state is State.ACTIVE
