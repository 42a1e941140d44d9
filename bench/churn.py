"""A contact center's comings and goings beside `bench/capacity.py`'s steady
load: customers who enter a queue, are taken and leave, and a supervisor who
watches the dashboard (``--churn``, ``--watching``).

The capacity profile keeps every session for the whole run, so nothing in a
measuring window changes the queues or the dashboard. In a real contact center
of 2,000 sessions lasting about ten minutes, three or four a second begin or
end: each one changes the queue boards of every rep of its queue, and, with a
supervisor watching, the dashboard of every live session (pushed at most once
a second). Here one load process runs ``rate`` such cycles a second, one
after the other, each through the real API as a customer and a rep would:

1. the customer asks for help (``POST /api/help``), their page connects and
   is told its place in line;
2. a queue rep of its own (a churn rep, who takes no load session) sends
   Accept next and gets the session;
3. the rep ends the session taken in the cycle before: its customer is told,
   and their page closes. So one churn session is live at a time, and every
   dashboard pushed lists another one.

These sessions send no frames, so the frame counts (and drops) of the window
are the load's alone; the cycle's own time is printed apart ("churn ms").
The supervisor (the bench's admin, on a dashboard connection) counts the
dashboards pushed to it and their size.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
from relay import BenchError, wait


class Churn:
    """Cycles of one churn rep, ``rate`` a second, while the load runs."""

    def __init__(self, worker, rate: float, token: str) -> None:
        self.worker, self.rate, self.token = worker, rate, token
        self.rep = None
        self.done = 0
        self.times_ms: list[float] = []
        self.task: asyncio.Task | None = None
        self.lock = asyncio.Lock()  # held for a cycle
        self.current: tuple[str, object] | None = None  # the churn session of the last cycle, and its customer

    async def start(self) -> None:
        w = self.worker
        self.rep = await w.connect(w.ws_urls[0])
        await w.hello(self.rep, self.token)
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        w = self.worker
        loop = asyncio.get_running_loop()
        async with httpx.AsyncClient(base_url=w.base, timeout=60) as http:
            due = loop.time()
            while not w.stopping:
                if not w.running.is_set():
                    await w.running.wait()
                    due = loop.time()
                await asyncio.sleep(max(0.0, due - loop.time()))
                async with self.lock:
                    if not w.running.is_set():
                        continue  # paused while it slept: the load's set-up must not meet a churn customer
                    t0 = time.perf_counter()
                    try:
                        await self.cycle(http)
                    except Exception as exc:  # noqa: BLE001 - counted as the relay's error; the run fails
                        w.errors += 1
                        w.note(f"churn: {exc!r}")
                        return
                    self.done += 1
                    self.times_ms.append((time.perf_counter() - t0) * 1000)
                due = max(due + 1 / self.rate, loop.time() - 1.0)  # behind by more than a second: no burst

    async def pause(self) -> None:
        """Wait for the cycle under way: the load's set-up (paused load) then
        meets no churn customer in its line, whom its Accept next would take."""
        async with self.lock:
            pass

    async def cycle(self, http: httpx.AsyncClient) -> None:
        """A customer enters and is taken; the one taken in the cycle before leaves."""
        w, rep = self.worker, self.rep
        r = await http.post("/api/help", json={"queue": w.queue, "name": f"Churn {self.done}"})
        if r.status_code != 200:
            raise BenchError(f"POST /api/help: {r.status_code} {r.text}")
        cust = await w.connect(w.ws_urls[0])
        cust.leaving = True  # its connection ends with its session: not a connection the relay dropped
        queued = cust.expect(lambda m: m.get("type") == "queue_position")
        pid = (await w.hello(cust, r.json()["token"]))["pid"]
        await wait(queued, "queue_position (churn)")
        state = rep.expect(lambda m: m.get("type") == "session_state" and m.get("state") == "active"
                           and any(x["pid"] == pid for x in m["participants"]))
        await rep.text({"type": "accept_next"})
        session = (await wait(state, "session_state after accept_next (churn)"))["session"]
        if self.current is not None:
            before, link = self.current
            ended = link.expect(lambda m: m.get("type") == "session_ended")
            await rep.text({"type": "end_session", "session": before})
            await wait(ended, "session_ended (churn)")
            link.ws.ws.disconnect()
        self.current = (session, cust)

    def window(self) -> tuple[int, list[float]]:
        """Cycles done since the last call, and their times."""
        done, times = self.done, self.times_ms
        self.done, self.times_ms = 0, []
        return done, times


class Supervisor:
    """The admin on a dashboard connection, watching: counts the dashboards pushed."""

    def __init__(self, worker, token: str) -> None:
        self.worker, self.token = worker, token
        self.link = None
        self.boards = 0
        self.bytes = 0

    async def start(self) -> None:
        w = self.worker
        self.link = link = await w.connect(w.ws_urls[0])
        link.on_text = self.seen
        welcome = link.expect(lambda m: m.get("type") == "welcome")
        await link.ws.send(json.dumps({"type": "hello", "seq": 0, "token": self.token, "client": "dashboard"}))
        await wait(welcome, "welcome (supervisor)")
        first = link.expect(lambda m: m.get("type") == "dashboard")
        await link.text({"type": "watch_dashboard", "watch": True})
        await wait(first, "dashboard")

    def seen(self, msg: str) -> None:
        if msg.startswith('{"seq":') and '"type":"dashboard"' in msg[:40]:
            self.boards += 1
            self.bytes += len(msg)

    def window(self) -> tuple[int, int]:
        """Dashboards pushed since the last call, and their bytes."""
        boards, size = self.boards, self.bytes
        self.boards = self.bytes = 0
        return boards, size
