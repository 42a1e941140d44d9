"""The Starlette application: routes, security headers, relay life cycle."""

from __future__ import annotations

import logging
import re
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from .. import SERVER_DIR
from ..auth import generate_password, hash_password
from ..cluster import Unavailable
from ..config import Settings
from ..recording import playback
from ..relay import Relay
from ..reports import pages as reports
from . import admin_api, admin_pages, api, canned, console, files, health, metrics, pages, ratings
from .dashboard_page import routes as dashboard_routes
from .fastws import RELAY
from .http_limits import BodyLimit
from .openapi import error_response
from .origins import CsrfGuard
from .outbox_page import routes as outbox_routes
from .signin import COOKIE
from .ws import ws_endpoint

log = logging.getLogger(__name__)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


class SecurityHeaders:
    """Adds a strict CSP and friends to every HTTP response."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                for k, v in ((b"content-security-policy", CSP.encode()),
                             (b"x-content-type-options", b"nosniff"),
                             (b"referrer-policy", b"same-origin"),
                             (b"x-frame-options", b"DENY")):
                    if k not in names:
                        headers.append((k, v))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def unavailable(request: Request, exc: Unavailable) -> Response:
    """A cluster node without Redis takes no new work: the client tries again,
    through the load balancer, on a node that has it."""
    message = "this relay node lost its message broker; try again in a moment"
    if request.url.path.startswith("/api/"):
        return error_response(503, "unavailable", message, {"Retry-After": "2"})
    return PlainTextResponse(message, 503, headers={"Retry-After": "2"})


async def ensure_admin(relay: Relay) -> str | None:
    """Create the first admin account on an empty database. Returns the
    password when it was generated (to be shown once), else None."""
    if await relay.store.count_accounts():
        return None
    s = relay.settings
    password = s.admin_password or generate_password()
    account = await relay.store.create_account(s.admin_email, "Admin", hash_password(password),
                                               is_admin=True, queue_rep=True, max_customers=5,
                                               multi_session=True)
    await relay.store.audit("account.created", actor="system", data={"email": account.email, "admin": True})
    await relay.configure_rep(account)
    if await relay.store.get_queue("demo") is None:
        await relay.store.create_queue("demo", "Demo shop")
        await relay.store.update_account(account.id, queues=["demo"])
        await relay.configure_rep(await relay.store.get_account(account.id))
        await relay.reload_queues()
    return None if s.admin_password else password


SNIPPET = SERVER_DIR / "static" / "tandem.js"


async def snippet(request: Request) -> Response:
    """The embeddable customer snippet: ``<script src="RELAY/tandem.js" data-queue="billing">``."""
    if not SNIPPET.exists():
        return PlainTextResponse("// tandem.js is not built: run `make run` (or `make extension`)\n", 503,
                                 media_type="text/javascript")
    return FileResponse(SNIPPET, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


class Cors:
    """Lets the websites in ``allowed_origins`` call the customer API
    (``/api/help``, ``/api/join``) from the snippet, send the exit survey, and
    list and download the files a rep published (GET only: publishing stays
    the relay's own pages' and the extension's)."""

    PATHS = ("/api/help", "/api/join", "/api/queues")
    # the exit survey: /api/sessions/{session}/rating (the capability token in Authorization)
    RATING = re.compile(r"/api/sessions/[^/]+/rating")
    FILES = re.compile(r"/api/sessions/[^/]+/files(?:/[^/]+)?")

    def __init__(self, app, origins: tuple[str, ...]) -> None:
        self.app = app
        self.origins = set(origins)

    async def __call__(self, scope, receive, send) -> None:
        origin = None
        if scope["type"] == "http" and (scope["path"] in self.PATHS or self.RATING.fullmatch(scope["path"])
                                        or (self.FILES.fullmatch(scope["path"]) and scope["method"] in ("GET", "OPTIONS"))):
            origin = dict(scope["headers"]).get(b"origin", b"").decode()
            if origin not in self.origins:
                origin = None
        if origin is None:
            await self.app(scope, receive, send)
            return
        cors = [(b"access-control-allow-origin", origin.encode()), (b"vary", b"Origin"),
                (b"access-control-allow-methods", b"GET, POST"),
                (b"access-control-allow-headers", b"content-type, authorization"), (b"access-control-max-age", b"600")]
        if scope["method"] == "OPTIONS":
            await send({"type": "http.response.start", "status": 204, "headers": cors})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_cors(message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + cors
            await send(message)

        await self.app(scope, receive, send_cors)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    relay = Relay(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        await relay.start()
        app.state.generated_admin_password = await ensure_admin(relay)
        if app.state.generated_admin_password:
            print(f"\n  First admin account: {settings.admin_email}\n"
                  f"  Password (shown once): {app.state.generated_admin_password}\n", flush=True)
        try:
            yield {RELAY: relay}  # uvicorn's HTTP protocol finds it there for /ws (server/web/fastws.py)
        finally:
            await relay.stop()

    static = SERVER_DIR / "static"
    app = Starlette(
        routes=[WebSocketRoute("/ws", ws_endpoint), Route("/tandem.js", snippet), *api.routes, *admin_api.routes, *files.routes, *canned.routes, *ratings.routes,
                *metrics.routes, *health.routes,
                *reports.routes, *playback.routes, *pages.routes, *admin_pages.routes,
                *outbox_routes, *console.routes, *dashboard_routes,
                Mount("/static", StaticFiles(directory=static), name="static")],
        middleware=[Middleware(SecurityHeaders), Middleware(Cors, origins=settings.allowed_origins),
                    Middleware(BodyLimit, limit=settings.max_body_bytes),
                    Middleware(CsrfGuard, settings=settings, cookie=COOKIE)],
        lifespan=lifespan,
        exception_handlers={Unavailable: unavailable},
    )
    app.state.relay = relay
    app.state.settings = settings
    return app
