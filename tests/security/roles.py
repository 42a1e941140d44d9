"""The nine roles of the security matrix around one live session, on a
TestClient relay: anonymous, the customer, the customer's Support Manager
(agent), an assistant, the primary, a rep outside the session, a supervisor
outside the session (sees the dashboard, administers nothing), a deactivated
rep and the admin. `Accounts` are made once (password hashing is slow);
`World` is one live session with everyone in place, made afresh as often as
a test needs."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field

import pytest
from starlette.testclient import TestClient

from server.config import Settings
from server.web.app import create_app
from tests.conftest import ADMIN_PASSWORD, bearer, make_queue, make_rep, signin
from tests.test_ws import Client

ROLES = ("anonymous", "deactivated", "customer", "agent", "outsider", "supervisor", "admin", "assistant", "primary")
"""In the order the matrices try them: an action that succeeds for one role
can change what the next one finds, so the most privileged go last."""
QUEUE = "billing"
REP = dict(queue_rep=True, queues=[QUEUE], multi_session=True, max_customers=50)
"""Queue reps in multi-session mode with room to spare, so capacity never decides an outcome."""


@dataclass
class Accounts:
    admin: str
    primary: str
    assistant: str
    outsider: str
    supervisor: str
    deactivated: str
    ids: dict[str, int]

    @classmethod
    def make(cls, client) -> Accounts:
        admin = signin(client)
        make_queue(client, admin, QUEUE)
        make_queue(client, admin, "spare")
        ids, tokens = {}, {}
        for role, fields in (("primary", REP), ("assistant", REP), ("outsider", {}), ("supervisor", {"is_supervisor": True}),
                             ("deactivated", {})):
            ids[role], tokens[role] = make_rep(client, admin, f"{role}@example.com", role.title(), **fields)
        r = client.patch(f"/api/admin/reps/{ids['deactivated']}", headers=bearer(admin), json={"active": False})
        assert r.status_code == 200, r.text
        return cls(admin=admin, ids=ids, **tokens)


@dataclass
class World:
    """One live session: the primary started it, the customer joined by
    number and paired their Support Manager, the assistant assists; the
    outsider, the supervisor and the admin are connected but not in it."""

    client: object
    accounts: Accounts
    stack: ExitStack = field(default_factory=ExitStack)
    sockets: dict[str, Client] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def __enter__(self) -> World:
        try:
            return self._build()
        except BaseException:
            self.stack.close()
            raise

    def _build(self) -> World:
        a, client = self.accounts, self.client
        self.tokens = {"admin": a.admin, "primary": a.primary, "assistant": a.assistant,
                       "outsider": a.outsider, "supervisor": a.supervisor, "deactivated": a.deactivated}
        primary = self.connect("primary", a.primary)
        earlier = {m["session"] for m in primary.fence() if isinstance(m, dict) and m["type"] == "session_state"}
        primary.send("start_session")
        state = primary.expect("session_state", limit=500, where=lambda m: m["session"] not in earlier)
        self.sid, self.number = state["session"], state["number"].replace(" ", "")
        self.pids = {"primary": state["you"]}
        joined = client.post("/api/join", json={"number": self.number, "name": "Carla"})
        assert joined.status_code == 200, joined.text
        self.tokens["customer"] = joined.json()["token"]
        self.pids["customer"] = self.connect("customer", self.tokens["customer"]).welcome["pid"]
        code = client.post(f"/api/sessions/{self.sid}/pairing", headers=bearer(self.tokens["customer"]))
        assert code.status_code == 200, code.text
        paired = client.post("/api/agent/pair", json={"number": self.number, "code": code.json()["code"]})
        assert paired.status_code == 200, paired.text
        self.tokens["agent"] = paired.json()["token"]
        self.pids["agent"] = self.connect("agent", self.tokens["agent"]).welcome["pid"]
        self.connect("assistant", a.assistant).send("assist_session", number=self.number)
        self.connect("outsider", a.outsider)
        self.connect("supervisor", a.supervisor)
        self.connect("admin", a.admin)
        final = primary.expect("session_state", limit=500, where=lambda m: m["session"] == self.sid and len(
            m["participants"]) == 4 and all(x["present"] for x in m["participants"]))
        self.pids["assistant"] = next(x["pid"] for x in final["participants"] if x["name"] == "Assistant")
        for peer in self.sockets.values():
            peer.fence()
        return self

    def __exit__(self, *exc) -> None:
        # whoever is primary now ends it (a customer leaving a session that waits
        # in a queue ends it too), so the reps' consoles stay short
        for role, type_ in (("primary", "end_session"), ("assistant", "end_session"), ("customer", "leave_session")):
            self.sockets[role].send(type_, session=self.sid)
        self.stack.close()

    def connect(self, role: str, token: str) -> Client:
        ws = self.stack.enter_context(self.client.websocket_connect("/ws"))
        self.sockets[role] = Client(ws, token)
        return self.sockets[role]

    def headers(self, role: str) -> dict[str, str]:
        return bearer(self.tokens[role]) if role != "anonymous" else {}

    def grant(self, kind: str = "view", scope: str = "tab", approve: bool | None = None) -> int:
        """The primary asks the customer for a grant (which the customer then
        approves or denies if ``approve`` says so); returns its id."""
        self.sockets["primary"].send("request_grant", session=self.sid, kind=kind, scope=scope)
        state = self.sockets["customer"].expect("session_state", limit=500, where=lambda m: any(
            g["kind"] == kind and g["state"] == "pending" for g in m["grants"]))
        gid = next(g["id"] for g in state["grants"] if g["kind"] == kind and g["state"] == "pending")
        if approve is not None:
            self.sockets["customer"].send("decide_grant", session=self.sid, grant=gid, approve=approve)
            self.sockets["customer"].expect("session_state", where=lambda m: all(
                g["state"] != "pending" for g in m["grants"] if g["id"] == gid))
        return gid

    def activity(self, kind: str, by: str = "primary") -> int:
        """``by`` starts video, audio or recording; returns the activity id."""
        self.sockets[by].send("start_activity", session=self.sid, kind=kind)
        state = self.sockets[by].expect("session_state", limit=500, where=lambda m: m["session"] == self.sid and any(
            a["kind"] == kind for a in m["activities"]))
        return next(a["id"] for a in state["activities"] if a["kind"] == kind)

    def files_activity(self) -> int:
        """A files activity: the customer let the primary at their files
        through their Support Manager."""
        self.grant("files", "desktop", approve=True)
        state = self.sockets["agent"].expect("session_state", limit=500, where=lambda m: any(
            a["kind"] == "files" for a in m["activities"]))
        return next(a["id"] for a in state["activities"] if a["kind"] == "files")


@pytest.fixture(scope="module")
def relay(tmp_path_factory):
    """One relay per matrix module (accounts are slow to make): the client and the `Accounts`."""
    var = tmp_path_factory.mktemp("matrix")
    settings = Settings(var_dir=var, secret_key="test-secret", admin_password=ADMIN_PASSWORD,
                        database_url=f"sqlite+aiosqlite:///{var}/tandem.db", public_url="http://testserver",
                        join_attempts=10_000)  # the matrices join and assist far more than a person would
    with TestClient(create_app(settings)) as client:
        yield client, Accounts.make(client)
