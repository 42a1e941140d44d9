"""Intake: what a customer tells before joining (the help widget, ``/help``,
``/join``, ``/api/help``, ``/api/join``), checked against the queue's form.

A queue's `IntakeForm` says whether a short description of the problem is
asked (``off``, ``optional`` or ``required``) and which extra fields an admin
defined (a label, required or not). `IntakeForm.answer` checks what a customer
entered and returns the `Answers` the session keeps for its reps, or raises
`Invalid` with a reason. Plain data, no I/O: the store keeps a form as
`IntakeForm.to_json()`, and answers as `Answers.to_json()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import protocol as p
from .errors import Invalid

DESCRIPTION_MODES = ("off", "optional", "required")


def _text(value: Any, what: str, limit: int, *, multiline: bool = False) -> str:
    """``value`` as trimmed text of at most ``limit`` characters (spaces folded
    unless ``multiline``); raises `Invalid` for a non-string or a longer text."""
    if not isinstance(value, str):
        raise Invalid(f"{what} must be text")
    if multiline:  # lines kept, empty ones dropped
        text = "\n".join(line for line in (" ".join(raw.split()) for raw in value.splitlines()) if line)
    else:
        text = " ".join(value.split())
    if any(ord(c) < 32 and c != "\n" for c in text):
        raise Invalid(f"{what} holds control characters")
    if len(text) > limit:
        raise Invalid(f"{what} is longer than {limit} characters")
    return text


@dataclass(frozen=True, slots=True)
class IntakeField:
    label: str
    required: bool = False


@dataclass(frozen=True, slots=True)
class Answers:
    """A customer's intake: the description (may be empty) and each field's
    label with its value, in the form's order (empty optional fields left out)."""

    description: str = ""
    fields: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.description or self.fields)

    def to_json(self) -> dict[str, Any]:
        return {"description": self.description, "fields": [{"label": k, "value": v} for k, v in self.fields]}

    @classmethod
    def from_json(cls, data: Any) -> Answers:
        """Read back what `to_json` stored (lenient: stored data was checked once)."""
        if not isinstance(data, dict):
            return cls()
        fields = tuple((str(f.get("label", "")), str(f.get("value", "")))
                       for f in data.get("fields") or () if isinstance(f, dict))
        return cls(str(data.get("description") or ""), fields)

    def info(self) -> p.Intake | None:
        """The wire form, or None when the customer entered nothing."""
        if not self:
            return None
        return p.Intake(description=self.description,
                        fields=[p.IntakeAnswer(label=k, value=v) for k, v in self.fields])


@dataclass(frozen=True, slots=True)
class IntakeForm:
    """What a queue asks a customer (set by an admin on /admin/queues)."""

    description: str = "optional"
    fields: tuple[IntakeField, ...] = field(default_factory=tuple)

    @classmethod
    def check(cls, data: Any) -> IntakeForm:
        """An admin's definition (``{"description": mode, "fields": [{"label",
        "required"}]}``) checked; raises `Invalid` with the reason."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise Invalid("the intake must be an object")
        unknown = set(data) - {"description", "fields"}
        if unknown:
            raise Invalid(f"unknown intake settings: {', '.join(sorted(map(str, unknown)))}")
        mode = data.get("description", "optional")
        if mode not in DESCRIPTION_MODES:
            raise Invalid(f"the description must be one of {', '.join(DESCRIPTION_MODES)}")
        raw = data.get("fields") or []
        if not isinstance(raw, list):
            raise Invalid("the intake fields must be a list")
        if len(raw) > p.INTAKE_FIELDS_MAX:
            raise Invalid(f"a queue asks at most {p.INTAKE_FIELDS_MAX} fields")
        fields: list[IntakeField] = []
        for f in raw:
            if not isinstance(f, Mapping) or set(f) - {"label", "required"}:
                raise Invalid("an intake field is {label, required}")
            label = _text(f.get("label"), "a field's label", p.INTAKE_LABEL_MAX)
            if not label:
                raise Invalid("a field needs a label")
            if any(x.label.casefold() == label.casefold() for x in fields):
                raise Invalid(f"two fields are labelled {label!r}")
            required = f.get("required", False)
            if not isinstance(required, bool):
                raise Invalid("a field's required must be true or false")
            fields.append(IntakeField(label, required))
        return cls(mode, tuple(fields))

    @classmethod
    def from_json(cls, data: Any) -> IntakeForm:
        """Read back what `to_json` stored; a stored form that no longer checks
        (or none) gives the default form."""
        try:
            return cls.check(data)
        except Invalid:
            return cls()

    def to_json(self) -> dict[str, Any]:
        return {"description": self.description,
                "fields": [{"label": f.label, "required": f.required} for f in self.fields]}

    def answer(self, description: Any = "", fields: Mapping[str, Any] | None = None) -> Answers:
        """Check what a customer entered: ``fields`` maps this form's labels to
        values. Raises `Invalid` for a missing required answer, an unknown
        field, a text too long, or a description this form does not ask for."""
        text = _text(description if description is not None else "", "the description",
                     p.INTAKE_DESCRIPTION_MAX, multiline=True)
        if self.description == "off" and text:
            raise Invalid("this queue asks for no description")
        if self.description == "required" and not text:
            raise Invalid("a description of the problem is required")
        given = dict(fields or {})
        if len(given) > p.INTAKE_FIELDS_MAX:
            raise Invalid(f"at most {p.INTAKE_FIELDS_MAX} fields")
        labels = {f.label for f in self.fields}
        unknown = [k for k in given if k not in labels]
        if unknown:
            raise Invalid(f"this queue has no field {unknown[0]!r}")
        out: list[tuple[str, str]] = []
        for f in self.fields:
            value = _text(given.get(f.label, ""), f.label, p.INTAKE_VALUE_MAX)
            if f.required and not value:
                raise Invalid(f"{f.label} is required")
            if value:
                out.append((f.label, value))
        return Answers(text, tuple(out))


JOIN_FORM = IntakeForm("optional")
"""What joining by session number asks: an optional description, no fields
(the session has no queue whose form would apply)."""
