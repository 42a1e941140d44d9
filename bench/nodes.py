"""Relay nodes for the benches: N relay processes on one PostgreSQL and one
Redis behind HAProxy (bench/cluster.py, bench/capacity.py --nodes N).

The servers are the tests' (tests/backends.py: Debian's postgresql,
redis-server and haproxy from temp folders on free loopback ports, stopped by
their PIDs) and so is the cluster (tests/cluster/harness.py `Cluster`). This
module adds what a bench needs on top: the relays' per-connection limits
lifted, as bench/relay.py lifts them, the CPU and RSS of the nodes and of the
backends, and which node holds the lease (``GET tandem:owner``; every node
logs its id at start).
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import psutil
import redis
from peers.relays import ADMIN_PASSWORD, UNLIMITED, BenchError, RelayProcess

from tests.backends import PostgresServer, RedisServer
from tests.cluster.harness import Cluster

LIFTED = {  # the bench is the load these limits exist to stop (as bench/peers/relays.py)
    "TANDEM_MESSAGES_PER_SECOND": UNLIMITED, "TANDEM_MESSAGE_BURST": UNLIMITED,
    "TANDEM_FRAMES_PER_SECOND": UNLIMITED, "TANDEM_FRAME_BURST": UNLIMITED,
    "TANDEM_JOIN_ATTEMPTS": UNLIMITED, "TANDEM_SIGNIN_ATTEMPTS": UNLIMITED,
    "TANDEM_ADMIN_PASSWORD": ADMIN_PASSWORD, "PYTHONUNBUFFERED": "1",
}
NODE_ID = re.compile(r"node ([0-9a-f]{8}): (?:first node of the cluster|joined the cluster)")


def cpu_seconds(pids: list[int], children: bool = False, parts: tuple[str, ...] = ("user", "system")) -> float:
    """User + system seconds (``parts``) of the processes (and their children), those still there."""
    total = 0.0
    for pid in pids:
        try:
            p = psutil.Process(pid)
            for q in [p, *(p.children(recursive=True) if children else [])]:
                t = q.cpu_times()
                total += sum(getattr(t, part) for part in parts)
        except psutil.NoSuchProcess:
            pass
    return total


def runqueue_seconds(pids: list[int]) -> float:
    """Seconds the processes' main threads (a relay's event loop) were ready
    to run but waited for a CPU (``/proc/PID/schedstat``), those still there:
    on a shared machine, latency that is the machine's, not the relay's."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/schedstat") as f:
                total += int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            pass
    return total / 1e9


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            total += psutil.Process(pid).memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


class Backends:
    """One PostgreSQL and one Redis for every cluster of a run."""

    def __init__(self) -> None:
        self.postgres = PostgresServer()
        self.redis = RedisServer()

    def start(self) -> Backends:
        self.postgres.start()
        self.redis.start()
        return self

    def pids(self) -> list[int]:
        """redis-server and the postmaster (its children are PostgreSQL's backends)."""
        pids = [self.redis.proc.pid] if self.redis.proc else []
        pidfile = self.postgres.data / "postmaster.pid"
        if pidfile.exists():
            pids.append(int(pidfile.read_text().split()[0]))
        return pids

    def stop(self) -> None:
        self.redis.stop()
        self.postgres.stop()


class Nodes:
    """N relay nodes behind HAProxy on `backends` (a fresh database, Redis emptied).

    ``base`` / ``ws_url`` go through HAProxy; ``ws_urls`` are the nodes' own."""

    def __init__(self, backends: Backends, var: Path, n: int) -> None:
        var.mkdir(parents=True, exist_ok=True)
        self.backends = backends
        self.cluster = Cluster(var, backends.postgres, backends.redis, nodes=n, **LIFTED)
        for node in self.cluster.nodes:
            node.log_level = "info"  # each node logs its id at start (which one owns the desk)
        self.base, self.ws_url = self.cluster.base, self.cluster.ws_url
        self.ws_urls = [node.ws_url for node in self.cluster.nodes]
        self.dead: set[int] = set()

    def start(self) -> Nodes:
        try:
            self.cluster.start()
        except RuntimeError as exc:
            raise BenchError(f"the cluster did not start: {exc}") from None
        return self

    @property
    def pids(self) -> list[int]:
        """The relay processes still running."""
        return [n.proc.pid for i, n in enumerate(self.cluster.nodes) if i not in self.dead and n.proc]

    @property
    def metrics_bases(self) -> list[str]:
        """Each running node's own address: a node's `/metrics` speaks for it alone."""
        return [n.base for i, n in enumerate(self.cluster.nodes) if i not in self.dead and n.proc]

    def backend_pids(self) -> list[int]:
        proxy = self.cluster.proxy.proc
        return [*self.backends.pids(), *([proxy.pid] if proxy else [])]

    def cpu(self) -> float:
        return cpu_seconds(self.pids)

    def kernel_cpu(self) -> float:
        return cpu_seconds(self.pids, parts=("system",))

    def backend_cpu(self) -> float:
        return cpu_seconds(self.backend_pids(), children=True)

    def rss(self) -> int:
        return rss_bytes(self.pids)

    def cpu_wait(self) -> float:
        return runqueue_seconds(self.pids)

    def node_ids(self) -> dict[str, int]:
        ids = {}
        for i, node in enumerate(self.cluster.nodes):
            found = NODE_ID.findall(node.log.read_text(errors="replace")) if node.log.exists() else []
            if found:
                ids[found[-1]] = i
        return ids

    def owner(self, timeout: float = 15.0) -> int:
        """The index of the node holding the lease."""
        client = redis.Redis.from_url(self.cluster.broker_url)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                value = client.get("tandem:owner")
                ids = self.node_ids()
                if value:
                    node = value.decode().split(":")[0]
                    if node in ids and ids[node] not in self.dead:
                        return ids[node]
                time.sleep(0.1)
        finally:
            client.close()
        raise BenchError(f"no live node holds the lease after {timeout:.0f} s (tandem:owner: {value!r}, "
                         f"node ids from the logs: {ids})")

    def kill(self, i: int) -> None:
        """SIGKILL node i (no goodbye)."""
        self.dead.add(i)
        self.cluster.kill(i)

    def logs(self, tail: int = 20000) -> str:
        """The end of the nodes' and HAProxy's logs, without access lines and traceback frames."""
        lines = [x for x in self.cluster.logs().splitlines() if "HTTP/1." not in x and not x.startswith(" ")]
        return "\n".join(lines)[-tail:]

    def stop(self) -> None:
        self.cluster.stop()


class OneRelay:
    """The relay process of a run without ``--nodes``, seen as `nodes.Nodes` is:
    Tandem's, or a bare room relay of bench/peers/relays.py (``side``:
    ``node``, ``picows`` or ``bare``), which has no `/metrics`."""

    def __init__(self, var: Path, relay_dir: Path | None, ws: str | None, side: str = "tandem") -> None:
        self.relay = RelayProcess(side, var, argparse.Namespace(relay_dir=relay_dir, ws=ws))
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
        return [self.base] if self.relay.kind == "tandem" else []

    def cpu_wait(self) -> float:
        return runqueue_seconds(self.pids)

    def backend_cpu(self) -> float:
        return 0.0

    def logs(self) -> str:
        return self.relay.log.read_text()[-3000:]

    def stop(self) -> None:
        self.relay.stop()
