"""Several relay processes on one machine (server/workers.py,
server/private_redis.py): ``python -m server --workers N`` serves one port
from N processes sharing the store and a Redis broker, starts a killed worker
again and stops with every process it started; without a shared broker it
refuses in one line, and ``--start-redis`` (what ``make run WORKERS=N`` runs)
brings its own redis-server and stops it with the relay.

Which process served a request is read from the relay's log, where each line
names its process when there are several (``INFO: [1234] 127.0.0.1:5678 -
"GET /signin HTTP/1.1" 200 OK``)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, LiveRelay

WAIT = 60.0
"""Seconds a step may take on a loaded machine before the test fails (never a measure)."""

STARTED = re.compile(r"\[(\d+)\] Started server process")
SERVED = re.compile(r'\[(\d+)\] 127\.0\.0\.1:\d+ - "(\w+) (\S+) HTTP/1\.1" (\d+)')


def workers_relay(var: Path, workers: int, *options: str, **env: str) -> LiveRelay:
    return LiveRelay(var, [sys.executable, "-m", "server", "--workers", str(workers), *options], log_level="info",
                     TANDEM_SIGNIN_ATTEMPTS="1000", **env)


def started(relay: LiveRelay) -> list[int]:
    """The worker processes the log says started, in order."""
    return [int(pid) for pid in STARTED.findall(relay.log.read_text(errors="replace"))]


def served(relay: LiveRelay, method: str, path: str) -> set[int]:
    """The processes the log says answered `method path` with a success."""
    return {int(pid) for pid, m, p, status in SERVED.findall(relay.log.read_text(errors="replace"))
            if m == method and p == path and status.startswith("2")}


def wait_for(what: str, check, relay: LiveRelay):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what}; relay log:\n{relay.log.read_text(errors='replace')}")


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def sign_in_and_read_me(base: str) -> None:
    """Sign in and open the admin's own page with the token, each request on
    a new connection (so any process may take it)."""
    with httpx.Client(base_url=base, trust_env=False, timeout=WAIT) as http:
        r = http.post("/api/signin", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
                      headers={"Connection": "close"})
        assert r.status_code == 200, r.text
        token = r.json()["token"]
    with httpx.Client(base_url=base, trust_env=False, timeout=WAIT) as http:
        r = http.get("/api/me", headers={"Authorization": f"Bearer {token}", "Connection": "close"})
        assert r.status_code == 200, r.text
        assert r.json()["email"] == ADMIN_EMAIL


def stop(relay: LiveRelay, sig: int) -> None:
    """Send `sig` to the relay's first process and wait for it to end with 0
    (a relay already ended is stopped as conftest's relays are)."""
    if relay.proc.poll() is None:
        relay.proc.send_signal(sig)
        try:
            code = relay.proc.wait(WAIT)
        finally:
            relay.stop()  # closes the log (and kills a relay that did not end)
        assert code == 0, relay.log.read_text(errors="replace")
    relay.stop()


def test_workers_serve_one_port_survive_a_killed_worker_and_stop_with_every_process(tmp_path, redis_server):
    relay = workers_relay(tmp_path, 3, TANDEM_BROKER_URL=redis_server.fresh_url()).start()
    children: list[psutil.Process] = []
    try:
        first = wait_for("three workers did not start", lambda: len(started(relay)) >= 3 and started(relay), relay)
        assert len(set(first)) == 3 and relay.proc.pid not in first
        out = relay.log.read_text()
        assert out.count("Tandem relay starting on") == 1 and "processes: 3" in out

        # pages and sign-in from several processes, the token of one good at the others
        for _ in range(100):
            assert httpx.get(f"{relay.base}/signin", headers={"Connection": "close"}, trust_env=False).status_code == 200
            sign_in_and_read_me(relay.base)
            if len(served(relay, "POST", "/api/signin")) >= 2 and len(served(relay, "GET", "/signin")) >= 2:
                break
        assert len(served(relay, "POST", "/api/signin")) >= 2
        assert len(served(relay, "GET", "/signin")) >= 2
        assert served(relay, "GET", "/signin") | served(relay, "GET", "/api/me") <= set(first)

        victim = first[0]
        psutil.Process(victim).kill()  # SIGKILL: no goodbye
        replaced = wait_for("no worker started after one was killed",
                            lambda: [pid for pid in started(relay) if pid not in first], relay)
        assert gone(victim)
        for _ in range(100):  # the port answers throughout; the new worker takes its share
            sign_in_and_read_me(relay.base)
            if served(relay, "POST", "/api/signin") & set(replaced):
                break
        assert served(relay, "POST", "/api/signin") & set(replaced)
        children = psutil.Process(relay.proc.pid).children(recursive=True)
        assert {p.pid for p in children} >= set(first[1:]) | set(replaced)
    finally:
        stop(relay, signal.SIGTERM)
    # multiprocessing's resource tracker ends a moment after the relay, when it reads the end of its pipe
    wait_for("processes were left behind", lambda: all(gone(p.pid) for p in children), relay)
    assert not listening(relay.port)


def test_several_workers_on_the_in_process_broker_are_refused_in_one_line(tmp_path):
    env = {**os.environ, "TANDEM_VAR": str(tmp_path), "TANDEM_BROKER_URL": "memory://"}
    done = subprocess.run([sys.executable, "-m", "server", "--workers", "4"], capture_output=True, text=True,
                          timeout=WAIT, env=env)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("tandem-relay: --workers 4 runs 4 processes")
    assert "set TANDEM_BROKER_URL=redis://" in done.stderr and "make run WORKERS=N" in done.stderr


def test_a_setting_that_cannot_be_is_refused_in_one_line(tmp_path):
    for name, value, says in (("TANDEM_HEAP_TRIM_INTERVAL", "abc", "give a number"),
                              ("TANDEM_HEAP_TRIM_INTERVAL", "-1", "give seconds, or 0 for never"),
                              ("TANDEM_SEND_QUEUE_DEPTH", "1.5", "give a whole number")):
        env = {**os.environ, "TANDEM_VAR": str(tmp_path), name: value}
        done = subprocess.run([sys.executable, "-m", "server"], capture_output=True, text=True, timeout=WAIT, env=env)
        assert done.returncode == 1
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.startswith(f"tandem-relay: {name} is ") and says in done.stderr, done.stderr


def test_start_redis_runs_a_private_redis_for_the_workers_and_stops_it(tmp_path):
    relay = workers_relay(tmp_path, 2, "--start-redis", TANDEM_BROKER_URL="memory://").start()
    try:
        wait_for("two workers did not start", lambda: len(started(relay)) >= 2, relay)
        out = relay.log.read_text()
        port = int(re.search(r"broker: redis://:\*\*\*@127\.0\.0\.1:(\d+)/0", out)[1])
        conf = tmp_path / "redis" / "redis.conf"
        assert conf.stat().st_mode & 0o077 == 0
        assert re.search(r"^requirepass (\S+)$", conf.read_text(), re.M)[1] not in out
        redis = [p for p in psutil.Process(relay.proc.pid).children() if p.name().startswith("redis")]
        assert len(redis) == 1 and listening(port)
        sign_in_and_read_me(relay.base)
        assert any((tmp_path / "redis" / "appendonlydir").iterdir())  # appendonly yes: kept across restarts
    finally:
        stop(relay, signal.SIGINT)  # Ctrl-C
    assert gone(redis[0].pid)
    assert not listening(port) and not listening(relay.port)


def test_a_second_relay_on_the_same_folder_does_not_share_its_redis(tmp_path):
    relay = workers_relay(tmp_path, 2, "--start-redis", TANDEM_BROKER_URL="memory://").start()
    try:
        wait_for("two workers did not start", lambda: len(started(relay)) >= 2, relay)
        done = subprocess.run([*relay.command, "--port", str(relay.port + 1)], capture_output=True, text=True,
                              timeout=WAIT, env=relay.env)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert done.stderr.startswith("tandem-relay: another relay runs the Redis in ")
        sign_in_and_read_me(relay.base)  # the first relay and its Redis are untouched
    finally:
        stop(relay, signal.SIGTERM)
