"""The supervisor dashboard (server/core/dashboard.py): who may watch it, what
it shows, and that it is pushed when, and only when, it changes."""

import pickle
import random

import pytest

from server.core.dashboard import dashboard
from server.core.desk import CustomerActor, Desk, NotAllowed, RepActor, rep_channel
from server.core.errors import CoreError


def supervisor(h, account_id=9, name="Sue", *, supervises=True, active=True, online=True):
    h.desk.configure_rep(account_id, name=name, queue_rep=False, queues=(), max_customers=1,
                         multi_session=False, supervises=supervises, active=active, now=h.now)
    if online:
        h.desk.rep_online(account_id, h.now)
    return RepActor(account_id)


def boards(h, account_id=9):
    """The dashboards pushed to the account, once a change has waited out the interval."""
    h.later(Desk.DASHBOARD_INTERVAL)
    return h.sent(rep_channel(account_id), "dashboard")


def watching(h, account_id=9, name="Sue"):
    sue = supervisor(h, account_id, name)
    h.sent()
    h.send(sue, "watch_dashboard")
    [board] = h.sent(rep_channel(account_id), "dashboard")  # at once
    return sue, board


def test_a_rep_who_is_no_supervisor_cannot_watch_the_dashboard(h):
    rita = h.rep(1, "Rita")
    h.sent()
    with pytest.raises(NotAllowed):
        h.send(rita, "watch_dashboard")
    assert boards(h, 1) == []


def test_a_supervisor_gets_the_dashboard_at_once_with_reps_and_queues(h):
    h.rep(1, "Rita")
    h.rep(2, "Bert", online=False)
    _, board = watching(h)
    reps = {r.name: r.presence for r in board.reps}
    assert reps == {"Rita": "available", "Bert": "away", "Sue": "available"}
    assert [(q.title, q.waiting, q.longest_since) for q in board.queues] == [
        ("Automatic", 0, None), ("Billing", 0, None)]
    assert board.sessions == [] and board.now == h.now


def test_a_customer_waiting_is_pushed_with_the_longest_wait_of_their_queue(h):
    h.rep(1, "Rita")
    watching(h)
    since = h.now
    h.enter("billing", "Ann")
    h.later(30)
    h.enter("billing", "Carl")
    board = boards(h)[-1]
    billing = next(q for q in board.queues if q.name == "billing")
    assert (billing.waiting, billing.longest_since) == (2, since)
    waiting = [(s.state, s.customers, s.queue, s.waiting_since) for s in board.sessions]
    assert waiting == [("waiting", ["Ann"], "billing", since), ("waiting", ["Carl"], "billing", since + 30)]


def test_a_rep_accepting_shows_them_primary_and_busy(h):
    rita = h.rep(1, "Rita", max_customers=1)
    watching(h)
    h.enter("billing", "Ann")
    h.send(rita, "accept_next")
    board = boards(h)[-1]
    [s] = board.sessions
    assert (s.state, s.primary, s.customers, s.assistants, s.kind) == ("active", "Rita", ["Ann"], [], "inbound")
    assert next(r for r in board.reps if r.name == "Rita").presence == "busy"
    assert next(q for q in board.queues if q.name == "billing").waiting == 0


def test_a_supervisor_joining_by_number_is_listed_as_assistant(h):
    rita, s, _ = h.active_session()
    sue, _ = watching(h)
    h.send(sue, "assist_session", number=s.number)
    [row] = boards(h)[-1].sessions
    assert (row.primary, row.assistants, row.number) == ("Rita", ["Sue"], f"{s.number[:3]} {s.number[3:6]} {s.number[6:]}")
    assert [x.name for x in s.reps()] == ["Rita", "Sue"]


def test_a_second_page_of_a_watching_supervisor_gets_the_dashboard_at_once(h):
    sue, first = watching(h)
    h.send(sue, "watch_dashboard")
    assert h.sent(rep_channel(9), "dashboard") == [first]


def test_chat_pushes_nothing_when_nothing_on_the_dashboard_changed(h):
    rita, s, _ = h.active_session()
    watching(h)
    h.send(rita, "chat", session=s.id, text="hello")
    h.later(5)
    assert boards(h) == []


