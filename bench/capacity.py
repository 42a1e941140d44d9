"""Capacity benchmark: how many live cobrowse sessions one relay process serves.

    .venv/bin/python bench/capacity.py            # table (a few minutes; stops at saturation)
    .venv/bin/python bench/capacity.py --quick    # a smoke run (small counts, short windows)
    .venv/bin/python bench/capacity.py --json     # the same figures as JSON
    .venv/bin/python bench/capacity.py --profile-at 400 --profile-out var/capacity.txt   # + py-spy
    .venv/bin/python bench/capacity.py --relay-dir OLD --compare NEW   # two relays, measured in turn
    .venv/bin/python bench/capacity.py --nodes 2   # two relay nodes on PostgreSQL + Redis (bench/nodes.py)
    .venv/bin/python bench/capacity.py --peer node --per-rep 1   # beside Node's ws room relay, in turn
    .venv/bin/python bench/capacity.py --no-pin    # the relay shares the CPUs with the load

One relay (``python -m server``) on a free loopback port with a temp var dir,
the per-connection rate limits lifted (messages and binary frames: the load is
what they exist to stop). Each session is set up through the real API: the
admin creates reps (queue reps in multi-session mode, ``--per-rep`` customers
each) and signs them in; a customer asks for help (``POST /api/help``), says
hello; the rep takes the customer with ``accept_next`` (view starts on
accept), asks for control, and the customer approves. Then, per session:

* the customer sends a 1,536-byte COBROWSE frame 10 times a second and a
  chat line every 5 seconds;
* the rep sends a 60-byte CONTROL frame 5 times a second.

Sessions grow in steps (``--steps``); the load pauses while a step's new
sessions are set up (under full load that takes minutes), then all of them
run, earlier steps' sessions included. At each step, after a settle time,
one measuring window: relay CPU (utime + stime from ``/proc/PID/stat``, all
threads) as % of one core and the part of it spent in the kernel (stime: on
loopback a send also runs the receiving side's TCP path, charged to the
relay), RSS and its growth per session (from the relay's start, and from the
step before: the second leaves out what the relay holds once however many
sessions it has, such as SQLite's page caches and SQLAlchemy's compiled
statements), messages received by all clients per second, customer -> rep
latency p50/p99 (a monotonic clock stamp in each frame's body; CLOCK_MONOTONIC is shared by
the processes of one machine), the part of it the relay's own event loop adds
(its ``tandem_loop_lag_seconds`` from `/metrics` over the window: the bucket
bounds holding p50 and p99, "at most"), the milliseconds per second its
garbage collector ran and those its loop's thread was ready but waited for a
CPU (``/proc/PID/schedstat``: the other processes' share of the lag, with
each wake-up's own scheduling delay), the p99 of how late the load
processes' loops run a 10 ms timer (the load's own share of the p99) and of
how late an idle thread of this script wakes from a 10 ms sleep (what the
machine adds to any process at this load), frames sent in the window that never arrived
(drops), connections the relay closed, and each load process's CPU. It stops
when the relay saturates (≥ 95 % of a core), p99 passes ``--max-p99`` ms,
anything was dropped, or the time budget is spent. Sessions per core at 80 %
CPU come from a straight-line fit of CPU against sessions over the unsaturated
steps.

``--probe`` (10) of each step's sessions run in one more client process, of
normal priority (the load processes are ``nice`` 5), that does nothing else:
its latency, printed apart, is the relay's at that load without the delays of
a load process serving hundreds of sessions (real browsers have machines of
their own). The relay runs alone on CPU 0 and the clients on the other CPUs
(``--pin``, the default where it can be: Linux, two CPUs or more, no
``--nodes``; with ``--compare`` or ``--peer`` both relays are on CPU 0, each
measured while the other idles), so that its CPU is "per core" and its
latency is not the time it waits for the load to leave its core;
``--no-pin`` lets them share.

With ``--peer node`` (or ``picows``, ``bare``) a bare room relay
(bench/peers/relays.py) runs beside relay A, measured in turn with it as ``--compare``
does (below), under the same profile (bench/load.py `RoomWorker`: a room per
session, which its customer and a rep connection join): Tandem's CPU per
relayed frame and sessions per core over the peer's, the floor of a relay
that only passes messages on, in the same hour. Use ``--per-rep 1`` for a
like-for-like ratio (the peer's reps hold one session per connection).

With ``--nodes N`` the relay is N relay nodes in cluster mode on one
PostgreSQL and one Redis behind HAProxy (bench/nodes.py); session k of a load
process has its customer on node k mod N and its rep on the next node
(``--entry haproxy``: every client through HAProxy), and the relay's CPU and
RSS are the nodes' sums, the backends' CPU beside them.

With ``--compare DIR`` a second relay (B, the ``server`` package in DIR; A
is ``--relay-dir`` or this checkout) gets the same sessions; at each step the
two are measured one after the other (the idle one's load paused), in
alternating order, so that both meet the same load from the rest of the
machine.

The load (bench/load.py) runs in ``--workers`` processes (multiprocessing, spawn), each with
its own event loop, its own sessions and WebSocket clients on picows (frames
parsed and written in C, as the relay's `/ws`: the load should cost the
machine little beside the relay it times); everything is loopback, bounded in
time, and the relay and the workers are stopped by this script.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from load import LAG_TICK, Admin, Pool, reps_for  # noqa: E402
from nodes import Backends, Nodes, OneRelay  # noqa: E402
from peers.relays import prepare, ws_stack  # noqa: E402
from relay import (  # noqa: E402
    UNLIMITED,
    BenchError,
    finish,
    raise_fd_limit,
)

from bench.common import loadavg, pct  # noqa: E402

PEERS = ("node", "picows", "bare")  # the bare room relays of bench/peers/relays.py (--peer)

# --- the main process ---------------------------------------------------------------


def py_spy(pid: int, seconds: float, out: Path, native: bool = False) -> list[tuple[str, float]]:
    """Sample the relay with py-spy for ``seconds`` (with ``native``, C frames
    too: the event loop, picows, system calls); the raw (collapsed) stacks go
    to ``out``; returns the functions with the most own time (share of samples)."""
    exe = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if exe is None:
        raise BenchError("py-spy is not installed: .venv/bin/pip install py-spy")
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([exe, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds))), "--rate", "250",
                    "--format", "raw", "--output", str(out),
                    # native stacks need the relay stopped at each sample (no --nonblocking): it slows down a little
                    *(["--native"] if native else ["--nonblocking"])], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=seconds + 60)
    own: Counter[str] = Counter()
    total = 0
    for line in out.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        total += int(n)
        own[stack.split(";")[-1]] += int(n)
    return [(name, count / total) for name, count in own.most_common(25)] if total else []


def loop_figures(admin: Admin, bases: list[str]) -> dict[str, float] | None:
    """The relays' own `/metrics` (summed over nodes): their loop-lag histogram
    (``le`` -> cumulative count) and the seconds their collector ran. None for
    a relay without them (an older ``--relay-dir``)."""
    got: Counter = Counter()
    for base in bases:
        r = admin.http.get(base + "/metrics", headers=admin.auth)
        if r.status_code != 200:
            return None
        for family in text_string_to_metric_families(r.text):
            for sample in family.samples:
                if sample.name == "tandem_loop_lag_seconds_bucket":
                    got[sample.labels["le"]] += sample.value
                elif sample.name == "tandem_gc_pause_seconds_sum":
                    got["gc"] += sample.value
    return dict(got) if got else None


def lag_quantile(before: dict, after: dict, q: float) -> float:
    """The bucket bound (ms) holding the q-quantile of the loop-lag samples
    taken between two `loop_figures`: at most that long."""
    bounds = sorted((float(le), after[le] - before.get(le, 0)) for le in after if le != "gc")
    total = bounds[-1][1]
    for bound, n in bounds:
        if total and n >= q * total:
            return bound * 1000
    return float("nan")


class IdleProbe(threading.Thread):
    """A thread of this (otherwise idle) process that sleeps ``LAG_TICK`` at a
    time and notes how late it wakes: what the machine adds, at this load, to
    the latency of a process that does no work at all (the floor of every p99)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.lags: list[float] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            due = time.perf_counter() + LAG_TICK
            time.sleep(LAG_TICK)
            self.lags.append((time.perf_counter() - due) * 1000)

    def stop(self) -> list[float]:
        self.done.set()
        self.join()
        return self.lags


