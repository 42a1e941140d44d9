"""Every path parameter of every route, given a number beyond 64 bits
(``DELETE /api/admin/canned/99999999999999999999999999``): the relay answers
404 or 422, never 500. The routes are read from the app, so a new one is
covered without editing this test."""

from __future__ import annotations

import re
import typing

import pytest
from pydantic import BaseModel
from starlette.routing import Route
from starlette.testclient import TestClient

from server.config import Settings
from server.web.api import api
from server.web.app import create_app
from tests.conftest import ADMIN_PASSWORD, bearer, signin
from tests.test_pages import csrf, page_signin

HUGE = "99999999999999999999999999"
PARAM = re.compile(r"{[^}]+}")


def example(model: type[BaseModel]) -> dict:
    """A body with every required field filled in plainly (strings of their
    minimum length, numbers at their lower bound), to get past validation."""
    out = {}
    for name, field in model.model_fields.items():
        if not field.is_required():
            continue
        kind = typing.get_origin(field.annotation) or field.annotation
        low = next((getattr(m, "ge", None) or getattr(m, "gt", None) for m in field.metadata
                    if getattr(m, "ge", None) is not None or getattr(m, "gt", None) is not None), 1)
        size = next((m.min_length for m in field.metadata if getattr(m, "min_length", None)), 1)
        out[name] = ("a" * max(size, 3) if kind is str else True if kind is bool else
                     low if kind in (int, float) else [] if kind is list else
                     typing.get_args(field.annotation)[0] if kind is typing.Literal else None)
    return out


BODIES = {e.path: example(e.body) for e in api.endpoints if e.body is not None}


def routes() -> list[Route]:
    """Every HTTP route of the app that has a path parameter."""
    app = create_app(Settings(secret_key="x", database_url="sqlite+aiosqlite://"))
    return [r for r in app.routes if isinstance(r, Route) and PARAM.search(r.path)]


CASES = [pytest.param(method, route.path, id=f"{method} {route.path}")
         for route in routes() for method in sorted((route.methods or {"GET"}) - {"HEAD"})]


@pytest.fixture(scope="module")
def admin_client(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ids")
    settings = Settings(var_dir=tmp, secret_key="test-secret", admin_password=ADMIN_PASSWORD,
                        database_url=f"sqlite+aiosqlite:///{tmp}/tandem.db", public_url="http://testserver")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        page_signin(client)  # the pages' cookie, and the API's token below
        client.headers.update(bearer(signin(client)))
        yield client


@pytest.mark.parametrize("method,path", CASES)
def test_an_id_beyond_64_bits_is_not_found_never_a_server_error(admin_client, method, path):
    url = PARAM.sub(HUGE, path)
    if method == "GET" or method == "DELETE":
        r = admin_client.request(method, url)
    elif path.startswith("/api/"):
        r = admin_client.request(method, url, json=BODIES.get(path, {}))
    else:  # a page's form: with its CSRF field and whatever fields it may read
        token = csrf(admin_client.get("/admin/reps").text)
        r = admin_client.request(method, url, data={"csrf": token, "title": "t", "text": "t", "name": "n"})
    assert r.status_code < 500, (r.status_code, r.text[:300])
