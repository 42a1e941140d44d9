"""The roster the invite and transfer pickers show: presence and load from
what the relay knows, queues with their waiting counts."""

from server.core.roster import roster


def entry(h, account_id):
    reps, _ = roster(h.desk.reps.values(), h.desk.queues.values(), h.desk.sessions.values())
    return next(r for r in reps if r.id == account_id)


def test_rep_without_a_connected_console_is_away(h):
    h.rep(1, "Rita", online=False)
    assert entry(h, 1).presence == "away"


def test_connected_rep_with_room_is_available(h):
    h.rep(1, "Rita", max_customers=2, multi_session=True)
    assert entry(h, 1).presence == "available"
    assert (entry(h, 1).customers, entry(h, 1).max_customers, entry(h, 1).sessions) == (0, 2, 0)


def test_rep_at_their_maximum_is_busy_with_their_load(h):
    r = h.rep(1, "Rita", max_customers=1)
    s = h.start(r)
    h.join(s, "Ann")
    rita = entry(h, 1)
    assert rita.presence == "busy" and (rita.customers, rita.max_customers, rita.sessions) == (1, 1, 1)


def test_single_session_rep_with_a_session_is_busy_even_below_the_maximum(h):
    r = h.rep(1, "Rita", max_customers=3, multi_session=False)
    h.start(r)
    assert entry(h, 1).presence == "busy"


def test_rep_who_goes_offline_is_away_and_keeps_their_sessions_counted(h):
    r = h.rep(1, "Rita", max_customers=3, multi_session=True)
    h.start(r)
    h.desk.rep_offline(1, h.now)
    assert entry(h, 1).presence == "away" and entry(h, 1).sessions == 1


def test_assisting_counts_as_a_session_but_not_as_load(h):
    r1, r2 = h.rep(1, "Rita"), h.rep(2, "Bert", max_customers=1)
    s = h.start(r1)
    h.join(s)
    h.send(r2, "assist_session", number=s.number)
    bert = entry(h, 2)
    assert (bert.sessions, bert.customers, bert.presence) == (1, 0, "available")


def test_queues_count_connected_waiting_customers_and_reps_sort_by_name(h):
    h.rep(2, "bert")
    h.rep(1, "Anna")
    h.enter("billing", "Ann")
    h.enter("billing", "Bob")
    h.enter("billing", "Cid", online=False)
    reps, queues = roster(h.desk.reps.values(), h.desk.queues.values(), h.desk.sessions.values())
    assert [r.name for r in reps] == ["Anna", "bert"]
    assert {q.name: q.waiting for q in queues} == {"billing": 2, "auto": 0}
