"""The relay's whole live state, as one sans-I/O object.

`Desk` holds the live sessions, the queues and the reps. The endpoint feeds it
inputs (a parsed client message with its actor, a connection coming or going,
the clock) and then takes what to do from `data_to_send()` (channel, message
pairs for the broker) and `records_to_store()` (for the store and audit log).

Channels: a rep's console listens on ``rep:<account id>`` (all of its sessions
arrive there, one tab each); a customer's page listens on ``cus:<pid>``.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from typing import Any, Callable

from .. import protocol as p
from .errors import Conflict, Invalid, NotAllowed, NotFound
from .grants import Activity, Grant, GrantState
from .records import Record
from .routing import (QueueBoard, QueueConfig, RepSeat, capacity_problem, line,
                      load, next_for, pick_rep, primary_sessions)
from .session import LIVE, Participant, Session, State, parse_number

log = logging.getLogger(__name__)

_QUEUE_ACTIONS = frozenset({"session.created", "session.state", "participant.joined", "participant.left",
                            "participant.role", "transfer.session"})
"""Records after which lines, offers and boards must be recomputed."""


@dataclass(frozen=True, slots=True)
class RepActor:
    account_id: int


@dataclass(frozen=True, slots=True)
class CustomerActor:
    session_id: str
    pid: str


Actor = RepActor | CustomerActor


def rep_channel(account_id: int) -> str:
    return f"rep:{account_id}"


def customer_channel(pid: str) -> str:
    return f"cus:{pid}"


class Desk:
    def __init__(self, *, new_id: Callable[[], str], new_number: Callable[[], str],
                 join_link: Callable[[Session], str | None] = lambda s: None,
                 grant_timeout: float = 60.0, offer_timeout: float = 30.0) -> None:
        self.new_id = new_id
        self.new_number = new_number
        self.join_link = join_link
        self.sessions: dict[str, Session] = {}
        self.numbers: dict[str, str] = {}
        self.reps: dict[int, RepSeat] = {}
        self.queues: dict[str, QueueConfig] = {}
        self.policies: dict[str, Any] = {"auto_record": False, "grant_timeout": grant_timeout,
                                         "offer_timeout": offer_timeout}
        self._ids = itertools.count(1)
        self._out: list[tuple[str, p.Message]] = []
        self._records: list[Record] = []
        self._channels: dict[str, str] = {}
        self._dirty: set[str] = set()
        self._board_dirty = True
        """Queues, offers or rep seats may have changed: recompute the boards."""
        self._routes: dict[tuple[Actor, int, int], list[str]] = {}
        """route_frame answers, valid until the next change (cleared by _flush)."""
        self._pairings: dict[str, tuple[str, str, float]] = {}
        """One-time pairing code -> (session id, owner pid, expiry)."""
        self._links: dict[str, int] = {}
        """Open connections per customer pid."""
        self._streams: dict[int, str] = {}
        """Activity id -> session id, for routing binary frames without a scan."""
        self._board = QueueBoard()
        self._handlers = {
            "set_availability": self._set_availability, "start_session": self._start,
            "assist_session": self._assist, "accept_next": self._accept_next,
            "accept_offer": self._accept_offer, "decline_offer": self._decline_offer,
            "select_customer": self._select, "request_grant": self._request_grant,
            "decide_grant": self._decide_grant, "revoke_grant": self._revoke_grant,
            "start_activity": self._start_activity, "stop_activity": self._stop_activity,
            "transfer_control": self._transfer_control, "transfer_session": self._transfer_session,
            "end_session": self._end, "leave_session": self._leave, "chat": self._chat,
            "note": self._note, "signal": self._signal,
            "file_request": self._file_message, "file_reply": self._file_message,
        }

    # --- output -------------------------------------------------------------

    def data_to_send(self) -> list[tuple[str, p.Message]]:
        out, self._out = self._out, []
        return out

    def records_to_store(self) -> list[Record]:
        out, self._records = self._records, []
        return out

    def _send(self, channel: str, msg: p.Message) -> None:
        self._out.append((channel, msg))

    # --- configuration (from the store, on start and on admin changes) --------

    def configure_queues(self, queues: list[QueueConfig]) -> None:
        self.queues = {q.name: q for q in queues}
        self._board_dirty = True
        self._flush(None)

    def configure_rep(self, account_id: int, *, name: str, queue_rep: bool, queues: tuple[str, ...] | list[str],
                      max_customers: int, multi_session: bool, now: float = 0.0) -> RepSeat:
        seat = self.reps.get(account_id)
        if seat is None:
            seat = self.reps[account_id] = RepSeat(account_id, name, idle_since=now)
        seat.update(name=name, queue_rep=queue_rep, queues=queues,
                    max_customers=max_customers, multi_session=multi_session)
        self._board_dirty = True
        self._flush(now)
        return seat

    def set_policies(self, policies: dict[str, Any], now: float = 0.0) -> None:
        self.policies.update(policies)
        for s in self.sessions.values():
            s.auto_record = bool(self.policies.get("auto_record"))
            s.ensure_recording(now)
            self._dirty.add(s.id)
        self._flush(now)

    # --- connections --------------------------------------------------------

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

    def rep_offline(self, account_id: int, now: float) -> None:
        seat = self._seat(account_id)
        seat.connections = max(0, seat.connections - 1)
        self._board_dirty = True
        if seat.connections == 0:
            self._presence(lambda x: x.account_id == account_id, False)
            for s in self.sessions.values():
                if s.offer and s.offer[0] == account_id:
                    s.offer = None  # offer moves on; not a decline
        self._flush(now)

    def customer_online(self, actor: CustomerActor, now: float) -> None:
        s = self._session(actor.session_id)
        if actor.pid not in s.participants:
            raise NotAllowed("you are no longer in this session")
        self._links[actor.pid] = self._links.get(actor.pid, 0) + 1
        self._presence(lambda x: x.pid == actor.pid, True)
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
        self._presence(lambda x: x.pid == actor.pid, False)
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

    def _presence(self, match: Callable[[Participant], bool], present: bool) -> None:
        for s in self.sessions.values():
            for x in s.participants.values():
                if match(x) and x.present is not present:
                    x.present = present
                    self._dirty.add(s.id)

    # --- entry points that are not messages -----------------------------------

    def enter_queue(self, queue: str, name: str, now: float) -> tuple[Session, str]:
        """A customer clicked a help link: a new inbound session waits in the queue."""
        if queue not in self.queues:
            raise NotFound(f"there is no queue {queue!r}")
        s = self._new_session("inbound", now, queue=queue, state=State.WAITING)
        pid = self.new_id()
        s.add_participant(Participant(pid, "customer", _name(name, "Customer"), "customer"), now)
        self._channels[pid] = customer_channel(pid)
        self._flush(now)
        return s, pid

    def join(self, number: str, name: str, now: float) -> tuple[Session, str]:
        """A customer typed a session number (or opened an invite link)."""
        s = self.by_number(number)
        seat = self.reps.get(s.participants[s.primary].account_id) if s.primary else None
        if seat and load(seat, self.sessions.values()) >= seat.max_customers:
            raise NotAllowed("this session is full")
        pid = self.new_id()
        s.add_participant(Participant(pid, "customer", _name(name, "Customer"), "customer"), now)
        self._channels[pid] = customer_channel(pid)
        s.ensure_recording(now)
        self._dirty.add(s.id)
        self._flush(now)
        return s, pid

    def by_number(self, number: str) -> Session:
        """The live session with this number; ended sessions' numbers are gone."""
        sid = self.numbers.get(parse_number(number))
        s = self.sessions.get(sid) if sid else None
        if s is None or not s.live:
            raise NotFound("no live session has this number")
        return s

    def pairing_code(self, actor: Actor, session_id: str, code: str, now: float, ttl: float = 600.0) -> str:
        """A one-time code the participant gives their Support Manager to pair
        it with this session (it replaces their earlier codes)."""
        s, pid = self._in_session(actor, session_id)
        if not s.live:
            raise NotAllowed("a Support Manager pairs with a live session")
        for old in [k for k, v in self._pairings.items() if v[1] == pid or v[2] <= now]:
            del self._pairings[old]
        self._pairings[code] = (s.id, pid, now + ttl)
        return code

    def pair_agent(self, number: str, code: str, name: str, now: float) -> tuple[Session, str]:
        """A Support Manager presents the session number and a pairing code;
        it joins as the agent of whoever asked for the code."""
        s = self.by_number(number)
        entry = self._pairings.get(code.strip())
        if entry is None or entry[0] != s.id or entry[2] <= now:
            raise NotAllowed("wrong or expired pairing code")
        del self._pairings[code.strip()]
        owner = entry[1]
        pid = self.new_id()
        s.add_participant(Participant(pid, "agent", _name(name, "Support Manager"), "agent", owner=owner), now)
        self._channels[pid] = customer_channel(pid)
        self._dirty.add(s.id)
        self._flush(now)
        return s, pid

    def participant_kind(self, session_id: str, pid: str) -> str | None:
        s = self.sessions.get(session_id)
        who = s.participants.get(pid) if s else None
        return who.kind if who else None

    def customer_pid_exists(self, session_id: str, pid: str) -> bool:
        s = self.sessions.get(session_id)
        return bool(s and pid in s.participants)

    # --- messages -----------------------------------------------------------

    def receive(self, actor: Actor, msg: p.ClientMessage, now: float) -> None:
        """Apply one client message. Raises `CoreError` (nothing changed) when refused."""
        handler = self._handlers.get(msg.type)
        if handler is None:
            raise Invalid(f"{msg.type} is not something a client sends after hello")
        try:
            handler(actor, msg, now)
        finally:
            self._flush(now)

    def _rep(self, actor: Actor) -> RepSeat:
        if not isinstance(actor, RepActor):
            raise NotAllowed("only reps can do this")
        return self._seat(actor.account_id)

    def _in_session(self, actor: Actor, session_id: str) -> tuple[Session, str]:
        s = self._session(session_id)
        if isinstance(actor, CustomerActor):
            if actor.session_id != session_id or actor.pid not in s.participants:
                raise NotAllowed("not a participant of this session")
            pid = actor.pid
        else:
            pid = s.rep_pid(actor.account_id)
            if pid is None:
                raise NotAllowed("you are not in this session")
        self._dirty.add(s.id)
        return s, pid

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

    def _start(self, actor: Actor, msg: p.StartSession, now: float) -> None:
        seat = self._rep(actor)
        problem = capacity_problem(seat, self.sessions.values(), extra=0)
        if problem:
            raise NotAllowed(problem)
        s = self._new_session("outbound", now)
        self._add_rep(s, seat, "primary", now)

    def _assist(self, actor: Actor, msg: p.AssistSession, now: float) -> None:
        seat = self._rep(actor)
        s = self.by_number(msg.number)
        self._add_rep(s, seat, "assistant", now)

    def _accept_next(self, actor: Actor, msg: p.AcceptNext, now: float) -> None:
        seat = self._rep(actor)
        if not seat.queue_rep:
            raise NotAllowed("only queue reps take customers from queues")
        s = next_for(seat, list(self.sessions.values()))
        if s is None:
            raise NotFound("no customer is waiting in your queues")
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

    def _select(self, actor, msg: p.SelectCustomer, now) -> None:
        s, pid = self._in_session(actor, msg.session)
        s.select_customer(pid, msg.pid, now)

    def _request_grant(self, actor, msg: p.RequestGrant, now) -> None:
        s, pid = self._in_session(actor, msg.session)
        s.request_grant(pid, msg.kind, msg.scope, msg.direction, now, float(self.policies["grant_timeout"]))

    def _decide_grant(self, actor, msg: p.DecideGrant, now) -> None:
        s, pid = self._in_session(actor, msg.session)
        s.decide_grant(pid, msg.grant, msg.approve, now)

    def _revoke_grant(self, actor, msg: p.RevokeGrant, now) -> None:
        s, pid = self._in_session(actor, msg.session)
        s.revoke_grant(pid, msg.grant, now)

    def _start_activity(self, actor, msg: p.StartActivity, now) -> None:
        s, pid = self._in_session(actor, msg.session)
        s.start_activity(pid, msg.kind, now)

    def _stop_activity(self, actor, msg: p.StopActivity, now) -> None:
        s, pid = self._in_session(actor, msg.session)
        s.stop_activity(pid, msg.activity, now)

    def _transfer_control(self, actor, msg: p.TransferControl, now) -> None:
        s, pid = self._in_session(actor, msg.session)
        s.transfer_control(pid, msg.to, now)
        s.ensure_recording(now)

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

    def _end(self, actor, msg: p.EndSession, now) -> None:
        s, pid = self._in_session(actor, msg.session)
        s.end(pid, now)

    def _leave(self, actor, msg: p.LeaveSession, now) -> None:
        s, pid = self._in_session(actor, msg.session)
        s.leave(pid, now)

    def _chat(self, actor, msg: p.Chat, now) -> None:
        s, pid = self._in_session(actor, msg.session)
        s.chat(pid, msg.text, msg.reps_only, now)

    def _note(self, actor, msg: p.Note, now) -> None:
        s, pid = self._in_session(actor, msg.session)
        s.note(pid, msg.text, now)

    def _signal(self, actor, msg: p.Signal, now) -> None:
        s, pid = self._in_session(actor, msg.session)
        s.signal(pid, msg.to, msg.data)

    def _file_message(self, actor, msg: p.FileRequest | p.FileReply, now) -> None:
        """Requests go from the rep of a live files activity to its sharing
        agent; replies come back. Checked on every message."""
        s, pid = self._in_session(actor, msg.session)
        self._dirty.discard(s.id)  # nothing about the session changed
        act = s.activities.get(msg.activity)
        if act is None or act.kind != "files":
            raise NotAllowed("no live file transfer with this id")
        sender, target = (act.peer, act.sharer) if msg.type == "file_request" else (act.sharer, act.peer)
        if pid != sender:
            raise NotAllowed("not your side of this file transfer")
        self._send(self._channels[target], p.FileMessage(session=s.id, sender=pid, message=msg))

    # --- binary frames ------------------------------------------------------

    def route_frame(self, actor: Actor, kind: int, stream: int) -> list[str]:
        """Channels a binary frame of ``kind`` on ``stream`` goes to, checked
        against the live activity and its grant. Raises NotAllowed otherwise.
        Cheap: called for every frame, and cached until the next change."""
        key = (actor, kind, stream)
        cached = self._routes.get(key)
        if cached is not None:
            return cached
        self._routes[key] = targets = self._route(actor, kind, stream)
        return targets

    def _route(self, actor: Actor, kind: int, stream: int) -> list[str]:
        s = self.sessions.get(self._streams.get(stream, ""))
        act = s.activities.get(stream) if s else None
        if act is None:
            self._streams.pop(stream, None)
            raise NotAllowed(f"stream {stream} is not live")
        pid = actor.pid if isinstance(actor, CustomerActor) else s.rep_pid(actor.account_id)
        if kind == p.StreamKind.CONTROL:
            if act.kind != "control" or pid != act.peer:
                raise NotAllowed("no control grant for this stream")
            targets = (act.sharer,)
        elif kind == p.StreamKind.FILE:
            if act.kind != "files" or pid not in (act.sharer, act.peer):
                raise NotAllowed("no file grant for this stream")
            targets = (act.peer if pid == act.sharer else act.sharer,)
        else:
            if act.kind not in ("view", "control") or pid != act.sharer:
                raise NotAllowed("only the sharer sends on this stream")
            targets = tuple(x.pid for x in s.participants.values() if x.pid != pid and x.kind != "agent")
        return [self._channels[t] for t in targets if t in s.participants]

    # --- time ---------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Deny grants nobody decided in time; move expired offers on."""
        for s in list(self.sessions.values()):
            if s.expire_grants(now):
                self._dirty.add(s.id)
            if s.offer and s.offer[1] <= now:
                self._board_dirty = True
                rid = s.offer[0]
                s.offer = None
                s.declined.add(rid)
                seat = self.reps.get(rid)
                if seat:  # a rep who lets an offer expire is not at their desk
                    seat.available = False
                    self._board.boards.pop(rid, None)
                self._record(s, "offer.expired", seat, now)
                self._send(rep_channel(rid), p.OfferWithdrawn(session=s.id, reason="timeout"))
        self._flush(now)

    def next_deadline(self) -> float | None:
        times = [g.deadline for s in self.sessions.values() for g in s.grants.values()
                 if g.state is GrantState.PENDING]
        times += [s.offer[1] for s in self.sessions.values() if s.offer]
        return min(times, default=None)

    # --- internals ----------------------------------------------------------

    def _seat(self, account_id: int) -> RepSeat:
        try:
            return self.reps[account_id]
        except KeyError:
            raise NotAllowed("unknown rep") from None

    def _session(self, session_id: str) -> Session:
        s = self.sessions.get(session_id)
        if s is None or s.state is State.ENDED:
            raise NotFound("no such live session")
        return s

    def _new_session(self, kind: str, now: float, *, queue: str | None = None,
                     state: State = State.OPEN) -> Session:
        number = self.new_number()
        while number in self.numbers:
            number = self.new_number()
        s = Session(self.new_id(), number, kind, now, self._next_int, queue=queue, state=state,
                    auto_record=bool(self.policies.get("auto_record")))
        if state is State.WAITING:
            s.waiting_since = now
        self.sessions[s.id] = s
        self.numbers[number] = s.id
        s.records.append(Record("session.created", s.id, None, now,
                                {"number": number, "kind": kind, "queue": queue}))
        s.records.append(Record("session.state", s.id, None, now,
                                {"state": state.value, "reason": None, "queue": queue}))
        self._dirty.add(s.id)
        return s

    def _next_int(self) -> int:
        return next(self._ids)

    def _add_rep(self, s: Session, seat: RepSeat, role: str, now: float) -> str:
        pid = self.new_id()
        s.add_participant(Participant(pid, "rep", seat.name, role, seat.account_id,
                                      present=seat.connections > 0), now)
        self._channels[pid] = rep_channel(seat.account_id)
        self._dirty.add(s.id)
        return pid

    def _take(self, s: Session, seat: RepSeat, now: float) -> None:
        """The rep becomes primary of a waiting session. For a first inbound
        take, cobrowse view of the customer's tab starts at once: the customer
        asked for help from that page, and can stop it."""
        problem = capacity_problem(seat, self.sessions.values(), extra=len(s.customers(present_only=False)))
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
            grant = Grant(self._next_int(), "view", "tab", "request", pid, s.selected,
                          now, GrantState.APPROVED)
            s.grants[grant.id] = grant
            s._record_grant(grant, pid, now)
            s._start_activity(Activity(self._next_int(), "view", grant.sharer, grant.peer,
                                       "tab", grant.id), pid, now)
        s.ensure_recording(now)

    def _send_offer(self, s: Session, rid: int, now: float) -> None:
        customer = next(iter(s.customers(present_only=False)), None)
        expires = s.offer[1] - now if s.offer and s.offer[0] == rid else None
        self._send(rep_channel(rid), p.Offer(session=s.id, number=s.number,
                                             name=customer.name if customer else "",
                                             queue=s.queue, expires_in=expires,
                                             message=s.transfer_message))

    def _record(self, s: Session, action: str, seat: RepSeat | None, now: float) -> None:
        rid = seat.account_id if seat else None
        self._records.append(Record(action, s.id, f"rep:{rid}" if rid else "system", now, {"rep_id": rid}))

    def _flush(self, now: float | None) -> None:
        """Tell everyone what changed: session states, and (only when queues
        may have changed) offers, places in line and queue boards."""
        self._routes.clear()
        for sid in self._dirty:
            s = self.sessions.get(sid)
            if s is not None and (s.state is State.WAITING
                                  or any(r.action in _QUEUE_ACTIONS for r in s.records)):
                self._board_dirty = True
        if self._board_dirty and now is not None:
            self._distribute(now)
        for sid in sorted(self._dirty):
            s = self.sessions.get(sid)
            if s is None:
                continue
            self._records.extend(s.records)
            s.records.clear()
            for pid, msg in s.notices:
                ch = self._channels.get(pid)
                if ch:
                    self._send(ch, msg)
            s.notices.clear()
            for act_id in s.activities:
                self._streams[act_id] = s.id
            if s.state is not State.ENDED:
                link = self.join_link(s)
                for x in s.participants.values():
                    self._send(self._channels[x.pid], s.view(x.pid, link))
            else:
                self._drop(s)
        self._dirty.clear()
        if self._board_dirty:
            self._board_dirty = False
            self._update_board(now or 0.0)

    def _drop(self, s: Session) -> None:
        offered = set(s.offered_to) | ({s.offer[0]} if s.offer else set())
        for rid in sorted(offered):
            self._send(rep_channel(rid), p.OfferWithdrawn(session=s.id, reason="ended"))
        s.offer = None
        s.offered_to.clear()
        self.sessions.pop(s.id, None)
        if self.numbers.get(s.number) == s.id:
            del self.numbers[s.number]
        for pid in s.participants:
            self._channels.pop(pid, None)
            self._board.positions.pop(pid, None)

    def _distribute(self, now: float) -> None:
        busy = {s.offer[0] for s in self.sessions.values() if s.offer and s.state is State.WAITING}
        sessions = list(self.sessions.values())
        for q in self.queues.values():
            if q.routing != "automatic":
                continue
            for s in line(sessions, q.name):
                if s.offer:
                    continue
                seat = pick_rep(s, q.name, self.reps.values(), sessions, busy)
                if seat is None:
                    continue  # maybe every rep declined this one, not those behind
                s.offer = (seat.account_id, now + q.offer_timeout)
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
            for i, s in enumerate(waiting, 1):
                self._tell_position(s, name, i)
        for s in sessions:
            if s.state is State.WAITING and s.offered_to:
                self._tell_position(s, None, 1)
        for seat in self.reps.values():
            busy = bool(primary_sessions(seat, sessions))
            if seat.busy and not busy:
                seat.idle_since = now
            seat.busy = busy
            if not seat.queue_rep or seat.connections == 0:
                continue
            board = p.QueueState(available=seat.available, queues=[
                p.QueueInfo(name=q.name, title=q.title, routing=q.routing, total=len(lines[q.name]), waiting=[
                    p.WaitingCustomer(session=s.id, number=s.number,
                                      name=next((c.name for c in s.customers(present_only=False)), ""),
                                      since=s.waiting_since or 0.0, message=s.transfer_message)
                    for s in lines[q.name][:p.BOARD_LENGTH]])
                for q in self.queues.values() if q.name in seat.queues])
            if self._board.boards.get(seat.account_id) != board:
                self._board.boards[seat.account_id] = board
                self._send(rep_channel(seat.account_id), board)

    def _tell_position(self, s: Session, queue: str | None, position: int) -> None:
        for c in s.customers(present_only=False):
            if self._board.positions.get(c.pid) != (queue, position):
                self._board.positions[c.pid] = (queue, position)
                self._send(self._channels[c.pid], p.QueuePosition(session=s.id, queue=queue, position=position))

    # --- restart ------------------------------------------------------------

    def restore(self, rows: list[dict], max_ids: dict[str, int]) -> None:
        """Rebuild live sessions from the store after a relay restart. Nobody is
        connected yet; grants and activities ended with the old connections."""
        self._ids = itertools.count(max(max_ids.values(), default=0) + 1)
        for row in rows:
            s = Session(row["session_id"], row["number"], row["kind"], row["created_at"],
                        self._next_int, queue=row["queue"], state=State(row["state"]),
                        auto_record=bool(self.policies.get("auto_record")))
            s.waiting_since = row.get("waiting_since")
            s.transfer_message = row.get("transfer_message")
            for x in row["participants"]:
                who = Participant(x["pid"], x["kind"], x["name"], x["role"], x["account_id"], present=False)
                s.participants[who.pid] = who
                self._channels[who.pid] = (rep_channel(who.account_id) if who.kind == "rep"
                                           else customer_channel(who.pid))
                if who.role == "primary":
                    s.primary = who.pid
            s.selected = row.get("selected_pid") if row.get("selected_pid") in s.participants else None
            if s.state in LIVE and s.primary is None:
                s.state = State.WAITING  # its primary is gone: it waits in its queue again
                s.waiting_since = s.waiting_since or row["created_at"]
            self.sessions[s.id] = s
            self.numbers[s.number] = s.id


def _name(name: str, default: str) -> str:
    name = " ".join(name.split())[:80]
    return name or default


__all__ = ["Desk", "RepActor", "CustomerActor", "Actor", "rep_channel", "customer_channel",
           "QueueConfig", "RepSeat", "Conflict", "Invalid", "NotAllowed", "NotFound"]
