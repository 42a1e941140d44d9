"""The session information report of one session: its summary, participants
and the timeline of what was said, noted, handed over and transferred.

`timeline_table` is what the HTML shows and the CSV downloads, cell for cell
(see `tables`).
"""

from __future__ import annotations

from typing import Any

from ..core.session import format_number
from .tables import Link, Row, Table, Translate, duration, intake_text, when

TIMELINE_COLUMNS = ("time", "event", "who", "to", "text", "visibility")
ROLES = ("primary", "assistant", "customer", "agent")
SCOPES = ("desktop", "application", "tab")
ACTIVITIES = {"view": "reports.event.view", "control": "reports.event.control", "video": "reports.event.video",
              "audio": "reports.event.audio", "recording": "reports.event.recording",
              "files": "reports.event.file_transfer"}
"""Activity kind -> its timeline event."""


def recording_label(r: dict[str, Any], _: Translate) -> str:
    """A recording's link text: when it started and how long it ran."""
    return _("reports.recording_label", start=when(r["started_at"]),
             duration=duration(r["ended_at"] - r["started_at"]) if r.get("ended_at") else _("reports.running"))


def assistants_joined(report: dict[str, Any]) -> list[tuple[str, float]]:
    """(pid, joined at) of the reps who joined as assistants: an assistant now
    who did not become one by handing control over, or a primary now who got
    control from someone (the participant rows keep the latest role only)."""
    control = [t for t in report["transfers"] if t["kind"] == "control"]
    gave, got = {t["from_pid"] for t in control}, {t["to_pid"] for t in control}
    return [(p["pid"], p["joined_at"]) for p in report["participants"]
            if p["kind"] == "rep" and ((p["role"] == "assistant" and p["pid"] not in gave) or p["pid"] in got)]


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
    """Chat (reps-only lines marked), notes, assistants joining, transfers,
    every activity (view, control, video, voice, recording, file transfer:
    whose it was, who had it, how long), files, recordings and ratings,
    oldest first. `rep_names` names reps who are not participants (a queue
    transfer's chosen reps)."""
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
    for pid, at in assistants_joined(report):
        add(at, _("reports.event.assistant_joined"), who(pid), "", "", "joined")
    recordings = list(report["recordings"])
    end = report.get("ended_at")
    grants = {g["grant_id"]: g for g in report.get("grants", [])}
    for a in report["activities"]:
        kind = a["kind"] if a["kind"] in ACTIVITIES else None
        if kind is None:
            continue
        grant = grants.get(a.get("grant_id"))
        to = who(grant["requester"]) if grant and grant.get("requester") not in (None, a["sharer"]) else ""
        lasted = (a["ended_at"] or end or 0) - a["started_at"]
        text: str | Link = ", ".join(x for x in (
            _("reports.scope." + a["scope"]) if a["scope"] in SCOPES else (a["scope"] or ""),
            _("reports.lasted", duration=duration(lasted)) if a["ended_at"] or end else _("reports.running"),
        ) if x)
        if kind == "recording":
            match = next((r for r in recordings if abs(r["started_at"] - a["started_at"]) < 30), None)
            if match is not None:
                recordings.remove(match)
                text = Link(recording_label(match, _), f"/recordings/{match['id']}")
        css = {"files": "file", "recording": "recording"}.get(kind, "activity")
        add(a["started_at"], _(ACTIVITIES[kind]), who(a["sharer"]), to, text, css)
    for r in recordings:
        add(r["started_at"], _("reports.event.recording"), "", "",
            Link(recording_label(r, _), f"/recordings/{r['id']}"), "recording")
    for r in report["ratings"]:
        text = f"{r['score']}/5" + (f" · {r['comment']}" if r["comment"] else "")
        add(r["at"], _("reports.event.rating"), who(r["pid"]), "", text, "rating")
    events.sort(key=lambda e: (e[0], e[1]))
    return Table([_("reports.col." + c) for c in TIMELINE_COLUMNS], [row for *_k, row in events])


def participants_table(report: dict[str, Any], _: Translate) -> Table:
    table = Table([_("reports.col." + c) for c in ("name", "role", "joined", "left", "intake")])
    for p in report["participants"]:
        role = _("reports.role." + p["role"]) if p["role"] in ROLES else p["role"]
        # who stayed to the end left when the session ended
        table.rows.append(Row([p["name"], role, when(p["joined_at"]), when(p["left_at"] or report.get("ended_at")),
                               intake_text(p.get("intake"))]))
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
