"""The session information report of one session: its summary, participants
and the timeline of what was said, noted, handed over and transferred.

`timeline_table` is what the HTML shows and the CSV downloads, cell for cell
(see `tables`).
"""

from __future__ import annotations

from typing import Any

from ..core.session import format_number
from .tables import Link, Row, Table, Translate, duration, when

TIMELINE_COLUMNS = ("time", "event", "who", "to", "text", "visibility")
ROLES = ("primary", "assistant", "customer", "agent")


def _names(report: dict[str, Any]) -> tuple[dict[str, str], dict[int, str]]:
    by_pid = {p["pid"]: p["name"] or p["pid"] for p in report["participants"]}
    by_account = {p["account_id"]: p["name"] for p in report["participants"] if p["account_id"] is not None}
    return by_pid, by_account


def _actor(actor: str | None, by_pid: dict[str, str], by_account: dict[int, str]) -> str:
    if not actor:
        return ""
    if actor.startswith("rep:") and actor[4:].isdigit():
        return by_account.get(int(actor[4:]), actor)
    return by_pid.get(actor, actor)


def timeline_table(report: dict[str, Any], _: Translate, rep_names: dict[int, str]) -> Table:
    """Chat (reps-only lines marked), notes, transfers, files, recordings and
    ratings, oldest first. `rep_names` names reps who are not participants
    (a queue transfer's chosen reps)."""
    by_pid, by_account = _names(report)
    who = lambda pid: by_pid.get(pid, pid or "")  # noqa: E731
    events: list[tuple[float, int, Row]] = []

    def add(at: float, event: str, person: str, to: str | Link, text: str | Link, css: str = "",
            visibility: str = "") -> None:
        events.append((at, len(events), Row([when(at), event, person, to, text, visibility], css)))

    everyone, reps_only = _("reports.visibility.everyone"), _("reports.visibility.reps_only")
    for c in report["chat"]:
        add(c["at"], _("reports.event.chat"), c["name"] or who(c["pid"]), "", c["text"],
            "reps-only" if c["reps_only"] else "", reps_only if c["reps_only"] else everyone)
    for n in report["notes"]:
        add(n["at"], _("reports.event.note"), who(n["pid"]), "", n["text"], "note", reps_only)
    for t in report["transfers"]:
        if t["kind"] == "control":
            add(t["at"], _("reports.event.transfer_control"), who(t["from_pid"]), who(t["to_pid"]), "", "transfer")
        else:
            targets = [_("reports.queue", queue=t["queue"])] if t["queue"] else []
            targets += [rep_names.get(r, by_account.get(r, str(r))) for r in t["reps"] or ()]
            add(t["at"], _("reports.event.transfer_session"), who(t["from_pid"]), ", ".join(targets),
                t["message"] or "", "transfer")
    for e in report["audit"]:
        if e["action"] in ("file.published", "file.downloaded"):
            name = (e["data"] or {}).get("name", "")
            add(e["at"], _("reports.event." + e["action"].replace(".", "_")),
                _actor(e["actor"], by_pid, by_account), "", name, "file")
    for a in report["activities"]:
        if a["kind"] == "files":
            add(a["started_at"], _("reports.event.file_transfer"), who(a["sharer"]), "", a["scope"] or "", "file")
    for r in report["recordings"]:
        link = f"/recordings/{r['id']}"
        add(r["started_at"], _("reports.event.recording"), "", "", Link(link, link), "recording")
    for r in report["ratings"]:
        text = f"{r['score']}/5" + (f" · {r['comment']}" if r["comment"] else "")
        add(r["at"], _("reports.event.rating"), who(r["pid"]), "", text, "rating")
    events.sort(key=lambda e: (e[0], e[1]))
    return Table([_("reports.col." + c) for c in TIMELINE_COLUMNS], [row for *_k, row in events])


def participants_table(report: dict[str, Any], _: Translate) -> Table:
    table = Table([_("reports.col." + c) for c in ("name", "role", "joined", "left")])
    for p in report["participants"]:
        role = _("reports.role." + p["role"]) if p["role"] in ROLES else p["role"]
        table.rows.append(Row([p["name"], role, when(p["joined_at"]), when(p["left_at"])]))
    return table


def summary(report: dict[str, Any], now: float) -> dict[str, str]:
    start = report.get("started_at")
    scores = [r["score"] for r in report["ratings"]]
    return {
        "number": format_number(report["number"]),
        "kind": report["kind"],
        "queue": report.get("queue") or "",
        "state": report["state"],
        "created": when(report["created_at"]),
        "started": when(start),
        "ended": when(report.get("ended_at")),
        "duration": duration((report.get("ended_at") or now) - start) if start else "",
        "queue_wait": duration(report["queue_wait"]) if report.get("queue") else "",
        "rating": (f"{sum(scores) / len(scores):.1f}".removesuffix(".0") + "/5") if scores else "",
    }
