"""Grants and activities: the tools of a session, the half of `Session` that
asks for view, control and files, decides, revokes and runs what they allow.

A mixin on the state `session.Session` holds (``grants``, ``activities``,
``participants``, ``selected``, ``primary``) and its checks (``member``,
``_primary``, ``_need_customer``) and records (``_record``). An activity on
a grant lives exactly as long as the grant is approved: every way a grant
closes goes through `_close_grant`, which ends what runs on it.
"""

from __future__ import annotations

from .errors import Conflict, Invalid, NotAllowed, NotFound
from .grants import Activity, Grant, GrantState

VIEW_MODES = ("standard", "sampling")
SCREEN_PROBLEMS = {
    "wayland": "the Support Manager cannot see this screen: the desktop runs Wayland, and desktop and "
               "application sharing need an X11 session (at sign-in, choose 'Ubuntu on Xorg' or 'GNOME on Xorg')",
    "no_display": "the Support Manager runs without a screen (no display), so there is nothing to share",
}
"""Why an agent cannot share its machine's screen, as the rep reads it when asking."""


class SessionTools:
    # --- grants -------------------------------------------------------------

    def request_grant(self, pid: str, kind: str, scope: str, direction: str,
                      at: float, timeout: float) -> Grant:
        """The primary asks the selected customer for a grant."""
        self._primary(pid, "request view, control or files")
        self._need_customer()
        if kind == "files" and direction == "share":
            raise Invalid("files are shared by publishing them, not by a grant")
        if self.selected is None or not self.participants[self.selected].present:
            raise NotAllowed("select a customer who is here first")
        for g in self.grants.values():
            if g.live and (g.kind, g.scope, g.direction, g.grantor) == (kind, scope, direction, self.selected):
                raise Conflict(f"a {kind} grant is already {g.state.value}")
        device = None
        if scope != "tab" or kind == "files":
            owner = self.selected if direction == "request" else pid
            agent = self.agent_of(owner)
            if agent is None or not agent.present:
                whose = "the customer's" if direction == "request" else "your"
                raise NotAllowed(f"{whose} Support Manager is not connected: pair it with the session first")
            if kind != "files" and agent.screen in SCREEN_PROBLEMS:
                raise NotAllowed(SCREEN_PROBLEMS[agent.screen])
            device = agent.pid
        grant = Grant(self.next_id(), kind, scope, direction, pid, self.selected, at + timeout, device=device)
        self.grants[grant.id] = grant
        self.due = min(self.due, grant.deadline)
        self._record_grant(grant, pid, at)
        return grant

    def start_tab_view(self, pid: str, at: float) -> None:
        """A queue rep's first take of an inbound session: cobrowse view of the
        selected customer's tab starts at once, approved by the customer's own
        request for help from that page (they see it and can stop it)."""
        self._primary(pid, "view the customer's tab")
        grant = Grant(self.next_id(), "view", "tab", "request", pid, self.selected, at, GrantState.APPROVED)
        self.grants[grant.id] = grant
        self._record_grant(grant, pid, at)
        self._start_activity(Activity(self.next_id(), "view", grant.sharer, grant.peer, "tab", grant.id), pid, at)

    def decide_grant(self, pid: str, grant_id: int, approve: bool, at: float) -> None:
        """The grantor approves (an activity starts) or denies."""
        self.member(pid)
        grant = self._grant(grant_id)
        if pid != grant.grantor and self.participants[pid].owner != grant.grantor:
            raise NotAllowed("only the participant asked can decide this grant")
        if grant.state is not GrantState.PENDING:
            raise Conflict(f"grant {grant_id} is already {grant.state.value}")
        if not approve:
            self._close_grant(grant, GrantState.DENIED, at, pid)
            return
        grant.move(GrantState.APPROVED)
        self._record_grant(grant, pid, at)
        act = Activity(self.next_id(), grant.kind, grant.sharer, grant.peer, grant.scope, grant.id)
        self._start_activity(act, pid, at)

    def revoke_grant(self, pid: str, grant_id: int, at: float) -> None:
        """Either side (or the primary) stops a grant and what runs on it."""
        self.member(pid)
        grant = self._grant(grant_id)
        if pid not in (grant.grantor, grant.requester, self.primary, grant.device) \
                and self.participants[pid].owner != grant.grantor:
            raise NotAllowed("only the participants of a grant can revoke it")
        self._close_grant(grant, GrantState.REVOKED, at, pid)

    def expire_grants(self, now: float) -> bool:
        """Deny every pending grant whose deadline has passed."""
        changed = False
        for grant in self.grants.values():
            if grant.state is GrantState.PENDING and grant.deadline <= now:
                self._close_grant(grant, GrantState.EXPIRED, now, None)
                changed = True
        return changed

    def _grant(self, grant_id: int) -> Grant:
        try:
            return self.grants[grant_id]
        except KeyError:
            raise NotFound(f"no grant {grant_id} in this session") from None

    def _close_grant(self, grant: Grant, state: GrantState, at: float, actor: str | None) -> None:
        grant.move(state)
        self._record_grant(grant, actor, at)
        for act in list(self.activities.values()):
            if act.grant == grant.id:
                self._end_activity(act, at, f"grant {state.value}")

    def _record_grant(self, g: Grant, actor: str | None, at: float) -> None:
        self._record("grant.changed", actor, at, grant_id=g.id, kind=g.kind, scope=g.scope,
                     direction=g.direction, requester=g.requester, grantor=g.grantor, state=g.state.value)

    # --- activities ---------------------------------------------------------

    def start_activity(self, pid: str, kind: str, at: float) -> Activity:
        """Video or audio from any participant; recording by the primary."""
        who = self.member(pid)
        self._need_customer()
        if kind == "recording":
            self._primary(pid, "record the session")
            if any(a.kind == "recording" for a in self.activities.values()):
                raise Conflict("the session is already being recorded")
        elif any(a.kind == kind and a.sharer == pid for a in self.activities.values()):
            raise Conflict(f"your {kind} is already on")
        if kind == "audio" and who.is_rep:
            who.voice = True
        act = Activity(self.next_id(), kind, pid)
        self._start_activity(act, pid, at)
        return act

    def stop_activity(self, pid: str, activity_id: int, at: float) -> None:
        self.member(pid)
        act = self.activities.get(activity_id)
        if act is None:
            raise NotFound(f"no activity {activity_id} in this session")
        if act.grant is not None:
            grant = self.grants[act.grant]
            self.revoke_grant(pid, grant.id, at)
            return
        if pid not in (act.sharer, self.primary):
            raise NotAllowed("only who started it, or the primary, can stop it")
        if act.kind == "recording" and self.auto_record:
            raise NotAllowed("recording is required by policy")
        self._end_activity(act, at, "stopped")

    def _start_activity(self, act: Activity, actor: str | None, at: float) -> None:
        self.activities[act.id] = act
        self._record("activity.started", actor, at, activity_id=act.id, kind=act.kind,
                     scope=act.scope, sharer=act.sharer, grant_id=act.grant)

    def _end_activity(self, act: Activity, at: float, reason: str) -> None:
        if self.activities.pop(act.id, None) is not None:
            self._record("activity.ended", None, at, activity_id=act.id, kind=act.kind, reason=reason)

    def ensure_recording(self, at: float) -> None:
        """Auto-record policy: a live session with a customer is always recorded."""
        if (self.auto_record and self.tools_available and self.primary
                and not any(a.kind == "recording" for a in self.activities.values())):
            self._start_activity(Activity(self.next_id(), "recording", self.primary), None, at)

    def set_view_mode(self, pid: str, mode: str, at: float) -> None:
        """The primary picks Standard or Screen sampling for every shared
        screen of the session; every participant sees it in the state."""
        self._primary(pid, "change the view mode")
        if mode not in VIEW_MODES:
            raise Invalid(f"no view mode {mode!r}: use {' or '.join(VIEW_MODES)}")
        if mode == self.view_mode:
            return
        self.view_mode = mode
        self._record("session.view_mode", pid, at, mode=mode)
