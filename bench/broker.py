"""Broker benchmark: what one publish costs, and what a channel keeps.

    .venv/bin/python bench/broker.py                  # this checkout
    .venv/bin/python bench/broker.py --quick          # a smoke run
    .venv/bin/python bench/broker.py --compare OLD    # this checkout and another, side by side
    .venv/bin/python bench/broker.py --json           # the same figures as JSON

Every payload a relay node publishes in a cluster is one Lua call in Redis
(server/broker/redis.py `PUBLISH_FUNCTION`, shared by the cluster's scripts):
the next seq, the entry, the trim to the channel's history. This bench starts
its own redis-server (tests/backends.py) and, for each side, publishes
1,536-byte payloads (a cobrowse frame of `bench/capacity.py`) round-robin to
``--channels`` channels through `RedisBroker.publish`, one after the other,
until each channel has passed its history (1 MiB) ``--fill`` times over, so
that nearly every publish also trims. It prints per publish the wall time of
the call and the CPU redis-server spent (``/proc``), and Redis's memory per
channel afterwards (``INFO memory``). Then a burst: 16 chunks of 256 KiB (the
4 MiB a file transfer keeps in flight) published at once to a fresh channel,
and how much of it the channel still holds (a reader that stood still for a
moment can read what is held).

Then the in-process broker of one relay process (``memory://``,
server/broker/memory.py), which every relayed frame goes through: the CPU of
one `MemoryBroker.publish_nowait` of a live frame (cobrowse, input: the short
live history) of 100 B and of 1,536 B, and of a 1,536 B message (the long
history), round-robin to ``--channels`` channels whose histories are full, with
no subscriber (delivery is the receiving connection's cost).

``--compare DIR`` runs the same in a second process importing DIR's
``server`` package, against the same redis-server (flushed between runs),
alternating the sides over ``--rounds`` rounds; the medians are printed with
the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from relay import BenchError, finish  # noqa: E402

from tests.backends import RedisServer  # noqa: E402

PAYLOAD = 1536
HISTORY_BYTES = 1 << 20
CHUNK = 256 * 1024
BURST = 16


async def one_run(url: str, redis_pid: int, channels: int, fill: float) -> dict:
    """Publish on this process's `server` package; the figures of one run."""
    import redis.asyncio as aioredis

    from server.broker import open_broker

    broker = open_broker(url, history_bytes=HISTORY_BYTES)
    await broker.connect()
    admin = aioredis.Redis.from_url(url)
    try:
        await admin.flushall()
        base = (await admin.info("memory"))["used_memory"]
        per_channel = int(fill * HISTORY_BYTES / PAYLOAD)
        names = [f"cus:bench{i}" for i in range(channels)]
        body = os.urandom(PAYLOAD)
        server = psutil.Process(redis_pid)
        cpu0, t0 = sum(server.cpu_times()[:2]), time.perf_counter()
        for _ in range(per_channel):
            for name in names:
                await broker.publish(name, body)
        wall, cpu = time.perf_counter() - t0, sum(server.cpu_times()[:2]) - cpu0
        n = per_channel * channels
        used = (await admin.info("memory"))["used_memory"] - base
        chunk = os.urandom(CHUNK)
        for _ in range(BURST):
            await broker.publish("cus:burst", chunk)
        kept = await admin.xlen(b"tandem:{cus:burst}")
        return {"publishes": n, "publish_us": wall / n * 1e6, "redis_cpu_us": cpu / n * 1e6,
                "kb_per_channel": used / channels / 1024, "burst_kept_kib": kept * CHUNK // 1024}
    finally:
        await admin.flushall()
        await admin.aclose()
        await broker.disconnect()


MEMORY_CASES = (("memory_live_100_ns", 100, True), ("memory_live_1536_ns", PAYLOAD, True),
                ("memory_message_1536_ns", PAYLOAD, False))


def memory_run(channels: int, publishes: int) -> dict:
    """CPU nanoseconds per publish of the in-process broker, each case on full histories."""
    from server.broker.memory import MemoryBroker

    out = {}
    names = [f"rep:bench{i}" for i in range(channels)]
    for key, size, live in MEMORY_CASES:
        broker = MemoryBroker()
        publish, body = broker.publish_nowait, os.urandom(size)
        for _ in range(600):  # past every bound of both histories (512 messages, 16 KiB of frames)
            for name in names:
                publish(name, body, live)
        rounds = max(1, publishes // channels)
        t0 = time.process_time()
        for _ in range(rounds):
            for name in names:
                publish(name, body, live)
        out[key] = (time.process_time() - t0) / (rounds * channels) * 1e9
    return out


def side_process(args, server_dir: Path | None, url: str, redis_pid: int) -> dict:
    """One run in a process of its own, on ``server_dir``'s package (or this checkout's)."""
    cmd = [sys.executable, __file__, "--json", "--channels", str(args.channels), "--fill", str(args.fill),
           "--publishes", str(args.publishes), "--redis-url", url, "--redis-pid", str(redis_pid)]
    if server_dir is not None:
        cmd += ["--server-dir", str(server_dir.resolve())]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    if done.returncode:
        raise BenchError(f"{' '.join(cmd)}: {done.stderr.strip()[-800:]}")
    return json.loads(done.stdout)


def run(args) -> dict:
    if args.redis_url:  # a side's process
        if args.server_dir:
            for name in [m for m in sys.modules if m == "server" or m.startswith("server.")]:
                del sys.modules[name]
            sys.path.insert(0, str(args.server_dir))
        import server

        out = asyncio.run(one_run(args.redis_url, args.redis_pid, args.channels, args.fill))
        return {**out, **memory_run(args.channels, args.publishes), "server": str(Path(server.__file__).parent.parent)}
    redis_server = RedisServer().start()
    try:
        dirs = [None] + ([args.compare] if args.compare else [])
        runs: list[list[dict]] = [[] for _ in dirs]
        for r in range(args.rounds):
            order = list(range(len(dirs)))
            if r % 2:
                order.reverse()  # each side first in turn: both meet the same machine
            for i in order:
                runs[i].append(side_process(args, dirs[i], redis_server.url, redis_server.proc.pid))
        sides = [{"server": rs[0]["server"], **{k: statistics.median(x[k] for x in rs) for k in FIGURES}}
                 for rs in runs]
        return {"channels": args.channels, "fill": args.fill, "rounds": args.rounds, "sides": sides,
                "publishes": args.publishes,
                "redis": subprocess.run([redis_server.exe, "--version"], capture_output=True, text=True).stdout.split()[2]}
    finally:
        redis_server.stop()


FIGURES = ("publishes", "publish_us", "redis_cpu_us", "kb_per_channel", "burst_kept_kib",
           *(key for key, _, _ in MEMORY_CASES))
LABELS = {"publish_us": "µs / publish", "redis_cpu_us": "Redis CPU µs / publish",
          "kb_per_channel": "Redis kB / channel", "burst_kept_kib": "4 MiB burst: KiB kept",
          "memory_live_100_ns": "memory: ns / live 100 B", "memory_live_1536_ns": "memory: ns / live 1,536 B",
          "memory_message_1536_ns": "memory: ns / message 1,536 B"}


def show(results: dict) -> None:
    if "sides" not in results:
        return
    sides = results["sides"]
    width = 28
    head = ["figure", *(("A", "B", "A/B") if len(sides) > 1 else ("value",))]
    print("  ".join(f"{h:>{width if i == 0 else 12}}" for i, h in enumerate(head)))
    for key, label in LABELS.items():
        cells = [f"{s[key]:,.1f}" for s in sides]
        if len(sides) > 1:
            cells.append(f"{sides[0][key] / sides[1][key]:.3f}" if sides[1][key] else "-")
        print(f"{label:>{width}}  " + "  ".join(f"{c:>12}" for c in cells))
    print()
    for i, s in enumerate(sides):
        print(f"{chr(65 + i) if len(sides) > 1 else 'side'}: {s['server']}")
    print(f"{results['channels']} channels, each filled {results['fill']:g} times past its history "
          f"({int(sides[0]['publishes']):,} publishes of {PAYLOAD:,} B); median of {results['rounds']} rounds; "
          f"redis-server {results['redis']}")
    print(f"memory: {results['publishes']:,} publishes per figure to the same channels, full histories, "
          f"no subscriber; CPU of the bench process")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer channels, one round")
    parser.add_argument("--channels", type=int, default=100, help="channels published to, round-robin")
    parser.add_argument("--fill", type=float, default=2.0, help="times each channel's history is filled")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each side (the median is printed)")
    parser.add_argument("--publishes", type=int, default=300_000, help="publishes per memory broker figure")
    parser.add_argument("--compare", type=Path, default=None,
                        help="a directory holding another `server` package (B), run side by side")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds one run may take")
    parser.add_argument("--redis-url", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--redis-pid", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--server-dir", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.channels, args.fill, args.rounds, args.publishes = 10, 1.5, 1, 20_000
    if args.channels < 1 or args.fill <= 0 or args.rounds < 1 or args.publishes < 1:
        parser.error("--channels, --rounds and --publishes are at least 1, --fill above 0")
    return finish(lambda: run(args), args, show)


if __name__ == "__main__":
    raise SystemExit(main())
