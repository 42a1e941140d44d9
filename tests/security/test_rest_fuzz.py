"""Property-based fuzzing of the REST API's request bodies, drawn from the
OpenAPI document's own schemas (``/api/openapi.json``): bodies that follow
the schema (at and just past its limits), the same with fields replaced by
other JSON or unknown fields added, and any JSON at all. Every operation with
a body is called by a role the matrix lets in (tests/security/test_matrix_rest.py),
so the fuzz reaches the handlers. Any 5xx, or an exception that escapes the
app (the TestClient raises it), fails the test."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

import server.web.app  # noqa: F401 (every module's endpoints are registered)
from server.web.api import api
from tests.security.roles import ROLES, World, relay  # noqa: F401 (fixture)
from tests.security.schemas import JSON, from_schema
from tests.security.test_matrix_rest import MATRIX, prepare

EXAMPLES = 100
"""Per operation: well under a minute for all of them on a small machine."""
def bodies(schema: dict, defs: dict) -> st.SearchStrategy:
    shaped = from_schema(schema, defs)
    mangled = st.builds(lambda body, extra: {**body, **extra} if isinstance(body, dict) else body,
                        shaped, st.dictionaries(st.text(max_size=12) | st.sampled_from(list(
                            defs.get(schema.get("$ref", "").rsplit("/", 1)[-1], {}).get("properties", {}))),
                            JSON, max_size=3))
    return shaped | mangled | JSON


def operations_with_bodies(doc: dict) -> list[tuple[str, dict]]:
    return [(f"{method.upper()} {path}", op["requestBody"]["content"]["application/json"]["schema"])
            for path, ops in doc["paths"].items() for method, op in ops.items() if "requestBody" in op]


def allowed_role(operation: str) -> str:
    """The first role the matrix lets through (the fuzz should reach the handler)."""
    row = MATRIX[operation]
    return next((r for r in ROLES if row.expect.get(r, row.others) < 300), "anonymous")


@pytest.fixture(scope="module")
def world(relay):  # noqa: F811
    client, accounts = relay
    with World(client, accounts) as w:
        prepare(w)
        yield w


BODY_OPERATIONS = dict(operations_with_bodies(api.document()))


@pytest.mark.parametrize("operation", sorted(BODY_OPERATIONS))
def test_no_body_makes_the_relay_fail(world, operation):
    doc = world.client.get("/api/openapi.json").json()
    schema, defs = BODY_OPERATIONS[operation], doc["components"]["schemas"]
    role = allowed_role(operation)
    method, path = operation.split(" ", 1)
    for name, value in MATRIX[operation].request(world).get("path", {}).items():
        path = path.replace("{" + name + "}", str(value))
    seen: dict[int, int] = {}

    @hypothesis_settings(max_examples=EXAMPLES, deadline=None, database=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(body=bodies(schema, defs))
    def fuzz(body):
        r = world.client.request(method, path, headers={**world.headers(role), "Content-Type": "application/json"},
                                 content=json.dumps(body))
        seen[r.status_code] = seen.get(r.status_code, 0) + 1
        # 502 mail_failed is the relay's true answer when its mail server is down (the fuzzed relay has none)
        gateway = r.status_code == 502 and r.json()["error"]["code"] == "mail_failed"
        assert r.status_code < 500 or gateway, (body, r.text)

    fuzz()
    print(f"{operation} as {role}: {dict(sorted(seen.items()))}")
