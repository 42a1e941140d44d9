"""What the relay sends clients: one model per ``type`` (`server_message`
exports their schema for the extension). The receiver's ``seq`` is written in
as a message leaves for its connection (server/web/wire.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from .client import FileReply, FileRequest
from .common import (
    ActivityKind,
    Direction,
    GrantKind,
    Message,
    Pid,
    Role,
    Scope,
    ScreenStatus,
    SessionId,
    SessionStateName,
    ViewMode,
)


class Account(Message):
    id: int
    name: str
    email: str
    is_admin: bool
    queue_rep: bool
    max_customers: int
    multi_session: bool
    queues: list[str]


class IceServer(Message):
    """One STUN or TURN server for WebRTC, as the standard's ``RTCIceServer``."""

    urls: str | list[str]
    username: str | None = None
    credential: str | None = None


class Welcome(Message):
    """Answer to `Hello`. ``client_seq`` is the last client ``seq`` the relay
    processed: the client resends anything after it. ``ice_servers`` are the
    STUN/TURN servers browsers use for video and voice (empty: host candidates
    only, enough on a LAN)."""

    type: Literal["welcome"] = "welcome"
    role: Literal["rep", "customer", "agent"]
    pid: Pid | None = None
    account: Account | None = None
    resumed: bool = False
    resume: str
    """Send back in the next `Hello` to resume this stream after a drop."""
    client_seq: int = 0
    resume_window: float
    ice_servers: list[IceServer] = Field(default_factory=list)


class Error(Message):
    """A message was refused. ``ref`` is its ``seq`` when it had one. The
    connection stays open unless the code is ``unauthorized`` (or
    ``unavailable``: the relay node lost its broker; the client resumes).
    ``frames_skipped`` is not a refusal: a resume skipped cobrowse or input
    frames older than the relay keeps, and a viewer starts afresh."""

    type: Literal["error"] = "error"
    code: Literal[
        "bad_json", "bad_message", "too_large", "rate_limited", "unauthorized",
        "not_allowed", "not_found", "invalid", "conflict", "resync", "chat_off", "unavailable",
        "frames_skipped",
    ]
    message: str
    ref: int | None = None


class Pong(Message):
    type: Literal["pong"] = "pong"


class IntakeAnswer(Message):
    """One extra field of a queue's intake (defined by an admin), as filled."""

    label: str
    value: str


class Intake(Message):
    """What a customer entered before joining: a short description of the
    problem and the queue's extra fields (filled ones, in the queue's order).
    Only reps receive it."""

    description: str = ""
    fields: list[IntakeAnswer] = Field(default_factory=list)


class ParticipantInfo(Message):
    """``kind`` agent: a Support Manager paired to ``owner`` (a customer or a
    rep); it shares that person's desktop, applications and files."""

    pid: Pid
    name: str
    kind: Literal["rep", "customer", "agent"]
    role: Role
    present: bool
    selected: bool = False
    owner: Pid | None = None
    screen: ScreenStatus | None = None
    """For an agent: whether it can share its machine's screen (see `Hello`)."""
    intake: Intake | None = None
    """For a customer, in reps' states only: what they entered when joining."""


class GrantInfo(Message):
    id: int
    kind: GrantKind
    scope: Scope
    direction: Direction
    requester: Pid
    grantor: Pid
    state: Literal["pending", "approved", "denied", "revoked", "expired"]


class ActivityInfo(Message):
    """``sharer`` is whose screen, window or tab is shown (or who runs video,
    audio, recording); ``peer`` is who controls it, or the rep on the other
    end of a file transfer."""

    id: int
    kind: ActivityKind
    sharer: Pid
    peer: Pid | None = None
    scope: Scope | None = None
    grant: int | None = None
    stream: int
    """Stream id for binary frames of this activity (equal to ``id``)."""


class AssistRequestInfo(Message):
    """A rep who asked to assist by number and waits for the primary."""

    id: int
    name: str
    at: float


class SessionState(Message):
    """The whole visible state of one session, as seen by its receiver; sent
    after every change."""

    type: Literal["session_state"] = "session_state"
    session: SessionId
    number: str
    state: SessionStateName
    kind: Literal["outbound", "inbound"]
    queue: str | None
    you: Pid
    role: Role
    primary: Pid | None
    participants: list[ParticipantInfo]
    grants: list[GrantInfo]
    activities: list[ActivityInfo]
    tools_available: bool
    """False until a customer has joined: tools that need one are disabled."""
    can_end: bool
    auto_record: bool = False
    customer_chat: bool = True
    """False when chat with customers is turned off by policy: customers
    cannot chat (``chat`` is refused with ``chat_off``), reps only among themselves."""
    view_mode: ViewMode = "standard"
    """Set by the primary (`SetViewMode`); agents send every shared screen so."""
    join_link: str | None = None
    transfer_message: str | None = None
    assist_requests: list[AssistRequestInfo] = Field(default_factory=list)
    """The primary's only: reps waiting to assist by number (assist approval
    policy); answer each with `DecideAssist`."""


