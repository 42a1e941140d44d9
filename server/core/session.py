"""One support session: its participants, roles, grants and activities
(the grants and activities in `server.core.tools`).

`Session` is a plain object. Every input method checks the actor and the state
first and raises a `CoreError` that says why it refused, then changes state,
and finally queues what must be told: `records` for the store and audit log,
`notices` for particular participants. Whoever owns the session (the `Desk`)
sends a fresh `session_state` to every participant after any change.

Invariants (tested with random input sequences):
- while the session is open or active, exactly one participant is primary;
- a control activity exists only while its control grant is approved;
- an ended session accepts nothing.
"""

from __future__ import annotations

import enum
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import protocol as p
from .errors import ChatOff, Conflict, Invalid, NotAllowed, NotFound
from .grants import Activity, Grant, GrantState
from .intake import Answers
from .records import Record
from .tools import SessionTools

log = logging.getLogger(__name__)


class State(enum.Enum):
    WAITING = "waiting"  # in a queue or offered to reps; no primary
    OPEN = "open"  # a primary, no customer has joined yet
    ACTIVE = "active"  # a primary and at least one customer has joined
    ENDED = "ended"


LIVE = (State.OPEN, State.ACTIVE)


@dataclass(slots=True)
class Participant:
    pid: str
    kind: str  # rep | customer
    name: str
    role: str  # primary | assistant | customer
    account_id: int | None = None
    present: bool = True
    voice: bool = False
    joined_at: float = 0.0
    owner: str | None = None
    """For an agent: the participant whose machine it runs on."""
    screen: str | None = None
    """For an agent: ``ok``, or why it cannot see its machine's screen."""
    intake: Answers = Answers()
    """For a customer: what they entered when joining (shown to reps only)."""

    @property
    def is_rep(self) -> bool:
        return self.kind == "rep"


