"""A tiny REST layer: endpoints declared with their pydantic models, which
gives both request validation and the OpenAPI document from one place."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..core.errors import CoreError
from ..store import Conflict, NotFound
from .signin import current_account


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.headers = status, code, headers


@dataclass
class Endpoint:
    method: str
    path: str
    handler: Callable[..., Awaitable[Any]]
    summary: str
    auth: str  # none | rep | admin
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    tag: str


def is_json(content_type: str) -> bool:
    """``application/json`` or a ``+json`` type, with or without parameters."""
    kind = content_type.split(";")[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


def error_response(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status, headers=headers)


class Api:
    def __init__(self, title: str, version: str) -> None:
        self.title, self.version = title, version
        self.endpoints: list[Endpoint] = []

    def route(self, method: str, path: str, *, summary: str, auth: str = "none",
              body: type[BaseModel] | None = None, response: type[BaseModel] | None = None,
              status: int = 200, tag: str = "relay"):
        def register(fn):
            self.endpoints.append(Endpoint(method, path, fn, summary, auth, body, response, status, tag))
            return fn
        return register

    def routes(self, module: str | None = None) -> list[Route]:
        """The routes of the endpoints registered so far, or of those whose
        handlers are in `module` (each module of the API serves its own)."""
        by_path: dict[str, list[Endpoint]] = {}
        for e in self.endpoints:
            if module is None or e.handler.__module__ == module:
                by_path.setdefault(e.path, []).append(e)
        return [Route(path, self._dispatch(eps), methods=[e.method for e in eps])
                for path, eps in by_path.items()]

    def _dispatch(self, endpoints: list[Endpoint]):
        table = {e.method: e for e in endpoints}

        async def handle(request: Request) -> Response:
            e = table[request.method]
            try:
                account = None
                if e.auth != "none":
                    account = await current_account(request)
                    if account is None:
                        raise ApiError(401, "unauthorized", "sign in first (Authorization: Bearer TOKEN)")
                    if e.auth == "admin" and not account.is_admin:
                        raise ApiError(403, "not_allowed", "admins only")
                kwargs: dict[str, Any] = dict(request.path_params)
                if e.body is not None:
                    raw = await request.body()
                    if raw and not is_json(request.headers.get("content-type", "")):
                        # text/plain and forms are what any page may send cross-site without asking
                        raise ApiError(415, "unsupported_media_type", "send the body as JSON "
                                       "(Content-Type: application/json)")
                    if len(raw) > 64 * 1024:
                        raise ApiError(413, "too_large", "request body too large")
                    kwargs["body"] = e.body.model_validate_json(raw or b"{}")
                if e.auth != "none":
                    kwargs["account"] = account
                result = await e.handler(request, **kwargs)
            except ApiError as exc:
                return error_response(exc.status, exc.code, str(exc), exc.headers)
            except ValidationError as exc:
                detail = "; ".join(f"{'.'.join(map(str, x['loc'])) or 'body'}: {x['msg']}"
                                   for x in exc.errors(include_url=False)[:5])
                return error_response(422, "invalid", detail)
            except CoreError as exc:
                return error_response(404 if exc.code == "not_found" else 409 if exc.code == "conflict"
                                      else 403 if exc.code == "not_allowed" else 400, exc.code, str(exc))
            except Conflict as exc:
                return error_response(409, "conflict", str(exc))
            except NotFound as exc:
                return error_response(404, "not_found", str(exc))
            except (ValueError, TypeError) as exc:
                return error_response(400, "invalid", str(exc))
            if isinstance(result, Response):
                return result
            if isinstance(result, BaseModel):
                result = result.model_dump(mode="json")
            return JSONResponse(result, e.status)

        return handle

    def document(self) -> dict[str, Any]:
        models = {m for e in self.endpoints for m in (e.body, e.response) if m is not None}
        keyed, defs = models_json_schema([(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
                                         ref_template="#/components/schemas/{model}")
        refs = {m: keyed[(m, "validation")] for m in models}
        paths: dict[str, dict] = {}
        for e in self.endpoints:
            op: dict[str, Any] = {"summary": e.summary, "tags": [e.tag],
                                  "operationId": e.handler.__name__,
                                  "responses": {str(e.status): {"description": "OK"},
                                                "4XX": {"description": "error",
                                                        "content": {"application/json": {"schema": {
                                                            "$ref": "#/components/schemas/ErrorBody"}}}}}}
            if e.response is not None:
                op["responses"][str(e.status)]["content"] = {"application/json": {"schema": refs[e.response]}}
            if e.body is not None:
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": refs[e.body]}}}
            if e.auth != "none":
                op["security"] = [{"bearer": []}]
            params = [seg[1:-1].split(":")[0] for seg in e.path.split("/") if seg.startswith("{")]
            if params:
                op["parameters"] = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                                    for n in params]
            path = "/".join(seg.split(":")[0] + "}" if seg.startswith("{") and ":" in seg else seg
                            for seg in e.path.split("/"))
            paths.setdefault(path, {})[e.method.lower()] = op
        schemas = dict(defs.get("$defs", {}))
        schemas["ErrorBody"] = {"type": "object", "properties": {"error": {"type": "object", "properties": {
            "code": {"type": "string"}, "message": {"type": "string"}}}}}
        return {"openapi": "3.1.0", "info": {"title": self.title, "version": self.version},
                "paths": paths,
                "components": {"schemas": schemas,
                               "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}}

    def document_json(self) -> str:
        return json.dumps(self.document(), indent=1)
