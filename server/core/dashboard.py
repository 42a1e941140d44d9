"""The supervisor dashboard: every rep's presence and load, every queue's line
and longest wait, every live session with its reps and customers, pushed live
to the supervisors and admins who watch it.

Who may watch is the account's role, which the relay knows from the seat
(`RepSeat.supervises`: an admin or a supervisor, set by an admin). It is
checked on every `WatchDashboard`; a watcher whose role is taken away, or
whose account is deactivated, stops getting pushes at once. A rep's seat
counts only while the account is active.

`Watchers` keeps who watches and what they were sent last: the `Desk` asks
it for pushes after every change (`push`), and it answers only when the
dashboard really changed, so a chat line or a tick sends nothing. While
anyone watches it also keeps each live session's row: the desk tells it which
sessions changed (`changed`, the sessions whose participants were sent a new
state), and only those rows are made again. With 2,000 live sessions, making
every row took 20 ms of the relay's loop per push.
"""

from __future__ import annotations

from collections.abc import Iterable

from .. import protocol as p
from .actors import rep_channel
from .errors import NotAllowed
from .roster import roster
from .routing import QueueConfig, RepSeat, connected, line
from .session import Session, State, format_number


def dashboard(reps: Iterable[RepSeat], queues: Iterable[QueueConfig], sessions: Iterable[Session],
              now: float, rows: dict[str, p.DashboardSession] | None = None) -> p.Dashboard:
    """The dashboard as it is now: active reps by name, queues by title, live
    sessions oldest first. A queue's wait counts connected customers only, as
    the rep's Accept next does. ``rows``: session rows made before, by session
    id, for sessions unchanged since; it is left holding this dashboard's."""
    everyone = list(sessions)
    queues = list(queues)
    people, lines = roster([r for r in reps if r.active], queues, everyone)
    longest = {q.name: min((s.waiting_since or s.created_at for s in line(everyone, q.name) if connected(s)),
                           default=None) for q in queues}
    live = sorted((s for s in everyone if s.state is not State.ENDED), key=lambda s: (s.created_at, s.id))
    return p.Dashboard(
        now=now,
        reps=[p.DashboardRep(id=r.id, name=r.name, presence=r.presence, customers=r.customers,
                             max_customers=r.max_customers, sessions=r.sessions, queue_rep=r.queue_rep)
              for r in people],
        queues=[p.DashboardQueue(name=q.name, title=q.title, waiting=q.waiting, longest_since=longest.get(q.name))
                for q in lines],
        sessions=_rows(live, rows))


def _rows(live: list[Session], cache: dict[str, p.DashboardSession] | None) -> list[p.DashboardSession]:
    if cache is None:
        return [_session(s) for s in live]
    out, kept = [], {}
    for s in live:
        row = cache.get(s.id)
        if row is None:
            row = _session(s)
        out.append(row)
        kept[s.id] = row
    cache.clear()  # the ended sessions' rows go
    cache.update(kept)
    return out


def _session(s: Session) -> p.DashboardSession:
    reps = s.reps()
    return p.DashboardSession(
        session=s.id, number=format_number(s.number), kind=s.kind, state=s.state.value, queue=s.queue,
        started=s.created_at, waiting_since=s.waiting_since if s.state is State.WAITING else None,
        primary=s.participants[s.primary].name if s.primary in s.participants else None,
        assistants=[x.name for x in reps if x.role == "assistant"],
        customers=[x.name for x in s.customers(present_only=False)],
        rep_ids=[x.account_id for x in reps if x.account_id is not None])


class Watchers:
    """The accounts watching the dashboard, and what they were sent last."""

    def __init__(self) -> None:
        self.accounts: set[int] = set()
        self.pages: dict[int, int] = {}
        """Open dashboard connections per account (they are no console: see `Desk.dashboard_online`)."""
        self._last: p.Dashboard | None = None
        self._rows: dict[str, p.DashboardSession] = {}
        """The last dashboard's session rows, by session id, less those changed since."""

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_rows": {}}  # a cluster's snapshot of the desk: rows are made again

    def board(self, reps: Iterable[RepSeat], queues: Iterable[QueueConfig], sessions: Iterable[Session],
              now: float) -> p.Dashboard:
        """`dashboard`, with the rows of sessions unchanged since the last one kept."""
        return dashboard(reps, queues, sessions, now, self._rows)

    def changed(self, session_ids: Iterable[str]) -> None:
        """These sessions changed (a participant came or went, a new state): their rows are made again."""
        rows = self._rows
        if rows:
            for sid in session_ids:
                rows.pop(sid, None)

    def watch(self, seat: RepSeat, on: bool) -> bool:
        """``seat`` asks to watch (or stops). Raises `NotAllowed` unless the
        account supervises; returns True when the account must be sent the
        dashboard now: on every ask, since a second page of an account that
        watches already (or one that reconnected) has nothing on screen yet."""
        if not (seat.supervises and seat.active):
            raise NotAllowed("only supervisors and admins see the dashboard")
        if not on:
            self._discard(seat.account_id)
            return False
        self.accounts.add(seat.account_id)
        return True

    def check(self, seat: RepSeat) -> None:
        """The seat's role or state changed: stop its pushes if it may no longer watch."""
        if not (seat.supervises and seat.active):
            self._discard(seat.account_id)

    def _discard(self, account_id: int) -> None:
        self.accounts.discard(account_id)
        if not self.accounts:
            self._rows.clear()  # kept only while someone watches

    def opened(self, account_id: int) -> None:
        self.pages[account_id] = self.pages.get(account_id, 0) + 1

    def closed(self, account_id: int) -> int:
        """A dashboard connection closed; returns how many the account still has open."""
        left = self.pages.get(account_id, 0) - 1
        if left > 0:
            self.pages[account_id] = left
            return left
        self.pages.pop(account_id, None)
        return 0

    def stop(self, account_id: int) -> None:
        """The account's last connection (console or dashboard) closed: it
        watches again when it asks again."""
        if not self.pages.get(account_id):
            self._discard(account_id)

    def push(self, board: p.Dashboard, to: Iterable[int] = ()) -> list[tuple[str, p.Dashboard]]:
        """Messages to send: ``board`` to every watcher when it differs from
        the last one sent (``now`` aside), else only to the accounts in ``to``."""
        if not board.now and self._last is not None:  # a change outside any input (queues reloaded)
            board = board.model_copy(update={"now": self._last.now})
        same = self._last is not None and self._last.model_copy(update={"now": board.now}) == board
        self._last = board
        targets = set(to) if same else self.accounts
        return [(rep_channel(aid), board) for aid in sorted(targets & self.accounts)]
