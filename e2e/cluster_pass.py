"""The e2e suites against a cluster: two relay nodes behind HAProxy.

    python -m e2e.cluster_pass [pytest arguments; tests named e2e/... replace the chosen ones]

Starts PostgreSQL, Redis and two relay nodes on them with HAProxy
(docs/haproxy.cfg) in front, as README's "Running several nodes" sets them up
(tests/cluster/harness.py's `Cluster`, with a known admin password), and runs
the chosen suites with ``--base-url`` = HAProxy's address, as
e2e/deployment_pass.py runs them against one relay: the queue with cobrowse
and control in Chromium with the extension, a session by number and its chat,
the rep's Support Manager desktop shown over the relay, a real Support
Manager's files browsed and moved both ways, a published file downloaded, a
second rep assisting and taking the session over, policies changed live.

HAProxy sends each new WebSocket to the node with the fewest open, so the
rep's side panel, the customer's page and the Support Manager of one session
land on different nodes: the pass checks that every test opened WebSockets on
both nodes (e2e/node_spread.py counts them per test from HAProxy's stats) and
prints the count. The exit status is pytest's, or 1 when a test stayed on one
node or the run left something behind. `make test-cluster` runs it.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

from e2e.deployment_pass import run_suites
from e2e.node_spread import SPREAD, STATS, websockets_opened
from tests.backends import PostgresServer, RedisServer
from tests.cluster.harness import Cluster

NODES = 2
CHOSEN = [
    "e2e/test_inbound.py",  # the queue: help asked on the demo shop, Accept next in the side panel, the page viewed
    "e2e/test_control.py",  # control asked, denied, allowed, used and stopped
    "e2e/test_outbound.py",  # a session by number, chat both ways
    # the rep's Support Manager (under Xvfb) shares its desktop; the customer's page sees it over the relay
    "e2e/test_share_to_customer.py::test_share_view_shows_the_reps_screen_and_takes_no_input[relay]",
    # a real Support Manager shares a folder: the rep browses it and moves files both ways
    "e2e/test_files_browser.py::test_rep_browses_the_customers_folder_and_moves_files_both_ways",
    "e2e/test_customer_files.py",  # a file the rep publishes (the shared folder) downloads on the customer's page
    "e2e/test_two_reps.py",  # a second rep assists, takes control over, gets the session; then it goes to a queue
    "e2e/test_policies.py",  # a policy changed by the admin reaches sessions live on both nodes
]


def one_node_only(spread: dict[str, dict[str, int]]) -> list[str]:
    """Print which nodes took each test's WebSockets; the tests that used
    some nodes but not all (a test that opened none ran on a relay of its own)."""
    alone = []
    for test, opened in spread.items():
        print(f"cluster pass: {test}: WebSockets opened {', '.join(f'{n} {k}' for n, k in sorted(opened.items()))}")
        if 0 < sum(1 for k in opened.values() if k) < NODES:
            alone.append(test)
    return alone


def main(args: list[str]) -> int:
    password = "qa-" + secrets.token_urlsafe(12)
    tests = [] if any(a.startswith("e2e/") for a in args) else CHOSEN
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tandem-cluster-") as tmp:
        var = Path(tmp)
        postgres, redis = PostgresServer(), RedisServer()
        cluster = None
        try:
            postgres.start()
            redis.start()
            cluster = Cluster(var, postgres, redis, nodes=NODES, TANDEM_ADMIN_PASSWORD=password)
            cluster.start()
            print(f"cluster pass: {NODES} relay nodes ({', '.join(n.base for n in cluster.nodes)}) on PostgreSQL "
                  f"and Redis behind HAProxy at {cluster.base}, up after {time.monotonic() - started:.0f} s",
                  flush=True)
            spread_file = var / "spread.json"
            os.environ.update({STATS: str(cluster.proxy.stats_socket), SPREAD: str(spread_file)})
            code = run_suites("cluster pass", cluster.base, password, ["-p", "e2e.node_spread", *tests, *args],
                              cluster.logs)
            total = websockets_opened()
            spread = json.loads(spread_file.read_text()) if spread_file.exists() else {}
        finally:
            if cluster is not None:
                cluster.stop()
            redis.stop()
            postgres.stop()
    print(f"cluster pass: WebSockets each node took in all: {total}")
    alone = one_node_only(spread)
    for test in alone:
        print(f"cluster pass: {test} opened its WebSockets on one node only: HAProxy did not spread it")
    print(f"cluster pass: done in {time.monotonic() - started:.0f} s", flush=True)
    return code or (1 if alone or sum(1 for k in total.values() if k) < NODES else 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
