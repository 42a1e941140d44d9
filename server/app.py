"""The Starlette application: routes, security headers, relay life cycle."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, WebSocketRoute
from starlette.staticfiles import StaticFiles

from . import api, pages
from .auth import generate_password, hash_password
from .config import Settings
from .relay import Relay
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
    relay.configure_rep(account)
    if await relay.store.get_queue("demo") is None:
        await relay.store.create_queue("demo", "Demo shop")
        await relay.store.update_account(account.id, queues=["demo"])
        relay.configure_rep(await relay.store.get_account(account.id))
        await relay.reload_queues()
    return None if s.admin_password else password


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
            yield
        finally:
            await relay.stop()

    static = Path(__file__).parent / "static"
    app = Starlette(
        routes=[WebSocketRoute("/ws", ws_endpoint), *api.routes, *pages.routes,
                Mount("/static", StaticFiles(directory=static), name="static")],
        middleware=[Middleware(SecurityHeaders)],
        lifespan=lifespan,
    )
    app.state.relay = relay
    app.state.settings = settings
    return app
