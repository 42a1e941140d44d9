"""The role × action matrix over REST: every operation of the OpenAPI document
(``/api/openapi.json``), every other ``/api`` route of the app and ``/metrics``, called by
each of the nine roles (tests/security/roles.py) around a live session, with
the status this table expects. An operation the table does not name fails
the test, so a new endpoint is covered as soon as it exists.

Each row has the request (path parameters, JSON body or raw content, query)
made from the world, and the status per role; roles not named get the row's
``others`` status. Roles are tried in `ROLES` order (the admin and the primary
last), so a change one makes does not decide another's answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.routing import Mount

from tests.conftest import bearer
from tests.security.roles import ROLES, World, relay  # noqa: F401 (fixture)

REPS = ("outsider", "supervisor", "admin", "assistant", "primary")
IN_SESSION_REPS = ("assistant", "primary")
SIGNED_OUT = {"anonymous": 401, "deactivated": 401, "customer": 401, "agent": 401}
"""A rep's sign-in is needed: capability tokens and revoked tokens are no sign-in."""


@dataclass
class Row:
    request: Callable[[World], dict] = lambda w: {}
    """httpx keyword arguments: json, content, params; ``path`` fills the path's {parameters}."""
    expect: dict[str, int] = field(default_factory=dict)
    others: int = 401


def admin_only(ok: int = 200, request: Callable[[World], dict] = lambda w: {}) -> Row:
    """Admins only: a supervisor administers nothing."""
    return Row(request, {**SIGNED_OUT, "outsider": 403, "supervisor": 403, "assistant": 403, "primary": 403,
                         "admin": ok})


def session_reps(ok: int, request: Callable[[World], dict], admin: int = 403) -> Row:
    """Only the session's own reps (the admin as the table says)."""
    return Row(request, {**SIGNED_OUT, "outsider": 403, "supervisor": 403, "admin": admin, "assistant": ok,
                         "primary": ok})


def participants(ok: int, request: Callable[[World], dict]) -> Row:
    """The session's reps, its customer and the customer's Support Manager."""
    return Row(request, {"anonymous": 401, "deactivated": 401, "outsider": 403, "supervisor": 403, "admin": 403,
                         "customer": ok, "agent": ok, "assistant": ok, "primary": ok})


def everyone(status: int, request: Callable[[World], dict] = lambda w: {}) -> Row:
    return Row(request, {r: status for r in ROLES})


def unique(w: World, role: str, prefix: str) -> str:
    w.counter = getattr(w, "counter", 0) + 1
    return f"{prefix}-{role}-{w.counter}"


MATRIX: dict[str, Row] = {
    "POST /api/signin": everyone(200, lambda w: {"json": {"email": "outsider@example.com",
                                                           "password": "rep-password-1"}}),
    "GET /api/me": Row(expect={**SIGNED_OUT, **{r: 200 for r in REPS}}),
    "POST /api/join": everyone(200, lambda w: {"json": {"number": w.number, "name": "Joiner"}}),
    "POST /api/help": everyone(200, lambda w: {"json": {"queue": "billing", "name": "Helped"}}),
    "POST /api/sessions/{session}/pairing": participants(200, lambda w: {"path": {"session": w.sid}}),
    # a wrong code is refused whoever asks: pairing needs no sign-in, only the one-time code
    "POST /api/agent/pair": everyone(403, lambda w: {"json": {"number": w.number, "code": "000000"}}),
    "GET /api/queues": everyone(200),
    "POST /api/sessions/{session}/invitations": session_reps(200, lambda w: {"path": {"session": w.sid},
                                                                              "json": {"invitee": "customer"}}),
    "GET /api/sessions/{session}": session_reps(200, lambda w: {"path": {"session": w.sid}}, admin=200),
    # the chat so far: only the live session's own reps (an admin outside it is no participant)
    "GET /api/sessions/{session}/chat": session_reps(200, lambda w: {"path": {"session": w.sid}}),
    # the pickers' roster: any signed-in rep (it holds no email addresses)
    "GET /api/roster": Row(expect={**SIGNED_OUT, **{r: 200 for r in REPS}}),
    "GET /api/admin/reps": admin_only(),
    "POST /api/admin/reps": admin_only(201, lambda w: {"json": {"email": f"{unique(w, 'r', 'new')}@example.com",
                                                                "name": "New"}}),
    "PATCH /api/admin/reps/{rep}": admin_only(200, lambda w: {"path": {"rep": w.accounts.ids["outsider"]},
                                                             "json": {"name": "Outsider"}}),
    "POST /api/admin/queues": admin_only(201, lambda w: {"json": {"name": unique(w, "q", "queue"), "title": "Q"}}),
    "PATCH /api/admin/queues/{name}": admin_only(200, lambda w: {"path": {"name": "billing"},
                                                                "json": {"title": "Billing"}}),
    "DELETE /api/admin/queues/{name}": admin_only(200, lambda w: {"path": {"name": w.spare_queue}}),
    "GET /api/admin/policies": admin_only(),
    "PUT /api/admin/policies": admin_only(200, lambda w: {"json": {}}),
    "GET /api/admin/audit": admin_only(),
    "POST /api/sessions/{session}/files": session_reps(201, lambda w: {"path": {"session": w.sid},
                                                                       "params": {"name": "notes.txt"},
                                                                       "content": b"hello"}),
    "GET /api/sessions/{session}/files": participants(200, lambda w: {"path": {"session": w.sid}}),
    "GET /api/sessions/{session}/files/{file}": participants(200, lambda w: {"path": {"session": w.sid,
                                                                                       "file": w.file}}),
    "POST /api/sessions/{session}/rating": Row(lambda w: {"path": {"session": w.sid}, "json": {"score": 5}},
                                               {"customer": 201, "agent": 403}),
    "GET /api/canned": Row(expect={**SIGNED_OUT, **{r: 200 for r in REPS}}),
    "POST /api/admin/canned": admin_only(201, lambda w: {"json": {"title": "Hi", "text": "Hello there"}}),
    "PATCH /api/admin/canned/{reply}": admin_only(200, lambda w: {"path": {"reply": w.canned},
                                                                 "json": {"title": "Hello", "text": "Hello there"}}),
    "DELETE /api/admin/canned/{reply}": admin_only(200, lambda w: {"path": {"reply": w.canned}}),
    # /api routes outside the OpenAPI document
    "GET /api/openapi.json": everyone(200),
    "GET /api/docs": everyone(200),
    "GET /api/recordings": session_reps(200, lambda w: {"params": {"session": w.sid}}, admin=200),
    "GET /api/recordings/{id}": session_reps(200, lambda w: {"path": {"id": w.recording}}, admin=200),
    "GET /api/recordings/{id}/video": session_reps(200, lambda w: {"path": {"id": w.recording}}, admin=200),
    # operators' endpoints outside /api
    "GET /metrics": admin_only(),
}


