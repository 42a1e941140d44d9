"""Agent test harness: a real Xvfb with real xcalc windows, a real relay, the
agent as a subprocess, and the rep and customer as protocol clients."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from websockets.sync.client import connect

from server.protocol import FRAME_HEADER
from tests.conftest import ADMIN_PASSWORD, LiveRelay, stop_process

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 20.0

pytestmark = pytest.mark.skipif(not shutil.which("Xvfb") or not shutil.which("xcalc"), reason="needs Xvfb and xcalc")


def wait_for(predicate, timeout: float = TIMEOUT, what: str = "condition", step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


class X:
    """An Xvfb display and the programs started on it (all stopped by PID).
    ``backend`` is the agent's platform backend for everything started on it
    (``TANDEM_AGENT_BACKEND``); the portable one runs under openbox, the
    EWMH window manager its window list needs, as every desktop has one."""

    def __init__(self, backend: str = "x11") -> None:
        # -displayfd: Xvfb picks a free display number itself and writes it
        # back, so parallel test runs never race for one
        read, write = os.pipe()
        self.proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1024x768x24",
                                      "-nolisten", "tcp"], pass_fds=(write,),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write)
        with os.fdopen(read) as f:
            ready, _, _ = select.select([f], [], [], 10)
            line = f.readline().strip() if ready else ""
        assert line.isdigit(), "Xvfb did not start"
        self.number = int(line)
        self.display = f":{self.number}"
        self.procs: list[subprocess.Popen] = []
        self.backend = backend
        self.env = {**os.environ, "DISPLAY": self.display, "TANDEM_AGENT_BACKEND": backend}
        if backend == "portable":
            self._start_window_manager()

    def _start_window_manager(self, tries: int = 3) -> None:
        """openbox, waited for until it manages the display; on a loaded
        machine it is started again if it died on the way."""
        said = b""
        for _ in range(tries):
            with tempfile.TemporaryFile() as err:
                wm = subprocess.Popen(["openbox", "--sm-disable"], env=self.env,
                                      stdout=subprocess.DEVNULL, stderr=err)
                self.procs.append(wm)
                deadline = time.monotonic() + TIMEOUT
                while time.monotonic() < deadline and wm.poll() is None:
                    if "window id" in subprocess.run(
                            ["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], env=self.env, capture_output=True,
                            text=True, timeout=10).stdout:
                        return
                    time.sleep(0.1)
                stop_process(wm)
                err.seek(0)
                said = err.read()[-2000:]
        raise AssertionError(f"openbox did not manage {self.display} after {tries} starts; "
                             f"it said: {said.decode(errors='replace')!r}")

    def xdotool(self, *args: str) -> str:
        return subprocess.run(["xdotool", *args], env=self.env, capture_output=True, text=True, timeout=10).stdout

    def start_window(self, argv: list[str], title: str, tries: int = 3) -> int:
        """Start an X client and return its window id once it shows. A loaded
        machine starts X clients slowly, and one that died is started again;
        what it printed goes into the failure."""
        before = set(self.xdotool("search", "--name", f"^{title}$").split())
        said = b""
        for _ in range(tries):
            with tempfile.TemporaryFile() as err:
                proc = subprocess.Popen(argv, env=self.env, stdout=subprocess.DEVNULL, stderr=err)
                self.procs.append(proc)
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline and proc.poll() is None:
                    ids = set(self.xdotool("search", "--onlyvisible", "--name", f"^{title}$").split()) - before
                    if ids:
                        return int(sorted(ids)[0])
                    time.sleep(0.05)
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                err.seek(0)
                said = err.read()[-2000:]
        server = "running" if self.proc.poll() is None else f"exited {self.proc.returncode}"
        raise AssertionError(f"window {title} did not show after {tries} starts of {argv[0]} "
                             f"(Xvfb {server}); it said: {said.decode(errors='replace')!r}")

    def place(self, wid: int, x: int, y: int) -> None:
        """Move a window (its frame, under a window manager) to root (x, y)."""
        self.xdotool("windowmove", "--sync", str(wid), str(x), str(y))

    def geometry(self, wid: int) -> tuple[int, int, int, int]:
        """(x, y, w, h) of a window's inside (border excluded) in root coordinates, per xwininfo."""
        out = subprocess.run(["xwininfo", "-id", str(wid)], env=self.env, capture_output=True, text=True,
                             timeout=10).stdout
        info = dict(line.strip().split(":", 1) for line in out.splitlines() if ":" in line)
        b = int(info["Border width"])  # xwininfo's corner is outside the border
        return (int(info["Absolute upper-left X"]) + b, int(info["Absolute upper-left Y"]) + b,
                int(info["Width"]), int(info["Height"]))

    def grab(self, rect: tuple[int, int, int, int]) -> np.ndarray:
        """RGB pixels of a root rectangle, read in a separate process (DISPLAY of this X)."""
        x, y, w, h = rect
        box = {"left": x, "top": y, "width": w, "height": h}
        code = f"import mss,sys;s=mss.MSS();i=s.grab({box!r});sys.stdout.buffer.write(i.rgb)"
        out = subprocess.run([sys.executable, "-c", code], env=self.env, capture_output=True, timeout=10, check=True)
        return np.frombuffer(out.stdout, dtype=np.uint8).reshape(h, w, 3)

    def stop(self) -> None:
        for p in [*self.procs, self.proc]:
            stop_process(p)


