"""Shared fixtures: a relay app on a temporary SQLite file (TestClient), and a
real relay process on a loopback port for tests that cut sockets."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server.config import Settings
from server.web.app import create_app
from tests.backends import broker_url, database_url, postgres, redis_server  # noqa: F401 (fixtures)

ADMIN_EMAIL = "admin@localhost"
ADMIN_PASSWORD = "admin-password-1"


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path, request) -> Settings:
    """The app's settings: a SQLite file and the memory broker; with
    ``TANDEM_TEST_STORE=postgresql`` a fresh database on the session's
    PostgreSQL server, with ``TANDEM_TEST_BROKER=redis`` the session's
    redis-server (the whole in-process suite on the other backends)."""
    url = f"sqlite+aiosqlite:///{tmp_path}/tandem.db"
    if os.environ.get("TANDEM_TEST_STORE") == "postgresql":
        url = request.getfixturevalue("postgres").new_database()
    broker = "memory://"
    if os.environ.get("TANDEM_TEST_BROKER") == "redis":
        broker = request.getfixturevalue("redis_server").fresh_url()
    return Settings(var_dir=tmp_path, secret_key="test-secret", admin_password=ADMIN_PASSWORD,
                    database_url=url, broker_url=broker,
                    public_url="http://testserver")


@pytest.fixture
def client(settings: Settings):
    with TestClient(create_app(settings)) as c:
        yield c


STOP_WATCH = 60.0


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Should a test's app (the ``client`` fixture) not stop, its sockets
    included, say where each of its tasks waits, on the terminal: a hung
    teardown is otherwise silent until the run's timeout ends it."""
    c = getattr(item, "funcargs", {}).get("client")
    watchdog = None
    if isinstance(c, TestClient):
        watchdog = threading.Timer(STOP_WATCH, _print_tasks, args=(c, item.config))
        watchdog.daemon = True
        watchdog.start()
    try:
        return (yield)
    finally:
        if watchdog is not None:
            watchdog.cancel()


def _print_tasks(c: TestClient, config) -> None:
    def stacks() -> list[str]:
        out = []
        for task in asyncio.all_tasks():
            buf = io.StringIO()
            task.print_stack(file=buf)
            out.append(buf.getvalue())
        return out
    try:
        found = "\n".join(c.portal.call(stacks))
    except Exception as exc:  # the loop is gone or stuck itself
        found = f"(could not list them: {exc!r})"
    capture = config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():  # past pytest's capture, which a hung test never shows
        print(f"--- the app has not stopped after {STOP_WATCH:.0f} s; its tasks:\n{found}", file=sys.stderr,
              flush=True)


def signin(client: TestClient, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> str:
    r = client.post("/api/signin", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_rep(client: TestClient, admin: str, email: str, name: str, **fields) -> tuple[int, str]:
    """Create a rep through the admin API; returns (account id, sign-in token)."""
    r = client.post("/api/admin/reps", headers=bearer(admin),
                    json={"email": email, "name": name, "password": "rep-password-1", **fields})
    assert r.status_code == 201, r.text
    return r.json()["account"]["id"], signin(client, email, "rep-password-1")


def make_queue(client: TestClient, admin: str, name: str, **fields) -> None:
    r = client.post("/api/admin/queues", headers=bearer(admin), json={"name": name, "title": name.title(), **fields})
    assert r.status_code == 201, r.text


class Peer:
    """A TestClient WebSocket that speaks the protocol: numbered sends, and
    waiting for a message of a given type (skipping others)."""

    def __init__(self, ws, token: str, **hello) -> None:
        self.ws = ws
        self.seq = 0
        self.welcome = self.hello(token, **hello)

    def hello(self, token: str, **extra) -> dict:
        self.ws.send_text(json.dumps({"type": "hello", "seq": 0, "token": token, **extra}))
        return self.ws.receive_json()

    def send(self, type_: str, **fields) -> int:
        self.seq += 1
        self.ws.send_text(json.dumps({"type": type_, "seq": self.seq, **fields}))
        return self.seq

    def expect(self, type_: str, limit: int = 50, **match) -> dict:
        seen = []
        for _ in range(limit):
            msg = self.ws.receive_json()
            if msg["type"] == type_ and all(msg.get(k) == v for k, v in match.items()):
                return msg
            seen.append(msg["type"])
        raise AssertionError(f"no {type_} {match or ''} among {seen}")


def stop_process(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    """End a process the tests started: SIGTERM, then SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveRelay:
    """`python -m server` on a free loopback port, in its own process."""

    def __init__(self, var: Path, command: list[str] | None = None, log_level: str = "warning", **env: str) -> None:
        self.var = var
        self.command = command or [sys.executable, "-m", "server"]  # or an installed `tandem-relay`
        self.log_level = log_level
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        self.env = {**os.environ, "TANDEM_VAR": str(var), "TANDEM_ADMIN_PASSWORD": ADMIN_PASSWORD,
                    "TANDEM_SECRET_KEY": "test-secret", "TANDEM_PUBLIC_URL": self.base, **env}
        self.log = var / f"relay-{self.port}.log"
        self.proc: subprocess.Popen | None = None
        self._log_file = None

    def start(self) -> LiveRelay:
        self._log_file = self.log.open("ab")
        self.proc = subprocess.Popen(
            [*self.command, "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", self.log_level],
            env=self.env, stdout=self._log_file, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"relay exited:\n{self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"relay did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.proc:
            stop_process(self.proc, 10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


@pytest.fixture
def live_relay(tmp_path: Path, request):
    """A `LiveRelay`; parametrize it indirectly with a dict of TANDEM_* settings."""
    relay = LiveRelay(tmp_path, **getattr(request, "param", {})).start()
    yield relay
    relay.stop()
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        print(f"--- relay log ---\n{relay.log.read_text()}")


@contextlib.asynccontextmanager
async def opened_store(url: str):
    """The store at ``url``, opened, and closed after the block."""
    from server.store import open_store

    store = open_store(url)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def database_at(path: Path, revision: str, *rows: str) -> str:
    """A SQLite database as an older relay left it: migrated only up to
    ``revision``, with the SQL ``rows`` in it. Returns its store URL, for
    testing that the next migrations upgrade it in place."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from server.store.engine import MIGRATIONS

    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        for row in rows:
            conn.execute(text(row))
    engine.dispose()
    return f"sqlite+aiosqlite:///{path}"
