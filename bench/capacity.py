"""Capacity benchmark: how many live cobrowse sessions one relay process serves.

    .venv/bin/python bench/capacity.py            # table (a few minutes; stops at saturation)
    .venv/bin/python bench/capacity.py --quick    # a smoke run (small counts, short windows)
    .venv/bin/python bench/capacity.py --json     # the same figures as JSON
    .venv/bin/python bench/capacity.py --profile-at 400 --profile-out var/capacity.txt   # + py-spy
    .venv/bin/python bench/capacity.py --relay-dir OLD --compare NEW   # two relays, measured in turn
    .venv/bin/python bench/capacity.py --nodes 2   # two relay nodes on PostgreSQL + Redis (bench/nodes.py)
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
(``--pin``, the default where it can be: Linux, two CPUs or more, one relay
process), so that its CPU is "per core" and its latency is not the time it
waits for the load to leave its core; ``--no-pin`` lets them share.

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

The load runs in ``--workers`` processes (multiprocessing, spawn), each with
its own event loop, its own sessions and WebSocket clients on picows (frames
parsed and written in C, as the relay's `/ws`: the load should cost the
machine little beside the relay it times); everything is loopback, bounded in
time, and the relay and the workers are stopped by this script.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import multiprocessing as mp
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from picows import WSListener, WSMsgType, ws_connect
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from churn import Churn, Supervisor  # noqa: E402
from nodes import Backends, Nodes, cpu_seconds, rss_bytes, runqueue_seconds  # noqa: E402
from relay import (  # noqa: E402
    ADMIN_PASSWORD,
    UNLIMITED,
    BenchError,
    RelayProcess,
    finish,
    raise_fd_limit,
    wait,
)

from server.protocol import FRAME_HEADER, StreamKind  # noqa: E402

REP_PASSWORD = "bench-rep-password-1"
CUSTOMER_FRAME = 1536  # bytes on the wire (header included)
CONTROL_FRAME = 60
FRAME_PERIOD = 0.1  # customer: 10 frames a second
CHAT_PERIOD = 5.0  # customer: a chat line every 5 s
CONTROL_PERIOD = 0.2  # rep: 5 control frames a second
STAMP = struct.Struct("!qII")  # monotonic ns, session index, frame counter (start of each body)
LAG_TICK = 0.01  # how often the load processes and the idle probe check how late they wake


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(q * (len(v) - 1))))]


# --- the load (one worker process) ----------------------------------------------


class FastClient(WSListener):
    """A load socket on picows, which parses and writes frames in C (as the
    relay's `/ws` does): each message goes to its `Link` as it arrives, with
    no queue between them, and a send is written at once. The load then costs
    its machine little beside the relay it times."""

    def __init__(self) -> None:
        super().__init__()
        self.ws = None  # picows' WSTransport
        self.transport = None  # the socket's transport: `abort` drops it without a goodbye
        self.link: Link | None = None
        self.early: list[bytes | str] = []  # what came before the link took over

    def on_ws_connected(self, transport) -> None:
        self.ws, self.transport = transport, transport.underlying_transport

    def on_ws_frame(self, transport, frame) -> None:
        kind = frame.msg_type
        if kind is WSMsgType.BINARY:
            msg = frame.get_payload_as_bytes()
        elif kind is WSMsgType.TEXT:
            msg = frame.get_payload_as_utf8_text()
        elif kind is WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()
            return
        else:
            return  # PING is answered by picows
        if not frame.fin:
            raise BenchError("the relay fragmented a message")  # picows then disconnects: counted as closed
        if self.link is None:
            self.early.append(msg)
        else:
            self.link.take(msg)

    async def send(self, payload: bytes | str) -> None:
        if isinstance(payload, str):
            self.ws.send(WSMsgType.TEXT, payload.encode())
        else:
            self.ws.send(WSMsgType.BINARY, payload)

    async def run(self, link: Link) -> None:
        """Hand every message to ``link`` until the connection ends."""
        self.link = link
        for msg in self.early:
            link.take(msg)
        self.early.clear()
        await self.ws.wait_disconnected()


class Link:
    """One WebSocket of the load. Messages are counted as they arrive, and
    text messages handed to whoever waits for one (setup); sends assign the
    connection's seq synchronously, so concurrent senders stay in order."""

    def __init__(self, ws, worker: Worker) -> None:
        self.ws = ws
        self.worker = worker
        self.seq = 0
        self.waiters: list[tuple] = []
        self.closed = False
        self.leaving = False  # it ends on purpose (`churn.Churn`): not counted as closed by the relay
        self.on_text = None  # called with every text message (`churn.Supervisor`)
        self.token = ""
        self.welcome: dict = {}
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            await self.receive()
        except Exception as exc:  # noqa: BLE001 - a closed socket is counted, not raised
            self.worker.note(f"connection ended: {exc!r}")
        finally:
            self.ended()

    async def receive(self) -> None:
        """Hand every message to `take` until the connection ends."""
        await self.ws.run(self)

    def take(self, msg: bytes | str) -> dict | None:
        """Count one message; a text one is parsed (and returned) when someone waits for it or it is an error."""
        w = self.worker
        if isinstance(msg, bytes):
            w.frames_rx += 1
            if len(msg) >= FRAME_HEADER.size + STAMP.size:
                w.on_frame(msg)
            return None
        w.texts_rx += 1
        if self.on_text is not None:
            self.on_text(msg)
        if self.waiters or '"type":"error"' in msg:
            data = json.loads(msg)
            self._on_text(data)
            return data
        return None

    def ended(self) -> None:
        self.closed = True
        if not (self.worker.stopping or self.leaving):
            self.worker.closed += 1
        for _, fut in self.waiters:
            if not fut.done():
                fut.set_exception(BenchError("connection closed during setup"))

    def _on_text(self, data: dict) -> None:
        if data.get("type") == "error":
            self.worker.errors += 1
            self.worker.note(f"relay error: {data}")
        for item in list(self.waiters):
            pred, fut = item
            if not fut.done() and pred(data):
                fut.set_result(data)
                self.waiters.remove(item)

    def expect(self, pred) -> asyncio.Future:
        """A future for the next text message matching ``pred``: register it
        before sending what it answers."""
        fut = asyncio.get_running_loop().create_future()
        self.waiters.append((pred, fut))
        return fut

    async def text(self, msg: dict) -> None:
        self.seq += 1
        msg["seq"] = self.seq
        await self.send(json.dumps(msg))

    async def frame(self, kind: int, stream: int, body: bytes) -> None:
        self.seq += 1
        await self.send(FRAME_HEADER.pack(kind, stream, self.seq) + body)

    async def send(self, payload: bytes | str) -> None:
        await self.ws.send(payload)


class Session:
    __slots__ = ("idx", "customer", "rep", "id", "view", "control", "sent", "c0", "c1", "got", "lat", "wake")

    def __init__(self, idx: int) -> None:
        self.idx = idx
        self.sent = 0
        self.c0 = self.c1 = None
        self.got = 0
        self.lat: list[int] = []
        self.wake: asyncio.Event | None = None
        """Set at every counted frame, for a sender that keeps a window in flight (bench/cluster.py)."""


class Worker:
    """One load process's sessions. With several relay nodes (``ws_urls``)
    session k's customer connects to node k mod N and its rep to the next
    node (a cross-node room); `add_session` can also be told where."""

    link = Link

    def __init__(self, index: int, base: str, ws_urls: list[str], queue: str, per_rep: int) -> None:
        self.index, self.base, self.ws_urls, self.queue, self.per_rep = index, base, ws_urls, queue, per_rep
        self.sessions: dict[int, Session] = {}
        self.reps: list[list] = []  # [Link, sessions taken, its URL]
        self.tokens: list[str] = []
        self.tasks: list[asyncio.Task] = []
        self.frames_rx = self.texts_rx = self.errors = self.closed = 0
        self.stopping = False
        self.running = asyncio.Event()  # the load pauses while sessions are set up
        self.notes: Counter[str] = Counter()
        self.random = random.Random(index)
        self.pad = os.urandom(CUSTOMER_FRAME)
        self.lags: list[float] | None = None  # this loop's lateness (ms) while a window is measured
        self.churn: Churn | None = None
        self.supervisor: Supervisor | None = None

    def note(self, what: str) -> None:
        if len(self.notes) < 20:
            self.notes[what[:300]] += 1

    def on_frame(self, msg: bytes) -> None:
        sent, idx, n = STAMP.unpack_from(msg, FRAME_HEADER.size)
        s = self.sessions.get(idx)
        if s is None or msg[0] != StreamKind.COBROWSE or s.c0 is None:
            return
        if n > s.c0 and (s.c1 is None or n <= s.c1):
            s.got += 1
            s.lat.append(time.monotonic_ns() - sent)
            if s.wake is not None:
                s.wake.set()

    async def connect(self, url: str):
        _, client = await ws_connect(FastClient, url, websocket_handshake_timeout=60, max_frame_size=2 << 20)
        return self.link(client, self)

    async def hello(self, link: Link, token: str) -> dict:
        welcome = link.expect(lambda m: m.get("type") == "welcome")
        await link.ws.send(json.dumps({"type": "hello", "seq": 0, "token": token}))
        link.token = token
        link.welcome = await wait(welcome, "welcome")
        return link.welcome

    async def rep_with_room(self, url: str) -> Link:
        for rep in self.reps:
            if rep[1] < self.per_rep and not rep[0].closed and rep[2] == url:
                rep[1] += 1
                return rep[0]
        if not self.tokens:
            raise BenchError("no rep left with room for a customer")
        link = await self.connect(url)
        await self.hello(link, self.tokens.pop())
        self.reps.append([link, 1, url])
        return link

    def place(self, k: int) -> tuple[str, str]:
        """(customer's node, rep's node) of this worker's k-th session."""
        n = len(self.ws_urls)
        return self.ws_urls[(k + self.index) % n], self.ws_urls[rep_node(self.index, k, n)]

    async def add_session(self, http: httpx.AsyncClient, idx: int, where: tuple[str, str] | None = None,
                          load: bool = True) -> Session:
        """A session set up through the real API (help, accept_next, control
        grant), the customer and the rep on the nodes ``where`` names; with
        ``load`` it runs capacity's profile."""
        s = Session(idx)
        cust_url, rep_url = where or self.place(len(self.sessions))
        rep = await self.rep_with_room(rep_url)
        r = await http.post("/api/help", json={"queue": self.queue, "name": f"Customer {idx}"})
        if r.status_code != 200:
            raise BenchError(f"POST /api/help: {r.status_code} {r.text}")
        cust = await self.connect(cust_url)
        # in line once it is told its place (with several nodes the welcome can come first)
        queued = cust.expect(lambda m: m.get("type") == "queue_position")
        pid = (await self.hello(cust, r.json()["token"]))["pid"]
        await wait(queued, "queue_position")

        def taken(m):
            return m.get("type") == "session_state" and m.get("state") == "active" and any(
                a["kind"] == "view" and a["sharer"] == pid for a in m["activities"])
        state = rep.expect(taken)
        await rep.text({"type": "accept_next"})
        state = await wait(state, "session_state after accept_next")
        s.id = state["session"]
        s.view = next(a["stream"] for a in state["activities"] if a["kind"] == "view" and a["sharer"] == pid)

        def pending(m):
            return m.get("type") == "session_state" and m.get("session") == s.id and any(
                g["kind"] == "control" and g["state"] == "pending" for g in m["grants"])
        asked = cust.expect(pending)
        await rep.text({"type": "request_grant", "session": s.id, "kind": "control"})
        asked = await wait(asked, "control request")
        grant = next(g["id"] for g in asked["grants"] if g["kind"] == "control" and g["state"] == "pending")

        def control(m):
            return m.get("type") == "session_state" and m.get("session") == s.id and any(
                a["kind"] == "control" for a in m["activities"])
        granted = rep.expect(control)
        await cust.text({"type": "decide_grant", "session": s.id, "grant": grant, "approve": True})
        granted = await wait(granted, "control grant")
        s.control = next(a["stream"] for a in granted["activities"] if a["kind"] == "control")
        s.customer, s.rep = cust, rep
        self.sessions[idx] = s
        if load:
            self.tasks.append(asyncio.create_task(self.customer_load(s)))
            self.tasks.append(asyncio.create_task(self.rep_load(s)))
        return s

    async def customer_load(self, s: Session) -> None:
        loop = asyncio.get_running_loop()
        link, pad = s.customer, self.pad[:CUSTOMER_FRAME - FRAME_HEADER.size - STAMP.size]
        due = loop.time() + self.random.uniform(0, FRAME_PERIOD)
        chat_due = due + self.random.uniform(0, CHAT_PERIOD)
        chat = {"type": "chat", "session": s.id, "text": "Hello, I still cannot find the invoice for March."}
        while not link.closed:
            await asyncio.sleep(max(0.0, due - loop.time()))
            if not self.running.is_set():
                await self.running.wait()
                due = loop.time()
            s.sent += 1
            await link.frame(StreamKind.COBROWSE, s.view, STAMP.pack(time.monotonic_ns(), s.idx, s.sent) + pad)
            if due >= chat_due:
                chat_due += CHAT_PERIOD
                await link.text(dict(chat))
            due = max(due + FRAME_PERIOD, loop.time() - 1.0)  # behind by more than a second: no burst

    async def rep_load(self, s: Session) -> None:
        loop = asyncio.get_running_loop()
        link = s.rep
        body = bytes(CONTROL_FRAME - FRAME_HEADER.size)
        due = loop.time() + self.random.uniform(0, CONTROL_PERIOD)
        while not link.closed:
            await asyncio.sleep(max(0.0, due - loop.time()))
            if not self.running.is_set():
                await self.running.wait()
                due = loop.time()
            await link.frame(StreamKind.CONTROL, s.control, body)
            due = max(due + CONTROL_PERIOD, loop.time() - 1.0)

    # --- commands from the main process

    async def grow(self, target: int, tokens: list[str]) -> dict:
        self.tokens.extend(tokens)
        t0 = time.perf_counter()
        async with httpx.AsyncClient(base_url=self.base, timeout=60) as http:
            while len(self.sessions) < target:
                await self.add_session(http, self.index * 1_000_000 + len(self.sessions))
        return {"sessions": len(self.sessions), "setup_s": time.perf_counter() - t0}

    def start(self) -> None:
        # no collector pauses in the load while it times the relay (as bench/relay.py's clients)
        gc.collect()
        gc.disable()
        self.mark = (time.process_time(), time.perf_counter(), self.frames_rx, self.texts_rx)
        for s in self.sessions.values():
            s.c0, s.c1, s.got, s.lat = s.sent, None, 0, []
        self.lags = []
        self.tasks.append(asyncio.create_task(self.watch_loop(self.lags)))
        for part in (self.churn, self.supervisor):
            if part is not None:
                part.window()

    async def watch_loop(self, lags: list[float]) -> None:
        """How late this load process's loop runs a timer, every 10 ms of a
        window: a frame that reaches this process waits as long before its
        arrival is stamped, so this is the load's own share of the p99."""
        loop = asyncio.get_running_loop()
        while lags is self.lags:
            due = loop.time() + LAG_TICK
            await asyncio.sleep(LAG_TICK)
            lags.append((loop.time() - due) * 1000)

    async def stop(self, grace: float) -> dict:
        cpu0, wall0, frames0, texts0 = self.mark
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        frames, texts = self.frames_rx - frames0, self.texts_rx - texts0
        for s in self.sessions.values():
            s.c1 = s.sent
        sent = sum(s.c1 - s.c0 for s in self.sessions.values())
        end = time.monotonic() + grace
        while time.monotonic() < end and sum(s.got for s in self.sessions.values()) < sent:
            await asyncio.sleep(0.05)
        # the collector back on only now: its first pass after the window would
        # hold up the window's last frames, and time this process, not the relay
        gc.enable()
        got = sum(s.got for s in self.sessions.values())
        lat = [x / 1e6 for s in self.sessions.values() for x in s.lat]
        lags, self.lags = self.lags or [], None
        for s in self.sessions.values():
            s.c0, s.lat = None, []
        out = {"cpu_s": cpu, "wall_s": wall, "frames_rx": frames, "texts_rx": texts, "sent": sent,
               "got": got, "latencies_ms": lat, "loop_lags_ms": lags, "errors": self.errors, "closed": self.closed,
               "notes": dict(self.notes)}
        if self.churn is not None:
            out["churn"], out["churn_ms"] = self.churn.window()
        if self.supervisor is not None:
            out["boards"], out["board_bytes"] = self.supervisor.window()
        self.notes.clear()
        return out

    async def contact(self, rate: float, churn_token: str | None, supervisor_token: str | None) -> None:
        """A contact center's comings and goings beside the load (bench/churn.py)."""
        if churn_token:
            self.churn = Churn(self, rate, churn_token)
            await self.churn.start()
        if supervisor_token:
            self.supervisor = Supervisor(self, supervisor_token)
            await self.supervisor.start()

    def close(self) -> None:
        """Stop the load and drop every connection without a goodbye."""
        self.stopping = True
        for t in self.tasks:
            t.cancel()
        for link in [s.customer for s in self.sessions.values()] + [r[0] for r in self.reps]:
            link.ws.transport.abort()

    async def main(self, conn) -> None:
        loop = asyncio.get_running_loop()
        while True:
            cmd, *rest = await loop.run_in_executor(None, conn.recv)
            try:
                if cmd == "pause":
                    self.running.clear()
                    reply = await self.churn.pause() if self.churn is not None else None
                elif cmd == "contact":
                    reply = await self.contact(*rest)
                elif cmd == "resume":
                    reply = self.running.set()
                elif cmd == "grow":
                    reply = await self.grow(*rest)
                elif cmd == "start":
                    reply = self.start()
                elif cmd == "stop":
                    reply = await self.stop(*rest)
                elif cmd == "quit":
                    self.close()
                    conn.send(("ok", None))
                    return
                else:
                    raise BenchError(f"unknown command {cmd!r}")
            except Exception as exc:  # noqa: BLE001 - reported to the main process, which stops
                conn.send(("error", f"worker {self.index}: {exc!r}; {dict(self.notes)}"))
            else:
                conn.send(("ok", reply))


def rep_node(worker: int, k: int, nodes: int) -> int:
    """The node of the rep of a load process's k-th session: the one after its customer's."""
    return (k + worker + 1) % nodes


def reps_for(worker: int, sessions: int, nodes: int, per_rep: int) -> int:
    """Reps a load process needs for ``sessions``: a rep serves customers on one node only."""
    on = Counter(rep_node(worker, k, nodes) for k in range(sessions))
    return sum(math.ceil(c / per_rep) for c in on.values())


def worker_main(conn, index: int, base: str, ws_urls: list[str], queue: str, per_rep: int, nice: int) -> None:
    import resource
    os.nice(nice)  # the load (5): when it and the relay want the same core, the relay's latency is what is measured
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    worker = Worker(index, base, ws_urls, queue, per_rep)
    try:
        import uvloop
        uvloop.run(worker.main(conn))
    except ImportError:
        asyncio.run(worker.main(conn))


# --- the main process ---------------------------------------------------------------


class Pool:
    """The load processes, and with ``probe`` one more, last: a few sessions of
    the same profile in a process of normal priority that does little else, as
    a customer's browser and a rep's are on machines of their own."""

    def __init__(self, n: int, base: str, ws_urls: list[str], queues: list[str], per_rep: int,
                 probe: bool = False) -> None:
        ctx = mp.get_context("spawn")
        self.conns, self.procs = [], []
        for i in range(n + probe):
            parent, child = ctx.Pipe()
            p = ctx.Process(target=worker_main, args=(child, i, base, ws_urls, queues[i], per_rep, 0 if i == n else 5),
                            daemon=True)
            p.start()
            self.conns.append(parent)
            self.procs.append(p)

    def ask(self, msgs: list[tuple], timeout: float = 300.0) -> list:
        for conn, msg in zip(self.conns, msgs, strict=True):
            conn.send(msg)
        out = []
        for conn in self.conns:
            if not conn.poll(timeout):
                raise BenchError("a load process did not answer")
            status, reply = conn.recv()
            if status != "ok":
                raise BenchError(reply)
            out.append(reply)
        return out

    def all(self, *msg, timeout: float = 300.0) -> list:
        return self.ask([msg] * len(self.conns), timeout)

    def close(self) -> None:
        try:
            self.all("quit", timeout=10)
        except (BenchError, OSError, EOFError):
            pass
        for p in self.procs:
            p.join(5)
            if p.is_alive():
                p.kill()
                p.join(5)


class Admin:
    """The admin's side of the setup: queues, reps (created and signed in)."""

    def __init__(self, base: str, per_rep: int) -> None:
        self.http = httpx.Client(base_url=base, timeout=60)
        self.per_rep = per_rep
        r = self.http.post("/api/signin", json={"email": "admin@localhost", "password": ADMIN_PASSWORD})
        r.raise_for_status()
        self.auth = {"Authorization": f"Bearer {r.json()['token']}"}
        self.reps = 0

    def queue(self, name: str) -> str:
        r = self.http.post("/api/admin/queues", headers=self.auth, json={"name": name, "title": name.title()})
        r.raise_for_status()
        return name

    def rep(self, queue: str) -> str:
        self.reps += 1
        email = f"rep{self.reps}@bench.example.com"
        r = self.http.post("/api/admin/reps", headers=self.auth, json={
            "email": email, "name": f"Rep {self.reps}", "password": REP_PASSWORD, "queue_rep": True,
            "max_customers": self.per_rep, "multi_session": self.per_rep > 1, "queues": [queue]})
        if r.status_code != 201:
            raise BenchError(f"POST /api/admin/reps: {r.status_code} {r.text}")
        r = self.http.post("/api/signin", json={"email": email, "password": REP_PASSWORD})
        if r.status_code != 200:
            raise BenchError(f"rep sign-in: {r.status_code} {r.text}")
        return r.json()["token"]


class OneRelay:
    """The relay process of a run without ``--nodes``, seen as `nodes.Nodes` is."""

    def __init__(self, var: Path, relay_dir: Path | None, ws: str | None) -> None:
        self.relay = RelayProcess("tandem", var, argparse.Namespace(relay_dir=relay_dir, ws=ws))
        self.base, self.ws_urls = self.relay.base, [self.relay.ws_url]

    def start(self) -> OneRelay:
        self.relay.wait_ready()
        return self

    @property
    def pids(self) -> list[int]:
        return [self.relay.proc.pid]

    def cpu(self) -> float:
        return cpu_seconds(self.pids)

    def kernel_cpu(self) -> float:
        return cpu_seconds(self.pids, parts=("system",))

    def rss(self) -> int:
        return rss_bytes(self.pids)

    @property
    def metrics_bases(self) -> list[str]:
        return [self.base]

    def cpu_wait(self) -> float:
        return runqueue_seconds(self.pids)

    def backend_cpu(self) -> float:
        return 0.0

    def logs(self) -> str:
        return self.relay.log.read_text()[-3000:]

    def stop(self) -> None:
        self.relay.stop()


def py_spy(pid: int, seconds: float, out: Path) -> list[tuple[str, float]]:
    """Sample the relay with py-spy for ``seconds``; the raw (collapsed) stacks
    go to ``out``; returns the functions with the most own time (share of samples)."""
    exe = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if exe is None:
        raise BenchError("py-spy is not installed: .venv/bin/pip install py-spy")
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([exe, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds))), "--rate", "250",
                    "--format", "raw", "--nonblocking", "--output", str(out)], check=True,
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
    pool.all("start")
    probe = IdleProbe()
    probe.start()
    loop0 = loop_figures(admin, relay.metrics_bases)
    cpu0, kernel0, back0, wall0 = relay.cpu(), relay.kernel_cpu(), relay.backend_cpu(), time.perf_counter()
    wait0 = relay.cpu_wait()
    time.sleep(args.window)
    idle_lags = probe.stop()
    cpu, wall = relay.cpu() - cpu0, time.perf_counter() - wall0
    cpu_wait = relay.cpu_wait() - wait0
    loop1 = loop_figures(admin, relay.metrics_bases) if loop0 else None
    kernel = relay.kernel_cpu() - kernel0
    backends = relay.backend_cpu() - back0
    mem = relay.rss()
    load = loadavg()
    parts = pool.all("stop", 2.0)
    loads, probe_part = parts[:args.workers], parts[args.workers:]
    lat = [x for p in loads for x in p["latencies_ms"]]
    client_lags = [x for p in loads for x in p["loop_lags_ms"]]
    frames = sum(p["frames_rx"] for p in parts)
    texts = sum(p["texts_rx"] for p in parts)
    sent, got = sum(p["sent"] for p in parts), sum(p["got"] for p in parts)
    row = {"sessions": n, "relay_cpu_pct": 100 * cpu / wall, "kernel_cpu_pct": 100 * kernel / wall,
           "backends_cpu_pct": 100 * backends / wall,
           "rss_MiB": mem / 2**20,
           "kB_per_session": (mem - rss0) / n / 1000, "msgs_per_s": (frames + texts) / wall,
           "frames_per_s": frames / wall, "us_per_frame": cpu / frames * 1e6 if frames else float("nan"),
           "p50_ms": pct(lat, 0.50), "p99_ms": pct(lat, 0.99), "drops": sent - got,
           "errors": sum(p["errors"] for p in parts), "closed": sum(p["closed"] for p in parts),
           "client_cpu_pct": [round(100 * p["cpu_s"] / p["wall_s"], 1) for p in loads], "loadavg": load,
           "cpu_wait_ms_per_s": cpu_wait * 1000 / wall,
           "clients_lag_p99_ms": pct(client_lags, 0.99), "idle_lag_p99_ms": pct(idle_lags, 0.99)}
    contact = parts[0]
    if "churn" in contact:
        row.update(churn_per_s=contact["churn"] / wall, churn_p50_ms=pct(contact["churn_ms"], 0.50),
                   churn_p99_ms=pct(contact["churn_ms"], 0.99))
    if "boards" in contact:
        row.update(dashboards_per_s=contact["boards"] / wall,
                   kB_per_dashboard=contact["board_bytes"] / contact["boards"] / 1000 if contact["boards"] else 0.0)
    if probe_part:
        (p,) = probe_part
        row.update(probe_p50_ms=pct(p["latencies_ms"], 0.50), probe_p99_ms=pct(p["latencies_ms"], 0.99),
                   probe_frames=len(p["latencies_ms"]), probe_cpu_pct=100 * p["cpu_s"] / p["wall_s"])
    if loop0 and loop1:  # the latency the relay's own loop adds, apart from the clients' scheduling
        row.update(loop_lag_p50_ms=lag_quantile(loop0, loop1, 0.50), loop_lag_p99_ms=lag_quantile(loop0, loop1, 0.99),
                   gc_ms_per_s=(loop1["gc"] - loop0["gc"]) * 1000 / wall)
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
                 backends: Backends | None) -> None:
        self.label = label
        var.mkdir()
        self.relay = Nodes(backends, var, args.nodes) if backends else OneRelay(var, relay_dir, ws)
        self.pool: Pool | None = None
        self.rows: list[dict] = []
        self.stopped: str | None = None
        self.profile: dict | None = None

    def start(self, args) -> None:
        self.relay.start()
        self.admin = Admin(self.relay.base, args.per_rep)
        self.queues = [self.admin.queue(f"capacity-{i}") for i in range(args.workers + bool(args.probe))]
        self.ws_urls = [self.relay.ws_url] if args.nodes and args.entry == "haproxy" else self.relay.ws_urls
        self.pool = Pool(args.workers, self.relay.base, self.ws_urls, self.queues, args.per_rep, bool(args.probe))
        if args.pin:
            pin(self.relay.pids, {0})
            pin([os.getpid(), *(p.pid for p in self.pool.procs)], set(range(1, os.cpu_count())))
        self.reps = [0] * len(self.pool.procs)
        if args.churn or args.watching:  # the first load process runs them (bench/churn.py)
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
            need = max(0, reps_for(i, target, len(self.ws_urls), args.per_rep) - self.reps[i])
            grow.append(("grow", target, [self.admin.rep(self.queues[i]) for _ in range(need)]))
            self.reps[i] += need
        self.pool.ask(grow, timeout=args.budget + 120)
        return time.perf_counter() - t0

    def step(self, n: int, setup: float, args, alone: bool) -> dict:
        self.pool.all("resume")
        row = measure(self.relay, self.pool, n, args, self.rss0, self.admin)
        if args.profile_at and n >= args.profile_at and self.profile is None:
            self.profile = {"sessions": n, "file": str(self.profile_out(args)),
                            "own_time": py_spy(self.relay.pids[0], args.window, self.profile_out(args))}
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
    raise_fd_limit((2 if args.compare else 1) * 2 * max(args.steps) + 1000)
    started = time.monotonic()
    results: dict = {"command": " ".join(["bench/capacity.py", *sys.argv[1:]]), "cpus": os.cpu_count(),
                     "python": sys.version.split()[0], "loadavg_start": loadavg(), "per_rep": args.per_rep,
                     "workers": args.workers, "window_s": args.window, "nodes": args.nodes, "pinned": args.pin,
                     "churn_per_s": args.churn, "watching": args.watching,
                     "entry": args.entry if args.nodes else None, "relays": {}}
    dirs = {"A": args.relay_dir}
    ws = {"A": args.ws, "B": args.compare_ws or args.ws}
    if args.compare:
        dirs["B"] = args.compare
    backends = Backends() if args.nodes else None
    with tempfile.TemporaryDirectory(prefix="tandem-capacity-") as tmp:
        sides = []
        try:
            if backends:
                backends.start()
            sides += [Side(label, d, Path(tmp) / label, args, ws[label], backends) for label, d in dirs.items()]
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
        results["relays"][label] = {"relay_dir": str(d or "this checkout"), "ws": ws[label] or "as python -m server",
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
    widths = [5, *(max(len(h), 9) for h in COLUMNS[1:])]
    skip = 0 if label else 1
    if first:
        print("  ".join(h.rjust(w) for h, w in zip(COLUMNS[skip:], widths[skip:], strict=True)), flush=True)
    print("  ".join(str(c).rjust(w) for c, w in zip(cells[skip:], widths[skip:], strict=True)), flush=True)
    for note, count in r.get("notes", {}).items():
        print(f"    {count}x {note}", flush=True)


def print_summary(r: dict) -> None:
    print()
    for label, x in r["relays"].items():
        n80 = x["sessions_per_core_at_80pct"]
        name = f"relay {label} ({x['relay_dir']}, ws: {x['ws']})" if len(r["relays"]) > 1 else "relay"
        if r["nodes"]:
            name = (f"{r['nodes']} relay node{'s' * (r['nodes'] > 1)} on PostgreSQL + Redis (clients "
                    + ("through HAProxy)" if r["entry"] == "haproxy" else "on the nodes directly, rooms across nodes)"))
        print(f"{name}: sessions per core at 80 % CPU: {f'{n80:,.0f}' if n80 else 'n/a'}; stopped: {x['stopped']}")
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
                             "CPUs or more, one relay process; --no-pin: the relay shares the CPUs with the load)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the relay and the load on the way out
    if args.quick:
        args.steps, args.window, args.settle, args.budget = "20,60,120", 3.0, 1.0, 60.0
        args.probe = min(args.probe, 5)
    args.steps = [int(x) for x in str(args.steps).split(",") if x.strip()]
    if args.nodes and (args.compare or args.relay_dir):
        parser.error("--nodes runs this checkout's relay: no --compare or --relay-dir with it")
    can_pin = not (args.nodes or args.compare or (os.cpu_count() or 1) < 2 or not hasattr(os, "sched_setaffinity"))
    if args.pin and not can_pin:
        parser.error("--pin needs one relay (no --nodes or --compare), two CPUs or more, and Linux")
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
