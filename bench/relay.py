"""Relay benchmark: Tandem's full relay against a bare Starlette relay, same run.

    .venv/bin/python bench/relay.py            # table
    .venv/bin/python bench/relay.py --json     # JSON
    .venv/bin/python bench/relay.py --quick    # smaller counts, for a smoke run

For each relay (Tandem: ``python -m server``; bare: ``bench/bare_relay.py``),
each in its own process on a loopback port:

* a room of two clients, set up through the real API for Tandem (admin signs
  in, creates a queue, a customer asks for help, the rep takes it with
  ``accept_next`` -- view grant and cobrowse stream -- then asks for control
  and the customer approves): binary frames with `FRAME_HEADER`, so every
  frame passes the relay's rate limit, sequence and grant checks;
* round trip: the customer sends a COBROWSE frame, the rep answers each with a
  CONTROL frame (two relayed messages), one at a time: p50/p99;
* throughput: the customer streams frames to the rep, a window in flight:
  messages per second and relay CPU (the relay process, all threads, from
  schedstat) per relayed message; tests alternate tandem and bare in rounds;
* idle connections: a fresh relay, then N WebSocket connections that each said
  hello (Tandem: customers with capability tokens, several connections per
  token) or named a room (bare): RSS growth per connection.

The client is one asyncio process (default event loop) with the `websockets`
client; both relays run without permessage-deflate, as `python -m server`
does. Only the relay process's CPU is counted; the client's share of a core
is printed so that a client-bound run shows as such. Everything runs on loopback, with bounded counts and
timeouts, and stops the relays it started.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.protocol import FRAME_HEADER, StreamKind  # noqa: E402
from tests.conftest import stop_process  # noqa: E402

ADMIN_EMAIL = "admin@localhost"
ADMIN_PASSWORD = "bench-password-1"
UNLIMITED = "1000000000"

TARGETS = {  # figure -> (limit, "max"), from the issue
    "cpu_us_100": 15.0,
    "rtt_p99_ms_100": 1.0,
    "idle_kib": 16.0,
    "cpu_ratio_100": 1.3,
}

# `python -m server` with one change: the uvicorn WebSocket implementation (--ws).
TANDEM_WITH_WS = """
import sys, uvicorn
from server.config import Settings
from server.web.app import create_app
s = Settings.from_env()
uvicorn.run(create_app(s), host=sys.argv[1], port=int(sys.argv[2]), log_level="warning",
            ws=sys.argv[3], ws_max_size=max(s.max_message_bytes, s.max_binary_bytes) + 64,
            ws_per_message_deflate=False)
"""


class BenchError(RuntimeError):
    pass


def finish(run, args, show) -> int:
    """The end of every bench's main: ``run()``'s results as JSON (``--json``)
    or ``show(results)``; exit status 1, with the reason, when it failed."""
    try:
        results = run()
    except (TimeoutError, BenchError) as exc:
        print(f"bench failed: {str(exc) or 'timed out (--timeout)'}", file=sys.stderr)
        return 1
    if args.json:
        json.dump(results, sys.stdout, indent=1)
        print()
    else:
        show(results)
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_fd_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, need)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft < need:
        raise BenchError(f"need {need} file descriptors, the limit is {soft}: lower --idle")


# --- relay processes -----------------------------------------------------------


class RelayProcess:
    """One relay on a free loopback port, started before and stopped after use."""

    def __init__(self, kind: str, var: Path, args: argparse.Namespace) -> None:
        self.kind = kind
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        self.var = var
        self.log = var / f"{kind}-{self.port}.log"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        cwd = args.relay_dir or ROOT
        if kind == "tandem":
            env.update(TANDEM_VAR=str(var), TANDEM_ADMIN_PASSWORD=ADMIN_PASSWORD,
                       TANDEM_SECRET_KEY="bench-secret", TANDEM_PUBLIC_URL=self.base,
                       # the benchmark is the abuse the limits are there to stop
                       TANDEM_MESSAGES_PER_SECOND=UNLIMITED, TANDEM_MESSAGE_BURST=UNLIMITED,
                       TANDEM_FRAMES_PER_SECOND=UNLIMITED, TANDEM_FRAME_BURST=UNLIMITED,
                       TANDEM_JOIN_ATTEMPTS=UNLIMITED)
            if args.ws:
                cmd = [sys.executable, "-c", TANDEM_WITH_WS, "127.0.0.1", str(self.port), args.ws]
            else:
                cmd = [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", str(self.port),
                       "--log-level", "warning"]
        else:
            cmd = [sys.executable, str(ROOT / "bench" / "bare_relay.py"), "--port", str(self.port),
                   "--log-level", "warning", "--ws", args.ws or "auto"]
        self.proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=self.log.open("ab"),
                                     stderr=subprocess.STDOUT)
        self.ps = psutil.Process(self.proc.pid)

    def wait_ready(self, timeout: float = 30.0) -> RelayProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.kind} relay exited:\n{self.log.read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise BenchError(f"{self.kind} relay did not start in {timeout:.0f} s")

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


def ws_name(choice: str | None) -> str:
    """The uvicorn WebSocket implementation the relays run ("auto" resolved)."""
    if choice and choice != "auto":
        return choice
    try:
        from uvicorn.protocols.websockets.auto import AutoWebSocketsProtocol
        return f"auto = {getattr(AutoWebSocketsProtocol, '__name__', None)}"
    except ImportError:
        return "auto"


def event_loop_name() -> str:
    """What uvicorn's loop="auto" picks in this environment (the relays use it)."""
    try:
        import uvloop  # noqa: F401
        return "uvloop (uvicorn loop=auto)"
    except ImportError:
        return "asyncio (uvicorn loop=auto, no uvloop)"


