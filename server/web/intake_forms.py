"""Intake in HTML forms: what the help and join pages post (the description
and ``field-N`` for the queue's N-th field), and the admin's queue form
(``intake_description``, ``intake_label-N``, ``intake_required-N``).

Only reads the posted form into plain values; `server.core.intake` checks them."""

from __future__ import annotations

from typing import Any

from .. import protocol as p
from ..core.intake import IntakeForm


def customer_answers(data: Any, form: IntakeForm) -> tuple[str, dict[str, str]]:
    """The description and the fields by label, as a help or join page posted them."""
    description = str(data.get("description", ""))[:p.INTAKE_DESCRIPTION_MAX + 1]
    fields = {f.label: str(data.get(f"field-{i}", ""))[:p.INTAKE_VALUE_MAX + 1] for i, f in enumerate(form.fields)}
    return description, fields


def admin_intake(data: Any) -> dict[str, Any]:
    """The queue's intake as the admin page posted it (an empty label drops its
    row), checked; raises `Invalid` with the reason."""
    fields = []
    for i in range(p.INTAKE_FIELDS_MAX):
        label = " ".join(str(data.get(f"intake_label-{i}", "")).split())[:p.INTAKE_LABEL_MAX + 1]
        if label:
            fields.append({"label": label, "required": data.get(f"intake_required-{i}") == "on"})
    form = {"description": str(data.get("intake_description", "optional")), "fields": fields}
    return IntakeForm.check(form).to_json()


def posted_values(data: Any) -> dict[str, str]:
    """What the customer typed, to fill the form again after a refusal."""
    return {k: str(v) for k, v in data.items() if k in ("name", "number", "description") or k.startswith("field-")}
