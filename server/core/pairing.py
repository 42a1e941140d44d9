"""Support Manager pairing and file messages: the agent half of the `Desk`.
A mixin on the state `Desk.__init__` sets up."""

from __future__ import annotations

from .. import protocol as p
from .actors import Actor, clean_name, customer_channel
from .errors import NotAllowed
from .session import Participant, Session


class PairingDesk:
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

    def pairing_taken(self, code: str) -> bool:
        """Whether ``code`` is in use (the relay draws another)."""
        return code in self._pairings

    def pairing_open(self, session_id: str, code: str, now: float) -> bool:
        """Whether ``code`` would still pair a Support Manager with this session
        (not used, not replaced by a newer code, not expired)."""
        entry = self._pairings.get(code.strip())
        return entry is not None and entry[0] == session_id and entry[2] > now

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
        # present once its socket says hello, not on pairing: a rep asks only a Support Manager that answers
        s.add_participant(Participant(pid, "agent", clean_name(name, "Support Manager"), "agent", owner=owner,
                                      present=False), now)
        self._channels[pid] = customer_channel(pid)
        self._dirty.add(s.id)
        self._flush(now)
        return s, pid

    def _file_message(self, actor, msg: p.FileRequest | p.FileReply, now) -> None:
        """Requests go from the rep of a live files activity to its sharing
        agent; replies come back. Checked on every message."""
        s, pid = self._in_session(actor, msg.session, changes=False)
        act = s.activities.get(msg.activity)
        if act is None or act.kind != "files":
            raise NotAllowed("no live file transfer with this id")
        sender, target = (act.peer, act.sharer) if msg.type == "file_request" else (act.sharer, act.peer)
        if pid != sender:
            raise NotAllowed("not your side of this file transfer")
        self._send(self._channels[target], p.FileMessage(session=s.id, sender=pid, message=msg))