# --- clients -------------------------------------------------------------------


class Peer:
    """One client connection: sends framed binary messages, receives binary
    frames (text frames in between are protocol messages: errors fail the run)."""

    def __init__(self, ws: ClientConnection, kind: int = 0, stream: int = 0, seq: int = 0) -> None:
        self.ws = ws
        self.kind, self.stream, self.seq = kind, stream, seq
        self.texts: list[dict] = []

    def frame(self, body: bytes) -> bytes:
        self.seq += 1
        return FRAME_HEADER.pack(self.kind, self.stream, self.seq) + body

    async def send(self, body: bytes) -> None:
        await self.ws.send(self.frame(body))

    async def recv(self) -> bytes:
        while True:
            msg = await self.ws.recv()
            if isinstance(msg, bytes):
                return msg
            data = json.loads(msg)
            if data.get("type") == "error":
                raise BenchError(f"relay refused a message: {data}")
            self.texts.append(data)


def ws_options(args: argparse.Namespace, **extra) -> dict:
    return {"compression": None, "max_size": 2 << 20,
            "ping_interval": None, "open_timeout": 20, "close_timeout": 2, **extra}


async def expect(ws: ClientConnection, type_: str, timeout: float = 10.0, **match) -> dict:
    """The next text message of ``type_`` (matching ``match``), skipping others."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise BenchError(f"no {type_} {match} within {timeout} s")
        msg = await asyncio.wait_for(ws.recv(), left)
        if isinstance(msg, bytes):
            continue
        data = json.loads(msg)
        if data.get("type") == "error":
            raise BenchError(f"relay refused a message while waiting for {type_}: {data}")
        if data.get("type") == type_ and all(f(data) for f in match.values()):
            return data


async def tandem_admin(http: httpx.AsyncClient) -> tuple[str, int]:
    r = await http.post("/api/signin", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    r.raise_for_status()
    token = r.json()["token"]
    me = (await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})).json()
    return token, me["id"]


async def tandem_queue(http: httpx.AsyncClient, token: str, name: str, rep_id: int | None) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    r = await http.post("/api/admin/queues", headers=auth, json={"name": name, "title": name.title()})
    r.raise_for_status()
    if rep_id is not None:
        me = (await http.get("/api/me", headers=auth)).json()
        r = await http.patch(f"/api/admin/reps/{rep_id}", headers=auth,
                             json={"queues": sorted({*me["queues"], name}), "queue_rep": True})
        r.raise_for_status()


async def help_token(http: httpx.AsyncClient, queue: str, name: str) -> str:
    r = await http.post("/api/help", json={"queue": queue, "name": name})
    if r.status_code != 200:
        raise BenchError(f"POST /api/help: {r.status_code} {r.text}")
    return r.json()["token"]


async def tandem_pair(relay: RelayProcess, args) -> tuple[Peer, Peer]:
    """(customer, rep): the customer shares its tab (COBROWSE on the view
    stream), the rep holds an approved control grant (CONTROL frames back)."""
    async with httpx.AsyncClient(base_url=relay.base, timeout=10) as http:
        admin, admin_id = await tandem_admin(http)
        await tandem_queue(http, admin, "bench", admin_id)
        customer_token = await help_token(http, "bench", "Bench customer")
    cws = await connect(relay.ws_url, **ws_options(args))
    rws = await connect(relay.ws_url, **ws_options(args))
    await cws.send(json.dumps({"type": "hello", "seq": 0, "token": customer_token}))
    pid = (await expect(cws, "welcome"))["pid"]
    await rws.send(json.dumps({"type": "hello", "seq": 0, "token": admin}))
    await expect(rws, "welcome")
    await rws.send(json.dumps({"type": "accept_next", "seq": 1}))
    state = await expect(rws, "session_state", active=lambda m: m["state"] == "active" and m["activities"])
    session = state["session"]
    view = next(a["stream"] for a in state["activities"] if a["kind"] == "view" and a["sharer"] == pid)
    await rws.send(json.dumps({"type": "request_grant", "seq": 2, "session": session, "kind": "control"}))
    pending = await expect(cws, "session_state", pending=lambda m: any(
        g["kind"] == "control" and g["state"] == "pending" for g in m["grants"]))
    grant = next(g["id"] for g in pending["grants"] if g["kind"] == "control" and g["state"] == "pending")
    await cws.send(json.dumps({"type": "decide_grant", "seq": 1, "session": session,
                               "grant": grant, "approve": True}))
    state = await expect(rws, "session_state", control=lambda m: any(
        a["kind"] == "control" for a in m["activities"]))
    control = next(a["stream"] for a in state["activities"] if a["kind"] == "control")
    customer = Peer(cws, StreamKind.COBROWSE, view, seq=1)
    rep = Peer(rws, StreamKind.CONTROL, control, seq=2)
    return customer, rep


async def bare_pair(relay: RelayProcess, args) -> tuple[Peer, Peer]:
    cws = await connect(relay.ws_url, **ws_options(args))
    rws = await connect(relay.ws_url, **ws_options(args))
    await cws.send("pair")
    await rws.send("pair")
    await asyncio.sleep(0.1)  # both joined before the first frame
    return (Peer(cws, StreamKind.COBROWSE, 1), Peer(rws, StreamKind.CONTROL, 2))


# --- measurements ----------------------------------------------------------------


def pct(sorted_values: list[float], q: float) -> float:
    i = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[i]


async def round_trips(relay: RelayProcess, customer: Peer, rep: Peer, body: bytes, count: int) -> dict:
    """Customer COBROWSE -> rep, rep CONTROL -> customer, one at a time."""

    async def echo() -> None:
        for _ in range(count):
            await rep.recv()
            await rep.send(body)

    async def run() -> list[float]:
        echoer = asyncio.create_task(echo())
        times = []
        try:
            for _ in range(count):
                t0 = time.perf_counter_ns()
                await customer.send(body)
                await customer.recv()
                times.append((time.perf_counter_ns() - t0) / 1e6)
            await echoer
        finally:
            echoer.cancel()
        return times

    with client_gc_off():
        cpu0, wall0, me0 = relay.cpu(), time.perf_counter(), process_cpu()
        times = await asyncio.wait_for(run(), 120)
        cpu, wall, me = relay.cpu() - cpu0, time.perf_counter() - wall0, process_cpu() - me0
    return {"times": times, "msgs": 2 * count, "cpu": cpu, "wall": wall, "client_cpu": me}


async def stream(relay: RelayProcess, sender: Peer, receiver: Peer, body: bytes, count: int,
                 window: int) -> dict:
    """Sender -> receiver with ``window`` frames in flight."""

    async def run() -> None:
        slots = asyncio.Semaphore(window)

        async def rx() -> None:
            for _ in range(count):
                await receiver.recv()
                slots.release()

        reader = asyncio.create_task(rx())
        try:
            for _ in range(count):
                await slots.acquire()
                await sender.send(body)
            await reader
        finally:
            reader.cancel()

    with client_gc_off():
        cpu0, wall0, me0 = relay.cpu(), time.perf_counter(), process_cpu()
        await asyncio.wait_for(run(), 120)
        cpu, wall, me = relay.cpu() - cpu0, time.perf_counter() - wall0, process_cpu() - me0
    return {"msgs": count, "cpu": cpu, "wall": wall, "client_cpu": me}


def summarize_rtt(rounds: list[dict]) -> dict:
    times = sorted(t for r in rounds for t in r["times"])
    cpu, msgs, wall = (sum(r[k] for r in rounds) for k in ("cpu", "msgs", "wall"))
    return {"round_trips": len(times), "p50_ms": pct(times, 0.50), "p99_ms": pct(times, 0.99),
            "mean_ms": statistics.fmean(times), "max_ms": times[-1], "cpu_us_per_msg": cpu / msgs * 1e6,
            "client_core_share": sum(r["client_cpu"] for r in rounds) / wall}


def summarize_stream(rounds: list[dict], size: int) -> dict:
    cpu, msgs, wall = (sum(r[k] for r in rounds) for k in ("cpu", "msgs", "wall"))
    rates = [r["msgs"] / r["wall"] for r in rounds]
    return {"messages": msgs, "msgs_per_s": statistics.median(rates),
            "msgs_per_s_rounds": [round(x) for x in rates], "MiB_per_s": statistics.median(rates) * size / 2**20,
            "cpu_us_per_msg": cpu / msgs * 1e6,
            "cpu_us_per_msg_rounds": [round(r["cpu"] / r["msgs"] * 1e6, 1) for r in rounds],
            "relay_core_share": cpu / wall, "client_core_share": sum(r["client_cpu"] for r in rounds) / wall}


@contextlib.contextmanager
def client_gc_off():
    """No collector pauses in the client while it times the relay."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def process_cpu() -> float:
    return time.process_time()