class Peer:
    """A protocol client over a real websocket: numbered sends; JSON messages
    and binary frames collected as they arrive."""

    def __init__(self, ws_url: str, token: str) -> None:
        self.ws = connect(ws_url, max_size=None, max_queue=None, open_timeout=10).__enter__()
        self.seq = 0
        self.messages: list[dict] = []
        self.last_state: dict | None = None
        self.frames: list[tuple[int, int, bytes]] = []
        self.ws.send(json.dumps({"type": "hello", "seq": 0, "token": token}))
        self.welcome = self.expect("welcome")

    def send(self, type_: str, **fields) -> int:
        self.seq += 1
        self.ws.send(json.dumps({"type": type_, "seq": self.seq, **fields}))
        return self.seq

    def pump(self, timeout: float) -> None:
        try:
            raw = self.ws.recv(timeout=timeout)
        except TimeoutError:
            return
        if isinstance(raw, bytes):
            kind, stream, _seq = FRAME_HEADER.unpack_from(raw)
            self.frames.append((kind, stream, raw[FRAME_HEADER.size:]))
        else:
            msg = json.loads(raw)
            self.messages.append(msg)
            if msg.get("type") == "session_state":
                self.last_state = msg

    def drain(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.pump(max(0.01, end - time.monotonic()))

    def expect(self, type_: str, pred=lambda m: True, timeout: float = TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        start = 0
        while True:
            for i in range(start, len(self.messages)):
                m = self.messages[i]
                if m.get("type") == type_ and pred(m):
                    del self.messages[: i + 1]
                    return m
            start = len(self.messages)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {type_} within {timeout}s; got {[m.get('type') for m in self.messages]}")
            self.pump(min(left, 0.2))

    def state(self, pred, timeout: float = TIMEOUT) -> dict:
        return self.expect("session_state", pred, timeout)

    def now(self, pred, timeout: float = TIMEOUT) -> dict:
        """The session as it is: the latest state if ``pred`` holds for it
        (the relay sends a state only when something changed), else the next that does."""
        if self.last_state is not None and pred(self.last_state):
            return self.last_state
        return self.state(pred, timeout)

    def close(self) -> None:
        self.ws.close()


class Scene:
    """Relay + rep + customer in an active session + the customer's agent."""

    def __init__(self, relay: LiveRelay, x: X, tmp: Path) -> None:
        self.relay, self.x, self.tmp = relay, x, tmp
        self.http = httpx.Client(base_url=relay.base, timeout=10, limits=httpx.Limits(keepalive_expiry=2.0))  # under uvicorn's 5 s
        admin = self._signin("admin@localhost", ADMIN_PASSWORD)
        r = self.http.post("/api/admin/reps", headers={"Authorization": f"Bearer {admin}"},
                           json={"email": "rita@example.com", "name": "Rita", "password": "rep-password-1"})
        assert r.status_code == 201, r.text
        self.rep_token = self._signin("rita@example.com", "rep-password-1")
        self.rep = Peer(relay.ws_url, self.rep_token)
        self.rep.send("start_session")
        st = self.rep.state(lambda m: True)
        self.session, self.number = st["session"], st["number"].replace(" ", "")
        r = self.http.post("/api/join", json={"number": self.number, "name": "Ann"})
        assert r.status_code == 200, r.text
        self.customer_token = r.json()["token"]
        self.customer = Peer(relay.ws_url, self.customer_token)
        self.rep.state(lambda m: m["tools_available"])
        self.agent: subprocess.Popen | None = None
        self.agent_log = tmp / "agent.log"
        self.state_dir = tmp / "agent-state"
        self.agent_pid: str | None = None
        self.last_grant = 0

    def _signin(self, email: str, password: str) -> str:
        r = self.http.post("/api/signin", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        return r.json()["token"]

    @property
    def agent_env(self) -> dict:
        return {**self.x.env, "TANDEM_AGENT_STATE": str(self.state_dir), "PYTHONPATH": str(ROOT)}

    def start_agent(self, *extra: str, env: dict | None = None, allow: str | None = "control,files",
                    owner: str = "customer") -> str:
        """Pair and run the agent. ``allow``: what the person at the machine
        allowed in advance (``--allow``); None: the agent asks in its window,
        as for a customer who double-clicked the download (tests/agent/test_consent.py).
        ``owner``: whose Support Manager it is, the customer's or the rep's own ("rep")."""
        token = self.rep_token if owner == "rep" else self.customer_token
        r = self.http.post(f"/api/sessions/{self.session}/pairing", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        code = r.json()["code"]
        self._log_file = self.agent_log.open("wb")
        self.agent = subprocess.Popen(
            [sys.executable, "-m", "agent", "pair", "--relay", self.relay.base, self.number, code,
             "--name", "Ann's PC", *extra, *(["--allow", allow] if allow else [])],
            env={**self.agent_env, **(env or {})}, cwd=ROOT, stdout=self._log_file, stderr=subprocess.STDOUT)
        st = self.rep.state(lambda m: any(p["kind"] == "agent" and p["present"] for p in m["participants"]))
        self.agent_pid = next(p["pid"] for p in st["participants"] if p["kind"] == "agent")
        return self.agent_pid

    def join_from_window(self, **env: str) -> int:
        """The Support Manager as a customer starts it (no arguments: its
        window), the session's number, a pairing code and the relay typed in,
        Join pressed; returns the window once it has joined. What it prints
        goes to ``agent_log``."""
        r = self.http.post(f"/api/sessions/{self.session}/pairing",
                           headers={"Authorization": f"Bearer {self.customer_token}"})
        assert r.status_code == 200, r.text
        title = "^Tandem Support Manager$"  # in English and Danish
        before = set(self.x.xdotool("search", "--name", title).split())
        self._log_file = self.agent_log.open("wb")
        self.agent = subprocess.Popen([sys.executable, "-m", "agent"], env={**self.agent_env, **env}, cwd=ROOT,
                                      stdout=self._log_file, stderr=subprocess.STDOUT)
        found = wait_for(lambda: set(self.x.xdotool("search", "--onlyvisible", "--name", title).split()) - before,
                         what="the Support Manager's window")
        wid = int(min(found))
        self.x.xdotool("windowfocus", "--sync", str(wid))
        for value, then in ((self.number, "Tab"), (r.json()["code"], "Tab"), (self.relay.base, "Return")):
            self.x.xdotool("type", "--delay", "20", value)
            self.x.xdotool("key", then)
        st = self.rep.state(lambda m: any(p["kind"] == "agent" and p["present"] for p in m["participants"]))
        self.agent_pid = next(p["pid"] for p in st["participants"] if p["kind"] == "agent")
        return wid

    def grant(self, kind: str, scope: str, approve: bool = True) -> dict:
        """Rep requests; the customer decides. Returns the rep's view of the grant."""
        self.rep.send("request_grant", session=self.session, kind=kind, scope=scope)

        def new(g: dict) -> bool:
            return g["state"] == "pending" and g["kind"] == kind and g["id"] > self.last_grant
        st = self.customer.state(lambda m: any(new(g) for g in m["grants"]))
        g = next(g for g in st["grants"] if new(g))
        self.last_grant = g["id"]
        self.customer.send("decide_grant", session=self.session, grant=g["id"], approve=approve)
        if approve:
            self.rep.state(lambda m: any(x["id"] == g["id"] and x["state"] == "approved" for x in m["grants"]))
        else:
            self.rep.state(lambda m: all(x["id"] != g["id"] for x in m["grants"]))
        return g

    def activity(self, grant_id: int) -> dict:
        st = self.rep.now(lambda m: any(a.get("grant") == grant_id for a in m["activities"]))
        return next(a for a in st["activities"] if a.get("grant") == grant_id)

    def close(self) -> None:
        if self.agent is not None:
            stop_process(self.agent)
            self._log_file.close()
        for peer in (self.rep, self.customer):
            peer.close()
        self.http.close()


@pytest.fixture(params=["x11", "portable"])
def xserver(request, monkeypatch):
    """A display for each platform backend: the Linux fast path, and the
    portable code Windows and macOS customers run. The test process itself
    uses the same backend and display."""
    from agent import platform
    x = X(request.param)
    monkeypatch.setenv("DISPLAY", x.display)
    monkeypatch.setenv("TANDEM_AGENT_BACKEND", x.backend)
    platform.use(x.backend)
    yield x
    platform.use(None)
    x.stop()


@pytest.fixture
def xcalc(xserver: X) -> int:
    return xserver.start_window(["xcalc"], "Calculator")


@pytest.fixture
def scene(tmp_path: Path, xserver: X, request):
    relay = LiveRelay(tmp_path).start()
    s = None
    try:
        s = Scene(relay, xserver, tmp_path)
        yield s
    finally:
        if s is not None:
            s.close()
        relay.stop()
        rep = getattr(request.node, "rep_call", None)
        if s is not None and s.agent_log.exists() and (rep is None or rep.failed):
            print(f"--- agent log ---\n{s.agent_log.read_text()}")
