"""Helpers the bench scripts share: processes stopped by PID, waiting, free
ports, CPU of a process as % of one core, percentiles, tables, and an Xvfb display."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import time

import psutil

from tests.conftest import stop_process


class Procs:
    """Everything a bench starts; stopped by PID, newest first."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def add(self, p: subprocess.Popen) -> subprocess.Popen:
        self.procs.append(p)
        return p

    def stop(self, p: subprocess.Popen) -> None:
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGCONT)  # a stopped process cannot handle SIGTERM
            except OSError:
                pass
            stop_process(p)

    def stop_all(self) -> None:
        for p in reversed(self.procs):
            self.stop(p)


def wait_for(pred, timeout: float = 15.0, what: str = "condition", step: float = 0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise RuntimeError(f"timed out waiting for {what}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class CPU:
    """CPU time of a process (and its children) as % of one core over a window."""

    def __init__(self, pid: int, children: bool = True) -> None:
        self.p = psutil.Process(pid)
        self.children = children

    def _t(self) -> float:
        total = 0.0
        for p in [self.p, *(self.p.children(recursive=True) if self.children else [])]:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return total

    def start(self) -> CPU:
        self.t0, self.w0 = self._t(), time.monotonic()
        return self

    def percent(self) -> float:
        return 100.0 * (self._t() - self.t0) / (time.monotonic() - self.w0)


def print_columns(head: tuple, body: list[tuple]) -> None:
    """A bench's table: aligned columns, the first left and the rest right, a rule under ``head``."""
    lines = [head, *body]
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(head))]
    for i, line in enumerate(lines):
        print("  ".join(str(c).ljust(w) if j == 0 else str(c).rjust(w)
                        for j, (c, w) in enumerate(zip(line, widths, strict=True))))
        if i == 0:
            print("  ".join("-" * w for w in widths))


def loadavg() -> str:
    """The machine's load averages (1, 5 and 15 minutes), as /proc/loadavg gives them."""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank); NaN when there are no values."""
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(q / 100 * (len(v) - 1))))]


class Display:
    """An Xvfb screen of its own (-displayfd: no race for a number)."""

    def __init__(self, procs: Procs, width: int, height: int) -> None:
        r, w = os.pipe()
        self.proc = procs.add(subprocess.Popen(
            ["Xvfb", "-displayfd", str(w), "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        os.close(w)
        with os.fdopen(r) as f:
            ready, _, _ = select.select([f], [], [], 10)
            line = f.readline().strip() if ready else ""
        if not line.isdigit():
            raise RuntimeError("Xvfb did not start")
        self.display = f":{line}"
        self.env = {**os.environ, "DISPLAY": self.display}

    def xdotool(self, *args: str) -> str:
        return subprocess.run(["xdotool", *args], env=self.env, capture_output=True, text=True, timeout=10).stdout

    def window(self, title: str) -> int:
        ids = wait_for(lambda: self.xdotool("search", "--onlyvisible", "--name", f"^{title}$").split(), 15,
                       f"window {title}")
        return int(ids[0])

    def geometry(self, wid: int) -> tuple[int, int, int, int]:
        """(x, y, w, h) of a window's inside in root coordinates."""
        out = subprocess.run(["xwininfo", "-id", str(wid)], env=self.env, capture_output=True, text=True,
                             timeout=10).stdout
        info = dict(line.strip().split(":", 1) for line in out.splitlines() if ":" in line)
        b = int(info["Border width"])
        return (int(info["Absolute upper-left X"]) + b, int(info["Absolute upper-left Y"]) + b,
                int(info["Width"]), int(info["Height"]))
