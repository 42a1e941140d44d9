"""What one large frame leaves in the relay: for each frame size, fresh
connections each send one binary frame, and the relay's RSS growth per
connection is printed once they are answered: for a first group, then for a
second (the first still open), which shows what each connection keeps.

`/ws` on picows (fastws, as ``python -m server`` serves it) reads a frame whole
into the connection's read buffer, which keeps its largest size for the
connection's life. The same relay with `/ws` through the ASGI app (uvicorn's
websockets-sansio) is measured side by side: its reader keeps as much. So the
clients keep their frames small: cobrowse capture sends frames of at most
32 KiB (extension/src/customer/capture.js, PART_BYTES).

A second table: what an open connection keeps of its upgrade request, with
a client's few headers and with a browser's (user agent, languages, a cookie).

A third: a peak and after. Many connections each send a 64 KiB frame (as a
page's snapshot parts come), then all but one in 16 close: the relay's RSS
at the peak, just after, and once a heap trim has run (server/heap_trim.py,
every ``TANDEM_HEAP_TRIM_INTERVAL``), beside the same relay with trims off.

    .venv/bin/python bench/frame_memory.py [--connections 20] [--sizes 1500,32768,700000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from peers.relays import RelayProcess, prepare, ws_stack  # noqa: E402

from bench.common import print_columns  # noqa: E402
from bench.relay import tandem_admin  # noqa: E402
from server.protocol import FRAME_HEADER, StreamKind  # noqa: E402

SIDES = ("tandem", "tandem:websockets-sansio")


async def welcomed(relay: RelayProcess, token: str, headers: dict | None = None):
    """A `/ws` connection (upgraded with ``headers``) that said hello and was welcomed."""
    ws = await connect(relay.ws_url, proxy=None, max_size=None, compression=None, additional_headers=headers)
    await ws.send(json.dumps({"type": "hello", "seq": 0, "token": token}))
    while json.loads(await ws.recv())["type"] != "welcome":
        pass
    return ws


async def rss_growth(relay: RelayProcess, connections: int, size: int) -> tuple[float, float]:
    """kB of RSS per connection after each of `connections` sent one frame of
    `size` bytes, then after as many more did, the first ones still open: what
    the second group adds is what each connection holds, not what the
    allocator kept from the first group and gave out again."""
    async with httpx.AsyncClient(base_url=relay.base, trust_env=False) as http:
        token, _ = await tandem_admin(http)
    sockets = []

    async def group() -> float:
        opened = []
        for _ in range(connections):
            ws = await welcomed(relay, token)
            sockets.append(ws)
            opened.append(ws)
        await asyncio.sleep(0.5)
        before = relay.rss()
        for seq, ws in enumerate(opened, 1):
            # a cobrowse frame on a stream this rep has no view of: read whole, then refused
            await ws.send(FRAME_HEADER.pack(StreamKind.COBROWSE, 7, seq) + bytes(size - FRAME_HEADER.size))
            while json.loads(await ws.recv())["type"] != "error":
                pass
        await asyncio.sleep(0.5)
        return (relay.rss() - before) / connections / 1000

    try:
        return await group(), await group()
    finally:
        for ws in sockets:
            await ws.close()


BROWSER = {  # what Chrome sends with a WebSocket upgrade, besides the handshake's own
    "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/131.0.0.0 Safari/537.36",
    "Accept-Language": "en-US,en;q=0.9,da;q=0.8", "Accept-Encoding": "gzip, deflate, br, zstd",
    "Cache-Control": "no-cache", "Pragma": "no-cache",
    "Cookie": "tandem_session=" + "x" * 180 + "; theme=dark",
    "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits",
}


async def open_growth(relay: RelayProcess, connections: int, headers: dict | None) -> tuple[float, float]:
    """kB of RSS per connection opened (and welcomed) with ``headers``, for a
    first group, then a second (the first still open)."""
    async with httpx.AsyncClient(base_url=relay.base, trust_env=False) as http:
        token, _ = await tandem_admin(http)
    sockets = []

    async def group() -> float:
        before = relay.rss()
        for _ in range(connections):
            sockets.append(await welcomed(relay, token, headers))
        await asyncio.sleep(0.5)
        return (relay.rss() - before) / connections / 1000

    try:
        return await group(), await group()
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))


PEAK_FRAME = 65536
TRIM_SIDES = (("trims every 10 s", {}), ("trims off", {"TANDEM_HEAP_TRIM_INTERVAL": "0"}))


async def peak_and_after(relay: RelayProcess, connections: int) -> tuple[float, float, float]:
    """MB of RSS above the idle relay's: at a peak of ``connections`` that
    each sent a `PEAK_FRAME` frame, 1 s after all but one in 16 closed, and
    11 s after (a heap trim has run, where trims are on)."""
    async with httpx.AsyncClient(base_url=relay.base, trust_env=False) as http:
        token, _ = await tandem_admin(http)
    before = relay.rss()
    sockets = [await welcomed(relay, token) for _ in range(connections)]
    for seq, ws in enumerate(sockets, 1):
        await ws.send(FRAME_HEADER.pack(StreamKind.COBROWSE, 7, seq) + bytes(PEAK_FRAME - FRAME_HEADER.size))
        while json.loads(await ws.recv())["type"] != "error":
            pass
    peak = relay.rss()
    stay = sockets[15::16]
    await asyncio.gather(*(ws.close() for ws in sockets if ws not in stay))
    await asyncio.sleep(1.0)
    closed = relay.rss()
    await asyncio.sleep(11.0)
    later = relay.rss()
    await asyncio.gather(*(ws.close() for ws in stay))
    return tuple((x - before) / 1e6 for x in (peak, closed, later))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--sizes", default="1500,12000,32768,65536,131072,700000",
                        help="frame sizes in bytes, comma-separated")
    parser.add_argument("--quick", action="store_true", help="10 connections, two sizes")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    if args.quick:
        args.connections, sizes = 10, [1500, 700000]
    opts = argparse.Namespace(relay_dir=None, ws=None)
    prepare(list(SIDES), None)
    rows = []
    with tempfile.TemporaryDirectory(prefix="tandem-frame-memory-") as tmp:
        for size in sizes:
            row = [f"{size:,}"]
            for side in SIDES:
                var = Path(tmp) / f"{side.replace(':', '-')}-{size}"
                var.mkdir()
                relay = RelayProcess(side, var, opts).wait_ready()
                try:
                    first, then = asyncio.run(rss_growth(relay, args.connections, size))
                    row += [f"{first:.0f}", f"{then:.0f}"]
                finally:
                    relay.stop()
            rows.append(tuple(row))
    head = ["frame bytes"]
    for side in SIDES:
        head += [f"{ws_stack(side, opts)}: kB, first group", "next group"]
    print_columns(tuple(head), rows)
    print(f"\nRSS growth per connection after each of a group of {args.connections} sent one frame; the next "
          "group's growth is what a connection keeps (the allocator gives out again what was freed); "
          "each relay fresh for each size")

    rows = []
    with tempfile.TemporaryDirectory(prefix="tandem-open-memory-") as tmp:
        for name, headers in (("a client's few", None), ("a browser's", BROWSER)):
            row = [name]
            for side in SIDES:
                var = Path(tmp) / f"{side.replace(':', '-')}-{len(rows)}"
                var.mkdir()
                relay = RelayProcess(side, var, opts).wait_ready()
                try:
                    row += [f"{x:.1f}" for x in asyncio.run(open_growth(relay, args.connections * 5, headers))]
                finally:
                    relay.stop()
            rows.append(tuple(row))
    head = ["upgrade headers"]
    for side in SIDES:
        head += [f"{ws_stack(side, opts)}: kB, first group", "next group"]
    print()
    print_columns(tuple(head), rows)
    print(f"\nRSS growth per open connection (hello and welcome, no frame), groups of {args.connections * 5}")

    rows = []
    peak_connections = args.connections * 25
    with tempfile.TemporaryDirectory(prefix="tandem-peak-memory-") as tmp:
        for name, env in TRIM_SIDES:
            var = Path(tmp) / f"peak-{len(rows)}"
            var.mkdir()
            saved = dict(os.environ)
            os.environ.update(env)  # the relay process inherits it
            try:
                relay = RelayProcess("tandem", var, opts).wait_ready()
            finally:
                os.environ.clear()
                os.environ.update(saved)
            try:
                rows.append((name, *(f"{x:.1f}" for x in asyncio.run(peak_and_after(relay, peak_connections)))))
            finally:
                relay.stop()
    print()
    print_columns(("relay (fastws)", "MB at the peak", "1 s after", "11 s after"), rows)
    print(f"\nRSS above the idle relay's: {peak_connections} connections each sent a {PEAK_FRAME:,}-byte frame, "
          "then all but one in 16 closed")


if __name__ == "__main__":
    main()
