"""Cluster benchmark: one relay against two and four relay nodes, in one run.

    .venv/bin/python bench/cluster.py            # tables (about 3 minutes on two cores)
    .venv/bin/python bench/cluster.py --quick    # a smoke run
    .venv/bin/python bench/cluster.py --json     # the same figures as JSON

One PostgreSQL and one Redis (Debian's, from temp folders on free loopback
ports: tests/backends.py), then in turn: Tandem's relay alone as ``python -m
server`` runs it (SQLite, memory:// broker: the "relay" lines), and clusters
of 1, 2 and 4 relay nodes on PostgreSQL + Redis behind HAProxy
(docs/haproxy.cfg; bench/nodes.py, tests/cluster/harness.py), each on a fresh
database and an emptied Redis, with the per-connection limits lifted. One
configuration runs at a time, so none competes with another for the cores.

Rooms of two set up through the real API as bench/capacity.py sets them up
(a customer asks for help and is in line, a queue rep takes it with
``accept_next``, asks for control, the customer approves), the clients
connecting to the nodes directly so the bench chooses where each end is:

* ``cross``: the customer on node i mod N, its rep on the next node, so every
  frame is routed from one node to another; ``same``: both ends of each room
  on node i mod N (the rooms spread over the nodes).
* **msgs/s**: every customer streams 100-byte COBROWSE frames to its rep,
  ``--window`` frames in flight per room, for ``--seconds``: frames the reps
  received per second. Relay CPU per message is the nodes' CPU over the
  frames; the backends' (Redis, PostgreSQL, HAProxy) and the load client's
  share of a core are printed beside it. The client is one asyncio process;
  on two cores it shares them with everything else, so these are the
  machine's figures, not the relay's alone.
* **latency**: the same frames paced at ``--rate`` frames/s in all (spread
  over the rooms): customer -> rep p50/p99 from a CLOCK_MONOTONIC stamp in the
  body. "added" is a line's p50/p99 minus the single relay's.
* **scale**: msgs/s of N nodes over msgs/s of 1 node (same placement).

**Failover** (clusters of 2 and 4): ``--sessions`` rooms set up through
HAProxy (both ends), then every customer streams COBROWSE frames 10 times a
second and both ends send a ``chat`` line with a unique text twice a second.
After ``--before`` seconds the bench kills the node holding the lease (``GET
tandem:owner`` = ``NODEID:FENCE``; each node logs its id) with SIGKILL. Every
client whose connection drops connects again through HAProxy with ``resume``
and ``last_seq`` in its hello and resends what it sent after
``welcome.client_seq``. Printed: clients dropped, time from the kill until
every dropped client had its welcome back (resumed), until every room had a
frame and a chat line in both directions sent after the kill delivered
(flowing), and the chat lines and frames lost (sent, never received by the
other end) or duplicated (received more than once by anyone).

Bounded in time (``--timeout``); everything it started is stopped by PID. A
missing figure, a refusal or a closed connection outside the failover, lost
lines, or a resume the relay refused make the run exit with status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import sys
import tempfile
import time
from collections import Counter, deque
from pathlib import Path

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from load import STAMP, Admin, Link, Session, Worker  # noqa: E402
from nodes import Backends, Nodes, OneRelay  # noqa: E402
from relay import BenchError, finish, raise_fd_limit  # noqa: E402

from bench.common import loadavg, pct, print_columns  # noqa: E402
from server.protocol import FRAME_HEADER, StreamKind  # noqa: E402

FRAME = 100  # bytes on the wire, header included
PAD = bytes(FRAME - FRAME_HEADER.size - STAMP.size)
FAILOVER_FRAME_PERIOD = 0.1
FAILOVER_CHAT_PERIOD = 0.5
RECONNECT_PAUSE = 0.05
QUEUE = "cluster"


# --- the clients of the failover: they resume ----------------------------------------


async def connect_ws(url: str, timeout: float):
    """A `websockets` client connection as the failover's clients use them."""
    return await connect(url, compression=None, max_size=2 << 20, ping_interval=None,
                         open_timeout=timeout, close_timeout=2, max_queue=None)


