"""Assisting a session by its number: the rules for a rep who types one.

Any signed-in rep may join a live session as an assistant by typing its
nine-digit number ("Assist session"). So that numbers cannot be scanned and
nobody slips in unseen:

- every try counts against the rep's account (`AssistDoor`, a sliding window
  like a customer's join per address) and is refused with `RateLimited` past
  the limit;
- every try is audited: ``assist.refused`` (no live session has the number),
  ``assist.requested``, ``assist.decided``, ``assist.expired``, ``assist.joined``;
- the session's reps are told when an assistant arrives (`SessionNotice`);
- with the ``assist_approval`` policy the rep only asks: the request shows in
  the primary's state, the primary lets them in or not (`DecideAssist`), and
  a request nobody answers expires after the grant timeout.

The functions below apply the rules to one `Session` (its ``assist_requests``,
``records`` and ``notices``); the `Desk` adds the participant and tells the
asking rep, who is not in the session yet, how it went (`AssistAnswer`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import protocol as p
from ..ratelimit import RateLimiter
from .errors import Conflict, NotAllowed, NotFound, RateLimited
from .records import Record
from .session import Session


@dataclass(slots=True)
class AssistRequest:
    id: int
    account_id: int
    name: str
    at: float
    deadline: float


class AssistDoor:
    """Tries at assisting by number, per rep account: at most ``attempts`` in
    any ``window`` seconds, whichever sessions they name."""

    def __init__(self, attempts: int, window: float) -> None:
        self.tries = RateLimiter(attempts, window)

    def knock(self, account_id: int, now: float) -> None:
        """Count one try; raises `RateLimited` (not counted) past the limit."""
        key = f"rep:{account_id}"
        if not self.tries.hit(key, now):
            wait = int(self.tries.retry_after(key, now)) + 1
            raise RateLimited(f"too many session numbers tried; try again in {wait} s")


def refused(account_id: int, number: str, now: float) -> Record:
    """The audit entry of a number that named no live session."""
    return Record("assist.refused", None, f"rep:{account_id}", now,
                  {"account_id": account_id, "number": number, "reason": "no live session has this number"})


def ask(s: Session, account_id: int, name: str, now: float, timeout: float,
        next_id: Callable[[], int]) -> AssistRequest:
    """A rep asks to assist; the primary is told and decides."""
    if s.rep_pid(account_id) is not None:
        raise Conflict("you are already in this session")
    if any(r.account_id == account_id for r in s.assist_requests.values()):
        raise Conflict("you have asked already: the primary has not answered yet")
    req = AssistRequest(next_id(), account_id, name, now, now + timeout)
    s.assist_requests[req.id] = req
    s.due = min(s.due, req.deadline)
    s.records.append(Record("assist.requested", s.id, f"rep:{account_id}", now,
                            {"request": req.id, "account_id": account_id, "name": name}))
    s.notices.append((s.primary, p.SessionNotice(session=s.id, event="assist_requested", name=name)))
    return req


def pending(s: Session, pid: str, request_id: int) -> AssistRequest:
    """The request the primary ``pid`` answers (it stays until `decided`)."""
    if s.primary != pid:
        raise NotAllowed("only the primary lets reps in to assist")
    try:
        return s.assist_requests[request_id]
    except KeyError:
        raise NotFound(f"no request {request_id} to assist this session (it may have expired)") from None


def decided(s: Session, pid: str, req: AssistRequest, approve: bool, now: float) -> None:
    s.assist_requests.pop(req.id, None)
    s.records.append(Record("assist.decided", s.id, pid, now,
                            {"request": req.id, "account_id": req.account_id, "approved": approve}))


def arrived(s: Session, pid: str, approved_by: str | None, now: float) -> None:
    """A rep joined as an assistant by number: audited, and every other rep
    of the session is told."""
    who = s.participants[pid]
    s.records.append(Record("assist.joined", s.id, pid, now,
                            {"pid": pid, "account_id": who.account_id, "approved_by": approved_by}))
    for x in s.reps():
        if x.pid != pid:
            s.notices.append((x.pid, p.SessionNotice(session=s.id, event="assistant_joined", name=who.name)))


def expire(s: Session, now: float) -> list[AssistRequest]:
    """Drop the requests nobody answered in time; returns them."""
    gone = [r for r in s.assist_requests.values() if r.deadline <= now]
    for r in gone:
        del s.assist_requests[r.id]
        s.records.append(Record("assist.expired", s.id, None, now, {"request": r.id, "account_id": r.account_id}))
    return gone