def test_every_watcher_gets_each_change(h):
    h.rep(1, "Rita")
    watching(h, 9, "Sue")
    watching(h, 8, "Sam")
    h.enter("billing", "Ann")
    h.later(Desk.DASHBOARD_INTERVAL)
    out = [(ch, m) for ch, m in h.desk.data_to_send() if m.type == "dashboard"]
    to_sue, to_sam = ([m for ch, m in out if ch == rep_channel(aid)] for aid in (9, 8))
    assert to_sue and to_sue == to_sam and to_sue[-1].queues[1].waiting == 1


def test_a_supervisor_whose_role_is_taken_away_gets_no_more_pushes_and_is_refused(h):
    h.rep(1, "Rita")
    sue, _ = watching(h)
    supervisor(h, supervises=False, online=False)
    h.enter("billing", "Ann")
    assert boards(h) == []
    with pytest.raises(NotAllowed):
        h.send(sue, "watch_dashboard")


def test_a_deactivated_supervisor_is_refused(h):
    sue = supervisor(h, active=False)
    with pytest.raises(NotAllowed):
        h.send(sue, "watch_dashboard")


def test_deactivated_reps_are_not_on_the_dashboard(h):
    h.rep(1, "Rita")
    supervisor(h, 2, "Gone", supervises=False, active=False, online=False)
    _, board = watching(h)
    assert "Gone" not in {r.name for r in board.reps}


def test_stopping_or_closing_the_last_connection_ends_the_pushes(h):
    sue, _ = watching(h)
    h.send(sue, "watch_dashboard", watch=False)
    h.enter("billing", "Ann")
    assert boards(h) == []
    h.send(sue, "watch_dashboard")
    assert len(boards(h)) == 1
    h.desk.rep_offline(9, h.now)
    h.enter("billing", "Bob")
    assert boards(h) == []


def test_an_ended_session_leaves_the_dashboard(h):
    rita, s, _ = h.active_session()
    watching(h)
    h.send(rita, "end_session", session=s.id)
    assert boards(h)[-1].sessions == []


def test_a_dashboard_page_is_no_console_so_its_supervisor_stays_away(h):
    supervisor(h, online=False)
    h.desk.dashboard_online(9, h.now)
    h.sent()
    h.send(RepActor(9), "watch_dashboard")
    [board] = boards(h)
    assert next(r.presence for r in board.reps if r.name == "Sue") == "away"


def test_a_supervisor_who_joins_from_the_dashboard_alone_is_listed_but_not_present(h):
    rita, s, _ = h.active_session()
    supervisor(h, online=False)
    h.desk.dashboard_online(9, h.now)
    h.send(RepActor(9), "watch_dashboard")
    h.send(RepActor(9), "assist_session", number=s.number)
    sue = next(x for x in s.reps() if x.name == "Sue")
    assert (sue.role, sue.present) == ("assistant", False)
    assert boards(h)[-1].sessions[0].rep_ids == [1, 9]


def test_the_pushes_stop_when_the_last_dashboard_page_closes_and_no_console_is_open(h):
    supervisor(h, online=False)
    h.desk.dashboard_online(9, h.now)
    h.desk.dashboard_online(9, h.now)
    h.send(RepActor(9), "watch_dashboard")
    h.desk.dashboard_offline(9, h.now)
    h.sent()
    h.enter("billing", "Ann")
    assert boards(h)  # one page is still open
    h.desk.dashboard_offline(9, h.now)
    h.enter("billing", "Bob")
    assert boards(h) == []


def test_changes_within_the_interval_are_pushed_once_when_it_is_over(h):
    h.rep(1, "Rita")
    watching(h)
    h.later(Desk.DASHBOARD_INTERVAL)
    h.sent()
    h.enter("billing", "Ann")  # pushed at once: nothing was pushed for a while
    assert [len(b.sessions) for b in h.sent(rep_channel(9), "dashboard")] == [1]
    h.enter("billing", "Bob")
    h.enter("billing", "Cy")
    assert h.sent(rep_channel(9), "dashboard") == []  # not within the interval
    h.later(Desk.DASHBOARD_INTERVAL / 2)
    assert h.sent(rep_channel(9), "dashboard") == []
    h.later(Desk.DASHBOARD_INTERVAL / 2)  # a tick once it is over
    [board] = h.sent(rep_channel(9), "dashboard")
    assert [q.waiting for q in board.queues if q.name == "billing"] == [3]
    h.later(Desk.DASHBOARD_INTERVAL)
    assert h.sent(rep_channel(9), "dashboard") == []  # nothing changed since


