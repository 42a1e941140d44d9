"""What clients send the relay: one strict model per ``type``, parsed by
`client_message`. Each carries the client's ``seq``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from .common import (
    CHAT_MAX,
    NOTE_MAX,
    TRANSFER_MESSAGE_MAX,
    ClientMessage,
    Direction,
    GrantKind,
    Message,
    Number,
    Pid,
    Scope,
    ScreenStatus,
    SessionMessage,
    ViewMode,
)


class Hello(ClientMessage):
    """First message of every connection. ``token`` is a rep's sign-in token or
    a customer's capability token. To resume after a drop, ``resume`` and
    ``last_seq`` (the last relay ``seq`` this client saw) come back too."""

    type: Literal["hello"]
    token: str = Field(min_length=1, max_length=2048)
    last_seq: int = Field(default=0, ge=0)
    resume: str | None = Field(default=None, max_length=64)
    """The ``resume`` id of the previous `Welcome`, when reconnecting."""
    client: Literal["extension", "page", "agent", "api", "dashboard"] = "api"
    """``dashboard``: the supervisor dashboard, which is no console: the rep
    does not count as present (available or busy) for it, and is not sent
    their sessions; it watches with `WatchDashboard`."""
    screen: ScreenStatus | None = None
    """Support Manager only: whether it can see this machine's screen
    (``wayland``: an X client on a Wayland desktop sees only black)."""


class Ping(ClientMessage):
    """Keepalive from any client; answered by `Pong`."""

    type: Literal["ping"]


class SetAvailability(ClientMessage):
    """Rep: ready (or not) to take customers from queues."""

    type: Literal["set_availability"]
    available: bool


class StartSession(ClientMessage):
    """Rep: start an outbound session; the rep becomes its primary."""

    type: Literal["start_session"]
    email_invite_on_start: bool = False


class AssistSession(ClientMessage):
    """Rep: join a live session by its number, as an assistant. Every try
    counts against the rep's account (a few per minute: ``rate_limited``
    after that) and is audited; the session's reps get a `SessionNotice`.
    With the assist approval policy the rep only asks: `AssistAnswer` says
    how it goes, and the primary decides (`DecideAssist`)."""

    type: Literal["assist_session"]
    number: Number


class DecideAssist(SessionMessage):
    """Primary: let a rep who asked to assist by number join as an assistant
    (``approve``), or turn them away. ``request`` is an id from the primary's
    ``SessionState.assist_requests``."""

    type: Literal["decide_assist"]
    request: int = Field(ge=1)
    approve: bool


class AcceptNext(ClientMessage):
    """Queue rep: take the customer who has waited longest in the rep's queues."""

    type: Literal["accept_next"]


class AcceptOffer(SessionMessage):
    """Queue rep: accept a session offered by automatic distribution or a transfer."""

    type: Literal["accept_offer"]


class DeclineOffer(SessionMessage):
    """Queue rep: decline an offer; it moves on to the next rep."""

    type: Literal["decline_offer"]


class SelectCustomer(SessionMessage):
    """Primary: choose which customer to help; ends every sharing activity."""

    type: Literal["select_customer"]
    pid: Pid


class RequestGrant(SessionMessage):
    """Rep: ask the selected customer for view, control or file access
    (``request``), or offer the rep's own screen (``share``)."""

    type: Literal["request_grant"]
    kind: GrantKind
    scope: Scope = "tab"
    direction: Direction = "request"


class DecideGrant(SessionMessage):
    """The grantor (the customer asked): approve or deny a pending grant."""

    type: Literal["decide_grant"]
    grant: int = Field(ge=1)
    approve: bool


class RevokeGrant(SessionMessage):
    """Grantor or requester: end a grant and whatever runs on it, at once."""

    type: Literal["revoke_grant"]
    grant: int = Field(ge=1)


