"""Relay benchmark: Tandem's relay against bare room relays, same run.

    .venv/bin/python bench/relay.py            # tables
    .venv/bin/python bench/relay.py --json     # JSON
    .venv/bin/python bench/relay.py --quick    # smaller counts, for a smoke run

The sides (``--sides``; see bench/peers/relays.py): Tandem as ``python -m
server`` runs it, and on uvicorn's other WebSocket implementations
(``tandem:wsproto``, ``tandem:websockets``); bare room relays on Starlette
(``bench/bare_relay.py``), Node's ``ws`` and picows (``bench/peers/``). Each
in its own process on a loopback port:

* a room of two clients, set up through the real API for Tandem (admin signs
  in, creates a queue, a customer asks for help, the rep takes it with
  ``accept_next`` -- view grant and cobrowse stream -- then asks for control
  and the customer approves): binary frames with `FRAME_HEADER`, so every
  frame passes the relay's rate limit, sequence and grant checks;
* round trip: the customer sends a COBROWSE frame, the rep answers each with a
  CONTROL frame (two relayed messages), one at a time: p50/p99;
* throughput: the customer streams frames to the rep, a window in flight:
  messages per second and relay CPU (the relay process, all threads, from
  schedstat) per relayed message; tests go through the sides in rounds;
* idle connections: a fresh relay, then N WebSocket connections that each said
  hello (Tandem: customers with capability tokens, several connections per
  token) or named a room (the bare relays): RSS growth per connection.

The client is one asyncio process (default event loop) with the `websockets`
client; every relay runs without permessage-deflate, as `python -m server`
does. Only the relay process's CPU is counted; the client's share of a core
is printed so that a client-bound run shows as such. Everything runs on
loopback, with bounded counts and timeouts, and stops the relays it started.
A refused message, a closed connection or a dropped frame fails the run with
exit status 1 and the reason.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from peers.relays import (  # noqa: E402
    ADMIN_PASSWORD,
    UNLIMITED,  # noqa: F401  (bench/capacity.py takes it from here)
    BenchError,
    RelayProcess,
    prepare,
    split_side,
    ws_stack,
)

from bench.common import print_columns  # noqa: E402
from server.protocol import FRAME_HEADER, StreamKind  # noqa: E402

ADMIN_EMAIL = "admin@localhost"

TARGETS = {  # figure -> limit (at most), from the issues
    "cpu_us_100": 15.0,
    "rtt_p99_ms_100": 1.0,
    "idle_kib": 16.0,
    "cpu_ratio_100": 1.3,  # tandem / bare Starlette
    "cpu_ratio_node_100": 1.0,  # tandem / node ws (issue 15: at or below)
}
SIDES = ("tandem", "bare", "node", "picows", "tandem:wsproto", "tandem:websockets")
MAIN = ("tandem", "bare", "node")  # the main table's columns, when run
STALL = 10.0  # seconds without a frame arriving before a test fails


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


def raise_fd_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, need)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft < need:
        raise BenchError(f"need {need} file descriptors, the limit is {soft}: lower --idle")


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
    frames (text frames in between are protocol messages: errors fail the run).
    ``received`` counts the frames received, for the stall watch."""

    def __init__(self, ws: ClientConnection, name: str, kind: int = 0, stream: int = 0, seq: int = 0) -> None:
        self.ws, self.name = ws, name
        self.kind, self.stream, self.seq = kind, stream, seq
        self.received = 0
        self.texts: list[dict] = []

    def frame(self, body: bytes) -> bytes:
        self.seq += 1
        return FRAME_HEADER.pack(self.kind, self.stream, self.seq) + body

    async def send(self, body: bytes) -> None:
        try:
            await self.ws.send(self.frame(body))
        except ConnectionClosed as exc:
            raise BenchError(f"{self.name}: the relay closed the connection ({exc})") from None

    async def recv(self) -> bytes:
        while True:
            try:
                msg = await self.ws.recv()
            except ConnectionClosed as exc:
                raise BenchError(f"{self.name}: the relay closed the connection ({exc})") from None
            if isinstance(msg, bytes):
                self.received += 1
                return msg
            self.text(msg)

    def text(self, msg: str) -> None:
        data = json.loads(msg)
        if data.get("type") == "error":
            hint = (" (the bench lifts TANDEM_MESSAGES_PER_SECOND/_BURST and TANDEM_FRAMES_PER_SECOND/"
                    "TANDEM_FRAME_BURST; does this relay have another budget?)" if data.get("code") == "rate_limited"
                    else "")
            raise BenchError(f"{self.name}: the relay refused a message: {data}{hint}")
        self.texts.append(data)

    async def watch(self) -> None:
        """Read what comes to a peer that only sends, so that a refusal fails
        the run at once; runs until cancelled."""
        while True:
            await self.recv()


