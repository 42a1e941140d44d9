"""The e2e suites against a relay started as a QA team starts theirs.

    python e2e/deployment_pass.py [pytest arguments, e.g. -m smoke]

Starts `python -m server` on a free loopback port in a temporary folder with
its defaults (rate limits on) and only what README's QA section says to set (a
known admin password), runs ``pytest e2e --base-url ...`` against it with
TANDEM_E2E_ADMIN_PASSWORD, checks that the run left the relay as it found it
(queues, canned replies, policies, active reps), and stops the relay by its
PID. The exit status is pytest's, or 1 when something was left behind.
`make test` runs it (`make test-deployment`).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "admin@localhost"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_relay(var: Path, port: int, password: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}  # the relay's defaults
    env.update(TANDEM_VAR=str(var), TANDEM_ADMIN_PASSWORD=password)
    log = (var / "relay.log").open("wb")
    relay = subprocess.Popen([sys.executable, "-m", "server", "--port", str(port)], cwd=var, env=env,
                             stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if relay.poll() is not None:
            raise SystemExit(f"the relay exited at start:\n{(var / 'relay.log').read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return relay
        except OSError:
            time.sleep(0.2)
    stop(relay)
    raise SystemExit(f"the relay did not start in 60 s:\n{(var / 'relay.log').read_text()}")


def stop(relay: subprocess.Popen) -> None:
    relay.terminate()
    try:
        relay.wait(15)
    except subprocess.TimeoutExpired:
        relay.kill()
        relay.wait(5)


def state(base: str, password: str) -> dict:
    """What a run must leave as it found it, read through the admin API."""
    with httpx.Client(base_url=base, timeout=15) as http:
        r = http.post("/api/signin", json={"email": ADMIN, "password": password})
        r.raise_for_status()
        auth = {"Authorization": f"Bearer {r.json()['token']}"}
        return {
            "queues": sorted(q["name"] for q in http.get("/api/queues", headers=auth).json()["queues"]),
            "canned replies": sorted(c["title"] for c in http.get("/api/canned", headers=auth).json()["replies"]),
            "policies": http.get("/api/admin/policies", headers=auth).json(),
            "active reps": sorted(a["email"] for a in http.get("/api/admin/reps", headers=auth).json()["reps"]
                                  if a["active"]),
        }


def run_suites(name: str, base: str, password: str, pytest_args: list[str], logs: Callable[[], str]) -> int:
    """``pytest <pytest_args> --base-url base`` with the relay's admin password;
    says what the run left changed on the relay, and its logs (`logs()`) when
    pytest failed. pytest's exit status, or 1 when something was left behind."""
    started = time.monotonic()
    before = state(base, password)
    code = subprocess.call([sys.executable, "-m", "pytest", *pytest_args, "--base-url", base], cwd=ROOT,
                           env={**os.environ, "TANDEM_E2E_ADMIN_PASSWORD": password})
    after = state(base, password)
    left = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    for what, (was, now) in left.items():
        print(f"{name}: the run changed the relay's {what}: {was} -> {now}")
    if code != 0:
        print(logs())
    print(f"{name}: pytest exit {code} after {time.monotonic() - started:.0f} s", flush=True)
    return code or (1 if left else 0)


def main(args: list[str]) -> int:
    password = "qa-" + secrets.token_urlsafe(12)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="tandem-deployment-") as tmp:
        var = Path(tmp)
        relay = start_relay(var, port, password)
        try:
            print(f"deployment pass: relay with its defaults at {base} (PID {relay.pid})", flush=True)
            return run_suites("deployment pass", base, password, ["e2e", *args], lambda: (
                "--- relay log (last 200 lines) ---\n"
                + "".join((var / "relay.log").read_text().splitlines(True)[-200:])))
        finally:
            stop(relay)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
