"""Several relay processes on one PostgreSQL and one Redis, behind HAProxy.

`Cluster` starts N nodes (`tests.conftest.LiveRelay`) with the same database,
broker, secret key and shared folder (recordings, published files), each
with HAProxy's address as its public URL, and HAProxy (docs/haproxy.cfg) in
front of them. Clients use `base` / `ws_url` (through HAProxy) as people
would, or `node_base(i)` / `node_ws(i)` to reach one node directly.

Faults: `kill(i)` ends a node with SIGKILL (no goodbye), `restart(i)` starts
it again on the same port; a node started in `partitionable` reaches Redis
through a `CutProxy` (e2e/cutproxy.py), so `partition(i)` cuts it from Redis only (PostgreSQL
and its clients still reach it) and `heal(i)` joins it again.

The ``cluster`` fixture gives a running cluster of two nodes; parametrize it
indirectly with a count or with `Cluster` keywords:

    @pytest.mark.parametrize("cluster", [3], indirect=True)
    @pytest.mark.parametrize("cluster", [{"nodes": 3, "partitionable": [2]}], indirect=True)
"""

from __future__ import annotations

import signal
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from e2e.cutproxy import CutProxy
from tests.backends import HAProxy, PostgresServer, RedisServer
from tests.conftest import LiveRelay


class Cluster:
    def __init__(self, var: Path, postgres: PostgresServer, redis: RedisServer, nodes: int = 2,
                 partitionable: Iterable[int] = (), **env: str) -> None:
        self.database_url = postgres.new_database()
        self.broker_url = redis.fresh_url()
        self.proxy = HAProxy()
        self.base, self.ws_url = self.proxy.base, self.proxy.ws_url
        self.splits: dict[int, CutProxy] = {}
        redis_at = urlsplit(self.broker_url)
        for i in partitionable:
            self.splits[i] = CutProxy((redis_at.hostname, redis_at.port))
        self.var = var  # shared by every node, as the folder every node reaches in production
        self.nodes = [LiveRelay(var, **{
            "TANDEM_DATABASE_URL": self.database_url,
            "TANDEM_BROKER_URL": self._broker_url(i),
            "TANDEM_PUBLIC_URL": self.base,  # pages and WebSocket origins are checked against it
            "TANDEM_TRUSTED_PROXIES": "127.0.0.1",  # HAProxy's X-Forwarded-For: rate limits per client
            **env}) for i in range(nodes)]

    def _broker_url(self, i: int) -> str:
        split = self.splits.get(i)
        if split is None:
            return self.broker_url
        return urlsplit(self.broker_url)._replace(netloc=f"127.0.0.1:{split.port}").geturl()

    def start(self) -> Cluster:
        """Every node, then HAProxy; returns once HAProxy's health checks found every node up."""
        self.nodes[0].start()  # alone: it creates the schema and the admin account
        with ThreadPoolExecutor() as pool:
            list(pool.map(LiveRelay.start, self.nodes[1:]))
        self.proxy.start([node.port for node in self.nodes])
        for i in range(len(self.nodes)):
            self.wait_up(i)
        return self

    def stop(self) -> None:
        self.proxy.stop()
        for node in self.nodes:
            node.stop()
        for split in self.splits.values():
            split.close()

    # --- addresses -----------------------------------------------------------

    def node_base(self, i: int) -> str:
        return self.nodes[i].base

    def node_ws(self, i: int) -> str:
        return self.nodes[i].ws_url

    def server(self, i: int) -> str:
        """Node i's name in HAProxy (`HAProxy.servers()`)."""
        return f"node{i}"

    # --- faults --------------------------------------------------------------

    def kill(self, i: int) -> None:
        """SIGKILL node i: no closing handshake, no last write."""
        node = self.nodes[i]
        node.proc.send_signal(signal.SIGKILL)
        node.proc.wait()
        node.stop()  # closes its log

    def restart(self, i: int) -> None:
        """Start node i again (after `kill`), on the same port; returns once it listens."""
        self.nodes[i].start()

    def partition(self, i: int) -> None:
        """Cut node i from Redis: nothing passes, nobody is told (`CutProxy.partition`)."""
        self._split(i).partition()

    def heal(self, i: int) -> None:
        self._split(i).heal()

    def _split(self, i: int) -> CutProxy:
        if i not in self.splits:
            raise ValueError(f"node {i} reaches Redis directly: start the cluster with partitionable=[{i}]")
        return self.splits[i]

    # --- HAProxy's view --------------------------------------------------------

    def wait_up(self, i: int) -> None:
        """Until HAProxy's health check finds node i up (after `start` or `restart`)."""
        self.proxy.wait_for(self.server(i), "UP")

    def wait_down(self, i: int) -> None:
        """Until HAProxy has taken node i out of its pool."""
        self.proxy.wait_for(self.server(i), "DOWN")

    def served(self) -> list[int]:
        """How many 2xx responses HAProxy passed on from each node, by index."""
        servers = self.proxy.servers()
        return [int(servers[self.server(i)]["hrsp_2xx"] or 0) for i in range(len(self.nodes))]

    def logs(self) -> str:
        parts = [f"--- node {i} ({n.base}) ---\n{n.log.read_text(errors='replace')}" for i, n in enumerate(self.nodes)
                 if n.log.exists()]
        if self.proxy.log.exists():
            parts.append(f"--- haproxy ---\n{self.proxy.log.read_text(errors='replace')}")
        return "\n".join(parts)


@pytest.fixture
def cluster(request, tmp_path, postgres, redis_server):
    """A running `Cluster` (two nodes unless parametrized); on failure its logs are printed."""
    options = getattr(request, "param", {})
    if isinstance(options, int):
        options = {"nodes": options}
    c = Cluster(tmp_path, postgres, redis_server, **options)
    try:
        yield c.start()
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            print(c.logs())
    finally:
        c.stop()
