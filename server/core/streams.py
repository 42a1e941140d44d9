"""Binary frames: which channels a frame on a stream goes to, checked against
the stream's live activity and its grant. A mixin on the state `Desk.__init__`
sets up (``_streams``: activity id -> session id; ``_routes``: the answers
by session, valid until that session changes)."""

from __future__ import annotations

from .. import protocol as p
from .actors import Actor
from .errors import NotAllowed
from .session import Session


class StreamsDesk:
    def route_frame(self, actor: Actor, kind: int, stream: int) -> list[str]:
        """Channels a binary frame of ``kind`` on ``stream`` goes to, checked
        against the live activity and its grant. Raises NotAllowed otherwise.
        Cheap: called for every frame, and cached until the stream's session
        changes (a change elsewhere leaves it)."""
        key = (actor, kind, stream)
        routes = self._routes.get(self._streams.get(stream))
        cached = routes.get(key) if routes else None
        if cached is not None:
            return cached
        targets = self._route(actor, kind, stream)  # raises unless the stream is live
        self._routes.setdefault(self._streams[stream], {})[key] = targets
        return targets

    def stream_session(self, stream: int) -> Session | None:
        """The live session a stream belongs to: a connection keeps a route
        while its ``routes_version`` stays."""
        return self.sessions.get(self._streams.get(stream, ""))

    def _route(self, actor: Actor, kind: int, stream: int) -> list[str]:
        s = self.stream_session(stream)
        act = s.activities.get(stream) if s else None
        if act is None:
            self._streams.pop(stream, None)
            raise NotAllowed(f"stream {stream} is not live")
        pid = self.participant(actor, s.id)[1].pid
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
