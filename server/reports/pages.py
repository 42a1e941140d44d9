"""The report pages: the session information report (a filtered list of
sessions, and one page per session) and the rep activity report, as HTML
with charts and as CSV downloads of exactly the same rows (``?format=csv``).

    /reports/sessions?from=YYYY-MM-DD&to=YYYY-MM-DD&rep=ID&queue=NAME   admins
    /reports/reps?...                                                   admins
    /reports/sessions/{id}                          admins and the session's reps

Bad filters get a 400 that says which one and why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..i18n import translator
from ..relay import Relay
from ..store.base import check_queue_name
from ..web.pages import admin_only, language, message, render, see_other
from ..web.signin import current_account
from . import tables as rt
from .timeline import participants_table, summary, timeline_table

FORMATS = ("html", "csv")


class BadFilter(ValueError):
    """A filter the reports cannot use; the message is for people."""


@dataclass
class Filters:
    start: float | None = None
    end: float | None = None
    account_id: int | None = None
    queue: str | None = None
    values: dict | None = None  # as typed, for the form


def _day(value: str, _, after: int = 0) -> float:
    """Local midnight starting the day `value` (plus `after` days)."""
    try:
        return (datetime.strptime(value, "%Y-%m-%d") + timedelta(days=after)).timestamp()
    except (ValueError, OverflowError):
        raise BadFilter(_("reports.error.date", value=value)) from None


def parse_filters(request: Request, _) -> Filters:
    """``from`` and ``to`` (days, both included), ``rep`` (account id),
    ``queue`` (name); empty means any. Raises `BadFilter`."""
    q = request.query_params
    values = {k: q.get(k, "").strip()[:100] for k in ("from", "to", "rep", "queue")}
    f = Filters(values=values)
    if values["from"]:
        f.start = _day(values["from"], _)
    if values["to"]:
        f.end = _day(values["to"], _, after=1)  # the whole last day
    if f.start is not None and f.end is not None and f.end <= f.start:
        raise BadFilter(_("reports.error.range"))
    if values["rep"]:
        if not values["rep"].isdigit():
            raise BadFilter(_("reports.error.rep", value=values["rep"]))
        f.account_id = int(values["rep"])
    if values["queue"]:
        try:
            f.queue = check_queue_name(values["queue"])
        except ValueError:
            raise BadFilter(_("reports.error.queue", value=values["queue"])) from None
    if q.get("format", "html") not in FORMATS:
        raise BadFilter(_("reports.error.format", value=q.get("format", "")[:20]))
    return f


def wants_csv(request: Request) -> bool:
    return request.query_params.get("format") == "csv"


def csv_response(table: rt.Table, name: str) -> Response:
    # a BOM so spreadsheet programs read UTF-8 names right
    return Response("\ufeff" + rt.to_csv(table), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"',
                             "Cache-Control": "private, no-store"})


async def _report(request: Request, template: str, build) -> Response:
    relay: Relay = request.app.state.relay
    _ = translator(language(request))
    try:
        f = parse_filters(request, _)
    except BadFilter as exc:
        if wants_csv(request):
            return PlainTextResponse(str(exc), 400)
        return await render(request, template, 400, error=str(exc), table=None, charts=[], filters=request.query_params,
                            reps=await relay.store.list_accounts(), queues=await relay.store.list_queues(),
                            csv_link=None, user=request.state.user)
    await relay.drain()
    rows = await relay.store.report_sessions(f.start, f.end, f.account_id, f.queue)
    table, charts, name = build(rows, f, _, time.time())
    if wants_csv(request):
        return csv_response(table, name)
    query = {k: v for k, v in f.values.items() if v}
    return await render(request, template, table=table, charts=charts, filters=f.values,
                        reps=await relay.store.list_accounts(), queues=await relay.store.list_queues(),
                        csv_link=request.url.path + "?" + urlencode({**query, "format": "csv"}),
                        user=request.state.user, error=None)


def _sessions(rows, f, _, now):
    return rt.sessions_table(rows, _, now), [rt.sessions_chart(rows, _)], "sessions"


def _reps(rows, f, _, now):
    reps = rt.rep_activity(rows, f.account_id, now)
    return rt.reps_table(reps, _), rt.reps_charts(reps, _), "rep-activity"


@admin_only
async def sessions_report(request: Request) -> Response:
    return await _report(request, "report_sessions.html", _sessions)


@admin_only
async def reps_report(request: Request) -> Response:
    return await _report(request, "report_reps.html", _reps)


async def session_report(request: Request) -> Response:
    user = await current_account(request)
    if user is None:
        return see_other(f"/signin?next={request.url.path}")
    relay: Relay = request.app.state.relay
    await relay.drain()
    report = await relay.store.report_session(request.path_params["session"])
    if report is None:
        return await message(request, "error.title", "reports.error.no_session", 404)
    if not user.is_admin and user.id not in {p["account_id"] for p in report["participants"]}:
        return await message(request, "error.title", "reports.error.not_yours", 403)
    _ = translator(language(request))
    rep_names = {a.id: a.name for a in await relay.store.list_accounts()}
    timeline = timeline_table(report, _, rep_names)
    if wants_csv(request):
        return csv_response(timeline, f"session-{report['number']}")
    return await render(request, "report_session.html", report=report, info=summary(report, time.time()),
                        participants=participants_table(report, _), table=timeline,
                        csv_link=request.url.path + "?format=csv", user=user)


routes = [
    Route("/reports", lambda request: see_other("/reports/sessions"), methods=["GET"]),
    Route("/reports/sessions", sessions_report, methods=["GET"]),
    Route("/reports/reps", reps_report, methods=["GET"]),
    Route("/reports/sessions/{session}", session_report, methods=["GET"]),
]
