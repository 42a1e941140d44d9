"""The session invariants, checked against random input sequences.

A hypothesis state machine drives one `Desk` with whatever several reps
(queue and non-queue, single and multi-session) and their customers might
send, in any order, with the clock moving on. The core may refuse an input
(a `CoreError`, or a `ValidationError` for a message the schema rejects);
anything else it raises is a bug. After every step:

- every session keeps its rules (`Session.check_invariants`);
- a refused input changed nothing;
- an ended session is gone and accepts nothing from anyone who was in it;
- a control frame is routed only on a control activity whose grant is approved.
"""

import itertools

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from pydantic import ValidationError

from server import protocol as p
from server.core.desk import CustomerActor, Desk, QueueConfig, RepActor, rep_channel
from server.core.errors import CoreError
from server.core.grants import GrantState
from server.core.session import Session, State

REPS = {
    1: dict(queue_rep=True, queues=("billing", "auto"), max_customers=1, multi_session=False),
    2: dict(queue_rep=True, queues=("auto",), max_customers=2, multi_session=True),
    3: dict(queue_rep=True, queues=("billing", "auto"), max_customers=3, multi_session=True),
    4: dict(queue_rep=False, queues=(), max_customers=2, multi_session=False),
}
QUEUES = ("billing", "auto", "nonesuch")

pick = st.integers(min_value=0, max_value=10**6)
"""Which of whatever exists when the rule runs (taken modulo its length)."""
rep_ids = st.sampled_from(sorted(REPS))
POKES = ("chat", "end_session", "leave_session", "request_grant", "start_activity", "select_customer",
         "revoke_grant", "accept_offer", "decline_offer", "transfer_control", "transfer_session",
         "customer_online", "join", "assist_session", "set_view_mode")


def choose(seq, i):
    seq = list(seq)
    return seq[i % len(seq)] if seq else None


def snapshot(desk: Desk):
    """Everything an input may change, to check that a refused one changed nothing."""
    sessions = {
        sid: (s.state, s.queue, s.primary, s.selected, s.waiting_since, s.offer,
              frozenset(s.offered_to), frozenset(s.declined), s.transfer_message, s.view_mode,
              tuple((x.pid, x.role, x.present, x.voice) for x in s.participants.values()),
              tuple((g.id, g.state) for g in s.grants.values()),
              tuple(sorted(s.activities)))
        for sid, s in desk.sessions.items()}
    reps = {aid: (r.available, r.connections) for aid, r in desk.reps.items()}
    return sessions, reps


class DeskMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        ids = itertools.count(1)
        numbers = itertools.count(100000001)
        self.desk = Desk(new_id=lambda: f"id{next(ids)}", new_number=lambda: str(next(numbers)),
                         join_link=lambda s: f"http://relay/j/{s.number}")
        self.desk.configure_queues([QueueConfig("billing", "Billing"),
                                    QueueConfig("auto", "Automatic", "automatic", offer_timeout=30)])
        self.now = 1000.0
        self.seq = itertools.count(1)
        for aid, cfg in REPS.items():
            self.desk.configure_rep(aid, name=f"Rep {aid}", now=self.now, **cfg)
        self.customers: list[CustomerActor] = []
        self.members: dict[str, set] = {}
        """Live session id -> every actor who has been in it."""
        self.ended: dict[str, tuple[str, set]] = {}
        """Ended session id -> (its number, every actor who was in it)."""
        self.objects: dict[str, Session] = {}
        self.numbers: dict[str, str] = {}
        self.streams: set[int] = set()
        """Every activity id seen, live or not: frames on dead streams must be refused."""
        self.dead: set[int] = set()
        """Streams already checked after they stopped."""
        self.just_ended: list[str] = []
        """Sessions that ended in the last step, for everyone in them to poke at."""

    # --- plumbing -----------------------------------------------------------

    def apply(self, fn, *args):
        """Run one input; a refusal must leave everything as it was."""
        before = snapshot(self.desk)
        try:
            result = fn(*args)
        except (CoreError, ValidationError):
            assert snapshot(self.desk) == before, f"refused {fn.__name__}{args} changed state"
            result = None
        self.desk.data_to_send()
        self.desk.records_to_store()
        self.observe()
        return result

    def send(self, actor, type_, **fields):
        def receive():
            msg = p.client_message.validate_python({"type": type_, "seq": next(self.seq), **fields})
            self.desk.receive(actor, msg, self.now)
        receive.__name__ = type_
        return self.apply(receive)

    def observe(self) -> None:
        for sid, s in self.desk.sessions.items():
            actors = self.members.setdefault(sid, set())
            for x in s.participants.values():
                actors.add(RepActor(x.account_id) if x.is_rep else CustomerActor(sid, x.pid))
            self.numbers[sid] = s.number
            self.objects[sid] = s
            self.streams.update(s.activities)
        for sid in list(self.members):
            if sid not in self.desk.sessions:
                self.ended[sid] = (self.numbers[sid], self.members.pop(sid))
                self.just_ended.append(sid)

    def session(self, i):
        """A live session, more often one with a customer (where most tools work)."""
        ordered = [self.desk.sessions[k] for k in sorted(self.desk.sessions)]
        return choose([s for s in ordered if s.state is State.ACTIVE] * 3 + ordered, i)

    def any_session_id(self, i):
        """A live or an ended session id."""
        return choose(sorted(self.members) + sorted(self.ended), i)

    def actor(self, s, i, likely=None):
        """Mostly someone in session ``s`` (often ``likely``, the participant the
        input is meant for, so that it is not always refused), sometimes an outsider."""
        inside = [self.as_actor(s, pid) for pid in s.participants] if s else []
        outside = [RepActor(aid) for aid in REPS] + self.customers[-2:]
        favoured = [self.as_actor(s, likely)] * (len(inside) + 2) if s and likely in s.participants else []
        return choose(favoured + inside * 2 + outside, i)

    @staticmethod
    def as_actor(s, pid):
        x = s.participants[pid]
        return RepActor(x.account_id) if x.is_rep else CustomerActor(s.id, pid)

    @initialize()
    def reps_at_their_desks(self):
        for aid in REPS:
            self.desk.rep_online(aid, self.now)
        for aid in (2, 3):
            self.send(RepActor(aid), "set_availability", available=True)

    # --- reps ---------------------------------------------------------------

    @rule(aid=rep_ids, what=st.sampled_from(["online", "offline", "available", "unavailable"]))
    def rep_presence(self, aid, what):
        if what in ("online", "offline"):
            self.apply(self.desk.rep_online if what == "online" else self.desk.rep_offline, aid, self.now)
        else:
            self.send(RepActor(aid), "set_availability", available=what == "available")

    @rule(aid=rep_ids)
    def start(self, aid):
        self.send(RepActor(aid), "start_session")

    @rule(aid=rep_ids, i=pick)
    def assist(self, aid, i):
        sid = self.any_session_id(i)
        if sid:
            number = self.ended[sid][0] if sid in self.ended else self.desk.sessions[sid].number
            self.send(RepActor(aid), "assist_session", number=number)

    @rule(aid=rep_ids)
    def accept_next(self, aid):
        self.send(RepActor(aid), "accept_next")

    @rule(aid=rep_ids, i=pick, accept=st.booleans())
    def answer_offer(self, aid, i, accept):
        offered = [s for s in self.desk.sessions.values()
                   if (s.offer and s.offer[0] == aid) or aid in s.offered_to]
        sid = choose([s.id for s in offered], i) or self.any_session_id(i)
        if sid:
            self.send(RepActor(aid), "accept_offer" if accept else "decline_offer", session=sid)

    @rule(i=pick, j=pick, k=pick)
    def select_customer(self, i, j, k):
        s = self.session(i)
        if s:
            self.send(self.actor(s, j, s.primary), "select_customer", session=s.id,
                      pid=choose(s.participants, k))

    @rule(i=pick, j=pick, kind=st.sampled_from(["view", "control", "files"]),
          scope=st.sampled_from(["desktop", "application", "tab"]),
          direction=st.sampled_from(["request", "share"]))
    def request_grant(self, i, j, kind, scope, direction):
        s = self.session(i)
        if s:
            self.send(self.actor(s, j, s.primary), "request_grant", session=s.id, kind=kind, scope=scope,
                      direction=direction)

    @rule(i=pick, j=pick, k=pick, approve=st.booleans())
    def decide_grant(self, i, j, k, approve):
        s = self.session(i)
        if s and s.grants:
            pending = [g for g in s.grants.values() if g.state is GrantState.PENDING]
            grant = choose(pending, k) or choose(list(s.grants.values()), k)
            self.send(self.actor(s, j, grant.grantor), "decide_grant", session=s.id, grant=grant.id,
                      approve=approve)

    @rule(i=pick, j=pick, k=pick)
    def revoke_grant(self, i, j, k):
        s = self.session(i)
        if s and s.grants:
            grant = s.grants[choose(sorted(s.grants), k)]
            who = (grant.grantor, grant.requester)[k % 2]
            self.send(self.actor(s, j, who), "revoke_grant", session=s.id, grant=grant.id)

    @rule(i=pick, j=pick, kind=st.sampled_from(["video", "audio", "recording"]))
    def start_activity(self, i, j, kind):
        s = self.session(i)
        if s:
            self.send(self.actor(s, j, s.primary), "start_activity", session=s.id, kind=kind)

    @rule(i=pick, j=pick, k=pick)
    def stop_activity(self, i, j, k):
        s = self.session(i)
        if s and s.activities:
            act = s.activities[choose(sorted(s.activities), k)]
            self.send(self.actor(s, j, act.sharer), "stop_activity", session=s.id, activity=act.id)

    @rule(i=pick, j=pick, k=pick)
    def transfer_control(self, i, j, k):
        s = self.session(i)
        if s:
            self.send(self.actor(s, j, s.primary), "transfer_control", session=s.id,
                      to=choose(s.participants, k))

    @rule(i=pick, j=pick, queue=st.sampled_from(QUEUES + (None,)),
          reps=st.lists(rep_ids, max_size=2), length=st.sampled_from([0, 12, 345, 346]))
    def transfer_session(self, i, j, queue, reps, length):
        s = self.session(i)
        if s:
            self.send(self.actor(s, j, s.primary), "transfer_session", session=s.id, queue=queue, reps=reps,
                      message="x" * length)

    @rule(i=pick, j=pick)
    def end(self, i, j):
        s = self.session(i)
        if s:
            self.send(self.actor(s, j, s.primary), "end_session", session=s.id)

    @rule(i=pick, j=pick)
    def leave(self, i, j):
        s = self.session(i)
        if s:
            self.send(self.actor(s, j), "leave_session", session=s.id)

    @rule(i=pick, j=pick, mode=st.sampled_from(["standard", "sampling", "fastest"]))
    def set_view_mode(self, i, j, mode):
        s = self.session(i)
        if s:
            actor, before = self.actor(s, j, s.primary), s.view_mode
            self.send(actor, "set_view_mode", session=s.id, mode=mode)
            if s.view_mode != before:
                assert s.primary and actor == self.as_actor(s, s.primary), "the view mode set by a non-primary"

    @rule(i=pick, j=pick, reps_only=st.booleans())
    def chat(self, i, j, reps_only):
        s = self.session(i)
        if s:
            self.send(self.actor(s, j), "chat", session=s.id, text="hello", reps_only=reps_only)

    # --- the admin ---------------------------------------------------------------

    @rule(on=st.booleans())
    def admin_sets_auto_record(self, on):
        self.apply(self.desk.set_policies, {"auto_record": on}, self.now)

    @rule(aid=rep_ids, max_customers=st.integers(1, 3), multi_session=st.booleans(),
          queue_rep=st.booleans())
    def admin_configures_rep(self, aid, max_customers, multi_session, queue_rep):
        self.apply(lambda: self.desk.configure_rep(
            aid, name=f"Rep {aid}", queue_rep=queue_rep, queues=REPS[aid]["queues"] if queue_rep else (),
            max_customers=max_customers, multi_session=multi_session, now=self.now))

    # --- two-step shortcuts, so that short runs reach sessions with sharing ---

    @rule(aid=rep_ids, inbound=st.booleans())
    def rep_takes_a_customer(self, aid, inbound):
        """An outbound session that a customer joins, or a help link and "Accept next"."""
        if inbound:
            self.enter_queue("billing" if aid != 2 else "auto")
            self.accept_next(aid)
        else:
            self.start(aid)
            mine = [s for s in self.desk.sessions.values() if s.primary and s.rep_pid(aid) == s.primary]
            s = max(mine, key=lambda s: s.created_at, default=None)
            if s:
                self.customer_joins(s.number)

    @rule(i=pick, kind=st.sampled_from(["view", "control", "files"]),
          scope=st.sampled_from(["desktop", "application", "tab"]),
          direction=st.sampled_from(["request", "request", "share"]), approve=st.booleans())
    def primary_asks_and_customer_answers(self, i, kind, scope, direction, approve):
        s = self.session(i)
        if s is None or s.primary is None:
            return
        primary = self.as_actor(s, s.primary)
        self.send(primary, "request_grant", session=s.id, kind=kind, scope=scope, direction=direction)
        pending = [g for g in s.grants.values() if g.state is GrantState.PENDING]
        if pending and s.id in self.desk.sessions:
            g = pending[-1]
            self.send(self.as_actor(s, g.grantor), "decide_grant", session=s.id, grant=g.id,
                      approve=approve)

    # --- customers ----------------------------------------------------------

    @rule(queue=st.sampled_from(QUEUES))
    def enter_queue(self, queue):
        got = self.apply(self.desk.enter_queue, queue, "Ann", self.now)
        if got:
            self.customers.append(CustomerActor(got[0].id, got[1]))

    @rule(i=pick)
    def join(self, i):
        live = [k for k in sorted(self.desk.sessions) if self.desk.sessions[k].live]
        sid = choose(live * 3 + sorted(self.ended), i)
        if sid:
            self.customer_joins(self.ended[sid][0] if sid in self.ended else self.desk.sessions[sid].number)

    def customer_joins(self, number):
        got = self.apply(self.desk.join, number, "Bob", self.now)
        if got:
            self.customers.append(CustomerActor(got[0].id, got[1]))

    @rule(j=pick, what=st.sampled_from(["online", "offline", "gone"]))
    def customer_connection(self, j, what):
        c = choose(self.customers, j)
        if c:
            fn = {"online": self.desk.customer_online, "offline": self.desk.customer_offline,
                  "gone": self.desk.customer_gone}[what]
            self.apply(fn, c, self.now)

    @rule(i=pick, j=pick, k=pick)
    def pair_support_manager(self, i, j, k):
        """Someone in a session (or an outsider) gets a code; an agent pairs with it."""
        s = self.session(i)
        if s is None:
            return
        owner = self.actor(s, j, likely=s.selected)
        code = f"{100000 + k % 900000:06d}"
        if self.apply(self.desk.pairing_code, owner, s.id, code, self.now):
            got = self.apply(self.desk.pair_agent, s.number, code, "PC", self.now)
            if got:
                agent = CustomerActor(got[0].id, got[1])
                self.apply(self.desk.customer_online, agent, self.now)  # its socket says hello
                self.customers.append(agent)

    # --- time ---------------------------------------------------------------

    @rule(dt=st.sampled_from([0.5, 5.0, 29.0, 30.0, 31.0, 61.0]))
    def tick(self, dt):
        self.now += dt
        self.apply(self.desk.tick, self.now)

    # --- binary frames --------------------------------------------------------

    def check_frame(self, actor, kind, stream):
        """Route one frame; if the relay forwards it, it must have been allowed.
        Returns the channels it went to, or None if refused."""
        try:
            channels = self.desk.route_frame(actor, kind, stream)
        except CoreError:
            return None
        owners = [x for x in self.desk.sessions.values() if stream in x.activities]
        assert len(owners) == 1, f"a frame routed on stream {stream}, which no live session holds"
        owner = owners[0]
        act = owner.activities[stream]
        pid = actor.pid if isinstance(actor, CustomerActor) else owner.rep_pid(actor.account_id)
        assert pid in owner.participants, "a frame routed for someone outside the session"
        if kind == p.StreamKind.CONTROL:
            grant = owner.grants.get(act.grant)
            assert act.kind == "control" and grant is not None and grant.kind == "control" \
                and grant.state is GrantState.APPROVED, "control frame without an approved control grant"
            assert pid == act.peer, "control frame from someone who does not control"
        inside = {rep_channel(x.account_id) if x.is_rep else f"cus:{x.pid}"
                  for x in owner.participants.values()}
        assert set(channels) <= inside, "a frame routed outside its session"
        return channels

    @invariant()
    def frames_follow_grants(self):
        """Every kind of frame from everyone on every live stream, and on every
        stream that stopped in the last step (revoked, stopped, session ended)."""
        outsiders = [RepActor(aid) for aid in REPS] + self.customers[-2:]
        live = {a for s in self.desk.sessions.values() for a in s.activities}
        everyone = outsiders + [self.as_actor(s, pid) for s in self.desk.sessions.values()
                                for pid in s.participants]
        for stream in sorted(self.streams - live - self.dead):
            for actor in everyone:
                for kind in p.StreamKind:
                    assert self.check_frame(actor, kind, stream) is None, f"frame on dead stream {stream}"
        self.dead |= self.streams - live
        for s in self.desk.sessions.values():
            people = [self.as_actor(s, pid) for pid in s.participants] + outsiders
            for act in s.activities.values():
                for actor in people:
                    for kind in p.StreamKind:
                        self.check_frame(actor, kind, act.id)
                if act.kind == "control":  # and the controller's input does reach the sharer
                    sharer = s.participants[act.sharer]
                    assert self.check_frame(self.as_actor(s, act.peer), p.StreamKind.CONTROL, act.id) \
                        == [rep_channel(sharer.account_id) if sharer.is_rep else f"cus:{sharer.pid}"]

    # --- ended sessions ---------------------------------------------------------

    def poke(self, sid, actor, what):
        number = self.ended[sid][0]
        fields = {"chat": {"text": "anyone?"}, "request_grant": {"kind": "control"},
                  "start_activity": {"kind": "video"}, "transfer_control": {"to": "id1"},
                  "select_customer": {"pid": "id1"}, "revoke_grant": {"grant": 1},
                  "transfer_session": {"queue": "billing"}, "set_view_mode": {"mode": "sampling"}}
        before = snapshot(self.desk)
        try:
            if what == "join":
                self.desk.join(number, "Late", self.now)
            elif what == "assist_session":
                self.desk.receive(RepActor(3), p.client_message.validate_python(
                    {"type": what, "seq": next(self.seq), "number": number}), self.now)
            elif what == "customer_online":
                if not isinstance(actor, CustomerActor):
                    return
                self.desk.customer_online(actor, self.now)
            else:
                msg = p.client_message.validate_python(
                    {"type": what, "seq": next(self.seq), "session": sid, **fields.get(what, {})})
                self.desk.receive(actor, msg, self.now)
        except CoreError:
            pass
        else:
            raise AssertionError(f"ended session {sid} accepted {what} from {actor}")
        assert snapshot(self.desk) == before, f"refused {what} on ended session changed state"
        self.desk.data_to_send()

    @invariant()
    def ended_session_accepts_nothing(self):
        """Everyone who was in a session that just ended tries everything there."""
        for sid in self.just_ended:
            for actor in sorted(self.ended[sid][1], key=repr):
                for what in POKES:
                    self.poke(sid, actor, what)
        self.just_ended.clear()

    # --- invariants -----------------------------------------------------------

    @invariant()
    def every_session_keeps_its_rules(self):
        for s in self.desk.sessions.values():
            assert s.state is not State.ENDED, "an ended session is dropped at once"
            s.check_invariants()
            if s.state is State.WAITING:
                assert not s.activities, "activities in a waiting session"
            else:
                assert s.offer is None and not s.offered_to, "an offer for a session with a primary"

    @invariant()
    def ended_sessions_stay_gone(self):
        for sid, (number, _) in self.ended.items():
            assert sid not in self.desk.sessions
            assert self.desk.numbers.get(number) != sid
            s = self.objects[sid]
            assert s.state is State.ENDED, "a session left the desk without ending"
            s.check_invariants()  # nothing runs and no grant stays live in an ended session


DeskMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=40, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestDeskInvariants = DeskMachine.TestCase
