"""Support Manager (agent) rules in the core: pairing, desktop grants, local stop."""

import pytest

from server.core.desk import CustomerActor, RepActor, customer_channel, rep_channel
from server.core.errors import NotAllowed
from server.core.grants import GrantState


def pair(h, session, owner_actor, code="123456", name="Ann's PC"):
    h.desk.pairing_code(owner_actor, session.id, code, h.now)
    s, pid = h.desk.pair_agent(session.number, code, name, h.now)
    agent = CustomerActor(s.id, pid)
    h.desk.customer_online(agent, h.now)  # its socket says hello
    return agent


def test_pairing_code_is_one_time_and_expires(h):
    r, s, c = h.active_session()
    agent = pair(h, s, c)
    assert s.participants[agent.pid].kind == "agent" and s.participants[agent.pid].owner == c.pid
    with pytest.raises(NotAllowed, match="pairing code"):
        h.desk.pair_agent(s.number, "123456", "again", h.now)
    h.desk.pairing_code(c, s.id, "654321", h.now)
    h.now += 601
    with pytest.raises(NotAllowed, match="expired"):
        h.desk.pair_agent(s.number, "654321", "late", h.now)


def test_desktop_view_needs_the_customers_support_manager(h):
    r, s, c = h.active_session()
    with pytest.raises(NotAllowed, match="Support Manager is not connected"):
        h.send(r, "request_grant", session=s.id, kind="view", scope="desktop")
    agent = pair(h, s, c)
    h.send(r, "request_grant", session=s.id, kind="view", scope="desktop")
    g = next(iter(s.grants.values()))
    assert g.device == agent.pid and g.grantor == c.pid
    h.send(c, "decide_grant", session=s.id, grant=g.id, approve=True)
    act = next(iter(s.activities.values()))
    assert act.sharer == agent.pid
    # every participant but agents sees the desktop; only the agent may send it
    assert sorted(h.desk.route_frame(agent, 4, act.id)) == sorted([rep_channel(1), customer_channel(c.pid)])
    with pytest.raises(NotAllowed):
        h.desk.route_frame(c, 4, act.id)


def test_control_input_goes_only_to_the_agent_and_its_local_stop_ends_it(h):
    r, s, c = h.active_session()
    agent = pair(h, s, c)
    h.send(r, "request_grant", session=s.id, kind="control", scope="desktop")
    g = next(iter(s.grants.values()))
    h.send(agent, "decide_grant", session=s.id, grant=g.id, approve=True)  # approved on the machine itself
    act = next(iter(s.activities.values()))
    assert h.desk.route_frame(r, 2, act.id) == [customer_channel(agent.pid)]
    h.send(agent, "revoke_grant", session=s.id, grant=g.id)  # the local Stop
    assert s.grants[g.id].state is GrantState.REVOKED and not s.activities
    with pytest.raises(NotAllowed):
        h.desk.route_frame(r, 2, act.id)


def test_rep_shares_own_desktop_through_own_support_manager(h):
    r, s, c = h.active_session()
    with pytest.raises(NotAllowed, match="your Support Manager"):
        h.send(r, "request_grant", session=s.id, kind="view", scope="desktop", direction="share")
    rep_agent = pair(h, s, r)
    h.send(r, "request_grant", session=s.id, kind="view", scope="desktop", direction="share")
    g = next(iter(s.grants.values()))
    h.send(c, "decide_grant", session=s.id, grant=g.id, approve=True)  # the customer accepts to watch
    act = next(iter(s.activities.values()))
    assert act.sharer == rep_agent.pid


def test_customer_input_on_a_shared_rep_screen_needs_share_control(h):
    r, s, c = h.active_session()
    rep_agent = pair(h, s, r)
    h.send(r, "request_grant", session=s.id, kind="view", scope="desktop", direction="share")
    view = next(iter(s.grants.values()))
    h.send(c, "decide_grant", session=s.id, grant=view.id, approve=True)
    act = next(a for a in s.activities.values() if a.grant == view.id)
    # the rep's screen reaches the customer (and the rep) ...
    assert customer_channel(c.pid) in h.desk.route_frame(rep_agent, 4, act.id)
    # ... but a view-only share takes no input from the customer
    with pytest.raises(NotAllowed, match="no control grant"):
        h.desk.route_frame(c, 2, act.id)
    h.send(r, "request_grant", session=s.id, kind="control", scope="desktop", direction="share")
    ctl = next(g for g in s.grants.values() if g.kind == "control")
    h.send(c, "decide_grant", session=s.id, grant=ctl.id, approve=True)
    control = next(a for a in s.activities.values() if a.grant == ctl.id)
    assert (control.sharer, control.peer) == (rep_agent.pid, c.pid)
    assert h.desk.route_frame(c, 2, control.id) == [customer_channel(rep_agent.pid)]
    with pytest.raises(NotAllowed):
        h.desk.route_frame(r, 2, control.id)  # the rep works their own machine directly
    with pytest.raises(NotAllowed):
        h.desk.route_frame(c, 2, act.id)  # still not on the view stream
    h.send(c, "revoke_grant", session=s.id, grant=ctl.id)  # the customer stops
    with pytest.raises(NotAllowed):
        h.desk.route_frame(c, 2, control.id)


