"""The relays a bench starts, each in its own process on a free loopback port.

A side is named by a string:

* ``tandem``: Tandem's relay as ``python -m server`` runs it (``/ws`` on
  picows, server/web/fastws.py); ``tandem:IMPL`` the same with ``/ws`` served
  through the ASGI app (``TANDEM_FAST_WS=false``) on uvicorn's WebSocket
  implementation IMPL (``wsproto``, ``websockets``, ``websockets-sansio``).
  The relay starts through ``server.__main__`` with only ``uvicorn.run``'s
  ``ws`` replaced, so every other setting is the relay's own.
  ``tandem:fastws`` is plain ``tandem`` (for benches that take an IMPL).
* ``bare``: the bare Starlette room relay (``bench/bare_relay.py``) on uvicorn.
* ``node``: a bare room relay on Node's ``ws`` package (``ws_relay.js``).
* ``picows``: a bare room relay on picows (``picows_relay.py``).

What a side needs and lacks is installed first: ``npm ci`` in this folder for
``node``, ``pip install`` into the running Python for ``picows`` and
``wsproto``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

PEERS = Path(__file__).resolve().parent
ROOT = PEERS.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import free_port, port_open  # noqa: E402
from tests.conftest import stop_process  # noqa: E402

ADMIN_PASSWORD = "bench-password-1"
UNLIMITED = "1000000000"
SERVER_WS = "websockets-sansio"  # what server/__main__.py gives uvicorn (for everything but /ws)
FAST_WS = "fastws"  # tandem:fastws = tandem: /ws on picows, as `python -m server` runs it
KINDS = ("tandem", "bare", "node", "picows")
PYTHON_NEEDS = {"picows": "picows", "wsproto": "wsproto"}  # side or ws implementation -> PyPI package

# `python -m server` with one change: uvicorn's WebSocket implementation (argv[1]).
TANDEM_WITH_WS = """
import sys, uvicorn
from server.__main__ import main
ws, run = sys.argv.pop(1), uvicorn.run
uvicorn.run = lambda app, **kw: run(app, **{**kw, "ws": ws})
main()
"""


class BenchError(RuntimeError):
    """A bench could not measure what it set out to: the run fails with this text."""


def split_side(side: str) -> tuple[str, str | None]:
    kind, _, ws = side.partition(":")
    if kind not in KINDS or (ws and kind != "tandem"):
        raise BenchError(f"unknown side {side!r}: use {', '.join(KINDS)} or tandem:IMPL")
    return kind, ws or None


def ensure_node_peer() -> None:
    """``npm ci`` for ws_relay.js when its node_modules are missing or older than the lock."""
    installed = PEERS / "node_modules" / ".package-lock.json"
    lock = PEERS / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    if not shutil.which("npm"):
        raise BenchError("the node peer needs node and npm (Debian: nodejs npm; `make bench` installs them)")
    print("installing the node peer's packages (npm ci in bench/peers)", file=sys.stderr)
    done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PEERS,
                          capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise BenchError(f"npm ci in bench/peers failed:\n{done.stderr[-2000:]}")


def ensure_python_package(module: str) -> None:
    """``pip install`` a peer's package into this Python when it cannot be imported."""
    if importlib.util.find_spec(module) is not None:
        return
    print(f"installing {PYTHON_NEEDS[module]} for the bench", file=sys.stderr)
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", PYTHON_NEEDS[module]],
                          capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise BenchError(f"pip install {PYTHON_NEEDS[module]} failed:\n{done.stderr[-2000:]}")
    importlib.invalidate_caches()


def prepare(sides: list[str], default_ws: str | None) -> None:
    """Install what the sides need, before any relay starts."""
    for side in sides:
        kind, ws = split_side(side)
        if kind == "node":
            ensure_node_peer()
        for need in (kind, ws or default_ws):
            if need in PYTHON_NEEDS:
                ensure_python_package(need)


