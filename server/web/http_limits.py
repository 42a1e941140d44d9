"""What one HTTP client may make the relay hold: bytes of a request body, and
time to send a request's headers.

- `BodyLimit` (ASGI middleware) counts a request's body while the endpoint
  reads it and stops at ``Settings.max_body_bytes`` with 413, on every
  endpoint, signed in or not: the relay never holds more of a body than the
  limit (a declared ``Content-Length`` over it is refused before a byte is
  read). An endpoint that streams larger bodies to disk raises the limit for
  its own request first (`allow_body`).
- `header_timeout_protocol` is uvicorn's HTTP protocol with a deadline for
  the request line and headers (``Settings.header_timeout``), counted from the
  connection (or the previous response on a kept-alive one): uvicorn's own
  keep-alive timeout stops at the first byte, so a client trickling a header
  a byte at a time held a connection for ever.
"""

from __future__ import annotations

import json
import logging

from starlette.requests import Request

log = logging.getLogger(__name__)

LIMIT = "tandem.max_body"
"""The scope key holding the current request's body limit."""


class BodyTooLarge(Exception):
    """Raised inside ``receive`` when a body passes its limit; answered 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request bodies here are limited to {limit} bytes")
        self.limit = limit


def allow_body(request: Request, limit: int) -> None:
    """Let this request's body be up to `limit` bytes (call before reading it)."""
    request.scope[LIMIT] = limit


def _declared_length(scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class BodyLimit:
    def __init__(self, app, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope[LIMIT] = self.limit
        received = 0
        started = False

        async def limited_receive():
            nonlocal received
            limit = scope[LIMIT]
            declared = _declared_length(scope)
            if declared is not None and declared > limit:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge as exc:
            if started:
                raise
            log.info("refused a body over %d bytes from %s to %s", exc.limit, (scope.get("client") or ("?",))[0],
                     scope["path"])
            body = json.dumps({"error": {"code": "too_large", "message": str(exc)}}).encode()
            # close: the rest of the body is not worth reading
            await send({"type": "http.response.start", "status": 413,
                        "headers": [(b"content-type", b"application/json"), (b"connection", b"close"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})


def header_timeout_protocol(timeout: float):
    """uvicorn's default HTTP protocol (httptools) with a deadline of `timeout`
    seconds for each request's line and headers; pass as ``uvicorn.run(http=...)``."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class HeaderTimeoutProtocol(HttpToolsProtocol):
        _header_deadline = None

        def _arm(self) -> None:
            self._disarm()
            self._header_deadline = self.loop.call_later(timeout, self._headers_too_slow)

        def _disarm(self) -> None:
            if self._header_deadline is not None:
                self._header_deadline.cancel()
                self._header_deadline = None

        def _headers_too_slow(self) -> None:
            self._header_deadline = None
            if not self.transport.is_closing():
                log.info("closing a connection from %s: no complete request headers in %.0f s",
                         self.client[0] if self.client else "?", timeout)
                self.transport.close()

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and not self.pipeline:
                self._arm()  # the next request's headers have the same deadline

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

    return HeaderTimeoutProtocol