def measure(relay: OneRelay | Nodes, pool: Pool, n: int, args, rss0: int, admin: Admin) -> dict:
    """One window at ``n`` sessions; with several nodes the relay's CPU and RSS are their sum."""
    time.sleep(args.settle)
    # the relay's `/metrics` is read outside the clients' window: a saturated
    # relay takes seconds to answer, and the window would count their frames
    loop0, loop_t0 = loop_figures(admin, relay.metrics_bases), time.perf_counter()
    pool.all("start")
    probe = IdleProbe()
    probe.start()
    cpu0, kernel0, back0, wall0 = relay.cpu(), relay.kernel_cpu(), relay.backend_cpu(), time.perf_counter()
    wait0 = relay.cpu_wait()
    time.sleep(args.window)
    idle_lags = probe.stop()
    cpu, wall = relay.cpu() - cpu0, time.perf_counter() - wall0
    cpu_wait = relay.cpu_wait() - wait0
    kernel = relay.kernel_cpu() - kernel0
    backends = relay.backend_cpu() - back0
    mem = relay.rss()
    load = loadavg()
    parts = pool.all("stop", 2.0)
    loop_t1 = time.perf_counter()
    loop1 = loop_figures(admin, relay.metrics_bases) if loop0 else None
    loads, probe_part = parts[:args.workers], parts[args.workers:]
    lat = [x for p in loads for x in p["latencies_ms"]]
    client_lags = [x for p in loads for x in p["loop_lags_ms"]]
    # rates over each client's own window (from its start to its stop), CPU over this one's
    frames = sum(p["frames_rx"] / p["wall_s"] for p in parts)
    texts = sum(p["texts_rx"] / p["wall_s"] for p in parts)
    sent, got = sum(p["sent"] for p in parts), sum(p["got"] for p in parts)
    row = {"sessions": n, "relay_cpu_pct": 100 * cpu / wall, "kernel_cpu_pct": 100 * kernel / wall,
           "backends_cpu_pct": 100 * backends / wall,
           "rss_MiB": mem / 2**20,
           "kB_per_session": (mem - rss0) / n / 1000, "msgs_per_s": frames + texts,
           "frames_per_s": frames, "us_per_frame": cpu / wall / frames * 1e6 if frames else float("nan"),
           "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "drops": sent - got,
           "errors": sum(p["errors"] for p in parts), "closed": sum(p["closed"] for p in parts),
           "client_cpu_pct": [round(100 * p["cpu_s"] / p["wall_s"], 1) for p in loads], "loadavg": load,
           "cpu_wait_ms_per_s": cpu_wait * 1000 / wall,
           "clients_lag_p99_ms": pct(client_lags, 99), "idle_lag_p99_ms": pct(idle_lags, 99)}
    contact = parts[0]
    if "churn" in contact:
        row.update(churn_per_s=contact["churn"] / contact["wall_s"], churn_p50_ms=pct(contact["churn_ms"], 50),
                   churn_p99_ms=pct(contact["churn_ms"], 99))
    if "boards" in contact:
        row.update(dashboards_per_s=contact["boards"] / contact["wall_s"],
                   kB_per_dashboard=contact["board_bytes"] / contact["boards"] / 1000 if contact["boards"] else 0.0)
    if probe_part:
        (p,) = probe_part
        row.update(probe_p50_ms=pct(p["latencies_ms"], 50), probe_p99_ms=pct(p["latencies_ms"], 99),
                   probe_frames=len(p["latencies_ms"]), probe_cpu_pct=100 * p["cpu_s"] / p["wall_s"])
    if loop0 and loop1:  # the latency the relay's own loop adds, apart from the clients' scheduling
        row.update(loop_lag_p50_ms=lag_quantile(loop0, loop1, 0.50), loop_lag_p99_ms=lag_quantile(loop0, loop1, 0.99),
                   gc_ms_per_s=(loop1["gc"] - loop0["gc"]) * 1000 / (loop_t1 - loop_t0))
    notes = Counter()
    for p in parts:
        notes.update(p["notes"])
    if notes:
        row["notes"] = dict(notes.most_common(5))
    return row