def relay_command(side: str, port: int, args: argparse.Namespace) -> list[str]:
    kind, ws = split_side(side)
    ws = ws or args.ws
    if ws == FAST_WS:
        ws = None
    where = ["--host", "127.0.0.1", "--port", str(port)]
    if kind == "tandem":
        start = ["-c", TANDEM_WITH_WS, ws] if ws else ["-m", "server"]
        return [sys.executable, *start, *where, "--log-level", "warning"]
    if kind == "bare":
        return [sys.executable, str(ROOT / "bench" / "bare_relay.py"), *where, "--log-level", "warning",
                "--ws", ws or SERVER_WS]
    if kind == "node":
        return ["node", str(PEERS / "ws_relay.js"), *where]
    return [sys.executable, str(PEERS / "picows_relay.py"), *where]


def ws_stack(side: str, args: argparse.Namespace) -> str:
    """What a side's WebSocket protocol runs on, for the tables."""
    kind, ws = split_side(side)
    if kind == "node":
        return "node ws"
    if kind == "picows":
        return "picows"
    ws = ws or args.ws
    if kind == "tandem" and ws in (None, FAST_WS):
        return "picows (fastws)"
    return f"uvicorn {ws or SERVER_WS}"


class RelayProcess:
    """One relay (a side, see the module's docstring) on a free loopback port,
    started before and stopped after use. ``args`` gives ``ws`` (uvicorn's
    WebSocket implementation for sides that do not name one; None: as
    ``python -m server``) and ``relay_dir`` (the checkout whose ``server``
    package runs; None: this one)."""

    def __init__(self, side: str, var: Path, args: argparse.Namespace) -> None:
        self.side = side
        self.kind = split_side(side)[0]
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        self.var = var
        self.log = var / f"{side.replace(':', '-')}-{self.port}.log"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if self.kind == "tandem":
            env.update(TANDEM_VAR=str(var), TANDEM_ADMIN_PASSWORD=ADMIN_PASSWORD,
                       TANDEM_SECRET_KEY="bench-secret", TANDEM_PUBLIC_URL=self.base,
                       # the benchmark is the abuse the limits are there to stop
                       TANDEM_MESSAGES_PER_SECOND=UNLIMITED, TANDEM_MESSAGE_BURST=UNLIMITED,
                       TANDEM_FRAMES_PER_SECOND=UNLIMITED, TANDEM_FRAME_BURST=UNLIMITED,
                       TANDEM_JOIN_ATTEMPTS=UNLIMITED)
            if (split_side(side)[1] or args.ws) not in (None, FAST_WS):
                env["TANDEM_FAST_WS"] = "false"  # tandem:IMPL: /ws through the ASGI app on uvicorn's IMPL
        cwd = (args.relay_dir or ROOT) if self.kind == "tandem" else ROOT
        self.proc = subprocess.Popen(relay_command(side, self.port, args), cwd=cwd, env=env,
                                     stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        self.ps = psutil.Process(self.proc.pid)

    def wait_ready(self, timeout: float = 30.0) -> RelayProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.side} relay exited:\n{self.log.read_text()[-3000:]}")
            if port_open(self.port):
                return self
            time.sleep(0.05)
        raise BenchError(f"{self.side} relay did not start in {timeout:.0f} s")

    def cpu(self) -> float:
        """Seconds on CPU, all threads: nanoseconds from schedstat where Linux
        has it (psutil's user + system come in 10 ms ticks)."""
        try:
            total = 0
            for task in os.scandir(f"/proc/{self.proc.pid}/task"):
                with open(f"{task.path}/schedstat") as f:
                    total += int(f.read().split()[0])
            return total / 1e9
        except (OSError, ValueError, IndexError):
            t = self.ps.cpu_times()
            return t.user + t.system

    def rss(self) -> int:
        return self.ps.memory_info().rss

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def stop(self) -> None:
        stop_process(self.proc)