async def idle_connections(relay: RelayProcess, args) -> dict:
    """RSS growth of a fresh relay per idle connection that said hello."""
    n = args.idle
    hellos: list[str] = []
    if relay.kind == "tandem":
        # Every customer in a queue is told its place whenever the line grows,
        # so a line of n costs n^2/2 messages: a few hundred customers, each
        # with several connections (a customer with tabs open), not n customers.
        async with httpx.AsyncClient(base_url=relay.base, timeout=30) as http:
            admin, _ = await tandem_admin(http)
            await tandem_queue(http, admin, "idle", None)
            t0 = time.perf_counter()
            tokens = [await help_token(http, "idle", f"Idle {i}") for i in range(args.idle_tokens)]
            enqueue_s = time.perf_counter() - t0
        hellos = [json.dumps({"type": "hello", "seq": 0, "token": tokens[i % len(tokens)]}) for i in range(n)]
    await asyncio.sleep(0.5)
    rss0 = relay.rss()
    conns: list[ClientConnection] = []
    opts = ws_options(args, max_queue=None)

    async def open_one(i: int) -> None:
        ws = await connect(relay.ws_url, **opts)
        conns.append(ws)
        if relay.kind == "tandem":
            await ws.send(hellos[i])
            await expect(ws, "welcome", 30)
        else:
            await ws.send(f"idle-{i // 2}")

    t0 = time.perf_counter()
    try:
        for start in range(0, n, args.idle_batch):
            batch = range(start, min(n, start + args.idle_batch))
            await asyncio.wait_for(asyncio.gather(*(open_one(i) for i in batch)), 60)
        open_s = time.perf_counter() - t0
        await asyncio.sleep(1.0)  # let the relay finish what the hellos started
        rss1 = relay.rss()
        fds = relay.ps.num_fds()
    finally:
        relay.kill()  # before the clients go: 5,000 goodbyes are not what is measured
        for ws in conns:
            ws.transport.abort()
        conns.clear()
    out = {"connections": n, "rss_before_MiB": rss0 / 2**20, "rss_after_MiB": rss1 / 2**20,
           "KiB_per_conn": (rss1 - rss0) / n / 1024, "open_s": open_s, "relay_fds": fds}
    if relay.kind == "tandem":
        out.update(tokens=len(tokens), enqueue_s=enqueue_s)
    return out