class SessionNotice(Message):
    """To a session's reps, something to notice that the state alone does not
    say: ``assistant_joined`` (``name`` joined as an assistant by session
    number) or ``assist_requested`` (``name`` asks to; the primary decides)."""

    type: Literal["session_notice"] = "session_notice"
    session: SessionId
    event: Literal["assistant_joined", "assist_requested"]
    name: str


class AssistAnswer(Message):
    """To a rep who asked to assist a session by number while the primary's
    approval is needed: ``waiting`` (asked), then ``approved`` (the session's
    state follows), ``denied``, ``expired`` (no answer in time) or ``ended``
    (the session ended first)."""

    type: Literal["assist_answer"] = "assist_answer"
    number: str
    state: Literal["waiting", "approved", "denied", "expired", "ended"]
    session: SessionId | None = None
    """Once approved: the session now joined."""


class ChatMessage(Message):
    type: Literal["chat_message"] = "chat_message"
    session: SessionId
    id: int
    pid: Pid
    name: str
    text: str
    reps_only: bool
    at: float


class QueuePosition(Message):
    """To a waiting customer: place in line (1 = next); sent when it changes."""

    type: Literal["queue_position"] = "queue_position"
    session: SessionId
    queue: str | None
    position: int


class WaitingCustomer(Message):
    session: SessionId
    number: str
    name: str
    since: float
    message: str | None = None
    connected: bool = True
    """False while the customer's page is not connected (closed, or not yet
    opened): such a customer is neither offered nor taken with Accept next."""
    intake: Intake | None = None


class QueueInfo(Message):
    name: str
    title: str
    routing: Literal["manual", "automatic"]
    total: int
    """How many wait; ``waiting`` lists the first `BOARD_LENGTH` of them."""
    waiting: list[WaitingCustomer]


class QueueState(Message):
    """To queue reps: who waits in their queues."""

    type: Literal["queue_state"] = "queue_state"
    available: bool
    queues: list[QueueInfo]


class Offer(Message):
    """To a queue rep: accept this session within ``expires_in`` seconds."""

    type: Literal["offer"] = "offer"
    session: SessionId
    number: str
    name: str
    queue: str | None
    expires_in: float | None
    message: str | None = None
    intake: Intake | None = None


class OfferWithdrawn(Message):
    type: Literal["offer_withdrawn"] = "offer_withdrawn"
    session: SessionId
    reason: str


class SessionEnded(Message):
    """The receiver is no longer in the session: it ended, they left, or they
    transferred it."""

    type: Literal["session_ended"] = "session_ended"
    session: SessionId
    reason: Literal["ended", "left", "transferred", "removed"]


class SignalRelay(Message):
    type: Literal["signal"] = "signal"
    session: SessionId
    sender: Pid
    data: dict


class FileMessage(Message):
    """A `FileRequest` or `FileReply` as delivered, with its sender."""

    type: Literal["file_message"] = "file_message"
    session: SessionId
    sender: Pid
    message: FileRequest | FileReply


class DashboardRep(Message):
    """A rep as the supervisor dashboard shows them (see `server.core.roster`)."""

    id: int
    name: str
    presence: Literal["available", "busy", "away"]
    """away: no console connected; busy: cannot take another customer now; available otherwise."""
    customers: int
    """Customers the rep helps now as primary."""
    max_customers: int
    sessions: int
    """Live sessions the rep is in, in any role."""
    queue_rep: bool


class DashboardQueue(Message):
    name: str
    title: str
    waiting: int
    """Customers in line whose page is connected."""
    longest_since: float | None
    """When the one who has waited longest started waiting (relay clock), or None."""


class DashboardSession(Message):
    session: SessionId
    number: str
    kind: Literal["outbound", "inbound"]
    state: SessionStateName
    queue: str | None
    started: float
    """When the session was created (relay clock)."""
    waiting_since: float | None
    """While it waits in a queue: since when."""
    primary: str | None
    assistants: list[str]
    customers: list[str]
    rep_ids: list[int]
    """Accounts of the reps in it (primary and assistants): a watcher sees whether they are in it."""


class Dashboard(Message):
    """To a supervisor or admin who sent `WatchDashboard`: every rep with their
    presence and load, every queue with its line and longest wait, every live
    session with its reps and customers. Sent whole, when any of it changes;
    ``now`` is the relay's clock, to show waits as they grow."""

    type: Literal["dashboard"] = "dashboard"
    now: float
    reps: list[DashboardRep]
    queues: list[DashboardQueue]
    sessions: list[DashboardSession]


ServerMessages = Annotated[
    Welcome | Error | Pong | SessionState | SessionNotice | AssistAnswer | ChatMessage | QueuePosition | QueueState | Offer | OfferWithdrawn | SessionEnded | SignalRelay | FileMessage | Dashboard,
    Field(discriminator="type"),
]
server_message = TypeAdapter(ServerMessages)
