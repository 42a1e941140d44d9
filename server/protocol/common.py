"""Names and limits shared by the messages, and their base classes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

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
