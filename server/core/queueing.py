"""The queue half of the `Desk`: waiting lines, Accept next, offers from
automatic distribution and transfers, and what customers and queue reps are
told about them. A mixin: it works on the state `Desk.__init__` sets up
(sessions, reps, queues, the outbox) and is not used on its own."""

from __future__ import annotations

from collections.abc import Mapping

from .. import protocol as p
from .actors import Actor, clean_name, customer_channel, rep_channel
from .errors import Invalid, NotAllowed, NotFound
from .routing import RepSeat, by_primary, capacity_problem, connected, line, next_for, pick_rep, primary_sessions
from .session import Participant, Session, State


def waiting_customer(s: Session) -> p.WaitingCustomer:
    """A waiting session as its queue's reps see it: the first customer's name and intake."""
    customer = next(iter(s.customers(present_only=False)), None)
    return p.WaitingCustomer(session=s.id, number=s.number, name=customer.name if customer else "",
                             since=s.waiting_since or 0.0, message=s.transfer_message, connected=connected(s),
                             intake=customer.intake.info() if customer else None)


class QueueDesk:
    def enter_queue(self, queue: str, name: str, now: float, description: str = "",
                    fields: Mapping[str, str] | None = None) -> tuple[Session, str]:
        """A customer clicked a help link: a new inbound session waits in the
        queue. What they entered (``description``, ``fields`` by label) is
        checked against the queue's intake form first (`Invalid` says why).
        It is offered only once the customer's page has connected; if it
        never does within ``connect_grace`` seconds, the customer leaves."""
        if queue not in self.queues:
            raise NotFound(f"there is no queue {queue!r}")
        answers = self.queues[queue].intake.answer(description, fields)
        s = self._new_session("inbound", now, queue=queue, state=State.WAITING)
        pid = self.new_id()
        s.add_participant(Participant(pid, "customer", clean_name(name, "Customer"), "customer", present=False,
                                      intake=answers), now)
        self._channels[pid] = customer_channel(pid)
        self._awaiting[pid] = (s.id, now + self.connect_grace)
        self._flush(now)
        return s, pid

    def _expire_unconnected(self, now: float) -> None:
        """Customers who asked for help but whose page never connected within
        the grace leave their queue (a session left empty ends)."""
        for pid, (sid, deadline) in list(self._awaiting.items()):
            if deadline > now:
                continue
            del self._awaiting[pid]
            s = self.sessions.get(sid)
            who = s.participants.get(pid) if s else None
            if who is not None and not who.present and s.state is not State.ENDED:
                s.leave(pid, now, reason="never connected")
                self._dirty.add(s.id)

    def _set_availability(self, actor: Actor, msg: p.SetAvailability, now: float) -> None:
        seat = self._rep(actor)
        if msg.available and not seat.queue_rep:
            raise NotAllowed("only queue reps take customers from queues")
        if msg.available and not seat.available and not primary_sessions(seat, self.sessions.values()):
            seat.idle_since = now
        seat.available = msg.available
        self._board.boards.pop(seat.account_id, None)
        self._board_dirty = True
        if not msg.available:  # an offer in flight moves on to the next rep
            for s in self.sessions.values():
                if s.offer and s.offer[0] == seat.account_id:
                    s.offer = None
                    self._send(rep_channel(seat.account_id), p.OfferWithdrawn(session=s.id, reason="unavailable"))

    def _accept_next(self, actor: Actor, msg: p.AcceptNext, now: float) -> None:
        seat = self._rep(actor)
        if not seat.queue_rep:
            raise NotAllowed("only queue reps take customers from queues")
        s = next_for(seat, list(self.sessions.values()))
        if s is None:
            away = any(s.state is State.WAITING and (s.queue in seat.queues or seat.account_id in s.offered_to)
                       for s in self.sessions.values())
            raise NotFound("the customers waiting in your queues are not connected right now (their page closed)"
                           if away else "no customer is waiting in your queues")
        self._take(s, seat, now)

    def _accept_offer(self, actor: Actor, msg: p.AcceptOffer, now: float) -> None:
        seat = self._rep(actor)
        self._board_dirty = True
        s = self._session(msg.session)
        offered = (s.offer and s.offer[0] == seat.account_id) or seat.account_id in s.offered_to
        if s.state is not State.WAITING or not offered:
            raise NotAllowed("this session is not offered to you")
        self._record(s, "offer.accepted", seat, now)
        self._take(s, seat, now)

    def _decline_offer(self, actor: Actor, msg: p.DeclineOffer, now: float) -> None:
        seat = self._rep(actor)
        self._board_dirty = True
        s = self._session(msg.session)
        if s.offer and s.offer[0] == seat.account_id:
            s.offer = None
            s.declined.add(seat.account_id)
        elif seat.account_id in s.offered_to:
            s.offered_to.discard(seat.account_id)
            if not s.offered_to:
                s.queue = s.fallback_queue
        else:
            raise NotAllowed("this session is not offered to you")
        self._record(s, "offer.declined", seat, now)
        self._send(rep_channel(seat.account_id), p.OfferWithdrawn(session=s.id, reason="declined"))

    def _transfer_session(self, actor, msg: p.TransferSession, now) -> None:
        seat = self._rep(actor)
        s, pid = self._in_session(actor, msg.session)
        if not seat.queue_rep:
            raise NotAllowed("only queue reps can transfer a session")
        if msg.queue is not None and msg.queue not in self.queues:
            raise NotFound(f"there is no queue {msg.queue!r}")
        for rid in msg.reps:
            target = self.reps.get(rid)
            if target is None or not target.queue_rep:
                raise Invalid("a session can only be transferred to queue reps")
            if rid == seat.account_id:
                raise Invalid("you cannot transfer a session to yourself")
        fallback = s.queue or next(iter(sorted(seat.queues)), None)
        if msg.reps and fallback is None:
            raise Invalid("a session transferred to reps needs a queue to fall back on")
        s.transfer_session(pid, msg.queue, list(msg.reps), msg.message, now, fallback)
        for rid in s.offered_to:
            self._send_offer(s, rid, now)

    def _take(self, s: Session, seat: RepSeat, now: float) -> None:
        """The rep becomes primary of a waiting session. For a first inbound
        take, cobrowse view of the customer's tab starts at once (the customer
        asked for help from that page, and can stop it), or, when the queue's
        consent policy is ask_first, the customer is asked for it."""
        problem = capacity_problem(seat, primary_sessions(seat, self.sessions.values()),
                                   extra=len(s.customers(present_only=False)))
        if problem:
            raise NotAllowed(problem)
        others = set(s.offered_to) | ({s.offer[0]} if s.offer else set())
        pid = s.rep_pid(seat.account_id)
        if pid is not None:  # an assistant who stayed takes the session over
            s.promote(pid, now)
        else:
            pid = self._add_rep(s, seat, "primary", now)
        seat.idle_since = now
        for rid in others - {seat.account_id}:
            self._send(rep_channel(rid), p.OfferWithdrawn(session=s.id, reason="taken"))
        if s.kind == "inbound" and not s.grants and s.selected and s.participants[s.selected].present:
            queue = self.queues.get(s.queue or "")
            if queue is not None and queue.consent == "ask_first":
                s.request_grant(pid, "view", "tab", "request", now, float(self.policies["grant_timeout"]))
            else:
                s.start_tab_view(pid, now)
        s.ensure_recording(now)

    def _send_offer(self, s: Session, rid: int, now: float) -> None:
        customer = next(iter(s.customers(present_only=False)), None)
        expires = s.offer[1] - now if s.offer and s.offer[0] == rid else None
        self._send(rep_channel(rid), p.Offer(session=s.id, number=s.number,
                                             name=customer.name if customer else "",
                                             queue=s.queue, expires_in=expires,
                                             message=s.transfer_message,
                                             intake=customer.intake.info() if customer else None))

    def _distribute(self, now: float) -> None:
        busy = {s.offer[0] for s in self.sessions.values() if s.offer and s.state is State.WAITING}
        sessions = list(self.sessions.values())
        primaries = None  # who helps whom: the same for every offer made below (an offer is no session yet)
        for q in self.queues.values():
            if q.routing != "automatic":
                continue
            for s in line(sessions, q.name):
                if s.offer or not connected(s):
                    continue
                if primaries is None:
                    primaries = by_primary(sessions)
                seat = pick_rep(s, q.name, self.reps.values(), primaries, busy)
                if seat is None:
                    continue  # maybe every rep declined this one, not those behind
                s.offer = (seat.account_id, now + q.offer_timeout)
                s.due = min(s.due, s.offer[1])
                busy.add(seat.account_id)
                self._record(s, "offer.made", seat, now)
                self._send_offer(s, seat.account_id, now)

    def _update_board(self, now: float) -> None:
        sessions = list(self.sessions.values())
        in_line = {c.pid for s in sessions if s.state is State.WAITING
                   for c in s.customers(present_only=False)}
        for pid in list(self._board.positions):
            if pid not in in_line:  # so a customer back in a queue is told their place again
                del self._board.positions[pid]
        lines = {name: line(sessions, name) for name in self.queues}
        for name, waiting in lines.items():
            for i, s in enumerate([s for s in waiting if connected(s)], 1):
                self._tell_position(s, name, i)
        for s in sessions:
            if s.state is State.WAITING and s.offered_to:
                self._tell_position(s, None, 1)
        primaries = by_primary(sessions)
        # Reps of the same queues see the same board: it is made, and compared
        # with the one made last time, once per kind of rep. A board that did
        # not change is the very object each rep was sent last time, so most
        # reps cost one identity check.
        last, boards = self._board.shared, {}
        for seat in self.reps.values():
            busy = seat.account_id in primaries
            if seat.busy and not busy:
                seat.idle_since = now
            seat.busy = busy
            if not seat.queue_rep or seat.connections == 0:
                continue
            key = (seat.available, seat.queues)
            board = boards.get(key)
            if board is None:
                board = p.QueueState(available=seat.available, queues=[
                    p.QueueInfo(name=q.name, title=q.title, routing=q.routing, total=len(lines[q.name]), waiting=[
                        waiting_customer(s) for s in lines[q.name][:p.BOARD_LENGTH]])
                    for q in self.queues.values() if q.name in seat.queues])
                before = last.get(key)
                boards[key] = board = before if before is not None and before == board else board
            sent = self._board.boards.get(seat.account_id)
            # the board this kind of rep saw last time differs unless it is this one
            if sent is not board and (sent is last.get(key) or sent != board):
                self._board.boards[seat.account_id] = board
                self._send(rep_channel(seat.account_id), board)
        self._board.shared = boards

    def _tell_position(self, s: Session, queue: str | None, position: int) -> None:
        for c in s.customers(present_only=False):
            if self._board.positions.get(c.pid) != (queue, position):
                self._board.positions[c.pid] = (queue, position)
                self._send(self._channels[c.pid], p.QueuePosition(session=s.id, queue=queue, position=position))
