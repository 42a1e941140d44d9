"""Connections coming and going, for `Desk`: a rep's console or dashboard
page, a customer's page or an agent connects or disconnects, and everyone in
their sessions sees who is present. A customer whose last connection closed
stays in their sessions for the resume window (`customer_gone` after it).

A mixin of `server.core.desk.Desk`, as `QueueDesk` and `PairingDesk` are: it
uses the desk's sessions, seats, offers and flush."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .actors import CustomerActor
from .errors import NotAllowed
from .session import Participant, Session, State


class ConnectionsDesk:
    def rep_online(self, account_id: int, now: float) -> None:
        """A rep's console connected: mark them present everywhere, resend
        their sessions, queue board and pending offers."""
        seat = self._seat(account_id)
        seat.connections += 1
        self._board_dirty = True
        self._presence(lambda x: x.account_id == account_id, True)
        self._dirty.update(s.id for s in self.sessions.values() if s.rep_pid(account_id))
        self._board.boards.pop(account_id, None)
        for s in self.sessions.values():
            if s.state is State.WAITING and (account_id in s.offered_to or (s.offer and s.offer[0] == account_id)):
                self._send_offer(s, account_id, now)
        self._flush(now)

    def dashboard_online(self, account_id: int, now: float) -> None:
        """A rep's dashboard page connected. It is no console: the rep's
        presence does not change and their sessions are not resent to it."""
        self._seat(account_id)
        self.watchers.opened(account_id)

    def dashboard_offline(self, account_id: int, now: float) -> None:
        if not self.watchers.closed(account_id) and self._seat(account_id).connections == 0:
            self.watchers.stop(account_id)

    def rep_offline(self, account_id: int, now: float) -> None:
        seat = self._seat(account_id)
        seat.connections = max(0, seat.connections - 1)
        self._board_dirty = True
        if seat.connections == 0:
            self.watchers.stop(account_id)
            self._presence(lambda x: x.account_id == account_id, False)
            for s in self.sessions.values():
                if s.offer and s.offer[0] == account_id:
                    s.offer = None  # offer moves on; not a decline
        self._flush(now)

    def customer_online(self, actor: CustomerActor, now: float, screen: str | None = None) -> None:
        """A customer's page or an agent connected; an agent says whether it
        can see its machine's screen (``screen``), which every participant sees."""
        s = self._session(actor.session_id)
        if actor.pid not in s.participants:
            raise NotAllowed("you are no longer in this session")
        who = s.participants[actor.pid]
        if who.kind == "agent" and screen is not None:
            who.screen = screen
        self._links[actor.pid] = self._links.get(actor.pid, 0) + 1
        self._awaiting.pop(actor.pid, None)
        self._presence(lambda x: x.pid == actor.pid, True, (s,))
        self._board.positions.pop(actor.pid, None)
        self._dirty.add(s.id)
        self._flush(now)

    def customer_offline(self, actor: CustomerActor, now: float) -> bool:
        """A customer's connection closed. Returns True when it was their last
        one (a resumed customer's old socket may close after the new one opened)."""
        left = self._links.get(actor.pid, 0) - 1
        if left > 0:
            self._links[actor.pid] = left
            return False
        self._links.pop(actor.pid, None)
        s = self.sessions.get(actor.session_id)
        self._presence(lambda x: x.pid == actor.pid, False, (s,) if s else ())
        self._flush(now)
        return True

    def customer_gone(self, actor: CustomerActor, now: float) -> None:
        """The customer did not come back within the resume window."""
        s = self.sessions.get(actor.session_id)
        who = s and s.participants.get(actor.pid)
        if who and not who.present:
            s.leave(actor.pid, now, reason="disconnected")
            self._dirty.add(s.id)
        self._flush(now)

    def _presence(self, match: Callable[[Participant], bool], present: bool,
                  sessions: Iterable[Session] | None = None) -> None:
        """Mark the participants ``match`` finds present or not, in ``sessions``
        (a customer's own session) or every session (a rep's account)."""
        for s in self.sessions.values() if sessions is None else sessions:
            for x in s.participants.values():
                if match(x) and x.present is not present:
                    x.present = present
                    self._dirty.add(s.id)