# --- the run ---------------------------------------------------------------------


async def measure_pairs(var: Path, args) -> dict:
    """Both relays up at once, one pair each; every test runs in ``--rounds``
    rounds that alternate tandem and bare, so a burst of other load on the
    machine hits both sides alike."""
    relays = {kind: RelayProcess(kind, var / kind, args) for kind in ("tandem", "bare")}
    try:
        pairs = {}
        for kind, relay in relays.items():
            relay.wait_ready()
            pairs[kind] = await asyncio.wait_for((tandem_pair if kind == "tandem" else bare_pair)(relay, args), 30)
        raw: dict = {kind: {} for kind in relays}
        rounds = max(1, args.rounds)
        for label, size, rts, msgs in (("100", 100, args.rtt_small, args.stream_small),
                                       ("64k", 64 * 1024, args.rtt_large, args.stream_large)):
            body = os.urandom(size)
            for kind, relay in relays.items():  # warm up
                customer, rep = pairs[kind]
                await round_trips(relay, customer, rep, body, max(50, rts // 20))
                await stream(relay, customer, rep, body, max(100, msgs // 20), args.window)
            for _ in range(rounds):
                for kind, relay in relays.items():
                    customer, rep = pairs[kind]
                    raw[kind].setdefault(f"rtt_{label}", []).append(
                        await round_trips(relay, customer, rep, body, max(1, rts // rounds)))
                    raw[kind].setdefault(f"stream_{label}", []).append(
                        await stream(relay, customer, rep, body, max(1, msgs // rounds), args.window))
        out = {}
        for kind, tests in raw.items():
            out[kind] = {name: summarize_rtt(r) if name.startswith("rtt") else
                         summarize_stream(r, 100 if name.endswith("100") else 64 * 1024)
                         for name, r in tests.items()}
            out[kind]["relay_rss_MiB_after_pair"] = relays[kind].rss() / 2**20
            for peer in pairs[kind]:
                await peer.ws.close()
        return out
    finally:
        for relay in relays.values():
            relay.stop()


async def measure_idle(kind: str, var: Path, args) -> dict:
    relay = RelayProcess(kind, var, args).wait_ready()
    try:
        return await idle_connections(relay, args)
    finally:
        relay.stop()


def dump_logs(var: Path) -> None:
    for log in sorted(var.rglob("*.log")):
        sys.stderr.write(f"--- {log.name} ---\n{log.read_text()[-3000:]}\n")


async def run(args) -> dict:
    raise_fd_limit(args.idle + 1000)  # the relays inherit it
    results: dict = {"event_loop": event_loop_name(), "client_loop": "asyncio (default)",
                     "ws": ws_name(args.ws),
                     "python": sys.version.split()[0], "cpus": os.cpu_count(), "rounds": args.rounds}
    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp:
        var = Path(tmp)
        for kind in ("tandem", "bare"):
            (var / kind).mkdir()
        try:
            results.update(await measure_pairs(var, args))
            # idle connections last, one relay at a time: a relay holding
            # thousands of connections must not share the cores with a pair run
            for kind in ("tandem", "bare") if args.idle else ():
                gc.collect()
                results[kind]["idle"] = await measure_idle(kind, var / kind, args)
        except BaseException:
            dump_logs(var)
            raise
    return results


def rows(r: dict) -> list[tuple]:
    t, b = r["tandem"], r["bare"]

    def row(name, key, fmt, target=None):
        tv, bv = key(t), key(b)
        ratio = tv / bv if bv else float("nan")
        met = "" if target is None else ("yes" if tv <= target else "NO")
        return (name, fmt.format(tv), fmt.format(bv), f"{ratio:.2f}x",
                "" if target is None else f"<= {target:g}", met)

    out = [
        row("relay CPU µs / msg, 100 B (streamed)", lambda x: x["stream_100"]["cpu_us_per_msg"], "{:.1f}",
            TARGETS["cpu_us_100"]),
        row("relay CPU µs / msg, 64 KiB (streamed)", lambda x: x["stream_64k"]["cpu_us_per_msg"], "{:.1f}"),
        row("relay CPU µs / msg, 100 B (ping-pong)", lambda x: x["rtt_100"]["cpu_us_per_msg"], "{:.1f}"),
        row("relay CPU µs / msg, 64 KiB (ping-pong)", lambda x: x["rtt_64k"]["cpu_us_per_msg"], "{:.1f}"),
        row("msgs/s, 100 B, 1 pair", lambda x: x["stream_100"]["msgs_per_s"], "{:.0f}"),
        row("msgs/s, 64 KiB, 1 pair", lambda x: x["stream_64k"]["msgs_per_s"], "{:.0f}"),
        row("round trip p50 ms, 100 B", lambda x: x["rtt_100"]["p50_ms"], "{:.3f}"),
        row("round trip p99 ms, 100 B", lambda x: x["rtt_100"]["p99_ms"], "{:.3f}", TARGETS["rtt_p99_ms_100"]),
        row("round trip p50 ms, 64 KiB", lambda x: x["rtt_64k"]["p50_ms"], "{:.3f}"),
        row("round trip p99 ms, 64 KiB", lambda x: x["rtt_64k"]["p99_ms"], "{:.3f}"),
    ]
    if "idle" in t:
        out.append(row(f"KiB RSS / idle conn ({t['idle']['connections']})",
                       lambda x: x["idle"]["KiB_per_conn"], "{:.1f}", TARGETS["idle_kib"]))
    ratio = t["stream_100"]["cpu_us_per_msg"] / b["stream_100"]["cpu_us_per_msg"]
    out.append(("CPU / msg vs bare, 100 B", "", "", f"{ratio:.3f}x", f"<= {TARGETS['cpu_ratio_100']:g}x",
                "yes" if ratio <= TARGETS["cpu_ratio_100"] else "NO"))
    return out


def print_table(r: dict) -> None:
    head = ("figure", "tandem", "bare", "ratio", "target", "met?")
    table = [head, *rows(r)]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(head))]
    for i, line in enumerate(table):
        print("  ".join(str(c).ljust(w) if j == 0 else str(c).rjust(w) for j, (c, w) in enumerate(zip(line, widths, strict=True))))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    t, b = r["tandem"], r["bare"]
    print(f"\nrelay event loop: {r['event_loop']}; uvicorn ws: {r['ws']}; permessage-deflate: off; "
          f"client: one process, {r['client_loop']} loop; "
          f"python {r['python']}, {r['cpus']} CPUs")
    for kind, x in (("tandem", t), ("bare", b)):
        s, big = x["stream_100"], x["stream_64k"]
        print(f"{kind}: streamed 100 B: relay {s['relay_core_share']:.0%} of a core, client "
              f"{s['client_core_share']:.0%}; 64 KiB: {big['MiB_per_s']:.0f} MiB/s, relay "
              f"{big['relay_core_share']:.0%}, client {big['client_core_share']:.0%}")
        if "idle" in x:
            i = x["idle"]
            extra = (f", {i['tokens']} capability tokens ({i['connections'] // i['tokens']} connections each), "
                     f"queueing them took {i['enqueue_s']:.1f} s" if "tokens" in i else "")
            print(f"{kind}: idle: RSS {i['rss_before_MiB']:.0f} -> {i['rss_after_MiB']:.0f} MiB for "
                  f"{i['connections']} connections (opened in {i['open_s']:.1f} s{extra})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--quick", action="store_true", help="small counts (a smoke run)")
    parser.add_argument("--ws", default=None,
                        help="uvicorn WebSocket implementation for both relays (default: as `python -m server`)")
    parser.add_argument("--relay-dir", type=Path, default=None,
                        help="directory holding the `server` package to run (default: this checkout)")
    parser.add_argument("--rtt-small", type=int, default=5000, help="round trips with 100 B frames")
    parser.add_argument("--rtt-large", type=int, default=1000, help="round trips with 64 KiB frames")
    parser.add_argument("--stream-small", type=int, default=30000, help="streamed 100 B frames")
    parser.add_argument("--stream-large", type=int, default=3000, help="streamed 64 KiB frames")
    parser.add_argument("--window", type=int, default=64, help="frames in flight when streaming")
    parser.add_argument("--rounds", type=int, default=5, help="alternating tandem/bare rounds per test")
    parser.add_argument("--idle", type=int, default=5000, help="idle connections (0: skip)")
    parser.add_argument("--idle-tokens", type=int, default=500, help="customers behind the idle connections")
    parser.add_argument("--idle-batch", type=int, default=250, help="idle connections opened at once")
    args = parser.parse_args(argv)
    if args.quick:
        args.rtt_small, args.rtt_large, args.stream_small, args.stream_large = 500, 100, 3000, 300
        args.idle, args.idle_tokens = min(args.idle, 500), min(args.idle_tokens, 50)
    args.idle_tokens = max(1, min(args.idle_tokens, args.idle or 1))
    return finish(lambda: asyncio.run(run(args)), args, print_table)


if __name__ == "__main__":
    raise SystemExit(main())
