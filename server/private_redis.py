"""A redis-server of the relay's own, for several relay processes on one
machine when nobody gave a broker (``make run WORKERS=4``).

Debian's ``redis-server`` runs from ``var/redis/``: its settings file (with a
password made at each start, readable by the relay's user only), its
append-only file (``appendonly yes``: live sessions outlive a restart of the
relay) and its log. It listens on a free loopback port and belongs to the
relay: `stop()` ends it when the relay stops, and on Linux it also ends should
the relay be killed without a goodbye. A file lock keeps two relays from
running one folder's Redis at once.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0


class NotStarted(RuntimeError):
    """The private Redis could not start; the message says why, in one line."""


def die_with_parent() -> None:
    """In a child process (``preexec_fn``, or first thing in a worker): end with
    SIGTERM when the process that started it dies, even by SIGKILL. Linux only;
    elsewhere nothing."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(port: int, password: str) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(f"*2\r\n$4\r\nAUTH\r\n${len(password)}\r\n{password}\r\n*1\r\n$4\r\nPING\r\n".encode())
            reply = b""
            while reply.count(b"\r\n") < 2:
                chunk = s.recv(256)
                if not chunk:
                    return False
                reply += chunk
            return reply == b"+OK\r\n+PONG\r\n"
    except OSError:
        return False


def _quoted(path: Path) -> str:
    # a double-quoted string as redis.conf reads it (C escapes), for folders with spaces
    return json.dumps(str(path), ensure_ascii=False)


class PrivateRedis:
    """``redis = PrivateRedis(var / "redis"); url = redis.start(); ...; redis.stop()``."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.proc: subprocess.Popen | None = None
        self._lock = None

    def start(self) -> str:
        """Start the server and wait until it answers; returns its URL (with
        the password). Raises `NotStarted`."""
        exe = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not os.path.exists(exe):
            raise NotStarted("redis-server is not installed: `make run WORKERS=N` installs it "
                             "(Debian's redis-server package), or set TANDEM_BROKER_URL=redis://HOST:PORT/0")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        self._take_lock()
        port, password = _free_port(), secrets.token_urlsafe(24)
        conf = self.folder / "redis.conf"
        conf.touch(0o600)
        conf.chmod(0o600)
        conf.write_text(f"""# written by the Tandem relay at each start; edits are lost
port {port}
bind 127.0.0.1
requirepass {password}
dir {_quoted(self.folder.resolve())}
appendonly yes
appendfsync everysec
save ""
daemonize no
logfile {_quoted((self.folder / "redis.log").resolve())}
""")
        # its own process group: Ctrl-C stops the relay's processes first, then `stop()` ends Redis
        self.proc = subprocess.Popen([exe, str(conf.resolve())], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True, preexec_fn=die_with_parent)
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(port, password):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise NotStarted(f"redis-server did not start in {self.folder}: see {self.folder / 'redis.log'}")
            time.sleep(0.05)
        return f"redis://:{password}@127.0.0.1:{port}/0"

    def _take_lock(self) -> None:
        import fcntl

        lock = open(self.folder / "lock", "w")  # noqa: SIM115 (held until stop)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise NotStarted(f"another relay runs the Redis in {self.folder}; stop it first, "
                             "or give this one its own TANDEM_VAR") from None
        self._lock = lock

    def stop(self) -> None:
        """End the server (it writes its append-only file first) and wait for it."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._lock is not None:
            self._lock.close()
            self._lock = None
