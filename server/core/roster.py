"""Who a rep can invite or hand a session to: the reps with their presence and
load, and the queues with how many wait in each.

Presence is what the relay knows: **away** when the rep has no console
connected; **busy** when connected but unable to take one more customer (at
their maximum, or in single-session mode with a session of their own);
**available** otherwise. Load is the customers they help as primary out of
their maximum, and the live sessions they are in, in any role.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .routing import QueueConfig, RepSeat, by_primary, capacity_problem, connected, line, load
from .session import Session

Presence = Literal["available", "busy", "away"]


@dataclass(frozen=True, slots=True)
class RosterRep:
    id: int
    name: str
    presence: Presence
    customers: int
    max_customers: int
    sessions: int
    queue_rep: bool
    queues: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RosterQueue:
    name: str
    title: str
    waiting: int
    """Customers in its line whose page is connected (the ones a rep would get)."""


def presence(seat: RepSeat, mine: list[Session], helped: int | None = None) -> Presence:
    """``mine``: the live sessions the rep is primary of (``helped``: their `load`, if known)."""
    if seat.connections <= 0:
        return "away"
    return "busy" if capacity_problem(seat, mine, helped=helped) is not None else "available"


def roster(reps: Iterable[RepSeat], queues: Iterable[QueueConfig],
           sessions: Iterable[Session]) -> tuple[list[RosterRep], list[RosterQueue]]:
    """Reps by name and queues by title, as `presence` and `load` see them now."""
    everyone = list(sessions)
    live = [s for s in everyone if s.live]
    primaries = by_primary(live)
    rooms = Counter(aid for s in live for aid in {x.account_id for x in s.participants.values()} if aid is not None)
    people = []
    for seat in reps:
        mine = primaries.get(seat.account_id, [])
        helped = load(mine)
        people.append(RosterRep(seat.account_id, seat.name, presence(seat, mine, helped), helped, seat.max_customers,
                                rooms[seat.account_id], seat.queue_rep, tuple(sorted(seat.queues))))
    lines = [RosterQueue(q.name, q.title, sum(1 for s in line(everyone, q.name) if connected(s))) for q in queues]
    return (sorted(people, key=lambda r: (r.name.lower(), r.id)),
            sorted(lines, key=lambda q: (q.title.lower(), q.name)))