def test_a_new_watcher_gets_the_dashboard_at_once_within_the_interval(h):
    watching(h)
    h.enter("billing", "Ann")
    h.sent()
    h.enter("billing", "Bob")
    ben = supervisor(h, 8, "Ben")
    h.send(ben, "watch_dashboard")
    out = h.desk.data_to_send()
    # the newcomer sees Bob at once, and so does everyone: the board changed
    assert sorted(ch for ch, m in out if m.type == "dashboard") == [rep_channel(8), rep_channel(9)]
    assert {len(m.sessions) for ch, m in out if m.type == "dashboard"} == {2}


def test_the_rows_kept_between_pushes_match_a_dashboard_made_from_scratch(h):
    """Only the rows of changed sessions are made again for a push: after each
    of many random steps (customers entering, leaving and coming back, reps
    taking, assisting, transferring and ending sessions, offers timing out),
    the pushed dashboard equals one made from every session anew."""
    rng = random.Random(15)
    reps = [h.rep(i, f"Rep {i}", max_customers=3, multi_session=True) for i in range(1, 5)]
    sue, _ = watching(h)
    customers: list[CustomerActor] = []

    def mine(rep):
        return [s for s in h.desk.sessions.values() if s.live and s.primary and s.rep_pid(rep.account_id)]

    def step():
        rep = rng.choice(reps)
        kind = rng.randrange(9)
        if kind <= 1:
            customers.append(h.enter(rng.choice(["billing", "auto"]), f"Cus {len(customers)}"))
        elif kind == 2:
            h.send(rep, "accept_next")
        elif kind == 3 and customers:
            c = rng.choice(customers)
            (h.desk.customer_offline if rng.random() < 0.5 else h.desk.customer_online)(c, h.now)
        elif kind == 4 and mine(rep):
            s = rng.choice(mine(rep))
            if rng.random() < 0.5:
                h.send(rep, "end_session", session=s.id)
            else:
                h.send(rep, "chat", session=s.id, text="hello")
        elif kind == 5 and mine(rep):
            h.send(rep, "transfer_session", session=rng.choice(mine(rep)).id, queue="billing")
        elif kind == 6:
            live = [s for s in h.desk.sessions.values() if s.live]
            if live:
                h.send(sue, "assist_session", number=rng.choice(live).number)
        elif kind == 7:
            h.available(rep, rng.random() < 0.7)
        else:
            h.later(rng.choice([0.1, 5, 31]))

    pushed = 0
    for _ in range(400):
        try:
            step()
        except CoreError:
            pass  # refused: nothing changed
        h.later(Desk.DASHBOARD_INTERVAL)
        sent = h.sent(rep_channel(9), "dashboard")
        if sent:  # the last one pushed shows the desk as it is now
            fresh = dashboard(h.desk.reps.values(), h.desk.queues.values(), h.desk.sessions.values(), sent[-1].now)
            assert sent[-1] == fresh
            pushed += 1
    assert pushed > 100
    assert len({s.state for s in fresh.sessions}) > 1


def test_a_snapshot_of_the_desk_leaves_the_kept_rows_out_and_the_next_push_makes_them_again(h):
    """A cluster node's snapshot pickles the desk: the rows kept for the
    dashboard are not in it, and the node that loads it still pushes every session."""
    rita = h.rep(1, "Rita", max_customers=1)
    watching(h)
    h.enter("billing", "Ann")
    h.send(rita, "accept_next")
    assert boards(h)[-1].sessions
    assert h.desk.watchers._rows
    copy = pickle.loads(pickle.dumps(h.desk.watchers))
    assert copy._rows == {} and copy.accounts == {9}
    h.desk.watchers = copy
    h.enter("billing", "Bob")
    assert [s.customers for s in boards(h)[-1].sessions] == [["Ann"], ["Bob"]]