@dataclass
class Session(SessionTools):
    id: str
    number: str
    kind: str  # outbound | inbound
    created_at: float
    next_id: Callable[[], int]
    """Shared counter for grant, activity, chat and note ids (unique relay-wide,
    so an activity id can serve as a binary stream id)."""
    queue: str | None = None
    state: State = State.OPEN
    participants: dict[str, Participant] = field(default_factory=dict)
    primary: str | None = None
    selected: str | None = None
    grants: dict[int, Grant] = field(default_factory=dict)
    activities: dict[int, Activity] = field(default_factory=dict)
    waiting_since: float | None = None
    transfer_message: str | None = None
    offered_to: set[int] = field(default_factory=set)
    """Queue reps a transfer named; empty for an ordinary queue wait."""
    fallback_queue: str | None = None
    offer: tuple[int, float] | None = None
    """(rep account id, deadline) of the automatic-distribution offer in flight."""
    declined: set[int] = field(default_factory=set)
    auto_record: bool = False
    customer_chat: bool = True
    """Chat with customers is allowed (a policy); reps-only chat always is."""
    view_mode: str = "standard"
    """Standard or Screen sampling, for every shared screen; the primary sets it."""
    assist_requests: dict = field(default_factory=dict)
    """Request id -> `assisting.AssistRequest`: reps waiting for the primary's approval."""
    records: list[Record] = field(default_factory=list)
    notices: list[tuple[str, p.Message]] = field(default_factory=list)
    """(pid, message) pairs to deliver besides the session state."""
    due: float = 0.0
    """When `Desk.tick` looks at this session next: no later than its earliest
    pending grant, assist request or offer deadline (`deadline`), lowered as
    each is made; 0 is at the next tick. The tick passes every other session
    by, so its cost follows what is pending, not how many sessions are live."""
    routes_version: int = 0
    """Moves on at every change of the session (`Desk._flush`): who its frames
    may go to is checked again, and no other session's routes are."""

    # --- queries -----------------------------------------------------------

    @property
    def live(self) -> bool:
        return self.state in LIVE

    def customers(self, present_only: bool = True) -> list[Participant]:
        return [x for x in self.participants.values()
                if x.kind == "customer" and (x.present or not present_only)]

    def reps(self) -> list[Participant]:
        return [x for x in self.participants.values() if x.is_rep]

    def agent_of(self, pid: str | None) -> Participant | None:
        """The Support Manager paired to participant ``pid``, if any."""
        for x in self.participants.values():
            if x.kind == "agent" and x.owner == pid:
                return x
        return None

    def rep_pid(self, account_id: int) -> str | None:
        for x in self.participants.values():
            if x.account_id == account_id:
                return x.pid
        return None

    @property
    def tools_available(self) -> bool:
        """Tools that need a customer: only once one has joined and is here."""
        return self.state is State.ACTIVE and bool(self.customers())

    def member(self, pid: str) -> Participant:
        if self.state is State.ENDED:
            raise NotAllowed("the session has ended")
        try:
            return self.participants[pid]
        except KeyError:
            raise NotAllowed("not a participant of this session") from None

    def _primary(self, pid: str, what: str) -> Participant:
        who = self.member(pid)
        if self.primary != pid:
            raise NotAllowed(f"only the primary can {what}")
        return who

    def _need_customer(self) -> None:
        if not self.tools_available:
            raise NotAllowed("this tool is unavailable until a customer has joined")

    # --- bookkeeping --------------------------------------------------------

    def _record(self, action: str, actor: str | None, at: float, **data) -> None:
        self.records.append(Record(action, self.id, actor, at, data))

    def _set_state(self, state: State, at: float, actor: str | None = None, reason: str | None = None) -> None:
        if state is self.state:
            return
        log.info("session %s: %s -> %s", self.number, self.state.value, state.value)
        self.state = state
        self.waiting_since = at if state is State.WAITING else None
        self._record("session.state", actor, at, state=state.value, reason=reason, queue=self.queue)

    def _set_role(self, who: Participant, role: str, at: float) -> None:
        who.role = role
        if role == "primary":
            self.primary = who.pid
        self._record("participant.role", who.pid, at, pid=who.pid, role=role)

    # --- joining and leaving ------------------------------------------------

    def add_participant(self, who: Participant, at: float) -> None:
        """Add a rep or customer. A primary makes a waiting session open; the
        first customer makes an open session active and is selected."""
        if self.state is State.ENDED:
            raise NotAllowed("the session has ended")
        if who.pid in self.participants:
            raise Conflict("already in this session")
        if who.is_rep and who.account_id is not None and self.rep_pid(who.account_id):
            raise Conflict("you are already in this session")
        if who.role == "primary" and self.primary is not None:
            raise Conflict("the session already has a primary")
        if who.role == "assistant" and not self.live:
            raise NotAllowed("the session has no primary yet")
        if who.kind == "agent":
            if not self.live:
                raise NotAllowed("a Support Manager pairs with a live session")
            if who.owner not in self.participants or self.participants[who.owner].kind == "agent":
                raise NotAllowed("pair the Support Manager for a participant of this session")
            old = self.agent_of(who.owner)
            if old is not None:  # a reinstall or a second machine replaces the first
                self._remove(old, at, "replaced")
        who.joined_at = at
        self.participants[who.pid] = who
        extra = {"intake": who.intake.to_json()} if who.intake else {}
        self._record("participant.joined", who.pid, at, pid=who.pid, kind=who.kind,
                     account_id=who.account_id, name=who.name, role=who.role, owner=who.owner, **extra)
        if who.role == "primary":
            self.primary = who.pid
            self.offer = None
            self.offered_to.clear()
            self.declined.clear()
            self._set_state(State.ACTIVE if self.customers(present_only=False) else State.OPEN, at, who.pid)
        elif who.kind == "customer":
            if self.state is State.OPEN:
                self._set_state(State.ACTIVE, at, who.pid)
            if self.selected is None:
                self.selected = who.pid
                self._record("customer.selected", who.pid, at, pid=who.pid)

    def promote(self, pid: str, at: float) -> None:
        """A waiting session is taken by a rep already in it (an assistant who
        stayed after a transfer): they become its primary."""
        who = self.member(pid)
        if self.state is not State.WAITING or not who.is_rep:
            raise Conflict("you are already in this session")
        self._set_role(who, "primary", at)
        self.offer = None
        self.offered_to.clear()
        self.declined.clear()
        self._set_state(State.ACTIVE if self.customers(present_only=False) else State.OPEN, at, pid)

    def leave(self, pid: str, at: float, reason: str = "left") -> None:
        """An assistant or a customer leaves; the primary must end or hand over first."""
        who = self.member(pid)
        if pid == self.primary:
            raise NotAllowed("the primary cannot leave: transfer control or end the session")
        self._remove(who, at, reason)
        if self.state is State.WAITING and not self.customers(present_only=False):
            self.end(None, at, reason="abandoned")

    def _remove(self, who: Participant, at: float, reason: str) -> None:
        for grant in list(self.grants.values()):
            if grant.live and who.pid in (grant.requester, grant.grantor, grant.device):
                self._close_grant(grant, GrantState.REVOKED, at, None)
        for act in list(self.activities.values()):
            if who.pid in (act.sharer, act.peer):
                self._end_activity(act, at, reason)
        del self.participants[who.pid]
        self._record("participant.left", who.pid, at, pid=who.pid, reason=reason)
        self.notices.append((who.pid, p.SessionEnded(session=self.id, reason="left" if reason != "transferred" else "transferred")))
        if self.selected == who.pid:
            rest = self.customers()
            self.selected = rest[0].pid if rest else None
            if self.selected:
                self._record("customer.selected", None, at, pid=self.selected)

    def end(self, pid: str | None, at: float, reason: str = "ended") -> None:
        """Only the primary ends a session (``pid`` None: the relay itself)."""
        if pid is not None:
            self._primary(pid, "end the session")
        elif self.state is State.ENDED:
            return
        for grant in self.grants.values():
            if grant.live:
                self._close_grant(grant, GrantState.REVOKED, at, pid)
        for act in list(self.activities.values()):
            self._end_activity(act, at, "session ended")
        self._set_state(State.ENDED, at, pid, reason)
        # offer and offered_to stay: the Desk withdraws them when it drops the session
        for who in self.participants.values():
            self.notices.append((who.pid, p.SessionEnded(session=self.id, reason="ended")))

    # --- helping customers --------------------------------------------------

    def select_customer(self, pid: str, customer: str, at: float) -> None:
        """The primary chooses whom to help; every sharing activity ends at once."""
        self._primary(pid, "select the customer to help")
        target = self.participants.get(customer)
        if target is None or target.kind != "customer":
            raise NotFound("no such customer in this session")
        if customer == self.selected:
            return
        self._end_sharing(at, pid, "customer changed")
        self.selected = customer
        self._record("customer.selected", pid, at, pid=customer)

    def _end_sharing(self, at: float, actor: str | None, reason: str) -> None:
        for grant in self.grants.values():
            if grant.live:
                self._close_grant(grant, GrantState.REVOKED, at, actor)
        for act in list(self.activities.values()):
            if act.sharing:
                self._end_activity(act, at, reason)

    def deadline(self) -> float:
        """The earliest deadline pending: a grant nobody decided, an assist
        request the primary did not answer, an offer the rep did not take."""
        times = [g.deadline for g in self.grants.values() if g.state is GrantState.PENDING]
        times += [r.deadline for r in self.assist_requests.values()]
        if self.offer:
            times.append(self.offer[1])
        return min(times, default=math.inf)

    # --- handing over -------------------------------------------------------

    def transfer_control(self, pid: str, to: str, at: float) -> None:
        """The primary makes an assistant primary. Every activity ends except a
        voice call the new primary can take; the former primary stays as an
        assistant who may watch, chat and leave, but not end."""
        self._primary(pid, "transfer control")
        target = self.participants.get(to)
        if target is None or target.role != "assistant":
            raise NotAllowed("control can only go to an assistant in this session")
        if not target.present:
            raise NotAllowed(f"{target.name} is not connected")
        for grant in self.grants.values():
            if grant.live:
                self._close_grant(grant, GrantState.REVOKED, at, pid)
        keep_voice = target.voice
        for act in list(self.activities.values()):
            if not (act.kind == "audio" and keep_voice):
                self._end_activity(act, at, "control transferred")
        self._set_role(self.participants[pid], "assistant", at)
        self._set_role(target, "primary", at)
        self._record("transfer.control", pid, at, from_pid=pid, to_pid=to)

    def transfer_session(self, pid: str, queue: str | None, reps: list[int],
                         message: str, at: float, fallback_queue: str | None) -> None:
        """The primary hands the session to a queue, or to queue reps, and leaves.
        All activities end, voice included; the session waits for its new primary."""
        self._primary(pid, "transfer the session")
        if bool(queue) == bool(reps):
            raise Invalid("transfer to one queue or to one or more reps")
        if not self.customers(present_only=False):
            raise NotAllowed("there is no customer to transfer")
        if len(message) > p.TRANSFER_MESSAGE_MAX:
            raise Invalid(f"the message is longer than {p.TRANSFER_MESSAGE_MAX} characters")
        for grant in self.grants.values():
            if grant.live:
                self._close_grant(grant, GrantState.REVOKED, at, pid)
        for act in list(self.activities.values()):
            self._end_activity(act, at, "session transferred")
        me = self.participants[pid]
        self._record("transfer.session", pid, at, from_pid=pid, queue=queue, reps=list(reps), message=message)
        self.primary = None
        self._remove(me, at, "transferred")
        self.queue = queue or self.queue
        self.fallback_queue = queue or fallback_queue
        self.offered_to = set(reps)
        self.declined.clear()
        self.offer = None
        self.transfer_message = message or None
        self._set_state(State.WAITING, at, pid, "transferred")

    # --- chat and notes -----------------------------------------------------

    def chat(self, pid: str, text: str, reps_only: bool, at: float) -> p.ChatMessage:
        """A chat line to everyone, or to the reps only. With chat with
        customers turned off, customers cannot chat and reps chat among
        themselves only."""
        who = self.member(pid)
        if reps_only and not who.is_rep:
            raise NotAllowed("only reps can send reps-only messages")
        if not reps_only and not self.customer_chat:
            raise ChatOff("chat with customers is turned off" + ("; send it to reps only" if who.is_rep else ""))
        msg = p.ChatMessage(session=self.id, id=self.next_id(), pid=pid, name=who.name,
                            text=text, reps_only=reps_only, at=at)
        self._record("chat.posted", pid, at, message_id=msg.id, pid=pid, name=who.name,
                     text=text, reps_only=reps_only)
        for x in self.participants.values():
            if x.is_rep or not reps_only:
                self.notices.append((x.pid, msg))
        return msg

    def note(self, pid: str, text: str, at: float) -> None:
        if not self.member(pid).is_rep:
            raise NotAllowed("only reps take notes")
        self._record("note.saved", pid, at, note_id=self.next_id(), pid=pid, text=text)

    def signal(self, pid: str, to: str, data: dict) -> None:
        self.member(pid)
        if to not in self.participants or to == pid:
            raise NotFound("no such participant to signal")
        self.notices.append((to, p.SignalRelay(session=self.id, sender=pid, data=data)))

    # --- views --------------------------------------------------------------

    def view(self, pid: str, join_link: str | None = None) -> p.SessionState:
        """The state as participant ``pid`` sees it (reps see the join link)."""
        me = self.participants[pid]
        rep = me.is_rep
        return p.SessionState(
            session=self.id, number=format_number(self.number), state=self.state.value,
            kind=self.kind, queue=self.queue, you=pid, role=me.role, primary=self.primary,
            participants=[p.ParticipantInfo(pid=x.pid, name=x.name, kind=x.kind, role=x.role,
                                            present=x.present, selected=x.pid == self.selected,
                                            owner=x.owner, screen=x.screen,
                                            intake=x.intake.info() if rep else None)
                          for x in self.participants.values()],
            grants=[p.GrantInfo(id=g.id, kind=g.kind, scope=g.scope, direction=g.direction,
                                requester=g.requester, grantor=g.grantor, state=g.state.value)
                    for g in self.grants.values() if g.live],
            activities=[p.ActivityInfo(id=a.id, kind=a.kind, sharer=a.sharer, peer=a.peer,
                                       scope=a.scope, grant=a.grant, stream=a.id)
                        for a in self.activities.values()],
            tools_available=self.tools_available,
            can_end=self.primary == pid,
            auto_record=self.auto_record,
            customer_chat=self.customer_chat,
            view_mode=self.view_mode,
            join_link=join_link if me.is_rep else None,
            transfer_message=self.transfer_message if me.is_rep else None,
            assist_requests=[p.AssistRequestInfo(id=r.id, name=r.name, at=r.at)
                             for r in self.assist_requests.values()] if pid == self.primary else [],
        )

    def check_invariants(self) -> None:
        """Raise AssertionError if a session rule is broken (used by tests)."""
        primaries = [x for x in self.participants.values() if x.role == "primary"]
        if self.live:
            assert len(primaries) == 1 and primaries[0].pid == self.primary, "exactly one primary"
        else:
            assert not primaries or self.state is State.ENDED, "no primary while waiting"
        for act in self.activities.values():
            if act.kind == "control":
                g = self.grants.get(act.grant)
                assert g is not None and g.kind == "control" and g.state is GrantState.APPROVED, \
                    "control without a control grant"
        if self.state is State.ENDED:
            assert not self.activities, "activities in an ended session"
            assert not any(g.live for g in self.grants.values()), "live grant in an ended session"


def format_number(number: str) -> str:
    """``123456789`` -> ``123 456 789``, as read out on the phone."""
    return f"{number[:3]} {number[3:6]} {number[6:]}"


def parse_number(text: str) -> str:
    digits = "".join(c for c in text if not c.isspace())
    if len(digits) != 9 or not digits.isdigit():
        raise Invalid("a session number has 9 digits")
    return digits
