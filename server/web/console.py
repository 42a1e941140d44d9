"""The rep console in the browser: the extension's side panel and the pages it
opens (viewer, desktop, files, call), built from the same modules into
`static/console/` (extension/build.mjs, with src/web/browser.js in place of
the extension API), served at `/console/`.

The side panel page is handed the signed-in rep's token (the sign-in cookie
is HttpOnly), so a rep who signed in on the relay's page is signed in to the
console. The console's pages replay customers' pages (styles and images of
any site, inline styles of the replay), so they get a CSP of their own:
scripts still only from the relay."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import SERVER_DIR
from ..relay import Relay
from .api import account_out
from .signin import current_account

CONSOLE_DIR = SERVER_DIR / "static" / "console"
PAGE = CONSOLE_DIR / "sidepanel.html"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline' https: http:; "
       "img-src 'self' data: blob: https: http:; font-src 'self' data: https: http:; media-src 'self' blob:; "
       "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def missing_build() -> Response:
    return HTMLResponse("The console is not built: run `make extension`.", status_code=503)


async def console_redirect(request: Request) -> Response:
    """To the page at /console/ (its files are found relative to it); an
    invitation's ?assist=NUMBER goes along."""
    query = request.url.query
    return RedirectResponse("/console/" + (f"?{query}" if query else ""), status_code=303)


async def console_page(request: Request) -> Response:
    user = await current_account(request)
    if user is None:
        here = "/console/" + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/signin?" + urlencode({"next": here}), status_code=303)
    if not PAGE.is_file():
        return missing_build()
    relay: Relay = request.app.state.relay
    given = {"token": relay.tokens.rep(user.id, user.token_version),
             "account": account_out(user).model_dump(mode="json")}
    # JSON in a script element: nothing in it may close the element.
    data = json.dumps(given).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    page = PAGE.read_text(encoding="utf-8").replace(
        "</head>", f'<script type="application/json" id="tandem-web-signin">{data}</script>\n</head>', 1)
    return HTMLResponse(page, headers={"Cache-Control": "no-store", "Content-Security-Policy": CSP})


class ConsoleFiles:
    """The console's other pages and files, with the console's CSP."""

    def __init__(self) -> None:
        self.files = StaticFiles(directory=CONSOLE_DIR, check_dir=False)

    async def __call__(self, scope, receive, send) -> None:
        async def with_csp(message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"content-security-policy", CSP.encode())]
            await send(message)

        await self.files(scope, receive, with_csp)


routes = [
    Route("/console", console_redirect, methods=["GET"]),
    Route("/console/", console_page, methods=["GET"]),
    Route("/console/sidepanel.html", console_redirect, methods=["GET"]),
    Mount("/console", ConsoleFiles(), name="console"),
]
