"""The admin pages: reps, queues, policies and the sessions list. Each
change goes through `server.web.admin`, as the REST API's do, so it is
audited and reaches the live relay at once."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import protocol as p
from ..core.errors import Invalid
from ..i18n import translator
from ..mail import is_email
from ..relay import Relay
from ..store import Conflict, NotFound
from . import admin
from .intake_forms import admin_intake
from .pages import admin_only, csrf_checked, language, render, see_other


def _flags(data) -> dict:
    return {k: data.get(k) == "on" for k in ("is_admin", "is_supervisor", "queue_rep", "multi_session")}


def _int(value, default: int, lo: int, hi: int) -> int:
    try:
        return max(lo, min(hi, int(value)))
    except (TypeError, ValueError):
        return default


async def _reps_page(request: Request, status: int = 200, error: str | None = None,
                     notice: str | None = None) -> Response:
    relay: Relay = request.app.state.relay
    return await render(request, "admin_reps.html", status, accounts=await relay.store.list_accounts(),
                        queues=await relay.store.list_queues(), error=error, notice=notice,
                        user=request.state.user)


@admin_only
async def admin_reps(request: Request) -> Response:
    return await _reps_page(request)


@csrf_checked
@admin_only
async def admin_reps_post(request: Request, data) -> Response:
    relay: Relay = request.app.state.relay
    _ = translator(language(request))
    email = str(data.get("email", "")).strip()
    if not is_email(email):
        return await _reps_page(request, 400, error=_("admin.error.email"))
    try:
        account, generated = await admin.create_rep(
            relay, request.state.user.id, email=email, name=str(data.get("name", ""))[:80],
            password=str(data.get("password", "")) or None,
            max_customers=_int(data.get("max_customers"), 1, 1, 20),
            queues=[str(q) for q in data.getlist("queues")], **_flags(data))
    except Conflict:
        return await _reps_page(request, 409, error=_("admin.error.exists"))
    except ValueError as exc:
        return await _reps_page(request, 400, error=str(exc))
    notice = _("admin.notice.password", email=account.email, password=generated) if generated else \
        _("admin.notice.created", email=account.email)
    return await _reps_page(request, 201, notice=notice)


@csrf_checked
@admin_only
async def admin_rep_post(request: Request, data) -> Response:
    relay: Relay = request.app.state.relay
    rep_id = int(request.path_params["rep"])
    fields = dict(name=str(data.get("name", ""))[:80] or None,
                  max_customers=_int(data.get("max_customers"), 1, 1, 20),
                  queues=[str(q) for q in data.getlist("queues")], active=data.get("active") == "on",
                  **_flags(data))
    fields = {k: v for k, v in fields.items() if v is not None}
    if rep_id == request.state.user.id:
        fields.update(is_admin=True, active=True)  # an admin cannot lock themselves out
    try:
        await admin.update_rep(relay, request.state.user.id, rep_id,
                               password=str(data.get("password", "")) or None, **fields)
    except (NotFound, ValueError) as exc:
        return await _reps_page(request, 400, error=str(exc))
    return see_other("/admin/reps")


async def _queues_page(request: Request, status: int = 200, error: str | None = None) -> Response:
    relay: Relay = request.app.state.relay
    return await render(request, "admin_queues.html", status, queues=await relay.store.list_queues(),
                        error=error, base_url=relay.settings.public_url, user=request.state.user)


@admin_only
async def admin_queues(request: Request) -> Response:
    return await _queues_page(request)


@csrf_checked
@admin_only
async def admin_queues_post(request: Request, data) -> Response:
    relay: Relay = request.app.state.relay
    _ = translator(language(request))
    try:
        intake = admin_intake(data)
    except Invalid:
        return await _queues_page(request, 400, error=_("admin.error.intake", max=p.INTAKE_LABEL_MAX))
    try:
        await admin.create_queue(relay, request.state.user.id, name=str(data.get("name", "")).strip(),
                                 title=str(data.get("title", "")).strip()[:80] or str(data.get("name", "")),
                                 routing=str(data.get("routing", "manual")),
                                 offer_timeout=float(_int(data.get("offer_timeout"), 30, 5, 600)),
                                 consent=str(data.get("consent", "view_on_accept")), intake=intake)
    except Conflict:
        return await _queues_page(request, 409, error=_("admin.error.queue_exists"))
    except ValueError:
        return await _queues_page(request, 400, error=_("admin.error.queue_name"))
    return see_other("/admin/queues")


@csrf_checked
@admin_only
async def admin_queue_post(request: Request, data) -> Response:
    relay: Relay = request.app.state.relay
    try:
        intake = admin_intake(data)
    except Invalid:
        return await _queues_page(request, 400, error=translator(language(request))("admin.error.intake",
                                                                                     max=p.INTAKE_LABEL_MAX))
    try:
        await admin.update_queue(relay, request.state.user.id, request.path_params["name"],
                                 title=str(data.get("title", "")).strip()[:80] or request.path_params["name"],
                                 routing=str(data.get("routing", "manual")),
                                 offer_timeout=float(_int(data.get("offer_timeout"), 30, 5, 600)),
                                 consent=str(data.get("consent", "view_on_accept")), intake=intake)
    except (NotFound, ValueError) as exc:
        return await _queues_page(request, 400, error=str(exc))
    return see_other("/admin/queues")


@csrf_checked
@admin_only
async def admin_queue_delete(request: Request, data) -> Response:
    await admin.delete_queue(request.app.state.relay, request.state.user.id, request.path_params["name"])
    return see_other("/admin/queues")


@admin_only
async def admin_policies(request: Request) -> Response:
    return await render(request, "admin_policies.html", policies=await admin.policies(request.app.state.relay),
                        user=request.state.user)


@csrf_checked
@admin_only
async def admin_policies_post(request: Request, data) -> Response:
    await admin.set_policies(request.app.state.relay, request.state.user.id, {
        "auto_record": data.get("auto_record") == "on",
        "chat_with_customers": data.get("chat_with_customers") == "on",
        "assist_approval": data.get("assist_approval") == "on",
        "grant_timeout": _int(data.get("grant_timeout"), 60, 5, 600),
        "recording_retention_days": _int(data.get("recording_retention_days"), 0, 0, 3650),
    })
    return see_other("/admin/policies")


@admin_only
async def admin_sessions(request: Request) -> Response:
    relay: Relay = request.app.state.relay
    await relay.drain()
    # the audit log names people by name ("rep:1" and participant ids are how it keeps them)
    audit = (await relay.store.audit_log(limit=200))[::-1]
    names = {f"rep:{a.id}": a.name for a in await relay.store.list_accounts()}
    for e in audit:
        data = e.get("data") or {}
        if e.get("action") == "participant.joined" and data.get("pid") and data.get("name"):
            names.setdefault(data["pid"], data["name"])
    return await render(request, "admin_sessions.html", sessions=await relay.store.sessions(100),
                        audit=audit, actor_names=names,
                        user=request.state.user)


routes = [
    Route("/admin/reps", admin_reps, methods=["GET"]),
    Route("/admin/reps", admin_reps_post, methods=["POST"]),
    Route("/admin/reps/{rep:int}", admin_rep_post, methods=["POST"]),
    Route("/admin/queues", admin_queues, methods=["GET"]),
    Route("/admin/queues", admin_queues_post, methods=["POST"]),
    Route("/admin/queues/{name}", admin_queue_post, methods=["POST"]),
    Route("/admin/queues/{name}/delete", admin_queue_delete, methods=["POST"]),
    Route("/admin/policies", admin_policies, methods=["GET"]),
    Route("/admin/policies", admin_policies_post, methods=["POST"]),
    Route("/admin/sessions", admin_sessions, methods=["GET"]),
]
