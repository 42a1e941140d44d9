"""Queues and routing: who waits where, and which rep takes whom.

Waiting customers are sessions in the WAITING state. A queue's line is its
waiting sessions in order of arrival. Reps take them with "Accept next"
(manual routing), or the relay offers each one to the longest-idle available
queue rep with free capacity, who must accept before the offer times out
(automatic routing); a declined or expired offer moves on to the next rep.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .intake import IntakeForm
from .session import LIVE, Session, State


@dataclass(frozen=True, slots=True)
class QueueConfig:
    name: str
    title: str
    routing: str = "manual"  # manual | automatic
    offer_timeout: float = 30.0
    consent: str = "view_on_accept"
    """view_on_accept: taking a customer starts the view of their page at once;
    ask_first: the customer is asked, and the view starts when they allow it."""
    intake: IntakeForm = IntakeForm()
    """What a customer is asked before waiting in this queue."""


@dataclass(slots=True)
class RepSeat:
    """A rep as the relay sees them: account settings set by an admin, plus
    presence (connections, availability, idle since)."""

    account_id: int
    name: str
    queue_rep: bool = False
    queues: frozenset[str] = frozenset()
    max_customers: int = 1
    multi_session: bool = False
    connections: int = 0
    available: bool = False
    idle_since: float = 0.0
    """When the rep last took a customer or became free: longest idle is offered first."""
    busy: bool = False
    supervises: bool = False
    """An admin or a supervisor: may watch the supervisor dashboard (server/core/dashboard.py)."""
    active: bool = True
    """False once the account is deactivated (its sockets are closed)."""

    def update(self, *, name: str, queue_rep: bool, queues: Iterable[str],
               max_customers: int, multi_session: bool, supervises: bool = False, active: bool = True) -> None:
        self.name = name
        self.supervises = supervises
        self.active = active
        self.queue_rep = queue_rep
        self.queues = frozenset(queues)
        self.max_customers = max(1, max_customers)
        self.multi_session = multi_session
        if not queue_rep:
            self.available = False


def by_primary(sessions: Iterable[Session]) -> dict[int, list[Session]]:
    """Live sessions by the account of their primary rep. One pass over the
    sessions for a decision about many reps (boards, offers, the roster):
    asking `primary_sessions` of each rep would take reps x sessions steps,
    seconds of the relay's loop in a large contact center."""
    out: dict[int, list[Session]] = {}
    for s in sessions:
        if s.state in LIVE and s.primary is not None:
            out.setdefault(s.participants[s.primary].account_id, []).append(s)
    return out


def primary_sessions(rep: RepSeat, sessions: Iterable[Session]) -> list[Session]:
    """The live sessions ``rep`` is primary of."""
    return [s for s in sessions if s.state in LIVE and s.primary is not None
            and s.participants[s.primary].account_id == rep.account_id]


def load(mine: Iterable[Session]) -> int:
    """Customers a rep helps now, as primary: ``mine`` are their primary sessions."""
    return sum(len(s.customers(present_only=False)) for s in mine)


def capacity_problem(rep: RepSeat, mine: list[Session], extra: int = 1, helped: int | None = None) -> str | None:
    """Why the rep cannot take ``extra`` more customers, or None if they can;
    ``mine`` are the live sessions they are primary of, ``helped`` their
    `load` when the caller has it already."""
    if not rep.multi_session and mine:
        return "single-session mode: end or transfer your current session first"
    if (load(mine) if helped is None else helped) + extra > rep.max_customers:
        return f"you already help your maximum of {rep.max_customers} customers"
    return None


def connected(session: Session) -> bool:
    """A waiting session's customer has their page connected now. Only such
    sessions are offered, taken with Accept next, or told a place in line; a
    customer whose page closed waits out of turn (shown as disconnected) and
    keeps their place if they come back."""
    return any(c.present for c in session.customers(present_only=False))


def line(sessions: Iterable[Session], queue: str) -> list[Session]:
    """The queue's waiting sessions, longest waiting first. Sessions offered
    to named reps by a transfer wait outside any line."""
    waiting = [s for s in sessions
               if s.state is State.WAITING and s.queue == queue and not s.offered_to]
    return sorted(waiting, key=lambda s: (s.waiting_since or 0.0, s.created_at))


def next_for(rep: RepSeat, sessions: list[Session]) -> Session | None:
    """The session "Accept next" gives this rep: offered to them by name
    first, else the longest-waiting one across their queues; connected
    customers only."""
    named = [s for s in sessions if s.state is State.WAITING and rep.account_id in s.offered_to and connected(s)]
    if named:
        return min(named, key=lambda s: s.waiting_since or 0.0)
    heads = [[s for s in line(sessions, q) if connected(s)][:1] for q in rep.queues]
    candidates = [h[0] for h in heads if h]
    return min(candidates, key=lambda s: (s.waiting_since or 0.0, s.created_at), default=None)


def pick_rep(session: Session, queue: str, reps: Iterable[RepSeat],
             primaries: dict[int, list[Session]], busy: set[int]) -> RepSeat | None:
    """The longest-idle available queue rep of ``queue`` with free capacity who
    has not declined this session and holds no other offer (``primaries``:
    `by_primary` of the sessions)."""
    extra = max(1, len(session.customers(present_only=False)))
    candidates = [
        r for r in reps
        if r.queue_rep and r.available and r.connections > 0 and queue in r.queues
        and r.account_id not in session.declined and r.account_id not in busy
        and capacity_problem(r, primaries.get(r.account_id, []), extra) is None
    ]
    return min(candidates, key=lambda r: (r.idle_since, r.account_id), default=None)


@dataclass
class QueueBoard:
    """What was last told to customers and reps, so only changes are sent."""

    positions: dict[str, tuple[str | None, int, int]] = field(default_factory=dict)
    boards: dict[int, object] = field(default_factory=dict)
    shared: dict[tuple, object] = field(default_factory=dict)
    """The boards of the last update, by (available, queues): what each kind of rep sees."""
