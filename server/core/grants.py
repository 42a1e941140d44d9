"""Grants and the activities that run on them.

A grant is one approval of one request: view, control or file access to a
desktop, an application or a browser tab. It is decided by its grantor (the
customer being helped) and may be revoked by either side at any moment; a
pending grant that nobody decides is denied when its deadline passes.

An activity is anything running inside a session. View, control and files
activities exist only while their grant is approved: that is the invariant the
relay checks on every binary frame.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from .errors import Conflict

log = logging.getLogger(__name__)


class GrantState(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    REVOKED = "revoked"
    EXPIRED = "expired"


LIVE_GRANT_STATES = (GrantState.PENDING, GrantState.APPROVED)
SHARING_KINDS = frozenset({"view", "control", "files"})


@dataclass(slots=True)
class Grant:
    id: int
    kind: str  # view | control | files
    scope: str  # desktop | application | tab
    direction: str  # request: the rep asks for the customer's; share: the rep offers its own
    requester: str
    grantor: str
    deadline: float
    state: GrantState = GrantState.PENDING
    device: str | None = None
    """The agent that shares a desktop, an application or files (None for a
    browser tab, which the customer's page shares itself)."""

    @property
    def live(self) -> bool:
        return self.state in LIVE_GRANT_STATES

    @property
    def sharer(self) -> str:
        """Who shares: the agent for desktops, applications and files, else the
        customer's page (request) or the rep (share)."""
        if self.device is not None:
            return self.device
        return self.grantor if self.direction == "request" else self.requester

    @property
    def peer(self) -> str:
        """Who views, controls or transfers: the other side from the sharer."""
        return self.requester if self.direction == "request" else self.grantor

    def move(self, state: GrantState) -> None:
        """Change state; only pending and approved grants can change."""
        if not self.live:
            raise Conflict(f"grant {self.id} is already {self.state.value}")
        if state is GrantState.APPROVED and self.state is not GrantState.PENDING:
            raise Conflict(f"grant {self.id} is already approved")
        log.debug("grant %s: %s -> %s", self.id, self.state.value, state.value)
        self.state = state


@dataclass(slots=True)
class Activity:
    id: int
    kind: str  # view | control | files | video | audio | recording
    sharer: str
    peer: str | None = None
    scope: str | None = None
    grant: int | None = None

    @property
    def sharing(self) -> bool:
        return self.kind in SHARING_KINDS
