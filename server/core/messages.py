"""The messages a participant sends about one session: the `Desk` finds the
session and the sender's place in it (`Desk._in_session`, which also marks
who must hear of it), and the `Session` decides. A mixin on the `Desk`."""

from __future__ import annotations

from .. import protocol as p


class SessionMessagesDesk:
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

    def _set_view_mode(self, actor, msg: p.SetViewMode, now) -> None:
        s, pid = self._in_session(actor, msg.session)
        s.set_view_mode(pid, msg.mode, now)

    def _transfer_control(self, actor, msg: p.TransferControl, now) -> None:
        s, pid = self._in_session(actor, msg.session)
        s.transfer_control(pid, msg.to, now)
        s.ensure_recording(now)

    def _end(self, actor, msg: p.EndSession, now) -> None:
        s, pid = self._in_session(actor, msg.session)
        s.end(pid, now)

    def _leave(self, actor, msg: p.LeaveSession, now) -> None:
        s, pid = self._in_session(actor, msg.session)
        s.leave(pid, now)

    def _chat(self, actor, msg: p.Chat, now) -> None:
        s, pid = self._in_session(actor, msg.session, changes=False)
        s.chat(pid, msg.text, msg.reps_only, now)

    def _note(self, actor, msg: p.Note, now) -> None:
        s, pid = self._in_session(actor, msg.session, changes=False)
        s.note(pid, msg.text, now)

    def _signal(self, actor, msg: p.Signal, now) -> None:
        s, pid = self._in_session(actor, msg.session, changes=False)
        s.signal(pid, msg.to, msg.data)