class StartActivity(SessionMessage):
    """A participant starts video or audio; the primary starts recording."""

    type: Literal["start_activity"]
    kind: Literal["video", "audio", "recording"]


class StopActivity(SessionMessage):
    """Stop an activity the sender runs (the primary may stop any)."""

    type: Literal["stop_activity"]
    activity: int = Field(ge=1)


class SetViewMode(SessionMessage):
    """Primary: the session's view mode for every shared desktop and
    application. Only the primary may send it (the relay refuses anyone else);
    it is in every participant's `SessionState`, and the sharing agent applies
    it at once to all it shares, over WebRTC and over the relay alike."""

    type: Literal["set_view_mode"]
    mode: ViewMode


class TransferControl(SessionMessage):
    """Primary: make an assistant the primary."""

    type: Literal["transfer_control"]
    to: Pid


class TransferSession(SessionMessage):
    """Primary queue rep: hand the session to a queue or to queue reps, and leave."""

    type: Literal["transfer_session"]
    queue: str | None = Field(default=None, max_length=40)
    reps: list[int] = Field(default_factory=list, max_length=50)
    message: str = Field(default="", max_length=TRANSFER_MESSAGE_MAX)


class EndSession(SessionMessage):
    """Primary: end the session for everyone."""

    type: Literal["end_session"]


class LeaveSession(SessionMessage):
    """Assistant or customer: leave; the session goes on."""

    type: Literal["leave_session"]


class Chat(SessionMessage):
    """Any participant: a chat line; ``reps_only`` hides it from customers."""

    type: Literal["chat"]
    text: str = Field(min_length=1, max_length=CHAT_MAX)
    reps_only: bool = False


class Note(SessionMessage):
    """Rep: a note for the session report."""

    type: Literal["note"]
    text: str = Field(min_length=1, max_length=NOTE_MAX)


class Signal(SessionMessage):
    """WebRTC signaling (offer, answer, ICE candidate) to one participant."""

    type: Literal["signal"]
    to: Pid
    data: dict


class FileRequest(SessionMessage):
    """The rep on the other end of a files activity asks the sharing agent
    for something in the folders the customer granted. The relay checks the
    activity on every message; the agent checks every path."""

    type: Literal["file_request"]
    activity: int = Field(ge=1)
    request: int = Field(ge=1)
    op: Literal["list", "stat", "read", "write", "mkdir"]
    path: str = Field(max_length=4096)
    offset: int = Field(default=0, ge=0)
    size: int | None = Field(default=None, ge=0)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class FileEntry(Message):
    name: str
    dir: bool
    size: int
    mtime: float


class FileReply(SessionMessage):
    """The sharing agent answers a `FileRequest` (data itself goes in FILE frames)."""

    type: Literal["file_reply"]
    activity: int = Field(ge=1)
    request: int = Field(ge=1)
    ok: bool
    error: str | None = Field(default=None, max_length=1000)
    entries: list[FileEntry] | None = Field(default=None, max_length=10000)
    size: int | None = Field(default=None, ge=0)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class WatchDashboard(ClientMessage):
    """Supervisor or admin: get the supervisor dashboard (`Dashboard`) now and
    whenever it changes (``watch``), or stop (``watch`` false). Refused
    (``not_allowed``) for anyone else; the relay checks the account's role on
    every one of these, and stops the pushes when the role is taken away."""

    type: Literal["watch_dashboard"]
    watch: bool = True


ClientMessages = Annotated[
    Hello | Ping | SetAvailability | StartSession | AssistSession | DecideAssist | AcceptNext | AcceptOffer | DeclineOffer | SelectCustomer | RequestGrant | DecideGrant | RevokeGrant | StartActivity | StopActivity | SetViewMode | TransferControl | TransferSession | EndSession | LeaveSession | Chat | Note | Signal | FileRequest | FileReply | WatchDashboard,
    Field(discriminator="type"),
]
client_message = TypeAdapter(ClientMessages)
