"""Real PostgreSQL, Redis and HAProxy servers for the tests, started by the tests.

Debian's `postgresql`, `redis-server` and `haproxy` packages, run from
temporary folders on free loopback ports (never the system services), and
stopped by the process ids this module started. Loaded as a pytest plugin by
tests/conftest.py:

- ``postgres``: the session's PostgreSQL server; ``postgres.new_database()``
  gives the URL of a fresh, empty database for one test.
- ``redis_server``: the session's redis-server; ``redis_server.fresh_url()``
  empties it and gives its URL.
- ``database_url`` (parametrized ``sqlite`` / ``postgresql``) and
  ``broker_url`` (``memory`` / ``redis``): run a test on every engine.

`HAProxy` runs docs/haproxy.cfg in front of relay processes (see
tests/cluster/harness.py, which starts and stops it).
"""

from __future__ import annotations

import csv
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from itertools import count
from pathlib import Path

import pytest

START_TIMEOUT = 60.0
HAPROXY_CONFIG = Path(__file__).resolve().parent.parent / "docs" / "haproxy.cfg"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen | None, what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited at start:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port}:\n{log.read_text(errors='replace')}")


def _die_with_parent() -> None:
    # a test session ended hard (pytest-timeout exits without teardown) leaves no server behind
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _program(name: str, path: str, package: str) -> str:
    exe = shutil.which(name) or path
    if not os.path.exists(exe):
        raise RuntimeError(f"{name} is not installed: `make test` installs Debian's {package} package")
    return exe


def _terminate(proc: subprocess.Popen) -> None:
    """SIGTERM to a server this module started, SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class PostgresServer:
    """A throwaway PostgreSQL cluster. PostgreSQL refuses to run as root, so
    when the tests run as root the cluster belongs to the `postgres` user."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise RuntimeError("PostgreSQL is not installed: `make test` installs Debian's postgresql package")
        self.bin = Path(found[-1]).parent
        # not under pytest's tmp folder: that one is private to root (0700)
        self.dir = Path(tempfile.mkdtemp(prefix="tandem-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self._names = count(1)
        self.started = False

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.as_user, *args], capture_output=True, text=True, timeout=START_TIMEOUT)
        if done.returncode:
            raise RuntimeError(f"{' '.join(args[:2])} failed:\n{done.stdout}{done.stderr}")

    def start(self) -> PostgresServer:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--locale=C.UTF-8")
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        self.started = True
        _wait_for_port(self.port, None, "postgres", self.log)
        return self

    def new_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = f"t{next(self._names)}"
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)

    def url(self, name: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.started:
            # the postmaster we started, by the pid file of our data folder
            subprocess.run([*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                            "-w", "stop"], capture_output=True, timeout=START_TIMEOUT)
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer:
    """A throwaway redis-server: no persistence, its own folder, a free port."""

    def __init__(self) -> None:
        self.exe = _program("redis-server", "/usr/bin/redis-server", "redis-server")
        self.dir = Path(tempfile.mkdtemp(prefix="tandem-redis-"))
        self.log = self.dir / "server.log"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir), "--logfile", str(self.log)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        _wait_for_port(self.port, self.proc, "redis-server", self.log)
        return self

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def fresh_url(self) -> str:
        """Empty every database of the server; returns its URL."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(b"*1\r\n$8\r\nFLUSHALL\r\n")
            reply = s.recv(64)
        if not reply.startswith(b"+OK"):
            raise RuntimeError(f"FLUSHALL answered {reply!r}")
        return self.url

    def stop(self) -> None:
        if self.proc is not None:
            _terminate(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


def haproxy_config(port: int, servers: Sequence[int], stats_socket: Path) -> str:
    """docs/haproxy.cfg listening on 127.0.0.1:`port`, its stats socket at
    `stats_socket`, and its `server` lines replaced by one per relay port
    (named node0, node1, ... in the order given). Nothing else changes: the
    tests run the configuration README points people to."""
    out: list[str] = []
    seen = {"bind": 0, "stats": 0, "server": 0}
    for line in HAPROXY_CONFIG.read_text().splitlines():
        words = line.split()
        if words[:1] == ["bind"]:
            seen["bind"] += 1
            line = f"    bind 127.0.0.1:{port}"
        elif words[:2] == ["stats", "socket"]:
            seen["stats"] += 1
            line = f"    stats socket {stats_socket} mode 600 level admin"
        elif words[:1] == ["server"]:
            seen["server"] += 1
            if seen["server"] > 1:
                continue
            out += [f"    server node{i} 127.0.0.1:{p}" for i, p in enumerate(servers)]
            continue
        out.append(line)
    if seen["bind"] != 1 or seen["stats"] != 1 or not seen["server"]:
        raise RuntimeError(f"{HAPROXY_CONFIG.name}: expected one bind, one stats socket and server lines, "
                           f"found {seen}")
    return "\n".join(out) + "\n"


class HAProxyStats:
    """An HAProxy running docs/haproxy.cfg, as its stats socket tells: enough
    to read it from another process than the one that started it."""

    BACKEND = "relays"

    def __init__(self, stats_socket: Path) -> None:
        self.stats_socket = stats_socket

    def command(self, line: str) -> str:
        """One command on the stats socket (`show stat`, `disable server relays/node1`, ...); its answer."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(str(self.stats_socket))
            s.sendall(line.encode() + b"\n")
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
        return answer.decode()

    def servers(self) -> dict[str, dict[str, str]]:
        """The relays as HAProxy sees them, by server name: ``status`` (UP,
        DOWN, ...), ``check_status`` (L7OK when /healthz answered 200, L7STS on
        another status, L4CON when refused...), ``hrsp_2xx`` (responses 2xx
        it passed on), ``hrsp_1xx`` (1xx: "101 Switching Protocols", a
        WebSocket opened), ... (the columns of `show stat`)."""
        rows = csv.DictReader(self.command("show stat").removeprefix("# ").splitlines())
        return {r["svname"]: r for r in rows if r["pxname"] == self.BACKEND and r["svname"] not in
                ("FRONTEND", "BACKEND")}


