"""Each extra, installed alone into a fresh venv, runs its entry point: the
`server` extra serves the relay, the `agent` extra pairs a Support Manager
with a session on it. (The dev extra installs much more, which is how a
missing dependency once hid from every other test.)"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import venv
from pathlib import Path

import httpx
import pytest

from tests.agent.conftest import Peer, X, wait_for
from tests.conftest import ADMIN_PASSWORD, LiveRelay, stop_process

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def fresh_venv(where: Path, extra: str) -> Path:
    """A new venv holding only this project with ``extra``; returns its bin folder."""
    venv.EnvBuilder(with_pip=True).create(where)
    bindir = where / ("Scripts" if sys.platform == "win32" else "bin")
    out = subprocess.run([str(bindir / "python"), "-m", "pip", "install", "-q", f"{ROOT}[{extra}]"],
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, f"pip install .[{extra}] failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return bindir


@pytest.fixture(scope="module")
def server_bin(tmp_path_factory) -> Path:
    return fresh_venv(tmp_path_factory.mktemp("server-venv"), "server")


@pytest.fixture(scope="module")
def agent_bin(tmp_path_factory) -> Path:
    return fresh_venv(tmp_path_factory.mktemp("agent-venv"), "agent")


def test_server_extra_alone_runs_tandem_relay(server_bin: Path):
    out = subprocess.run([str(server_bin / "tandem-relay"), "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "--port" in out.stdout


def test_agent_extra_alone_pairs_with_a_session_on_a_relay_from_the_server_extra(
        server_bin: Path, agent_bin: Path, tmp_path: Path):
    agent = str(agent_bin / "tandem-agent")
    out = subprocess.run([agent, "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "pair" in out.stdout

    relay = LiveRelay(tmp_path, command=[str(server_bin / "tandem-relay")]).start()
    x = X()
    proc = log = None
    stack = contextlib.ExitStack()
    try:
        http = stack.enter_context(httpx.Client(base_url=relay.base, timeout=10))
        admin = http.post("/api/signin", json={"email": "admin@localhost", "password": ADMIN_PASSWORD}).json()
        r = http.post("/api/admin/reps", headers={"Authorization": f"Bearer {admin['token']}"},
                      json={"email": "rita@example.com", "name": "Rita", "password": "rep-password-1"})
        assert r.status_code == 201, r.text
        rep_token = http.post("/api/signin", json={"email": "rita@example.com", "password": "rep-password-1"})
        rep = Peer(relay.ws_url, rep_token.json()["token"])
        rep.send("start_session")
        st = rep.state(lambda m: True)
        session, number = st["session"], st["number"].replace(" ", "")
        customer = http.post("/api/join", json={"number": number, "name": "Ann"}).json()["token"]
        code = http.post(f"/api/sessions/{session}/pairing",
                         headers={"Authorization": f"Bearer {customer}"}).json()["code"]

        env = {**x.env, "TANDEM_AGENT_STATE": str(tmp_path / "agent-state")}
        env.pop("PYTHONPATH", None)  # only what the venv installed
        log = (tmp_path / "agent.log").open("wb")
        proc = subprocess.Popen([agent, "pair", "--relay", relay.base, number, code, "--name", "Ann's PC",
                                 "--no-indicator-window"], env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
        st = rep.state(lambda m: any(p["kind"] == "agent" and p["present"] for p in m["participants"]))
        assert [p["name"] for p in st["participants"] if p["kind"] == "agent"] == ["Ann's PC"]

        def status() -> str:
            out = subprocess.run([agent, "status"], env=env, capture_output=True, text=True, timeout=30)
            return out.stdout if out.returncode == 0 and '"connected": true' in out.stdout else ""
        assert st["session"] in wait_for(status, what="`tandem-agent status` to report the live link")
        subprocess.run([agent, "stop", "--quit"], env=env, capture_output=True, text=True, timeout=30)
        wait_for(lambda: proc.poll() is not None, what="the agent to quit")
        rep.close()
    finally:
        if proc is not None:
            stop_process(proc)
        if log is not None:
            log.close()
        stack.close()
        x.stop()
        relay.stop()
        if proc is not None and proc.returncode not in (0, None):
            print((tmp_path / "agent.log").read_text())
