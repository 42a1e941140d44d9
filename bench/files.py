"""File transfer benchmark: agent -> rep through the relay, against a raw
loopback copy of the same bytes, in the same run; and the relay's memory with
a slow receiver.

    .venv/bin/python bench/files.py              # 200 MB
    .venv/bin/python bench/files.py --mb 50      # smaller
    .venv/bin/python bench/files.py --json

* relay: a real relay (`python -m server`, own process, loopback), a session
  with a customer, the customer's agent (`agent.files.FileServer`) and the rep
  (`agent.transfer.FileClient`) in this process; the rep downloads a random
  file of ``--mb`` MB (disk to disk, SHA-256 checked at both ends). Run once
  with the relay's default message rate limit and once with it raised
  (``TANDEM_MESSAGES_PER_SECOND``), since every 256 KiB chunk is one message.
* raw: the same file read and sent over a plain TCP socket on loopback, and
  written to disk by the receiver.
* slow receiver: the rep reads at about 12 MB/s (its frame handler sleeps);
  the relay's RSS is sampled every 50 ms. Twice: with `FileClient`'s flow
  control, and with a rep that asks for the whole file in one read request
  (no flow control: the relay's bounded outbox must protect itself).
Targets (issue 4): >= 300 MB/s through the relay; <= 50 MB RSS growth.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.agent.test_files import Transfer  # noqa: E402
from tests.conftest import LiveRelay  # noqa: E402

MB = 1_000_000


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def raw_copy(src: Path, dst: Path) -> float:
    """Seconds to read ``src``, send it over loopback TCP and write ``dst``."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def receive() -> None:
        conn, _ = server.accept()
        with conn, open(dst, "wb") as out:
            buf = bytearray(256 * 1024)
            view = memoryview(buf)
            while n := conn.recv_into(buf):
                out.write(view[:n])

    t = threading.Thread(target=receive)
    t.start()
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as s, open(src, "rb") as f:
        while data := f.read(256 * 1024):
            s.sendall(data)
    t.join()
    server.close()
    return time.perf_counter() - start


async def through_relay(var: Path, src: Path, dst: Path, env: dict) -> float:
    relay = LiveRelay(var, **env).start()
    try:
        t = await Transfer().start(relay, [src.parent])
        try:
            start = time.perf_counter()
            await t.files.download(src.name, dst)
            return time.perf_counter() - start
        finally:
            await t.close()
    finally:
        relay.stop()


async def slow_receiver(var: Path, src: Path, dst: Path, env: dict, seconds: float, flow: bool) -> dict:
    relay = LiveRelay(var, **env).start()
    try:
        t = await Transfer().start(relay, [src.parent])
        try:
            async def slow(stream, seq, body):
                await asyncio.sleep(0.02)  # ~256 KiB / 20 ms: about 12 MB/s
            t.rep.on_frame(3, slow)
            base = peak = rss(relay.proc.pid)
            if flow:
                job = asyncio.ensure_future(t.files.download(src.name, dst))
            else:  # one read for the whole file: the agent sends as fast as it can
                job = asyncio.ensure_future(t.files._send("read", src.name, offset=0))
            end = time.monotonic() + seconds
            while time.monotonic() < end and not (flow and job.done()):
                peak = max(peak, rss(relay.proc.pid))
                await asyncio.sleep(0.05)
            job.cancel()
            return {"rss_before_MB": base / MB, "rss_peak_MB": peak / MB, "growth_MB": (peak - base) / MB,
                    "received_MB": (dst.with_name(dst.name + ".part").stat().st_size / MB
                                    if flow and dst.with_name(dst.name + ".part").exists() else None)}
        finally:
            await t.close()
    finally:
        relay.stop()


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--slow-seconds", type=float, default=8.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out: dict = {"MB": args.mb}
    with tempfile.TemporaryDirectory(prefix="tandem-bench-files-") as tmp:
        tmp = Path(tmp)
        (tmp / "shared").mkdir()
        src = tmp / "shared" / "payload.bin"
        with open(src, "wb") as f:
            for _ in range(args.mb):
                f.write(os.urandom(MB))
        want = hashlib.sha256(src.read_bytes()).hexdigest()

        secs = raw_copy(src, tmp / "raw.bin")
        assert hashlib.sha256((tmp / "raw.bin").read_bytes()).hexdigest() == want
        out["raw_MBps"] = args.mb / secs
        (tmp / "raw.bin").unlink()

        for label, env in (("relay_default_limits", {}),
                           ("relay", {"TANDEM_MESSAGES_PER_SECOND": "100000", "TANDEM_MESSAGE_BURST": "100000"})):
            var = tmp / label
            var.mkdir()
            dst = tmp / f"{label}.bin"
            secs = await through_relay(var, src, dst, env)
            assert hashlib.sha256(dst.read_bytes()).hexdigest() == want
            dst.unlink()
            out[f"{label}_MBps"] = args.mb / secs
        out["ratio"] = out["relay_MBps"] / out["raw_MBps"]

        for label, flow in (("slow_receiver", True), ("slow_receiver_no_flow_control", False)):
            var = tmp / label
            var.mkdir()
            out[label] = await slow_receiver(var, src, tmp / f"{label}.bin", {}, args.slow_seconds, flow)

    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    print(f"file transfer, {args.mb} MB agent -> rep (disk to disk, SHA-256 verified)")
    print(f"  raw loopback TCP copy          {out['raw_MBps']:8.0f} MB/s")
    print(f"  through the relay              {out['relay_MBps']:8.0f} MB/s   ratio {out['ratio']:.2f}   "
          f"target >= 300 MB/s: {'met' if out['relay_MBps'] >= 300 else 'NOT met'}")
    print(f"  through the relay, default     {out['relay_default_limits_MBps']:8.0f} MB/s   "
          f"(messages_per_second=200: one message per 256 KiB chunk)")
    for label in ("slow_receiver", "slow_receiver_no_flow_control"):
        r = out[label]
        print(f"  {label.replace('_', ' '):30s} relay RSS {r['rss_before_MB']:.0f} -> {r['rss_peak_MB']:.0f} MB, "
              f"growth {r['growth_MB']:.1f} MB   target <= 50 MB: {'met' if r['growth_MB'] <= 50 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
