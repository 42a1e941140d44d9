"""/admin/outbox: the mail the relay kept because no SMTP server is
configured (server/outbox.py), newest first, for admins."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..mail import outbox
from ..outbox import SHOWN
from .pages import admin_only, render


@admin_only
async def outbox_page(request: Request) -> Response:
    settings = request.app.state.relay.settings
    return await render(request, "admin_outbox.html", messages=outbox(settings).messages(),
                        configured=settings.smtp_host is not None, shown=SHOWN, user=request.state.user)


routes = [Route("/admin/outbox", outbox_page, methods=["GET"])]