class ResumingLink(Link):
    """A capacity `Link` that resumes. It keeps the last relay seq it read and
    every message it sent; when the connection drops it connects again to
    ``worker.resume_url`` (HAProxy) with ``resume`` and ``last_seq`` and
    resends what came after ``welcome.client_seq``. It counts the chat lines
    and COBROWSE frames it receives."""

    def __init__(self, ws, worker: FailoverWorker) -> None:
        self.last_seq = 0
        self.sent: deque[tuple[int, bytes | str]] = deque()
        self.up = True
        self.chats: Counter[str] = Counter()
        self.frames: Counter[tuple[int, int]] = Counter()
        self.dropped_at: float | None = None
        self.resumed_at: float | None = None
        self.refused: list[dict] = []
        self.role = ""  # "c" or "r": whose chat lines are the other side's
        super().__init__(ws, worker)

    async def receive(self) -> None:
        """From a `websockets` connection: `resume` opens one and reads its welcome itself."""
        async for msg in self.ws:
            self.take(msg)

    def take(self, msg: bytes | str) -> dict | None:
        w = self.worker
        if isinstance(msg, bytes):
            w.frames_rx += 1
            kind, _, self.last_seq = FRAME_HEADER.unpack_from(msg)
            if kind == StreamKind.COBROWSE and len(msg) >= FRAME_HEADER.size + STAMP.size:
                _, idx, n = STAMP.unpack_from(msg, FRAME_HEADER.size)
                self.frames[idx, n] += 1
                w.arrived(("frame", idx), n)
            return None
        w.texts_rx += 1
        data = json.loads(msg)
        if "seq" in data:
            self.last_seq = data["seq"]
        if data.get("type") == "chat_message" and data["text"].count(":") == 2:
            self.chats[data["text"]] += 1
            who, idx, n = data["text"].split(":")
            if who != self.role:
                w.arrived(("chat", who, int(idx)), int(n))
        self._on_text(data)
        return data

    def ended(self) -> None:
        w = self.worker
        if w.stopping or not w.resuming:
            return super().ended()
        self.up = False
        self.dropped_at = time.monotonic()
        w.dropped += 1
        w.tasks.append(asyncio.create_task(self.resume()))

    async def resume(self) -> None:
        w = self.worker
        hello = {"type": "hello", "seq": 0, "token": self.token, "resume": self.welcome["resume"],
                 "last_seq": self.last_seq}
        while True:
            try:
                ws = await connect_ws(w.resume_url, timeout=10)
                await ws.send(json.dumps(hello))
                welcome = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if welcome.get("type") == "welcome":
                    break
                self.refused.append(welcome)
                await ws.close()
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError) as exc:
                w.note(f"reconnecting: {exc!r}")
            await asyncio.sleep(RECONNECT_PAUSE)
        self.ws, self.welcome = ws, welcome
        if not welcome["resumed"]:
            self.refused.append(welcome)
        self.reader = asyncio.create_task(self._read())
        while self.sent and self.sent[0][0] <= welcome["client_seq"]:
            self.sent.popleft()
        i = 0
        while i < len(self.sent):  # what is sent meanwhile is appended and goes out in this loop too
            try:
                await ws.send(self.sent[i][1])
            except ConnectionClosed:
                return  # dropped again: `ended` resumes once more
            i += 1
        self.up = True
        self.resumed_at = time.monotonic()

    async def send(self, payload: bytes | str) -> None:
        self.sent.append((self.seq, payload))
        if self.up:
            try:
                await self.ws.send(payload)
            except ConnectionClosed:
                pass  # kept in `sent`: resent once resumed


class FailoverWorker(Worker):
    link = ResumingLink

    async def connect(self, url: str) -> ResumingLink:
        return self.link(await connect_ws(url, timeout=60), self)

    def __init__(self, base: str, ws_url: str, per_rep: int) -> None:
        super().__init__(0, base, [ws_url], QUEUE, per_rep)
        self.resume_url = ws_url
        self.resuming = False
        self.dropped = 0
        self.marks: dict[tuple, int] = {}  # what each sender had sent at the kill
        self.back: dict[tuple, float] = {}  # when the first message sent after the kill arrived

    def arrived(self, key: tuple, n: int) -> None:
        if key in self.marks and n > self.marks[key] and key not in self.back:
            self.back[key] = time.monotonic()


