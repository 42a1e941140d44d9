"""Which web origins the relay trusts, and the guard against cross-site requests.

Trusted origins come from the settings only, never from the request's ``Host``
header (DNS rebinding lets an attacker's page choose that):

- the relay's own: the origin of ``TANDEM_PUBLIC_URL`` (for a loopback public
  URL also the other loopback names with the same port: ``localhost`` is not
  something a rebound name can be);
- the Chrome extensions in ``TANDEM_EXTENSION_IDS``;
- for the WebSocket (and the customer API's CORS, see `server.web.app.Cors`) the
  websites that embed the help snippet, ``TANDEM_ALLOWED_ORIGINS``.

A state-changing request signed in by the rep's cookie must come from a
trusted origin, as in Django, Rails and Go's ``CrossOriginProtection``:
`CsrfGuard` refuses one whose ``Origin`` is another, and
`cookie_may_authenticate` (asked by `server.web.signin.current_account`) lets the
cookie count without an ``Origin`` only with the `CSRF_HEADER` or for a form,
whose CSRF field is bound to the signed-in session (`server.auth.Tokens.form`,
checked by `server.web.pages.form`). A request with an ``Authorization`` header is
not affected: a page of another origin cannot add one without a CORS grant,
which the relay never gives for the rep's endpoints.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from ..config import Settings

CSRF_HEADER = "x-tandem-csrf"
"""A header a page can only send to its own origin (any value): the relay's own
scripts may send it instead of relying on ``Origin``."""
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# what a page of any origin may send without a CORS preflight
SIMPLE_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")
FORM_TYPES = SIMPLE_TYPES[:2]
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def _parts(url: str) -> tuple[str, str, str]:
    """(scheme, host, ":port" or "" for the scheme's default port), lower case."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:  # not a number: names no origin the relay could have
        port = -1
    if port and port == {"http": 80, "https": 443}.get(scheme):
        port = None
    return scheme, f"[{host}]" if ":" in host else host, f":{port}" if port else ""


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of `url`, lower case, default ports left out."""
    scheme, host, port = _parts(url)
    return f"{scheme}://{host}{port}"


def own_origins(settings: Settings) -> frozenset[str]:
    """The relay's own origins, from ``public_url``."""
    scheme, host, port = _parts(settings.public_url)
    names = _LOOPBACK if host in _LOOPBACK else (host,)
    return frozenset(f"{scheme}://{name}{port}" for name in names)


def extension_origins(settings: Settings) -> frozenset[str]:
    return frozenset(f"chrome-extension://{x.strip().lower()}" for x in settings.extension_ids if x.strip())


def websocket_origin_allowed(origin: str | None, settings: Settings) -> bool:
    """True for the WebSocket handshake's ``Origin``: none (not a web page: the
    Support Manager, API clients), the relay's own pages, the configured
    extensions and the snippet's websites."""
    if origin is None:
        return True
    origin = origin.strip().rstrip("/").lower()
    allowed = own_origins(settings) | extension_origins(settings) | {origin_of(o) for o in settings.allowed_origins}
    return origin in allowed


def trusted_origins(settings: Settings) -> frozenset[str]:
    """Origins whose pages may act with the rep's cookie: the relay's own and
    the configured extensions (not the snippet's websites)."""
    return own_origins(settings) | extension_origins(settings)


def _content_type(value: str) -> str:
    return value.split(";")[0].strip().lower()


def cookie_may_authenticate(conn: HTTPConnection, settings: Settings) -> bool:
    """Whether the sign-in cookie may stand for the rep in this request: always
    for reading; for a change only from a trusted ``Origin``, or without one
    (not a cross-site browser request, which always has one) with the
    `CSRF_HEADER` or as a form (whose CSRF field is checked)."""
    if conn.scope.get("method", "GET") not in UNSAFE_METHODS:
        return True
    origin = conn.headers.get("origin")
    if origin is not None:
        return origin.strip().rstrip("/").lower() in trusted_origins(settings)
    return CSRF_HEADER in conn.headers or _content_type(conn.headers.get("content-type", "")) in FORM_TYPES


class CsrfGuard:
    """ASGI middleware: refuses (403, code ``csrf``) a state-changing request
    from an ``Origin`` that is not trusted when it carries the rep's sign-in
    cookie (without ``Authorization``) or a body any page may send without
    asking (a form, ``text/plain``), signed in or not (login CSRF)."""

    def __init__(self, app, settings: Settings, cookie: str) -> None:
        self.app = app
        self.trusted = trusted_origins(settings)
        self.cookie = cookie

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            why = self.refusal(scope)
            if why:
                body = json.dumps({"error": {"code": "csrf", "message": why}}).encode()
                await send({"type": "http.response.start", "status": 403,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def refusal(self, scope) -> str | None:
        conn = HTTPConnection(scope)
        origin = conn.headers.get("origin")
        if origin is None or origin.strip().rstrip("/").lower() in self.trusted:
            return None
        with_cookie = "authorization" not in conn.headers and self.cookie in conn.cookies
        if with_cookie or _content_type(conn.headers.get("content-type", "")) in SIMPLE_TYPES:
            return f"a page of {origin[:100]} may not change anything here"
        return None