async def together(coros: list, background: list, what: str, timeout: float, peers: list[Peer]) -> None:
    """Run ``coros`` to the end, with ``background`` (which run until
    cancelled) beside them. The first failure of either fails the run, and so
    do ``timeout`` seconds in all or STALL seconds in which no peer received a
    frame: a frame the relay dropped or refused cannot hang the bench."""

    async def stall_watch() -> None:
        seen, since = -1, time.monotonic()
        while True:
            await asyncio.sleep(0.5)
            now = sum(p.received for p in peers)
            if now != seen:
                seen, since = now, time.monotonic()
            elif time.monotonic() - since > STALL:
                counts = ", ".join(f"{p.name} {p.received}" for p in peers)
                raise BenchError(f"{what}: no frame arrived for {STALL:.0f} s (frames received so far: {counts}); "
                                 "the relay dropped some (its log is printed above)")

    main = [asyncio.ensure_future(c) for c in coros]
    extra = [asyncio.ensure_future(c) for c in [*background, stall_watch()]]
    deadline = time.monotonic() + timeout
    try:
        while not all(t.done() for t in main):
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError(f"{what}: not done in {timeout:.0f} s")
            done, _ = await asyncio.wait([t for t in main + extra if not t.done()], timeout=left,
                                         return_when=asyncio.FIRST_COMPLETED)
            for t in done:
                if t.exception() is not None:
                    raise t.exception()
    finally:
        for t in main + extra:
            t.cancel()
        await asyncio.gather(*main, *extra, return_exceptions=True)


def ws_options(args: argparse.Namespace, **extra) -> dict:
    return {"compression": None, "max_size": 2 << 20,
            "ping_interval": None, "open_timeout": 20, "close_timeout": 2, **extra}


async def wait(fut: asyncio.Future, what: str, timeout: float = 60.0):
    """``fut``'s result; a `BenchError` naming ``what`` after ``timeout`` seconds."""
    try:
        return await asyncio.wait_for(fut, timeout)
    except TimeoutError:
        raise BenchError(f"no {what} within {timeout:.0f} s") from None