# --- one configuration ------------------------------------------------------------


async def set_up(worker: Worker, admin: Admin, places: list[tuple[str, str]], first: int) -> list[Session]:
    """A room per (customer node, rep node), through the real API."""
    per_node = Counter(rep for _, rep in places)
    reps_needed = sum(math.ceil(k / worker.per_rep) for k in per_node.values())
    worker.tokens.extend(admin.rep(QUEUE) for _ in range(reps_needed))
    async with httpx.AsyncClient(base_url=worker.base, timeout=60) as http:
        return [await worker.add_session(http, first + i, where, load=False) for i, where in enumerate(places)]


def check(worker: Worker, what: str) -> None:
    if worker.errors or worker.closed:
        raise BenchError(f"{what}: {worker.errors} refusals, {worker.closed} connections closed: "
                         f"{dict(worker.notes)}")


async def run_load(target, worker: Worker, sessions: list[Session], sender, seconds: float, what: str) -> dict:
    """``sender(session, until)`` for every room for ``seconds``; frames received, CPU, latencies."""
    loop = asyncio.get_running_loop()
    worker.start()
    cpu0, back0, t0 = target.cpu(), target.backend_cpu(), time.perf_counter()
    until = loop.time() + seconds
    try:
        await asyncio.wait_for(asyncio.gather(*(sender(s, until) for s in sessions)), seconds + 30)
    except TimeoutError:
        raise BenchError(f"{what}: the senders did not finish (frames not arriving)") from None
    out = await worker.stop(10.0)
    wall = time.perf_counter() - t0
    cpu, backends = target.cpu() - cpu0, target.backend_cpu() - back0
    if out["got"] < out["sent"]:
        raise BenchError(f"{what}: {out['sent'] - out['got']} of {out['sent']} frames never arrived")
    check(worker, what)
    return {"frames": out["got"], "wall": wall, "relay_cpu": cpu, "backends_cpu": backends,
            "client_share": out["cpu_s"] / out["wall_s"], "latencies_ms": out["latencies_ms"]}


def streamer(window: int):
    async def send(s: Session, until: float) -> None:
        loop = asyncio.get_running_loop()
        s.wake = asyncio.Event()
        while loop.time() < until:
            if s.sent - s.c0 - s.got >= window:
                s.wake.clear()
                try:
                    await asyncio.wait_for(s.wake.wait(), 10)
                except TimeoutError:
                    raise BenchError(f"room {s.idx}: no frame arrived for 10 s") from None
                continue
            s.sent += 1
            await s.customer.frame(StreamKind.COBROWSE, s.view, STAMP.pack(time.monotonic_ns(), s.idx, s.sent) + PAD)
        s.wake = None
    return send


def pacer(period: float):
    async def send(s: Session, until: float) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + (s.idx % 97) / 97 * period
        while due < until:
            await asyncio.sleep(max(0.0, due - loop.time()))
            s.sent += 1
            await s.customer.frame(StreamKind.COBROWSE, s.view, STAMP.pack(time.monotonic_ns(), s.idx, s.sent) + PAD)
            due = max(due + period, loop.time() - 1.0)
    return send


