"""Every message on the wire: the one schema of Tandem.

Text frames carry JSON objects with a ``type``; each type is a strict pydantic
model below (unknown types and unknown fields are rejected). Client messages
carry ``seq``, the client's own counter, so that a client which reconnects can
resend what the relay did not process. Relay messages carry ``seq`` too: the
position in the receiver's stream, which the client names as ``last_seq`` in
its ``hello`` to get what it missed.

High-volume streams (cobrowse events, control input, file chunks, fallback
frames) are binary frames: a fixed `FRAME_HEADER` (kind, stream, seq) and an
opaque body that the relay forwards without parsing.

``python -m server.protocol --write`` exports the JSON Schema the extension
uses; ``--check`` fails when the exported file is out of date.
"""

from __future__ import annotations

import enum
import json
import struct
import sys
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from . import SERVER_DIR

SCHEMA_PATH = SERVER_DIR / "schema" / "protocol.schema.json"

SessionId = Annotated[str, Field(min_length=1, max_length=64)]
Pid = Annotated[str, Field(min_length=1, max_length=64)]
Number = Annotated[str, Field(pattern=r"^[0-9 ]{9,11}$")]
GrantKind = Literal["view", "control", "files"]
Scope = Literal["desktop", "application", "tab"]
Direction = Literal["request", "share"]
ScreenStatus = Literal["ok", "wayland", "no_display"]
ActivityKind = Literal["view", "control", "files", "video", "audio", "recording"]
Role = Literal["primary", "assistant", "customer", "agent"]
SessionStateName = Literal["waiting", "open", "active", "ended"]
ViewMode = Literal["standard", "sampling"]
"""How shared screens are sent: ``standard`` (best image) or ``sampling``
(Screen sampling: half size, fewer frames, fastest)."""
TRANSFER_MESSAGE_MAX = 345
CHAT_MAX = 4000
NOTE_MAX = 20000
BOARD_LENGTH = 50
INTAKE_NAME_MAX = 80
INTAKE_DESCRIPTION_MAX = 500
INTAKE_FIELDS_MAX = 5
INTAKE_LABEL_MAX = 40
INTAKE_VALUE_MAX = 200
"""Intake limits: a customer's name, the description of the problem, how many
extra fields a queue asks, a field's label and a field's value (characters)."""
INTAKE_LIMITS = {"name_max": INTAKE_NAME_MAX, "description_max": INTAKE_DESCRIPTION_MAX,
                 "fields_max": INTAKE_FIELDS_MAX, "label_max": INTAKE_LABEL_MAX, "value_max": INTAKE_VALUE_MAX}
"""The same, as the schema exports them (``limits.intake``) for the widget and the pages."""


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ClientMessage(Message):
    seq: int = Field(ge=0)


class SessionMessage(ClientMessage):
    session: SessionId


# --- client -> relay -------------------------------------------------------


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


# --- relay -> client -------------------------------------------------------


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


# --- binary frames ---------------------------------------------------------


class StreamKind(enum.IntEnum):
    """What a binary frame carries, and so which activity must be live for it."""

    COBROWSE = 1  # rrweb events, sharer -> viewers (needs a view activity)
    CONTROL = 2  # input events, controller -> sharer (needs a control activity)
    FILE = 3  # file chunks (needs a files activity)
    FRAMES = 4  # fallback screen frames, sharer -> viewers
    RECORD = 5  # screen frames for the recorder only, sharer -> relay, never forwarded


FRAME_HEADER = struct.Struct("!BII")
"""kind (u8), stream (u32, the activity id), seq (u32). Client -> relay, seq is
the client's counter, shared with its text messages (a frame whose seq is not
above the last one processed is taken for a resend and dropped); relay ->
client, it is the receiver's stream position, shared with text messages."""

FILE_CHUNK = struct.Struct("!IQ")
"""The body of a FILE frame that carries data: request id (u32), offset (u64),
then at most `FILE_CHUNK_SIZE` bytes (agent/files.py, the rep's files page)."""
FILE_CHUNK_SIZE = 256 * 1024


def json_schema() -> dict:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Tandem wire protocol",
        "client": client_message.json_schema(),
        "server": server_message.json_schema(),
        "frame_header": {"format": FRAME_HEADER.format, "size": FRAME_HEADER.size,
                         "kinds": {k.name.lower(): int(k) for k in StreamKind}},
        "file_chunk": {"format": FILE_CHUNK.format, "size": FILE_CHUNK.size, "max_data": FILE_CHUNK_SIZE},
        "limits": {"transfer_message_max": TRANSFER_MESSAGE_MAX, "chat_max": CHAT_MAX,
                   "note_max": NOTE_MAX,
                   "intake": INTAKE_LIMITS},
    }


def _schema_text() -> str:
    return json.dumps(json_schema(), indent=1, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    if "--write" in argv:
        SCHEMA_PATH.parent.mkdir(exist_ok=True)
        SCHEMA_PATH.write_text(_schema_text())
        print(f"wrote {SCHEMA_PATH.name}")
        return 0
    if "--check" in argv:
        if not SCHEMA_PATH.exists() or SCHEMA_PATH.read_text() != _schema_text():
            print("protocol.schema.json is out of date: run `make schema`", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(_schema_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
