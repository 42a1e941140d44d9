"""The load of `bench/capacity.py` (and of bench/cluster.py's rooms): sessions
set up through the real API and run with capacity's profile, in processes of
their own.

`Admin` creates the queues and reps; `Worker` is one load process's
sessions, on picows clients (bench/links.py: frames parsed and written in C,
as the relay's `/ws`, so the load costs the machine little beside the relay
it times); `Pool` starts the processes (multiprocessing, spawn) and sends them
commands: grow to N sessions, pause, resume, measure a window (start, stop),
quit. Each customer sends a 1,536-byte COBROWSE frame 10 times a second and a
chat line every 5 s; each rep a 60-byte CONTROL frame 5 times a second. A
frame's body starts with a monotonic clock stamp (`STAMP`), so its receiver
measures customer -> rep latency.
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import multiprocessing as mp
import os
import random
import time
from collections import Counter

import httpx
from churn import Churn, Supervisor
from links import STAMP, FastClient, Link
from picows import ws_connect
from relay import ADMIN_PASSWORD, BenchError, wait

from server.protocol import FRAME_HEADER, StreamKind

REP_PASSWORD = "bench-rep-password-1"
CUSTOMER_FRAME = 1536  # bytes on the wire (header included)
CONTROL_FRAME = 60
FRAME_PERIOD = 0.1  # customer: 10 frames a second
CHAT_PERIOD = 5.0  # customer: a chat line every 5 s
CONTROL_PERIOD = 0.2  # rep: 5 control frames a second
LAG_TICK = 0.01  # how often the load processes and the idle probe check how late they wake


# --- the load (one worker process) ----------------------------------------------


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
        return self.begin(s, cust, rep, load)

    def begin(self, s: Session, customer: Link, rep: Link, load: bool) -> Session:
        """A session set up: kept, and with ``load`` its customer's and rep's sends begin."""
        s.customer, s.rep = customer, rep
        self.sessions[s.idx] = s
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


class RoomWorker(Worker):
    """A load process on a bare room relay (bench/peers/relays.py, ``capacity.py
    --peer``), which knows no sessions, reps or grants: each session is a room
    of its own that the customer and a rep connection join by its name (the
    first text message), and its load is the same frames and chat lines, which
    the peer passes on to the room's other member as they are. A rep holds one
    session per connection here (Tandem's ``--per-rep 1``)."""

    async def add_session(self, http: httpx.AsyncClient, idx: int, where: tuple[str, str] | None = None,
                          load: bool = True) -> Session:
        s = Session(idx)
        s.id, s.view, s.control = f"capacity-{idx}", 1, 2
        rep, cust = await self.connect(self.ws_urls[0]), await self.connect(self.ws_urls[0])
        await rep.send(s.id)
        await cust.send(s.id)
        # both are in the room once the rep hears the customer; a room keeps
        # nothing for a member not in yet, so the customer says it until then
        joined = rep.expect(lambda m: m.get("type") == "joined")
        for _ in range(200):
            await cust.text({"type": "joined"})
            if (await asyncio.wait([joined], timeout=0.05))[0]:
                break
        else:
            raise BenchError(f"the rep of room {s.id} never heard its customer through the peer")
        return self.begin(s, cust, rep, load)


def rep_node(worker: int, k: int, nodes: int) -> int:
    """The node of the rep of a load process's k-th session: the one after its customer's."""
    return (k + worker + 1) % nodes


def reps_for(worker: int, sessions: int, nodes: int, per_rep: int) -> int:
    """Reps a load process needs for ``sessions``: a rep serves customers on one node only."""
    on = Counter(rep_node(worker, k, nodes) for k in range(sessions))
    return sum(math.ceil(c / per_rep) for c in on.values())


def worker_main(conn, index: int, base: str, ws_urls: list[str], queue: str, per_rep: int, nice: int,
                rooms: bool) -> None:
    import resource
    os.nice(nice)  # the load (5): when it and the relay want the same core, the relay's latency is what is measured
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    worker = (RoomWorker if rooms else Worker)(index, base, ws_urls, queue, per_rep)
    try:
        import uvloop
        uvloop.run(worker.main(conn))
    except ImportError:
        asyncio.run(worker.main(conn))


class Pool:
    """The load processes, and with ``probe`` one more, last: a few sessions of
    the same profile in a process of normal priority that does little else, as
    a customer's browser and a rep's are on machines of their own. With
    ``rooms`` the processes load a bare room relay (`RoomWorker`)."""

    def __init__(self, n: int, base: str, ws_urls: list[str], queues: list[str], per_rep: int,
                 probe: bool = False, rooms: bool = False) -> None:
        ctx = mp.get_context("spawn")
        self.conns, self.procs = [], []
        for i in range(n + probe):
            parent, child = ctx.Pipe()
            p = ctx.Process(target=worker_main, args=(child, i, base, ws_urls, queues[i], per_rep, 0 if i == n else 5, rooms),
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