async def measure_rooms(target, admin: Admin, placement: str, args, first: int) -> dict:
    n = len(target.ws_urls)
    urls = target.ws_urls
    places = [(urls[i % n], urls[(i + 1) % n] if placement == "cross" else urls[i % n]) for i in range(args.rooms)]
    worker = Worker(0, target.base, urls, QUEUE, args.per_rep)
    try:
        sessions = await set_up(worker, admin, places, first)
        label = f"{n} node{'s' * (n > 1)}, {placement}"
        await run_load(target, worker, sessions, streamer(args.window), 1.0, f"{label}: warm-up")
        stream = await run_load(target, worker, sessions, streamer(args.window), args.seconds, f"{label}: stream")
        paced = await run_load(target, worker, sessions, pacer(args.rooms / args.rate), args.seconds,
                               f"{label}: paced")
    finally:
        worker.close()
    lat = paced["latencies_ms"]
    return {"placement": placement, "rooms": args.rooms, "msgs_per_s": stream["frames"] / stream["wall"],
            "relay_us_per_msg": stream["relay_cpu"] / stream["frames"] * 1e6,
            "backends_us_per_msg": stream["backends_cpu"] / stream["frames"] * 1e6,
            "relay_cores": stream["relay_cpu"] / stream["wall"], "client_cores": stream["client_share"],
            "paced_msgs_per_s": paced["frames"] / paced["wall"], "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99)}


# --- failover ----------------------------------------------------------------------


async def failover(nodes: Nodes, admin: Admin, args) -> dict:
    worker = FailoverWorker(nodes.base, nodes.ws_url, args.per_rep)
    chats_sent: list[tuple[str, str]] = []  # (text, the side that should receive it)
    try:
        sessions = await set_up(worker, admin, [(nodes.ws_url, nodes.ws_url)] * args.sessions, 0)
        for s in sessions:
            s.customer.role, s.rep.role = "c", "r"
        worker.resuming = True
        stop = asyncio.Event()

        async def customer(s: Session) -> None:
            k = 0
            while not stop.is_set():
                s.sent += 1
                await s.customer.frame(StreamKind.COBROWSE, s.view, STAMP.pack(time.monotonic_ns(), s.idx, s.sent) + PAD)
                if s.sent % round(FAILOVER_CHAT_PERIOD / FAILOVER_FRAME_PERIOD) == 0:
                    k += 1
                    await chat(s, s.customer, "c", k)
                await asyncio.sleep(FAILOVER_FRAME_PERIOD)

        async def rep(s: Session) -> None:
            k = 0
            while not stop.is_set():
                k += 1
                await chat(s, s.rep, "r", k)
                await asyncio.sleep(FAILOVER_CHAT_PERIOD)

        counts: dict[tuple, int] = Counter()

        async def chat(s: Session, link: ResumingLink, who: str, k: int) -> None:
            text = f"{who}:{s.idx}:{k}"
            chats_sent.append((text, "r" if who == "c" else "c"))
            counts[("chat", who, s.idx)] = k
            await link.text({"type": "chat", "session": s.id, "text": text})

        tasks = [asyncio.create_task(f(s)) for s in sessions for f in (customer, rep)]
        await asyncio.sleep(args.before)
        victim = nodes.owner()
        worker.marks = {**counts, **{("frame", s.idx): s.sent for s in sessions}}
        killed_at = time.monotonic()
        await asyncio.to_thread(nodes.kill, victim)
        links = [s.customer for s in sessions] + list({id(r[0]): r[0] for r in worker.reps}.values())
        deadline = killed_at + args.failover_timeout
        while time.monotonic() < deadline and not (
                len(worker.back) == len(worker.marks) and all(x.up for x in links)):
            await asyncio.sleep(0.05)
        resumed = [x.resumed_at - killed_at for x in links if x.dropped_at]
        flowing = max(worker.back.values(), default=killed_at) - killed_at
        stuck = len(worker.marks) - len(worker.back)
        await asyncio.sleep(args.after)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 10)
        # everything sent has had time to arrive: count
        end = time.monotonic() + 15
        while time.monotonic() < end and (sum(lost_count(sessions, chats_sent)) or not all(x.up for x in links)):
            await asyncio.sleep(0.1)
        chats_lost, frames_lost = lost_count(sessions, chats_sent)
        refused = [w for x in links for w in x.refused]
    finally:
        worker.close()
    return {"nodes": len(nodes.ws_urls), "sessions": args.sessions, "killed": victim, "clients": len(links),
            "dropped": worker.dropped, "resumed_all_s": max(resumed) if resumed else 0.0,
            "not_flowing": stuck, "flowing_all_s": flowing if not stuck else float("nan"),
            "chats_sent": len(chats_sent), "chats_lost": chats_lost,
            "chats_dup": sum(c > 1 for x in links for c in x.chats.values()),
            "frames_sent": sum(s.sent for s in sessions), "frames_lost": frames_lost,
            "frames_dup": sum(c > 1 for x in {id(s.rep): s.rep for s in sessions}.values() for c in x.frames.values()),
            "resumes_refused": refused[:5], "refused": len(refused), "errors": worker.errors,
            "notes": dict(worker.notes.most_common(5))}


