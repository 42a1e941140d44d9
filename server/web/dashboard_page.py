"""/admin/dashboard: the supervisor dashboard, for supervisors and admins.
The page gets a rep token for `/ws` (the sign-in cookie is HttpOnly) and its
strings; everything it shows arrives over the WebSocket (`WatchDashboard`,
`Dashboard`), where the relay checks the role again on every message."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..i18n import strings
from .pages import current_account, language, message, render, see_other


async def dashboard_page(request: Request) -> Response:
    user = await current_account(request)
    if user is None:
        return see_other(f"/signin?next={request.url.path}")
    if not (user.is_admin or user.is_supervisor):
        return await message(request, "error.title", "error.supervisor_only", 403)
    relay = request.app.state.relay
    response = await render(request, "admin_dashboard.html", user=user, account_id=user.id,
                            token=relay.tokens.rep(user.id, user.token_version),
                            strings=strings(language(request), "dashboard."))
    response.headers["Cache-Control"] = "no-store"
    return response


routes = [Route("/admin/dashboard", dashboard_page, methods=["GET"])]
