"""Store benchmark: CPU per record written, by batch size.

    .venv/bin/python bench/records.py            # the table
    .venv/bin/python bench/records.py --quick    # a smoke run
    .venv/bin/python bench/records.py --json     # the same figures as JSON

One relay process writes its records (chat lines, grants, state changes) in
batches, one transaction each (`RecordWriter.run`, every
``RecordWriter.INTERVAL`` seconds at most while records keep coming). This
bench writes chat lines of 200 live sessions through the real store
(`server.store.SqlStore` on SQLite in a temp folder, as ``python -m server``
opens it) in batches of growing size and prints the process's CPU (all
threads: the event loop's and aiosqlite's) per batch and per line. A
transaction has a fixed cost (the statements of a batch go to SQLite's thread
and back one by one), so lines written together cost less each: the relay's
interval decides how many lines under load share one.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from relay import finish  # noqa: E402

from server.core.records import Record  # noqa: E402
from server.record_writer import RecordWriter  # noqa: E402
from server.store import open_store  # noqa: E402

SESSIONS = 200
LINE = "Could you click the blue button at the top of the page?"


async def measure(sizes: list[int], batches: int) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="tandem-records-") as folder:
        store = open_store(f"sqlite+aiosqlite:///{folder}/tandem.db")
        await store.open()
        try:
            sessions = [f"session-{i}" for i in range(SESSIONS)]
            await store.record([Record(action="session.created", session_id=s, actor="rep:1", at=time.time(),
                                       data={"number": "123456789", "kind": "inbound"}) for s in sessions])
            message_id = 0

            def batch(size: int) -> list[Record]:
                nonlocal message_id
                out = []
                for _ in range(size):
                    message_id += 1
                    out.append(Record(action="chat.posted", session_id=sessions[message_id % SESSIONS],
                                      actor="customer", at=time.time(),
                                      data={"message_id": message_id, "pid": "c1", "name": "Ann", "text": LINE}))
                return out

            for _ in range(20):  # warm: SQLAlchemy's compiled statements, SQLite's pages
                await store.record(batch(10))
            rows = []
            for size in sizes:
                cpu0 = time.process_time()
                for _ in range(batches):
                    await store.record(batch(size))
                cpu = time.process_time() - cpu0
                rows.append({"batch": size, "us_per_batch": cpu / batches * 1e6,
                             "us_per_line": cpu / batches / size * 1e6})
            return rows
        finally:
            await store.close()


def run(args) -> dict:
    sizes = [1, 10, 40] if args.quick else [1, 5, 10, 20, 40, 80]
    rows = asyncio.run(measure(sizes, 20 if args.quick else args.batches))
    return {"command": " ".join(["bench/records.py", *sys.argv[1:]]), "sessions": SESSIONS,
            "record_interval_s": RecordWriter.INTERVAL, "rows": rows}


def show(results: dict) -> None:
    print(f"{'lines a batch':>13}  {'CPU µs a batch':>14}  {'CPU µs a line':>13}")
    for r in results["rows"]:
        print(f"{r['batch']:>13}  {r['us_per_batch']:>14,.0f}  {r['us_per_line']:>13,.0f}")
    interval = results["record_interval_s"]
    print(f"\nThe relay writes at most every {interval:g} s while records keep coming: 1,000 sessions' chat "
          f"(a line every 5 s each) makes batches of {200 * interval:.0f} lines.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer sizes and batches")
    parser.add_argument("--batches", type=int, default=100, help="batches written at each size")
    args = parser.parse_args()
    return finish(lambda: run(args), args, show)


if __name__ == "__main__":
    raise SystemExit(main())