def lost_count(sessions: list[Session], chats_sent: list[tuple[str, str]]) -> tuple[int, int]:
    by_idx = {s.idx: s for s in sessions}
    lost_chats = 0
    for text, to in chats_sent:
        s = by_idx[int(text.split(":")[1])]
        if not (s.rep if to == "r" else s.customer).chats[text]:
            lost_chats += 1
    lost_frames = sum(1 for s in sessions for n in range(1, s.sent + 1) if not s.rep.frames[s.idx, n])
    return lost_chats, lost_frames


# --- the run ----------------------------------------------------------------------


async def measure_target(target: OneRelay | Nodes, label: str, args) -> dict:
    admin = Admin(target.base, args.per_rep)
    admin.queue(QUEUE)
    nodes = len(target.ws_urls)
    out: dict = {"label": label, "nodes": nodes if isinstance(target, Nodes) else 0, "rooms": []}
    placements = ["cross", "same"] if nodes > 1 else ["same"]
    for k, placement in enumerate(placements):
        out["rooms"].append(await measure_rooms(target, admin, placement, args, first=k * 1000))
        print(f"  {label} {placement}: {out['rooms'][-1]['msgs_per_s']:,.0f} msgs/s", file=sys.stderr, flush=True)
    if nodes > 1:
        out["failover"] = await failover(target, admin, args)
    admin.http.close()
    return out


async def run(args) -> dict:
    raise_fd_limit(4 * (args.rooms + args.sessions) + 1000)
    started = time.monotonic()
    results: dict = {"command": " ".join(["bench/cluster.py", *sys.argv[1:]]), "cpus": os.cpu_count(),
                     "python": sys.version.split()[0], "loadavg_start": loadavg(), "rooms": args.rooms,
                     "window": args.window, "rate": args.rate, "seconds": args.seconds, "configs": []}
    backends = Backends()
    with tempfile.TemporaryDirectory(prefix="tandem-cluster-") as tmp:
        try:
            backends.start()
            for n in [0, *args.nodes]:
                left = args.timeout - (time.monotonic() - started)
                if left <= 0:
                    raise BenchError(f"not done in {args.timeout:.0f} s (--timeout)")
                var = Path(tmp) / f"n{n}"
                var.mkdir()
                target = Nodes(backends, var, n) if n else OneRelay(var, None, None)
                label = f"{n} node{'s' * (n > 1)}" if n else "relay"
                try:
                    target.start()
                    results["configs"].append(await asyncio.wait_for(measure_target(target, label, args),
                                                                     left))
                except BaseException:
                    sys.stderr.write(f"--- {label}: logs ---\n{target.logs()}\n")
                    raise
                finally:
                    target.stop()
        except TimeoutError:
            raise BenchError(f"not done in {args.timeout:.0f} s (--timeout)") from None
        finally:
            backends.stop()
    results["loadavg_end"] = loadavg()
    results["elapsed_s"] = time.monotonic() - started
    derive(results)
    return results


def derive(r: dict) -> None:
    """Ratios against the single relay and 1 node; a missing figure fails the run."""
    rows = {(c["nodes"], x["placement"]): x for c in r["configs"] for x in c["rooms"]}
    single, one = rows.get((0, "same")), rows.get((1, "same"))
    for (n, _), x in rows.items():
        x["added_p50_ms"] = x["p50_ms"] - single["p50_ms"] if single else float("nan")
        x["added_p99_ms"] = x["p99_ms"] - single["p99_ms"] if single else float("nan")
        x["scale"] = x["msgs_per_s"] / one["msgs_per_s"] if one and n else float("nan")
    missing = [f"{n} {placement} {k}" for (n, placement), x in rows.items() for k, v in x.items()
               if isinstance(v, float) and math.isnan(v) and not (k == "scale" and n == 0)]
    for c in r["configs"]:
        f = c.get("failover")
        if f is None:
            continue
        if math.isnan(f["flowing_all_s"]):
            missing.append(f"{c['label']} failover: {f['not_flowing']} senders never got through after the kill")
        if f["chats_lost"] or f["refused"]:
            missing.append(f"{c['label']} failover: {f['chats_lost']} chat lines lost, {f['refused']} resumes refused")
    r["failed"] = missing