class HAProxy(HAProxyStats):
    """Debian's haproxy running docs/haproxy.cfg in front of relays on
    loopback ports. Its address is known from the start (`base`), before the
    relays it will balance exist, so they can be given it as their public URL;
    `start(ports)` then runs it in front of them."""

    def __init__(self) -> None:
        self.exe = _program("haproxy", "/usr/sbin/haproxy", "haproxy")
        self.dir = Path(tempfile.mkdtemp(prefix="tandem-haproxy-"))
        super().__init__(self.dir / "admin.sock")
        self.config = self.dir / "haproxy.cfg"
        self.log = self.dir / "haproxy.log"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        self.proc: subprocess.Popen | None = None

    def start(self, servers: Sequence[int]) -> HAProxy:
        self.config.write_text(haproxy_config(self.port, servers, self.stats_socket))
        with self.log.open("ab") as log:
            # -db: in the foreground, so the process we started is the one to stop
            self.proc = subprocess.Popen([self.exe, "-db", "-f", str(self.config)], stdout=log,
                                         stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        _wait_for_port(self.port, self.proc, "haproxy", self.log)
        return self

    def wait_for(self, server: str, status: str, timeout: float = START_TIMEOUT) -> dict[str, str]:
        """Wait until `server` is `status` ("UP", "DOWN") after a health check
        (not merely as it starts, before any check ran); its `show stat` row."""
        deadline = time.monotonic() + timeout
        while True:
            row = self.servers()[server]
            if row["status"] == status and row["check_status"] not in ("", "INI"):
                return row
            if time.monotonic() > deadline:
                raise RuntimeError(f"haproxy: {server} is not {status} after {timeout:.0f} s: {row['status']} "
                                   f"({row['check_status']} {row['last_chk']})\n{self.log.read_text(errors='replace')}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None:
            _terminate(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres():
    server = PostgresServer()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """A store URL of an empty database, on each engine in turn."""
    if request.param == "sqlite":
        # a real file, in a folder the store has to create
        return f"sqlite+aiosqlite:///{tmp_path}/var/tandem.db"
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture(params=["memory", "redis"])
def broker_url(request) -> str:
    """A broker URL, each backend in turn (Redis emptied first)."""
    if request.param == "memory":
        return "memory://"
    return request.getfixturevalue("redis_server").fresh_url()
