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
import math
from collections.abc import Callable
from typing import Any

from .. import protocol as p
from . import assisting, dashboard
from .actors import Actor, CustomerActor, RepActor, clean_name, customer_channel, rep_channel
from .connections import ConnectionsDesk
from .errors import Conflict, CoreError, Invalid, NotAllowed, NotFound
from .intake import JOIN_FORM, Answers
from .messages import SessionMessagesDesk
from .pairing import PairingDesk
from .queueing import QueueDesk
from .records import Record
from .routing import QueueBoard, QueueConfig, RepSeat, capacity_problem, load, primary_sessions
from .session import LIVE, Participant, Session, State, format_number, parse_number
from .streams import StreamsDesk

log = logging.getLogger(__name__)

_QUEUE_ACTIONS = frozenset({"session.created", "session.state", "participant.joined", "participant.left",
                            "participant.role", "transfer.session"})
"""Records after which lines, offers and boards must be recomputed."""


class Desk(QueueDesk, PairingDesk, ConnectionsDesk, SessionMessagesDesk, StreamsDesk):
    DASHBOARD_INTERVAL = 1.0
    """Seconds between two pushes of a changed dashboard: it shows every live
    session, so making it costs milliseconds per thousand sessions, and a
    contact center changes many times a second. A new watcher gets it at once."""

    def __init__(self, *, new_id: Callable[[], str], new_number: Callable[[], str],
                 join_link: Callable[[Session], str | None] = lambda s: None,
                 grant_timeout: float = 60.0, connect_grace: float = 30.0) -> None:
        self.new_id = new_id
        self.new_number = new_number
        self.join_link = join_link
        self.sessions: dict[str, Session] = {}
        self.numbers: dict[str, str] = {}
        self.reps: dict[int, RepSeat] = {}
        self.queues: dict[str, QueueConfig] = {}
        self.policies: dict[str, Any] = {"auto_record": False, "grant_timeout": grant_timeout,
                                         "chat_with_customers": True, "assist_approval": False}
        """The admin's policies (server/web/admin.py); an offer's timeout is its queue's own."""
        self._ids = itertools.count(1)
        self._out: list[tuple[str, p.Message]] = []
        self._records: list[Record] = []
        self._channels: dict[str, str] = {}
        self._dirty: set[str] = set()
        """Sessions that changed: every participant gets a fresh `session_state`."""
        self._touched: set[str] = set()
        """Sessions with something to deliver or record but no change (chat, notes, signals)."""
        self._board_dirty = True
        """Queues, offers or rep seats may have changed: recompute the boards."""
        self._routes: dict[str, dict[tuple[Actor, int, int], list[str]]] = {}
        """route_frame answers by session, valid until the session changes (`_flush`)."""
        self._pairings: dict[str, tuple[str, str, float]] = {}
        """One-time pairing code -> (session id, owner pid, expiry)."""
        self._links: dict[str, int] = {}
        """Open connections per customer pid."""
        self.connect_grace = connect_grace
        self._awaiting: dict[str, tuple[str, float]] = {}
        """Queued customers whose page has not connected yet: pid -> (session id, leave at)."""
        self._streams: dict[int, str] = {}
        """Activity id -> session id, for routing binary frames without a scan."""
        self._board = QueueBoard()
        self.assist_door = assisting.AssistDoor(attempts=10, window=60.0)
        """Tries at assisting by number per rep account (the relay sets its limits)."""
        self.watchers = dashboard.Watchers()
        """Supervisors and admins watching the dashboard (server/core/dashboard.py)."""
        self._watch_now: set[int] = set()
        """New watchers, sent the dashboard at the next flush even if nothing changed."""
        self._dashboard_due = False
        """Something changed since the dashboard was last made."""
        self._dashboard_at = float("-inf")
        self._handlers = {
            "set_availability": self._set_availability, "start_session": self._start,
            "assist_session": self._assist, "decide_assist": self._decide_assist, "accept_next": self._accept_next,
            "accept_offer": self._accept_offer, "decline_offer": self._decline_offer,
            "select_customer": self._select, "request_grant": self._request_grant,
            "decide_grant": self._decide_grant, "revoke_grant": self._revoke_grant,
            "start_activity": self._start_activity, "stop_activity": self._stop_activity,
            "set_view_mode": self._set_view_mode,
            "transfer_control": self._transfer_control, "transfer_session": self._transfer_session,
            "end_session": self._end, "leave_session": self._leave, "chat": self._chat,
            "note": self._note, "signal": self._signal,
            "file_request": self._file_message, "file_reply": self._file_message,
            "watch_dashboard": self._watch_dashboard,
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
                      max_customers: int, multi_session: bool, supervises: bool = False, active: bool = True,
                      now: float = 0.0) -> RepSeat:
        seat = self.reps.get(account_id)
        if seat is None:
            seat = self.reps[account_id] = RepSeat(account_id, name, idle_since=now)
        seat.update(name=name, queue_rep=queue_rep, queues=queues, max_customers=max_customers,
                    multi_session=multi_session, supervises=supervises, active=active)
        self.watchers.check(seat)
        self._board_dirty = True
        self._flush(now)
        return seat

    def set_policies(self, policies: dict[str, Any], now: float = 0.0) -> None:
        self.policies.update(policies)
        for s in self.sessions.values():
            for name, value in self._session_policies().items():
                setattr(s, name, value)
            s.ensure_recording(now)
            self._dirty.add(s.id)
        self._flush(now)

    # --- connections --------------------------------------------------------

    # --- entry points that are not messages -----------------------------------

    def join(self, number: str, name: str, now: float, description: str = "") -> tuple[Session, str]:
        """A customer typed a session number (or opened an invite link), and
        maybe a short description of their problem (`JOIN_FORM`)."""
        answers = JOIN_FORM.answer(description)
        s = self.by_number(number)
        seat = self.reps.get(s.participants[s.primary].account_id) if s.primary else None
        if seat and load(primary_sessions(seat, self.sessions.values())) >= seat.max_customers:
            raise NotAllowed("this session is full")
        pid = self.new_id()
        s.add_participant(Participant(pid, "customer", clean_name(name, "Customer"), "customer", intake=answers), now)
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

    def participant_kind(self, session_id: str, pid: str) -> str | None:
        s = self.sessions.get(session_id)
        who = s.participants.get(pid) if s else None
        return who.kind if who else None

    def participant(self, actor: Actor, session_id: str) -> tuple[Session, Participant]:
        """Is ``actor`` a participant of this live session? The one answer for
        the desk's messages and frames, the REST API, published files and the
        recorder: the session and the actor's place in it. A customer's or
        agent's actor counts only in the session its token names. Raises
        NotFound (no such session, or it ended) or NotAllowed (not in it)."""
        s = self._session(session_id)
        if isinstance(actor, CustomerActor):
            who = s.participants.get(actor.pid) if actor.session_id == session_id else None
        else:
            who = s.participants.get(s.rep_pid(actor.account_id) or "")
        if who is None:
            raise NotAllowed("not a participant of this session")
        return s, who

    # --- messages -----------------------------------------------------------

    def receive(self, actor: Actor, msg: p.ClientMessage, now: float) -> None:
        """Apply one client message. Raises `CoreError` (nothing changed) when refused."""
        handler = self._handlers.get(msg.type)
        if handler is None:
            raise Invalid(f"{msg.type} is not something a client sends after hello")
        dirty, touched = set(self._dirty), set(self._touched)
        try:
            handler(actor, msg, now)
        except CoreError:
            self._dirty &= dirty  # refused: nothing changed, so nobody needs a new state
            self._touched &= touched
            raise
        finally:
            self._flush(now)

    def _rep(self, actor: Actor) -> RepSeat:
        if not isinstance(actor, RepActor):
            raise NotAllowed("only reps can do this")
        return self._seat(actor.account_id)

    def _in_session(self, actor: Actor, session_id: str, changes: bool = True) -> tuple[Session, str]:
        """The session and the actor's pid in it, marked to be flushed: with a
        fresh state for everyone when the message ``changes`` the session."""
        s, who = self.participant(actor, session_id)
        (self._dirty if changes else self._touched).add(s.id)
        return s, who.pid

    def _start(self, actor: Actor, msg: p.StartSession, now: float) -> None:
        seat = self._rep(actor)
        problem = capacity_problem(seat, primary_sessions(seat, self.sessions.values()), extra=0)
        if problem:
            raise NotAllowed(problem)
        s = self._new_session("outbound", now)
        self._add_rep(s, seat, "primary", now)

    def _assist(self, actor: Actor, msg: p.AssistSession, now: float) -> None:
        """Assist by number (server/core/assisting.py): limited and audited per
        rep; joins at once, or asks the primary under the approval policy."""
        seat = self._rep(actor)
        self.assist_door.knock(seat.account_id, now)
        try:
            s = self.by_number(msg.number)
        except NotFound:
            self._records.append(assisting.refused(seat.account_id, parse_number(msg.number), now))
            raise
        if self.policies.get("assist_approval"):
            assisting.ask(s, seat.account_id, seat.name, now, float(self.policies["grant_timeout"]), self._next_int)
            self._dirty.add(s.id)
            self._send(rep_channel(seat.account_id), p.AssistAnswer(number=format_number(s.number), state="waiting"))
            return
        pid = self._add_rep(s, seat, "assistant", now)
        assisting.arrived(s, pid, None, now)

    def _watch_dashboard(self, actor: Actor, msg: p.WatchDashboard, now: float) -> None:
        seat = self._rep(actor)
        if self.watchers.watch(seat, msg.watch):
            self._watch_now.add(seat.account_id)

    def _decide_assist(self, actor, msg: p.DecideAssist, now) -> None:
        s, pid = self._in_session(actor, msg.session)
        req = assisting.pending(s, pid, msg.request)
        joined = None
        if msg.approve:
            joined = self._add_rep(s, self._seat(req.account_id), "assistant", now)
        assisting.decided(s, pid, req, msg.approve, now)
        if joined:
            assisting.arrived(s, joined, pid, now)
        self._send(rep_channel(req.account_id), p.AssistAnswer(
            number=format_number(s.number), state="approved" if joined else "denied", session=s.id if joined else None))

    # --- time ---------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Deny grants nobody decided in time; move expired offers on; queued
        customers who never connected leave."""
        self._expire_unconnected(now)
        for s in [s for s in self.sessions.values() if s.due <= now]:
            if s.expire_grants(now):
                self._dirty.add(s.id)
            for req in assisting.expire(s, now):
                self._dirty.add(s.id)
                self._send(rep_channel(req.account_id), p.AssistAnswer(number=format_number(s.number), state="expired"))
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
            s.due = s.deadline()
        self._flush(now)

    def next_deadline(self) -> float | None:
        """The earliest deadline of any session (`Session.deadline`) or of a
        customer who has not connected yet; None when nothing is pending."""
        times = [s.deadline() for s in self.sessions.values()]
        times += [deadline for _, deadline in self._awaiting.values()]
        first = min(times, default=math.inf)
        return None if first == math.inf else first

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
                    **self._session_policies())
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

    def _session_policies(self) -> dict[str, bool]:
        """The policies a `Session` applies itself."""
        return {"auto_record": bool(self.policies.get("auto_record")),
                "customer_chat": bool(self.policies.get("chat_with_customers", True))}

    def _next_int(self) -> int:
        return next(self._ids)

    def _add_rep(self, s: Session, seat: RepSeat, role: str, now: float) -> str:
        pid = self.new_id()
        s.add_participant(Participant(pid, "rep", seat.name, role, seat.account_id,
                                      present=seat.connections > 0), now)
        self._channels[pid] = rep_channel(seat.account_id)
        self._dirty.add(s.id)
        return pid

    def _record(self, s: Session, action: str, seat: RepSeat | None, now: float) -> None:
        rid = seat.account_id if seat else None
        self._records.append(Record(action, s.id, f"rep:{rid}" if rid else "system", now, {"rep_id": rid}))

    def _flush(self, now: float | None) -> None:
        """Tell everyone what changed: session states, and (only when queues
        may have changed) offers, places in line and queue boards."""
        changed = bool(self._dirty) or self._board_dirty
        for sid in self._dirty:
            s = self.sessions.get(sid)
            if s is not None and (s.state is State.WAITING
                                  or any(r.action in _QUEUE_ACTIONS for r in s.records)):
                self._board_dirty = True
        if self._board_dirty and now is not None:
            self._distribute(now)
        for sid in sorted(self._dirty | self._touched):
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
            if sid not in self._dirty:
                continue
            # only a change of state changes who its frames may go to (not chat, not a tick)
            s.routes_version += 1
            self._routes.pop(sid, None)
            for act_id in s.activities:
                self._streams[act_id] = s.id
            if s.state is not State.ENDED:
                link = self.join_link(s)
                for x in s.participants.values():
                    self._send(self._channels[x.pid], s.view(x.pid, link))
            else:
                self._drop(s)
        self.watchers.changed(self._dirty)
        self._dirty.clear()
        self._touched.clear()
        if self._board_dirty:
            self._board_dirty = False
            self._update_board(now or 0.0)
        self._dashboard_due = self._dashboard_due or changed
        if self.watchers.accounts and (self._watch_now or self._dashboard_due and (
                now is None or now >= self._dashboard_at + self.DASHBOARD_INTERVAL)):
            # else a tick pushes it, once the interval is over
            board = self.watchers.board(self.reps.values(), self.queues.values(), self.sessions.values(), now or 0.0)
            self._out.extend(self.watchers.push(board, self._watch_now))
            self._dashboard_due = False
            if now is not None:
                self._dashboard_at = now
        self._watch_now.clear()

    def _drop(self, s: Session) -> None:
        offered = set(s.offered_to) | ({s.offer[0]} if s.offer else set())
        for rid in sorted(offered):
            self._send(rep_channel(rid), p.OfferWithdrawn(session=s.id, reason="ended"))
        s.offer = None
        s.offered_to.clear()
        for req in s.assist_requests.values():
            self._send(rep_channel(req.account_id), p.AssistAnswer(number=format_number(s.number), state="ended"))
        self.sessions.pop(s.id, None)
        if self.numbers.get(s.number) == s.id:
            del self.numbers[s.number]
        for pid in s.participants:
            self._channels.pop(pid, None)
            self._board.positions.pop(pid, None)

    # --- restart ------------------------------------------------------------

    def restore(self, rows: list[dict], max_ids: dict[str, int]) -> None:
        """Rebuild live sessions from the store after a relay restart. Nobody is
        connected yet; grants and activities ended with the old connections."""
        self._ids = itertools.count(max(max_ids.values(), default=0) + 1)
        for row in rows:
            s = Session(row["session_id"], row["number"], row["kind"], row["created_at"],
                        self._next_int, queue=row["queue"], state=State(row["state"]),
                        **self._session_policies())
            s.waiting_since = row.get("waiting_since")
            s.transfer_message = row.get("transfer_message")
            for x in row["participants"]:
                who = Participant(x["pid"], x["kind"], x["name"], x["role"], x["account_id"], present=False,
                                  owner=x.get("owner"), intake=Answers.from_json(x.get("intake")))
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





__all__ = ["Desk", "RepActor", "CustomerActor", "Actor", "rep_channel", "customer_channel",
           "QueueConfig", "RepSeat", "Conflict", "Invalid", "NotAllowed", "NotFound"]
