"""The rows, charts and CSV of the reports, built once so the HTML table and
the CSV download hold exactly the same cells.

A table is a list of column headings and a list of `Row`s; a cell is a
string or a `Link` (shown as a link in HTML, its text in the CSV). Times are
the relay's local time, durations ``H:MM:SS``.
"""

from __future__ import annotations

import csv
import io
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..core.intake import Answers
from ..core.session import format_number

Translate = Callable[..., str]


@dataclass(frozen=True)
class Link:
    text: str
    href: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Row:
    cells: list[str | Link]
    css: str = ""


@dataclass
class Table:
    columns: list[str]
    rows: list[Row] = field(default_factory=list)


def when(t: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) if t else ""


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = max(0, int(round(seconds)))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def average(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def intake_text(stored: Any) -> str:
    """A customer's intake (as stored) in one cell: the description, then
    each extra field as ``label: value``."""
    a = Answers.from_json(stored)
    return "; ".join(([a.description] if a.description else []) + [f"{k}: {v}" for k, v in a.fields])


def score(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}".removesuffix(".0")


# --- CSV --------------------------------------------------------------------------

UNSAFE = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str | Link) -> str:
    """The cell as a spreadsheet will not run it: a leading =, +, -, @ (or tab,
    CR) makes a formula, so such cells get a leading apostrophe."""
    text = str(value)
    return "'" + text if text.startswith(UNSAFE) else text


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_cell(c) for c in row.cells])
    return out.getvalue()


# --- charts -------------------------------------------------------------------------

def bar_chart(title: str, bars: list[tuple[str, float, str]], width: int = 320) -> dict[str, Any]:
    """A horizontal bar chart for the `report_chart.html` macro: bars are
    (label, value, value as shown)."""
    top = max((v for _, v, _ in bars), default=0) or 1
    return {"title": title, "height": 26 * len(bars) + 4,
            "bars": [{"label": label, "shown": shown, "y": 26 * i + 2,
                      "width": max(1, round(width * value / top)) if value else 0}
                     for i, (label, value, shown) in enumerate(bars)]}


# --- the session list ------------------------------------------------------------------

SESSION_COLUMNS = ("number", "queue", "created", "ended", "duration", "queue_wait", "reps", "customers",
                   "intake", "transfers", "notes", "chat", "rating")


def handled(s: dict[str, Any], now: float) -> float | None:
    """How long the session ran with a rep: from its start to its end (or now)."""
    if not s.get("started_at"):
        return None
    return (s.get("ended_at") or now) - s["started_at"]


def sessions_table(sessions: list[dict[str, Any]], _: Translate, now: float) -> Table:
    table = Table([_("reports.col." + c) for c in SESSION_COLUMNS])
    for s in sessions:
        table.rows.append(Row([
            Link(format_number(s["number"]), f"/reports/sessions/{s['id']}"),
            s.get("queue") or "",
            when(s["created_at"]),
            when(s.get("ended_at")),
            duration(handled(s, now)),
            duration(s["queue_wait"]) if s.get("queue") else "",
            ", ".join(r["name"] for r in s["reps"]),
            ", ".join(s["customers"]),
            " | ".join(t for t in map(intake_text, s.get("intakes", ())) if t),
            str(s["transfers"]),
            str(s["notes"]),
            str(s["chat"]),
            score(average(r["score"] for r in s["ratings"])),
        ]))
    return table


def sessions_chart(sessions: list[dict[str, Any]], _: Translate) -> dict[str, Any]:
    per_day: dict[str, int] = defaultdict(int)
    for s in sessions:
        per_day[time.strftime("%Y-%m-%d", time.localtime(s["created_at"]))] += 1
    days = sorted(per_day)[-31:]
    return bar_chart(_("reports.chart.sessions_per_day"), [(d, per_day[d], str(per_day[d])) for d in days])


# --- the rep activity report ----------------------------------------------------------

REP_COLUMNS = ("rep", "sessions", "assisted", "handle_total", "handle_average", "queue_wait_average",
               "rating_average", "ratings")


def rep_activity(sessions: list[dict[str, Any]], account_id: int | None, now: float) -> list[dict[str, Any]]:
    """Per rep (in the order of their names): the sessions they handled as
    primary (now, or until they handed control over), the time they spent in those (join to leave, or to the end, or
    now), their average queue wait when they came from a queue, and their
    customers' ratings; sessions they only assisted are counted apart and
    earn them neither time nor ratings."""
    reps: dict[int, dict[str, Any]] = {}
    for s in sessions:
        seen: set[int] = set()
        assisted: set[int] = set()
        for r in s["reps"]:
            aid = r["account_id"]
            if aid is None or (account_id is not None and aid != account_id):
                continue
            rep = reps.setdefault(aid, {"account_id": aid, "name": r["name"], "sessions": 0, "assisted": 0,
                                        "handle": 0.0, "waits": [], "scores": []})
            if r.get("role") == "assistant" and r.get("pid") not in s.get("gave_control", ()):  # only assisted
                assisted.add(aid)
                continue
            rep["handle"] += max(0.0, (r["left_at"] or s.get("ended_at") or now) - r["joined_at"])
            if aid in seen:
                continue
            seen.add(aid)
            rep["sessions"] += 1
            if s.get("queue"):
                rep["waits"].append(s["queue_wait"])
            rep["scores"].extend(x["score"] for x in s["ratings"])
        for aid in assisted - seen:
            reps[aid]["assisted"] += 1
    return sorted(reps.values(), key=lambda r: (r["name"].lower(), r["account_id"]))


def reps_table(reps: list[dict[str, Any]], _: Translate) -> Table:
    table = Table([_("reports.col." + c) for c in REP_COLUMNS])
    for r in reps:
        table.rows.append(Row([
            r["name"], str(r["sessions"]), str(r["assisted"]), duration(r["handle"]),
            duration(r["handle"] / r["sessions"]) if r["sessions"] else "",
            duration(average(r["waits"])), score(average(r["scores"])), str(len(r["scores"])),
        ]))
    return table


def reps_charts(reps: list[dict[str, Any]], _: Translate) -> list[dict[str, Any]]:
    return [
        bar_chart(_("reports.chart.sessions_per_rep"), [(r["name"], r["sessions"], str(r["sessions"])) for r in reps]),
        bar_chart(_("reports.chart.handle_average"),
                  [(r["name"], r["handle"] / r["sessions"] if r["sessions"] else 0,
                    duration(r["handle"] / r["sessions"]) if r["sessions"] else "") for r in reps]),
        bar_chart(_("reports.chart.rating_average"),
                  [(r["name"], average(r["scores"]) or 0, score(average(r["scores"]))) for r in reps]),
    ]