async def expect(ws: ClientConnection, type_: str, timeout: float = 10.0, **match) -> dict:
    """The next text message of ``type_`` (matching ``match``), skipping others."""
    deadline = time.monotonic() + timeout
    wanted = f"{type_} ({', '.join(match)})" if match else type_
    while True:
        try:
            msg = await asyncio.wait_for(ws.recv(), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            raise BenchError(f"no {wanted} within {timeout:g} s") from None
        except ConnectionClosed as exc:
            raise BenchError(f"the relay closed the connection while the bench waited for {wanted} ({exc})") from None
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
    customer = Peer(cws, "customer", StreamKind.COBROWSE, view, seq=1)
    rep = Peer(rws, "rep", StreamKind.CONTROL, control, seq=2)
    return customer, rep


async def bare_pair(relay: RelayProcess, args) -> tuple[Peer, Peer]:
    cws = await connect(relay.ws_url, **ws_options(args))
    rws = await connect(relay.ws_url, **ws_options(args))
    await cws.send("pair")
    await rws.send("pair")
    await asyncio.sleep(0.1)  # both joined before the first frame
    return (Peer(cws, "customer", StreamKind.COBROWSE, 1), Peer(rws, "rep", StreamKind.CONTROL, 2))


# --- measurements ----------------------------------------------------------------


def pct(sorted_values: list[float], q: float) -> float:
    i = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[i]


async def round_trips(relay: RelayProcess, customer: Peer, rep: Peer, body: bytes, count: int,
                      timeout: float) -> dict:
    """Customer COBROWSE -> rep, rep CONTROL -> customer, one at a time."""
    times: list[float] = []

    async def echo() -> None:
        for _ in range(count):
            await rep.recv()
            await rep.send(body)

    async def ask() -> None:
        for _ in range(count):
            t0 = time.perf_counter_ns()
            await customer.send(body)
            await customer.recv()
            times.append((time.perf_counter_ns() - t0) / 1e6)

    with client_gc_off():
        cpu0, wall0, me0 = relay.cpu(), time.perf_counter(), process_cpu()
        await together([ask(), echo()], [], f"{relay.side}: {count} round trips", timeout, [customer, rep])
        cpu, wall, me = relay.cpu() - cpu0, time.perf_counter() - wall0, process_cpu() - me0
    return {"times": times, "msgs": 2 * count, "cpu": cpu, "wall": wall, "client_cpu": me}


async def stream(relay: RelayProcess, sender: Peer, receiver: Peer, body: bytes, count: int,
                 window: int, timeout: float) -> dict:
    """Sender -> receiver with ``window`` frames in flight."""
    slots = asyncio.Semaphore(window)

    async def rx() -> None:
        for _ in range(count):
            await receiver.recv()
            slots.release()

    async def tx() -> None:
        for _ in range(count):
            await slots.acquire()
            await sender.send(body)

    with client_gc_off():
        cpu0, wall0, me0 = relay.cpu(), time.perf_counter(), process_cpu()
        await together([tx(), rx()], [sender.watch()], f"{relay.side}: {count} streamed frames", timeout,
                       [receiver])
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
            try:
                await asyncio.wait_for(asyncio.gather(*(open_one(i) for i in batch)), 60)
            except TimeoutError:
                raise BenchError(f"{relay.side}: {len(batch)} idle connections not open in 60 s "
                                 f"({len(conns)} of {n} so far)") from None
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
    """Every side's relay up at once, one pair each; every test runs in
    ``--rounds`` rounds that go through the sides in turn, so a burst of other
    load on the machine hits every side alike."""
    relays = {side: RelayProcess(side, var / side.replace(":", "-"), args) for side in args.sides}
    try:
        pairs = {}
        for side, relay in relays.items():
            relay.wait_ready()
            make = tandem_pair if relay.kind == "tandem" else bare_pair
            try:
                pairs[side] = await asyncio.wait_for(make(relay, args), 30)
            except TimeoutError:
                raise BenchError(f"{side}: the pair was not set up in 30 s") from None
        raw: dict = {side: {} for side in relays}
        rounds = max(1, args.rounds)
        for label, size, rts, msgs in (("100", 100, args.rtt_small, args.stream_small),
                                       ("64k", 64 * 1024, args.rtt_large, args.stream_large)):
            body = os.urandom(size)
            for side, relay in relays.items():  # warm up (node's JIT too: --quick's counts alone leave it cold)
                customer, rep = pairs[side]
                await round_trips(relay, customer, rep, body, max(1000, rts // 10), args.timeout)
                await stream(relay, customer, rep, body, max(10000 if size < 1024 else 1000, msgs // 10),
                             args.window, args.timeout)
            for _ in range(rounds):
                for side, relay in relays.items():
                    customer, rep = pairs[side]
                    raw[side].setdefault(f"rtt_{label}", []).append(await round_trips(
                        relay, customer, rep, body, max(1, rts // rounds), args.timeout))
                    raw[side].setdefault(f"stream_{label}", []).append(await stream(
                        relay, customer, rep, body, max(1, msgs // rounds), args.window, args.timeout))
        out = {}
        for side, tests in raw.items():
            out[side] = {name: summarize_rtt(r) if name.startswith("rtt") else
                         summarize_stream(r, 100 if name.endswith("100") else 64 * 1024)
                         for name, r in tests.items()}
            out[side]["ws"] = ws_stack(side, args)
            out[side]["relay_rss_MiB_after_pair"] = relays[side].rss() / 2**20
            for peer in pairs[side]:
                await peer.ws.close()
        return out
    finally:
        for relay in relays.values():
            relay.stop()


async def measure_idle(side: str, var: Path, args) -> dict:
    relay = RelayProcess(side, var, args).wait_ready()
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
                     "python": sys.version.split()[0], "cpus": os.cpu_count(), "rounds": args.rounds,
                     "sides": args.sides, "load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp:
        var = Path(tmp)
        for side in args.sides:
            (var / side.replace(":", "-")).mkdir()
        try:
            results.update(await measure_pairs(var, args))
            # idle connections last, one relay at a time: a relay holding
            # thousands of connections must not share the cores with a pair run
            for side in [s for s in args.idle_sides if s in args.sides] if args.idle else ():
                gc.collect()
                results[side]["idle"] = await measure_idle(side, var / side.replace(":", "-"), args)
        except BaseException:
            dump_logs(var)
            raise
    results["load_after"] = os.getloadavg()
    return results


def main_rows(r: dict, cols: list[str]) -> list[tuple]:
    """The figures of tandem and the bare relays, with tandem's ratio to each."""
    peers = cols[1:]

    def row(name, key, fmt, target=None):
        values = [key(r[c]) for c in cols]
        tv = values[0]
        ratios = [f"{tv / v:.2f}x" if v else "" for v in values[1:]]
        met = "" if target is None else ("yes" if tv <= target else "NO")
        return (name, *(fmt.format(v) for v in values), *ratios, "" if target is None else f"<= {target:g}", met)

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
    if all("idle" in r[c] for c in cols):
        out.append(row(f"KiB RSS / idle conn ({r['tandem']['idle']['connections']})",
                       lambda x: x["idle"]["KiB_per_conn"], "{:.1f}", TARGETS["idle_kib"]))
    for peer, target in (("bare", "cpu_ratio_100"), ("node", "cpu_ratio_node_100")):
        if peer in peers:
            ratio = cpu_ratio(r, "tandem", peer)
            cells = ["" for _ in cols + peers]
            cells[len(cols) + peers.index(peer)] = f"{ratio:.3f}x"
            out.append((f"CPU / msg vs {peer}, 100 B streamed", *cells, f"<= {TARGETS[target]:g}x",
                        "yes" if ratio <= TARGETS[target] else "NO"))
    return out


def cpu_ratio(r: dict, side: str, peer: str) -> float:
    return r[side]["stream_100"]["cpu_us_per_msg"] / r[peer]["stream_100"]["cpu_us_per_msg"]


def side_rows(r: dict) -> list[tuple]:
    """Every side's one-pair figures on one line, with its CPU per message
    over node ws's."""
    out = []
    for side in r["sides"]:
        x = r[side]
        vs_node = f"{cpu_ratio(r, side, 'node'):.2f}x" if "node" in r else ""
        out.append((side, x["ws"], f"{x['stream_100']['cpu_us_per_msg']:.1f}",
                    f"{x['stream_64k']['cpu_us_per_msg']:.1f}", f"{x['stream_100']['msgs_per_s']:.0f}",
                    f"{x['rtt_100']['p50_ms']:.3f} / {x['rtt_100']['p99_ms']:.3f}",
                    f"{x['stream_100']['client_core_share']:.0%}", vs_node))
    return out


def print_table(r: dict) -> None:
    cols = [c for c in MAIN if c in r]
    if "tandem" in cols:
        names = {"tandem": "tandem", "bare": "bare", "node": "node ws"}
        print_columns(("figure", *(names[c] for c in cols), *(f"/ {names[c]}" for c in cols[1:]), "target", "met?"),
              main_rows(r, cols))
        print()
    print_columns(("side", "WebSocket", "CPU µs/msg 100 B", "CPU µs/msg 64 KiB", "msgs/s 100 B", "RTT p50 / p99 ms",
           "client", "CPU vs node ws"), side_rows(r))
    print(f"\nrelay event loop: {r['event_loop']}; permessage-deflate: off; "
          f"client: one process, {r['client_loop']} loop; python {r['python']}, {r['cpus']} CPUs; "
          "CPU per message: streamed, 100 B, relay process only; client: its share of a core while streaming; "
          f"load average before {' '.join(f'{x:.2f}' for x in r['load_before'])}, "
          f"after {' '.join(f'{x:.2f}' for x in r['load_after'])}")
    for side in r["sides"]:
        x = r[side]
        s, big = x["stream_100"], x["stream_64k"]
        print(f"{side}: streamed 100 B: relay {s['relay_core_share']:.0%} of a core, client "
              f"{s['client_core_share']:.0%}; 64 KiB: {big['MiB_per_s']:.0f} MiB/s, relay "
              f"{big['relay_core_share']:.0%}, client {big['client_core_share']:.0%}")
        if "idle" in x:
            i = x["idle"]
            extra = (f", {i['tokens']} capability tokens ({i['connections'] // i['tokens']} connections each), "
                     f"queueing them took {i['enqueue_s']:.1f} s" if "tokens" in i else "")
            print(f"{side}: idle: RSS {i['rss_before_MiB']:.0f} -> {i['rss_after_MiB']:.0f} MiB for "
                  f"{i['connections']} connections (opened in {i['open_s']:.1f} s{extra})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--quick", action="store_true", help="small counts (a smoke run)")
    parser.add_argument("--sides", default=",".join(SIDES),
                        help="relays to run, comma-separated: tandem, tandem:IMPL (uvicorn ws=IMPL), bare, node, "
                             "picows (default: %(default)s)")
    parser.add_argument("--ws", default=None,
                        help="uvicorn WebSocket implementation for tandem and bare (default: as `python -m server`)")
    parser.add_argument("--relay-dir", type=Path, default=None,
                        help="directory holding the `server` package to run (default: this checkout)")
    parser.add_argument("--rtt-small", type=int, default=5000, help="round trips with 100 B frames")
    parser.add_argument("--rtt-large", type=int, default=1000, help="round trips with 64 KiB frames")
    parser.add_argument("--stream-small", type=int, default=30000, help="streamed 100 B frames")
    parser.add_argument("--stream-large", type=int, default=3000, help="streamed 64 KiB frames")
    parser.add_argument("--window", type=int, default=64, help="frames in flight when streaming")
    parser.add_argument("--rounds", type=int, default=5, help="rounds through the sides per test")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds one test of one side may take")
    parser.add_argument("--idle", type=int, default=5000, help="idle connections (0: skip)")
    parser.add_argument("--idle-sides", default="tandem,bare,node", help="sides whose idle connections are measured")
    parser.add_argument("--idle-tokens", type=int, default=500, help="customers behind the idle connections")
    parser.add_argument("--idle-batch", type=int, default=250, help="idle connections opened at once")
    args = parser.parse_args(argv)
    if args.quick:
        args.rtt_small, args.rtt_large, args.stream_small, args.stream_large = 500, 100, 3000, 300
        args.idle, args.idle_tokens = min(args.idle, 500), min(args.idle_tokens, 50)
    args.idle_tokens = max(1, min(args.idle_tokens, args.idle or 1))
    args.sides = list(dict.fromkeys(s.strip() for s in args.sides.split(",") if s.strip()))
    args.idle_sides = [s.strip() for s in args.idle_sides.split(",") if s.strip()]

    def go() -> dict:
        for side in args.sides:
            split_side(side)
        prepare(args.sides, args.ws)
        return asyncio.run(run(args))

    return finish(go, args, print_table)


if __name__ == "__main__":
    raise SystemExit(main())