def test_file_requests_checked_against_the_live_files_activity(h):
    r, s, c = h.active_session()
    agent = pair(h, s, c)
    with pytest.raises(NotAllowed):
        h.send(r, "file_request", session=s.id, activity=99, request=1, op="list", path="")
    h.send(r, "request_grant", session=s.id, kind="files")
    g = next(iter(s.grants.values()))
    h.send(c, "decide_grant", session=s.id, grant=g.id, approve=True)
    act = next(iter(s.activities.values()))
    h.sent()
    h.send(r, "file_request", session=s.id, activity=act.id, request=1, op="list", path="")
    [(ch, m)] = [(ch, m) for ch, m in h.desk.data_to_send() if m.type == "file_message"]
    assert ch == customer_channel(agent.pid) and m.message.op == "list"
    with pytest.raises(NotAllowed, match="not your side"):
        h.send(c, "file_request", session=s.id, activity=act.id, request=2, op="list", path="")
    h.send(agent, "file_reply", session=s.id, activity=act.id, request=1, ok=True, entries=[])
    assert [ch for ch, m in h.desk.data_to_send() if m.type == "file_message"] == [rep_channel(1)]


def test_a_new_pairing_replaces_the_old_support_manager(h):
    r, s, c = h.active_session()
    first = pair(h, s, c, code="111111")
    second = pair(h, s, c, code="222222")
    assert first.pid not in s.participants and s.agent_of(c.pid).pid == second.pid


def test_agent_is_not_a_customer(h):
    r = h.rep(1)
    s = h.start(r)
    h.desk.pairing_code(RepActor(1), s.id, "333333", h.now)
    h.desk.pair_agent(s.number, "333333", "Rita's PC", h.now)
    assert s.tools_available is False  # a rep's own agent is no customer


def test_a_restored_session_remembers_whose_support_manager_is_whose(h):
    h.desk.restore([{
        "session_id": "s1", "number": "123456789", "kind": "outbound", "queue": None, "state": "active",
        "created_at": 1.0, "waiting_since": None, "transfer_message": None, "selected_pid": "c1",
        "participants": [
            {"pid": "r1", "kind": "rep", "account_id": 1, "name": "Rita", "role": "primary", "owner": None},
            {"pid": "c1", "kind": "customer", "account_id": None, "name": "Ann", "role": "customer", "owner": None},
            {"pid": "a1", "kind": "agent", "account_id": None, "name": "PC", "role": "agent", "owner": "c1"},
        ]}], {})
    assert h.desk.sessions["s1"].agent_of("c1").pid == "a1"


def test_a_support_manager_on_wayland_is_shown_as_such_and_screen_requests_get_the_reason(h):
    r, s, c = h.active_session()
    agent = pair(h, s, c)
    h.desk.customer_online(agent, h.now, "wayland")  # its hello says it cannot see the screen
    assert s.view(s.primary).participants[-1].screen == "wayland"  # every participant sees why
    for scope in ("desktop", "application"):
        with pytest.raises(NotAllowed, match="Wayland.*X11 session"):
            h.send(r, "request_grant", session=s.id, kind="view", scope=scope)
    assert not s.grants  # nobody is asked for a picture that would be black
    h.send(r, "request_grant", session=s.id, kind="files", scope="desktop")  # files do not need the screen
    assert [g.kind for g in s.grants.values()] == ["files"]


def test_a_paired_support_manager_counts_as_there_only_once_it_connects(h):
    r, s, c = h.active_session()
    h.desk.pairing_code(c, s.id, "444444", h.now)
    _, pid = h.desk.pair_agent(s.number, "444444", "Ann's PC", h.now)
    assert s.participants[pid].present is False  # paired, not connected: nobody may ask it for anything yet
    with pytest.raises(NotAllowed, match="not connected"):
        h.send(r, "request_grant", session=s.id, kind="view", scope="desktop")
    h.desk.customer_online(CustomerActor(s.id, pid), h.now)
    h.send(r, "request_grant", session=s.id, kind="view", scope="desktop")