def pin(pids: list[int], cpus: set[int]) -> None:
    """Every thread of these processes (and those they start later) on ``cpus`` only."""
    for pid in pids:
        for tid in os.listdir(f"/proc/{pid}/task"):
            os.sched_setaffinity(int(tid), cpus)


def per_core(rows: list[dict]) -> float | None:
    """Sessions at 80 % of a core: a straight line through the unsaturated steps."""
    pts = [(r["sessions"], r["relay_cpu_pct"]) for r in rows if not r.get("saturated")]
    if not pts:
        return None
    if len(pts) == 1:
        n, c = pts[0]
        return n * 80 / c
    mx = sum(n for n, _ in pts) / len(pts)
    my = sum(c for _, c in pts) / len(pts)
    b = sum((n - mx) * (c - my) for n, c in pts) / sum((n - mx) ** 2 for n, _ in pts)
    a = my - b * mx
    return (80 - a) / b if b > 0 else None


class Side:
    """One relay under test, with its admin, its load processes and its rows."""

    def __init__(self, label: str, relay_dir: Path | None, var: Path, args, ws: str | None,
                 backends: Backends | None, peer: str | None = None) -> None:
        self.label = label
        self.peer = peer  # a bare room relay (bench/peers/relays.py): no API, no sessions, the same load
        var.mkdir()
        if backends:
            self.relay = Nodes(backends, var, args.nodes)
        else:
            self.relay = OneRelay(var, relay_dir, ws, side=peer or "tandem")
        self.pool: Pool | None = None
        self.rows: list[dict] = []
        self.stopped: str | None = None
        self.profile: dict | None = None

    def start(self, args) -> None:
        self.relay.start()
        processes = args.workers + bool(args.probe)
        self.admin = None if self.peer else Admin(self.relay.base, args.per_rep)
        self.queues = [self.admin.queue(f"capacity-{i}") if self.admin else "" for i in range(processes)]
        self.ws_urls = [self.relay.ws_url] if args.nodes and args.entry == "haproxy" else self.relay.ws_urls
        self.pool = Pool(args.workers, self.relay.base, self.ws_urls, self.queues, args.per_rep, bool(args.probe),
                         rooms=bool(self.peer))
        if args.pin:
            pin(self.relay.pids, {0})
            pin([os.getpid(), *(p.pid for p in self.pool.procs)], set(range(1, os.cpu_count())))
        self.reps = [0] * len(self.pool.procs)
        if (args.churn or args.watching) and not self.peer:  # the first load process runs them (bench/churn.py)
            churn_rep = self.admin.rep(self.queues[0]) if args.churn else None
            supervisor = self.admin.auth["Authorization"].split()[1] if args.watching else None
            self.pool.ask([("contact", args.churn, churn_rep, supervisor)]
                          + [("contact", 0, None, None)] * (len(self.pool.procs) - 1))
        time.sleep(0.5)
        self.rss0 = self.relay.rss()

    def grow(self, n: int, args) -> float:
        """Up to ``n`` sessions, the load paused (it stays paused)."""
        load = n - args.probe  # the probe's sessions count among the n
        targets = [load // args.workers + (1 if i < load % args.workers else 0) for i in range(args.workers)]
        if args.probe:
            targets.append(args.probe)
        t0 = time.perf_counter()
        self.pool.all("pause")  # setting up under full load would take minutes; the load waits
        grow = []
        for i, target in enumerate(targets):
            need = 0 if self.peer else max(0, reps_for(i, target, len(self.ws_urls), args.per_rep) - self.reps[i])
            grow.append(("grow", target, [self.admin.rep(self.queues[i]) for _ in range(need)]))
            self.reps[i] += need
        self.pool.ask(grow, timeout=args.budget + 120)
        return time.perf_counter() - t0

    def step(self, n: int, setup: float, args, alone: bool) -> dict:
        self.pool.all("resume")
        row = measure(self.relay, self.pool, n, args, self.rss0, self.admin)
        if args.profile_at and n >= args.profile_at and self.profile is None and not self.peer:
            self.profile = {"sessions": n, "file": str(self.profile_out(args)),
                            "own_time": py_spy(self.relay.pids[0], args.window, self.profile_out(args),
                                                   args.profile_native)}
        if not alone:
            self.pool.all("pause")  # the other relay's window: this one idles
        row.update(relay=self.label, setup_s=setup, nodes=args.nodes)
        if self.rows:  # what each session of this step added: without what the relay holds once, however many
            last = self.rows[-1]
            row["kB_per_added_session"] = (row["rss_MiB"] - last["rss_MiB"]) * 2**20 / (n - last["sessions"]) / 1000
        why = []
        if row["relay_cpu_pct"] >= 95 * min(max(1, args.nodes), os.cpu_count() or 1):
            why.append("relay saturated")
        if row["p99_ms"] > args.max_p99:
            why.append(f"p99 > {args.max_p99:g} ms")
        if row["drops"] or row["closed"] or row["errors"]:
            why.append("frames dropped or connections closed")
            sys.stderr.write(f"--- relay {self.label}: log ---\n{self.relay.logs()}\n")
        row["saturated"] = bool(why)
        if why:
            self.stopped = ", ".join(why)
        self.rows.append(row)
        return row

    def profile_out(self, args) -> Path:
        out = args.profile_out
        return out if self.label == "A" else out.with_name(f"{out.stem}-{self.label}{out.suffix}")

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
        self.relay.stop()


def run(args) -> dict:
    # the rep sign-ins are many from one address: lift that limit as the message limits
    os.environ["TANDEM_SIGNIN_ATTEMPTS"] = UNLIMITED
    raise_fd_limit((1 + bool(args.compare) + bool(args.peer)) * 2 * max(args.steps) + 1000)
    started = time.monotonic()
    results: dict = {"command": " ".join(["bench/capacity.py", *sys.argv[1:]]), "cpus": os.cpu_count(),
                     "python": sys.version.split()[0], "loadavg_start": loadavg(), "per_rep": args.per_rep,
                     "workers": args.workers, "window_s": args.window, "nodes": args.nodes, "pinned": args.pin,
                     "churn_per_s": args.churn, "watching": args.watching,
                     "entry": args.entry if args.nodes else None, "peer": args.peer, "relays": {}}
    if args.peer:
        prepare([args.peer], None)
    dirs = {"A": args.relay_dir}
    ws = {"A": args.ws, "B": args.compare_ws or args.ws}
    if args.compare:
        dirs["B"] = args.compare
    if args.peer:
        dirs[args.peer], ws[args.peer] = None, None
    backends = Backends() if args.nodes else None
    with tempfile.TemporaryDirectory(prefix="tandem-capacity-") as tmp:
        sides = []
        try:
            if backends:
                backends.start()
            sides += [Side(label, d, Path(tmp) / label, args, ws[label], backends,
                           peer=label if label == args.peer else None) for label, d in dirs.items()]
            for side in sides:
                side.start(args)
            for k, n in enumerate(args.steps):
                live = [side for side in sides if side.stopped is None]
                if not live:
                    break
                if time.monotonic() - started > args.budget:
                    for side in live:
                        side.stopped = f"time budget ({args.budget:.0f} s) spent"
                    break
                setups = {side.label: side.grow(n, args) for side in live}
                for side in (live if k % 2 == 0 else live[::-1]):  # alternate who goes first
                    row = side.step(n, setups[side.label], args, alone=len(sides) == 1)
                    if not args.json:
                        print_row(row, first=k == 0 and side is live[0], label=len(sides) > 1)
            for side in sides:
                side.stopped = side.stopped or "last step reached"
        except BaseException:
            for side in sides:
                sys.stderr.write(f"--- relay {side.label} log ---\n{side.relay.logs()}\n")
            raise
        finally:
            for side in sides:
                side.close()
            if backends:
                backends.stop()
    for side, (label, d) in zip(sides, dirs.items(), strict=True):
        if side.peer:
            where, stack = "bench/peers/relays.py", ws_stack(label, argparse.Namespace(ws=None))
        else:
            where, stack = str(d or "this checkout"), ws[label] or "as python -m server"
        results["relays"][label] = {"relay_dir": where, "ws": stack,
                                    "rows": side.rows,
                                    "stopped": side.stopped, "rss_before_MiB": side.rss0 / 2**20,
                                    "sessions_per_core_at_80pct": per_core(side.rows), "profile": side.profile}
    results["loadavg_end"] = loadavg()
    results["elapsed_s"] = time.monotonic() - started
    return results


COLUMNS = ("relay", "sessions", "relay CPU %", "in kernel %", "backends CPU %", "RSS MiB", "kB/session", "kB/added", "msgs/s", "µs/frame", "p50 ms", "p99 ms",
           "probe p50/p99 ms", "churn/s (p50/p99 ms)", "dashboards/s (kB)", "loop lag p50/p99 ms", "GC ms/s", "CPU wait ms/s", "clients' lag p99", "idle lag p99", "drops", "clients CPU %", "setup s", "load")


def print_row(r: dict, first: bool, label: bool = False) -> None:
    cells = (r["relay"], r["sessions"], f"{r['relay_cpu_pct']:.0f}", f"{r['kernel_cpu_pct']:.0f}",
             f"{r['backends_cpu_pct']:.0f}" if r.get("nodes") else "-", f"{r['rss_MiB']:.0f}",
             f"{r['kB_per_session']:.0f}",
             f"{r['kB_per_added_session']:.0f}" if "kB_per_added_session" in r else "-", f"{r['msgs_per_s']:,.0f}", f"{r['us_per_frame']:.0f}",
             f"{r['p50_ms']:.2f}", f"{r['p99_ms']:.2f}",
             f"{r['probe_p50_ms']:.2f} / {r['probe_p99_ms']:.2f}" if "probe_p99_ms" in r else "-",
             f"{r['churn_per_s']:.1f} ({r['churn_p50_ms']:.0f}/{r['churn_p99_ms']:.0f})" if "churn_per_s" in r else "-",
             f"{r['dashboards_per_s']:.2f} ({r['kB_per_dashboard']:.0f})" if "dashboards_per_s" in r else "-",
             f"≤{r['loop_lag_p50_ms']:g} / ≤{r['loop_lag_p99_ms']:g}" if "loop_lag_p99_ms" in r else "-",
             f"{r['gc_ms_per_s']:.1f}" if "gc_ms_per_s" in r else "-",
             f"{r['cpu_wait_ms_per_s']:.0f}",
             f"{r['clients_lag_p99_ms']:.1f}" if "clients_lag_p99_ms" in r else "-",
             f"{r['idle_lag_p99_ms']:.1f}" if "idle_lag_p99_ms" in r else "-",
             f"{r['drops']}" + (f" ({r['closed']} closed, {r['errors']} errors)" if r["closed"] or r["errors"] else ""),
             " + ".join(f"{c:.0f}" for c in r["client_cpu_pct"]), f"{r['setup_s']:.0f}", r["loadavg"])
    widths = [6, *(max(len(h), 9) for h in COLUMNS[1:])]
    skip = 0 if label else 1
    if first:
        print("  ".join(h.rjust(w) for h, w in zip(COLUMNS[skip:], widths[skip:], strict=True)), flush=True)
    print("  ".join(str(c).rjust(w) for c, w in zip(cells[skip:], widths[skip:], strict=True)), flush=True)
    for note, count in r.get("notes", {}).items():
        print(f"    {count}x {note}", flush=True)


def peer_ratios(r: dict) -> list[str]:
    """Tandem (relay A) against the bare peer of ``--peer``, step by step: CPU
    per relayed frame, and sessions per core at 80 %."""
    peer = r.get("peer")
    if not peer:
        return []
    a, b = r["relays"]["A"], r["relays"][peer]
    theirs = {row["sessions"]: row for row in b["rows"]}
    out = [f"relay A / {peer}: CPU per relayed frame at {row['sessions']:,} sessions: "
           f"{row['us_per_frame']:.0f} / {theirs[row['sessions']]['us_per_frame']:.0f} µs = "
           f"{row['us_per_frame'] / theirs[row['sessions']]['us_per_frame']:.2f}x"
           for row in a["rows"] if row["sessions"] in theirs]
    na, nb = a["sessions_per_core_at_80pct"], b["sessions_per_core_at_80pct"]
    if na and nb:
        out.append(f"relay A / {peer}: sessions per core at 80 % CPU: {na:,.0f} / {nb:,.0f} = {na / nb:.2f}x")
    return out


def print_summary(r: dict) -> None:
    print()
    for label, x in r["relays"].items():
        n80 = x["sessions_per_core_at_80pct"]
        name = f"relay {label} ({x['relay_dir']}, ws: {x['ws']})" if len(r["relays"]) > 1 else "relay"
        if r["nodes"]:
            name = (f"{r['nodes']} relay node{'s' * (r['nodes'] > 1)} on PostgreSQL + Redis (clients "
                    + ("through HAProxy)" if r["entry"] == "haproxy" else "on the nodes directly, rooms across nodes)"))
        print(f"{name}: sessions per core at 80 % CPU: {f'{n80:,.0f}' if n80 else 'n/a'}; stopped: {x['stopped']}")
    for line in peer_ratios(r):
        print(line)
    pinned = "; the relay alone on CPU 0, the clients on the others" if r["pinned"] else ""
    if r["churn_per_s"]:
        pinned += f"; {r['churn_per_s']:g} sessions a second began and ended beside the load"
    if r["watching"]:
        pinned += "; a supervisor watched the dashboard"
    print(f"{r['elapsed_s']:.0f} s; {r['workers']} load processes, {r['per_rep']} sessions per rep{pinned}; "
          f"{r['cpus']} CPUs, python {r['python']}; "
          f"load average {r['loadavg_start']} at start, {r['loadavg_end']} at the end")
    for label, x in r["relays"].items():
        p = x["profile"]
        if p:
            print(f"\npy-spy, relay {label}, own time at {p['sessions']} sessions (raw stacks: {p['file']}):")
            for name, share in p["own_time"]:
                print(f"  {share:6.1%}  {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--quick", action="store_true", help="a smoke run: small steps, short windows")
    parser.add_argument("--steps", default="50,200,400,600,800,1000,1200,1600,2000,2400,3000",
                        help="live sessions at each step, comma-separated")
    parser.add_argument("--per-rep", type=int, default=5, help="sessions per rep (multi-session queue reps)")
    parser.add_argument("--workers", type=int, default=2, help="load processes")
    parser.add_argument("--window", type=float, default=10.0, help="seconds measured at each step")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds before measuring a step")
    parser.add_argument("--max-p99", type=float, default=100.0, help="stop when p99 passes this (ms)")
    parser.add_argument("--budget", type=float, default=270.0, help="no new step after this many seconds")
    parser.add_argument("--relay-dir", type=Path, default=None,
                        help="directory holding the `server` package to run (default: this checkout)")
    parser.add_argument("--compare", type=Path, default=None,
                        help="a second `server` package directory (relay B), measured step by step in turn "
                             "with relay A (--relay-dir), so both see the same machine load")
    parser.add_argument("--peer", choices=PEERS, default=None,
                        help="a bare room relay (bench/peers/relays.py) beside relay A, measured step by step in turn with "
                             "it under the same load (one room per session, so use --per-rep 1 for a like-for-like "
                             "ratio): node (Node's ws), picows, or bare (Starlette on uvicorn)")
    parser.add_argument("--ws", default=None, help="uvicorn WebSocket implementation (default: as `python -m server`)")
    parser.add_argument("--compare-ws", default=None, help="relay B's uvicorn WebSocket implementation (default: --ws)")
    parser.add_argument("--nodes", type=int, default=0,
                        help="N relay nodes on PostgreSQL + Redis behind HAProxy (bench/nodes.py) instead of one "
                             "relay process; relay CPU and RSS are the nodes' sum")
    parser.add_argument("--entry", choices=("direct", "haproxy"), default="direct",
                        help="with --nodes: clients connect to the nodes directly, session k's customer to node "
                             "k mod N and its rep to the next node (default), or all through HAProxy")
    parser.add_argument("--profile-at", type=int, default=0,
                        help="after the first step with at least this many sessions, sample the relay with py-spy")
    parser.add_argument("--profile-out", type=Path, default=Path("var/capacity-profile.txt"),
                        help="where py-spy's raw stacks go")
    parser.add_argument("--profile-native", action="store_true",
                        help="py-spy --native: C frames too (the event loop, picows, system calls), not only "
                             "Python's; py-spy stops the relay at each sample for them, which slows it a little")
    parser.add_argument("--probe", type=int, default=10,
                        help="sessions (of the n at each step) run by one more client process of normal priority "
                             "that does nothing else: the latency through the relay without the load's own delays "
                             "(0: none)")
    parser.add_argument("--churn", type=float, default=0.0,
                        help="sessions a second that begin and end beside the load, one after the other, through "
                             "the real API (bench/churn.py; default 0: none)")
    parser.add_argument("--watching", action="store_true",
                        help="a supervisor (the admin) watches the dashboard; the pushes are counted")
    parser.add_argument("--pin", action=argparse.BooleanOptionalAction, default=None,
                        help="the relay alone on CPU 0, this script and the load processes on the other CPUs: its "
                             "core is its own, and no load waits for it (default: on where it can be: Linux, two "
                             "CPUs or more, no --nodes; two relays (--compare, --peer) share CPU 0, measured in "
                             "turn; --no-pin: the relay shares the CPUs with the load)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the relay and the load on the way out
    if args.quick:
        args.steps, args.window, args.settle, args.budget = "20,60,120", 3.0, 1.0, 60.0
        args.probe = min(args.probe, 5)
    args.steps = [int(x) for x in str(args.steps).split(",") if x.strip()]
    if args.nodes and (args.compare or args.relay_dir or args.peer):
        parser.error("--nodes runs this checkout's relay: no --compare, --relay-dir or --peer with it")
    if args.peer and (args.churn or args.watching):
        parser.error("--peer has no API for --churn or --watching")
    can_pin = not (args.nodes or (os.cpu_count() or 1) < 2 or not hasattr(os, "sched_setaffinity"))
    if args.pin and not can_pin:
        parser.error("--pin needs relays on one process each (no --nodes), two CPUs or more, and Linux")
    if args.pin is None:
        args.pin = can_pin
    if args.probe < 0 or (args.probe and min(args.steps) <= args.probe):
        parser.error("--probe is 0 or fewer sessions than the smallest step")
    if not 1 <= args.per_rep <= 50:
        parser.error("--per-rep is between 1 and 50 (a rep's maximum simultaneous customers)")
    if not 0 <= args.churn <= 50:
        parser.error("--churn is between 0 and 50 sessions a second")
    if args.churn and args.per_rep < 2:
        parser.error("--churn needs --per-rep 2 or more (its rep takes the next customer before ending the last)")
    return finish(lambda: run(args), args, print_summary)


if __name__ == "__main__":
    raise SystemExit(main())