def print_tables(r: dict) -> None:
    head = ("nodes", "rooms", "msgs/s", "scale", "relay µs/msg", "backends µs/msg", "relay cores", "client cores",
            "paced msgs/s", "p50 ms", "p99 ms", "added p50", "added p99")
    body = []
    for c in r["configs"]:
        for x in c["rooms"]:
            body.append((c["label"], x["placement"], f"{x['msgs_per_s']:,.0f}",
                         "-" if math.isnan(x["scale"]) else f"{x['scale']:.2f}x",
                         f"{x['relay_us_per_msg']:.0f}", f"{x['backends_us_per_msg']:.0f}", f"{x['relay_cores']:.2f}",
                         f"{x['client_cores']:.2f}", f"{x['paced_msgs_per_s']:,.0f}", f"{x['p50_ms']:.2f}", f"{x['p99_ms']:.2f}",
                         f"{x['added_p50_ms']:+.2f}", f"{x['added_p99_ms']:+.2f}"))
    print_columns(head, body)
    print()
    head = ("failover", "sessions", "clients", "dropped", "resumed in s", "flowing in s", "chats sent", "lost", "dup",
            "frames sent", "lost", "dup")
    body = []
    for c in r["configs"]:
        f = c.get("failover")
        if f:
            body.append((f"{c['label']}, node {f['killed']} (owner) killed", f["sessions"], f["clients"], f["dropped"],
                         f"{f['resumed_all_s']:.2f}", f"{f['flowing_all_s']:.2f}", f["chats_sent"], f["chats_lost"],
                         f["chats_dup"], f["frames_sent"], f["frames_lost"], f["frames_dup"]))
    print_columns(head, body)
    print(f"\n{r['elapsed_s']:.0f} s; {r['rooms']} rooms per line, {r['window']} frames of {FRAME} B in flight per "
          f"room for {r['seconds']:g} s; latency paced at {r['rate']:,} frames/s in all; {r['cpus']} CPUs "
          f"(every relay node, Redis, PostgreSQL, HAProxy and the load client share them), python {r['python']}; "
          f"load average {r['loadavg_start']} at start, {r['loadavg_end']} at the end")
    for line in r["failed"]:
        print(f"missing or failed: {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer rooms, shorter windows")
    parser.add_argument("--nodes", default="1,2,4", help="cluster sizes after the single relay, comma-separated")
    parser.add_argument("--rooms", type=int, default=16, help="rooms of two per line")
    parser.add_argument("--per-rep", type=int, default=4, help="rooms per rep (multi-session queue reps)")
    parser.add_argument("--window", type=int, default=16, help="frames in flight per room (msgs/s)")
    parser.add_argument("--seconds", type=float, default=6.0, help="seconds of each load")
    parser.add_argument("--rate", type=int, default=2000, help="frames per second in all for the latency")
    parser.add_argument("--sessions", type=int, default=20, help="rooms during the failover")
    parser.add_argument("--before", type=float, default=4.0, help="failover: seconds of chat before the kill")
    parser.add_argument("--after", type=float, default=3.0, help="failover: seconds of chat once all flow again")
    parser.add_argument("--failover-timeout", type=float, default=30.0,
                        help="failover: seconds after the kill before the rooms that do not flow count as failed")
    parser.add_argument("--timeout", type=float, default=900.0, help="the whole run, seconds")
    args = parser.parse_args(argv)
    if args.quick:
        args.nodes, args.rooms, args.seconds, args.sessions, args.before = "1,2", 4, 2.0, 6, 2.0
    args.nodes = [int(x) for x in str(args.nodes).split(",") if x.strip()]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop what it started on the way out

    def go() -> dict:
        results = asyncio.run(run(args))
        if results["failed"]:  # the figures there are, then the failure
            if args.json:
                json.dump(results, sys.stdout, indent=1)
                print()
            else:
                print_tables(results)
            raise BenchError("; ".join(results["failed"]))
        return results

    return finish(go, args, print_tables)


if __name__ == "__main__":
    raise SystemExit(main())
