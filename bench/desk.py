"""Desk benchmark: the relay's CPU per queue event, by how many sessions are live.

    .venv/bin/python bench/desk.py                       # the table
    .venv/bin/python bench/desk.py --quick               # a smoke run
    .venv/bin/python bench/desk.py --json                # the same figures as JSON
    .venv/bin/python bench/desk.py --compare OLD         # this checkout and another, side by side

The desk (`server.core.desk.Desk`) is the relay's state: every customer who
enters a queue, every "Accept next", chat line and ending runs through it on
the relay's event loop, so its cost per event is time no frame of any session
moves. This bench drives one Desk in this process, with no network: a
contact center of ``--per-rep`` (5) customers per queue rep, every rep in
one queue, signed in and available, as `bench/capacity.py` sets them up, filled
to N live sessions through the same calls the relay makes. At each N it then
times ``--ops`` (50) of each event, one after the other, the desk's messages
and records taken after each as the relay does:

* **enter**: a customer asks for help and their page connects (every queue
  rep's board changes);
* **accept**: a rep takes the longest-waiting customer ("Accept next");
* **chat**: a chat line in a live session;
* **end**: a rep ends a session;
* **tick**: the relay's tick (every 0.25 s) with nothing due: it holds the
  loop, and every session's frames, four times a second.

The desk's clock moves 10 ms per event (a busy contact center: 100 events a
second) and it ticks every 0.25 s of that clock, as the relay's tick loop does.
``--watching`` adds a supervisor who watches the dashboard, which lists every
live session, and one more figure:

* **push**: the tick that pushes a changed dashboard (a customer entered and
  was taken since the last push), its JSON made as the relay makes it: the
  longest the desk holds the loop while a supervisor watches, once a second.

Figures are CPU microseconds per event (``time.process_time``), the median
of ``--rounds`` (3). An event whose cost grows with N is work done for every
session (or every rep) on each change. ``--compare DIR`` runs the bench once
for this checkout's ``server`` package and once for DIR's, each in its own
process, and prints the ratio.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from relay import BenchError, finish  # noqa: E402

EVENTS = ("enter", "accept", "chat", "end", "tick")
QUEUE = "support"
EVENT_GAP = 0.01  # seconds of the desk's clock per event
TICK = 0.25  # the relay's tick loop
SUPERVISOR = 1_000_000


class Center:
    """One Desk, filled through the calls the relay makes."""

    def __init__(self, per_rep: int) -> None:
        from server import protocol as p
        from server.core.desk import CustomerActor, Desk, QueueConfig, RepActor

        self.p, self.CustomerActor, self.RepActor = p, CustomerActor, RepActor
        ids, numbers = itertools.count(1), itertools.count(100_000_001)
        self.desk = Desk(new_id=lambda: f"id{next(ids)}", new_number=lambda: str(next(numbers)),
                         join_link=lambda s: f"http://relay/j/{s.number}")
        self.desk.configure_queues([QueueConfig(QUEUE, "Support")])
        self.per_rep = per_rep
        self.now = self.next_tick = 1000.0
        self.seq = itertools.count(1)
        self.reps: list[int] = []  # account ids, in the order they were added
        self.taken: dict[int, list[str]] = {}  # rep -> the sessions they are primary of
        self.sessions: list[tuple[str, object, int]] = []  # (session id, customer actor, rep)
        self.watched = False

    def drain(self) -> None:
        self.desk.data_to_send()
        self.desk.records_to_store()

    def advance(self) -> None:
        self.now += EVENT_GAP
        if self.now >= self.next_tick:
            self.next_tick += TICK
            self.desk.tick(self.now)
            self.drain()

    def watch(self) -> None:
        """A supervisor, signed in, watches the dashboard."""
        self.desk.configure_rep(SUPERVISOR, name="Supervisor", queue_rep=False, queues=(), max_customers=1,
                                multi_session=False, supervises=True, now=self.now)
        self.desk.rep_online(SUPERVISOR, self.now)
        self.send(SUPERVISOR, "watch_dashboard")
        self.watched = True

    def send(self, account: int, type_: str, **fields) -> None:
        self.advance()
        msg = self.p.client_message.validate_python({"type": type_, "seq": next(self.seq), **fields})
        self.desk.receive(self.RepActor(account), msg, self.now)
        self.drain()

    def add_rep(self) -> int:
        aid = len(self.reps) + 1
        self.desk.configure_rep(aid, name=f"Rep {aid}", queue_rep=True, queues=(QUEUE,),
                                max_customers=self.per_rep, multi_session=self.per_rep > 1, now=self.now)
        self.desk.rep_online(aid, self.now)
        self.drain()
        self.send(aid, "set_availability", available=True)
        self.reps.append(aid)
        self.taken[aid] = []
        return aid

    def rep_with_room(self) -> int:
        for aid in reversed(self.reps[-2:]):
            if len(self.taken[aid]) < self.per_rep:
                return aid
        return self.add_rep()

    def enter(self) -> object:
        self.advance()
        s, pid = self.desk.enter_queue(QUEUE, "Customer", self.now)
        actor = self.CustomerActor(s.id, pid)
        self.desk.customer_online(actor, self.now)
        self.drain()
        return actor

    def accept(self, actor) -> None:
        aid = self.rep_with_room()
        self.send(aid, "accept_next")
        self.taken[aid].append(actor.session_id)
        self.sessions.append((actor.session_id, actor, aid))

    def chat(self, k: int) -> None:
        session, _, aid = self.sessions[k % len(self.sessions)]
        self.send(aid, "chat", session=session, text="Could you click the blue button at the top of the page?")

    def push(self) -> None:
        self.now += self.desk.DASHBOARD_INTERVAL
        self.next_tick = self.now + TICK
        self.desk.tick(self.now)
        boards = [m for _, m in self.desk.data_to_send() if m.type == "dashboard"]
        if not boards:
            raise BenchError("no dashboard was pushed after a change")
        boards[0].model_dump_json()
        self.desk.records_to_store()

    def tick(self) -> None:
        """The next tick, with nothing due."""
        self.now = self.next_tick
        self.next_tick += TICK
        self.desk.tick(self.now)
        self.drain()

    def end(self) -> None:
        session, _, aid = self.sessions.pop()
        self.send(aid, "end_session", session=session)
        self.taken[aid].remove(session)

    def fill(self, n: int) -> None:
        while len(self.sessions) < n:
            self.accept(self.enter())
        live = sum(1 for s in self.desk.sessions.values() if s.live)
        if live != n:
            raise BenchError(f"{live} live sessions, not {n}: the desk refused a step of the set-up")


def timed(fn) -> float:
    t0 = time.process_time()
    fn()
    return (time.process_time() - t0) * 1e6


def measure(center: Center, ops: int) -> dict[str, float]:
    """CPU µs per event, each event ``ops`` times; the center holds as many
    live sessions afterwards as before."""
    waiting = [None] * ops
    out = {"enter": sum(timed(lambda i=i: waiting.__setitem__(i, center.enter())) for i in range(ops)) / ops}
    out["accept"] = sum(timed(lambda a=a: center.accept(a)) for a in waiting) / ops
    out["chat"] = sum(timed(lambda k=k: center.chat(k)) for k in range(ops)) / ops
    out["end"] = sum(timed(center.end) for _ in range(ops)) / ops
    center.tick()  # what the events above left pending is done with
    out["tick"] = sum(timed(center.tick) for _ in range(ops)) / ops
    if center.watched:
        push = 0.0
        for _ in range(ops):
            center.accept(center.enter())
            push += timed(center.push)
            center.end()
        out["push"] = push / ops
    return out


def run_here(args) -> dict:
    if args.server_dir:  # another checkout's package, in place of the one bench/relay.py imported
        for name in [m for m in sys.modules if m == "server" or m.startswith("server.")]:
            del sys.modules[name]
        sys.path.insert(0, str(args.server_dir.resolve()))
    import server

    rows = []
    center = Center(args.per_rep)
    if args.watching:
        center.watch()
    for n in args.steps:
        t0 = time.perf_counter()
        center.fill(n)
        fill_s = time.perf_counter() - t0
        rounds = [measure(center, args.ops) for _ in range(args.rounds)]
        rows.append({"sessions": n, "reps": len(center.reps), "fill_s": fill_s,
                     **{e: statistics.median(r[e] for r in rounds) for e in events(args)}})
    return {"server": str(Path(server.__file__).parent.parent), "watching": args.watching, "rows": rows}


def run(args) -> dict:
    if not args.compare:
        return {"sides": [run_here(args)]}
    sides = []
    for d in (None, args.compare):
        cmd = [sys.executable, __file__, "--json", "--steps", ",".join(map(str, args.steps)),
               "--per-rep", str(args.per_rep), "--ops", str(args.ops), "--rounds", str(args.rounds)]
        cmd += ["--watching"] if args.watching else []
        if d:
            cmd += ["--server-dir", str(d)]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            raise BenchError(f"the side of {d or 'this checkout'} took more than --timeout "
                             f"({args.timeout:g} s): fewer --steps") from None
        if done.returncode:
            raise BenchError(f"{' '.join(cmd)}: {done.stderr.strip()[-500:]}")
        sides.append(json.loads(done.stdout)["sides"][0])
    return {"sides": sides}


def events(args) -> tuple[str, ...]:
    return (*EVENTS, "push") if args.watching else EVENTS


def show(results: dict) -> None:
    sides = results["sides"]
    figures = [e for e in (*EVENTS, "push") if e in sides[0]["rows"][0]]
    names = ["this checkout", *(f"{s['server']}" for s in sides[1:])]
    head = ["sessions", "reps", *(f"{e} µs" + (f" ({chr(65 + i)})" if len(sides) > 1 else "")
                                  for e in figures for i in range(len(sides)))]
    if len(sides) > 1:
        head += [f"{e} A/B" for e in figures]
    print("  ".join(f"{h:>12}" for h in head))
    for k, row in enumerate(sides[0]["rows"]):
        cells = [f"{row['sessions']:,}", f"{row['reps']:,}"]
        cells += [f"{s['rows'][k][e]:,.0f}" for e in figures for s in sides]
        if len(sides) > 1:
            cells += [f"{row[e] / sides[1]['rows'][k][e]:.3f}" for e in figures]
        print("  ".join(f"{c:>12}" for c in cells))
    print()
    for i, (name, s) in enumerate(zip(names, sides, strict=True)):
        fills = ", ".join(f"{r['fill_s']:.1f}" for r in s["rows"])
        print(f"{chr(65 + i) if len(sides) > 1 else 'desk'}: {name} (filled in {fills} s)")
    if sides[0]["watching"]:
        print("a supervisor watches the dashboard")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--quick", action="store_true", help="a smoke run: small steps")
    parser.add_argument("--steps", default="250,1000,2000", help="live sessions at each step, comma-separated")
    parser.add_argument("--per-rep", type=int, default=5, help="customers per queue rep")
    parser.add_argument("--ops", type=int, default=50, help="events of each kind timed per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per step (the median is printed)")
    parser.add_argument("--watching", action="store_true", help="a supervisor watches the dashboard")
    parser.add_argument("--compare", type=Path, default=None,
                        help="a directory holding another `server` package (B), run side by side")
    parser.add_argument("--server-dir", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds a side may take")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.ops, args.rounds = "50,200", 20, 1
    args.steps = sorted({int(x) for x in str(args.steps).split(",") if x.strip()})
    if not args.steps or args.steps[0] < args.ops:
        parser.error("every step holds at least --ops sessions (the ends are taken from them)")
    if not 1 <= args.per_rep <= 50:
        parser.error("--per-rep is between 1 and 50")
    return finish(lambda: run(args), args, show)


if __name__ == "__main__":
    raise SystemExit(main())