def operations(client) -> set[str]:
    """Every operation of the OpenAPI document, every other /api route of the app, and /metrics."""
    doc = client.get("/api/openapi.json").json()
    found = {f"{method.upper()} {path}" for path, ops in doc["paths"].items() for method in ops}

    def routes(items, prefix=""):
        for r in items:
            if isinstance(r, Mount):
                yield from routes(r.routes, prefix + r.path)
            elif prefix + r.path in ("/api", "/metrics") or (prefix + r.path).startswith("/api/"):
                path = "/".join(s.split(":")[0] + "}" if s.startswith("{") and ":" in s else s
                                for s in (prefix + r.path).split("/"))
                for method in sorted((getattr(r, "methods", None) or {"GET"}) - {"HEAD"}):
                    yield f"{method} {path}"

    return found | set(routes(client.app.routes))


def prepare(w: World) -> None:
    """What the rows refer to: a published file, a canned reply, a finished
    recording and a queue to delete."""
    client, admin = w.client, w.accounts.admin
    r = client.post(f"/api/sessions/{w.sid}/files", params={"name": "a.txt"}, content=b"a",
                    headers=bearer(w.accounts.primary))
    assert r.status_code == 201, r.text
    w.file = r.json()["id"]
    r = client.post("/api/admin/canned", headers=bearer(admin), json={"title": "T", "text": "Text"})
    assert r.status_code == 201, r.text
    w.canned = r.json()["id"]
    w.spare_queue = "spare"
    activity = w.activity("recording")
    w.sockets["primary"].send("stop_activity", session=w.sid, activity=activity)
    w.sockets["primary"].expect("session_state", limit=500, where=lambda m: m["session"] == w.sid and not any(
        a["kind"] == "recording" for a in m["activities"]))
    rows = client.get("/api/recordings", params={"session": w.sid}, headers=bearer(admin)).json()
    assert rows, "the recording was not stored"
    w.recording = rows[0]["id"]


def call(w: World, role: str, operation: str, row: Row) -> int:
    method, path = operation.split(" ", 1)
    kwargs = row.request(w)
    for name, value in kwargs.pop("path", {}).items():
        path = path.replace("{" + name + "}", str(value))
    return w.client.request(method, path, headers=w.headers(role), **kwargs).status_code


def test_every_api_operation_has_a_row(relay):  # noqa: F811
    client, _ = relay
    assert sorted(operations(client)) == sorted(MATRIX)


def test_each_role_gets_what_the_matrix_says(relay):  # noqa: F811
    client, accounts = relay
    got, want = {}, {}
    with World(client, accounts) as w:
        prepare(w)
        for operation, row in MATRIX.items():
            for role in ROLES:
                got[operation, role] = call(w, role, operation, row)
                want[operation, role] = row.expect.get(role, row.others)
    wrong = {k: f"got {got[k]}, expected {want[k]}" for k in got if got[k] != want[k]}
    assert wrong == {}
