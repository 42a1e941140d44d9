"""A pytest plugin of the cluster pass (e2e/cluster_pass.py): how many
WebSockets each relay node took while each test ran, by HAProxy's count of
"101 Switching Protocols" answers per server, written to a JSON file
({test id: {server name: count}}) for the pass to check.

    TANDEM_E2E_HAPROXY_STATS=<HAProxy's stats socket> TANDEM_E2E_SPREAD=<JSON file> pytest -p e2e.node_spread ...
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.backends import HAProxyStats

STATS = "TANDEM_E2E_HAPROXY_STATS"
SPREAD = "TANDEM_E2E_SPREAD"


def websockets_opened() -> dict[str, int]:
    """WebSockets each server took since HAProxy started, by server name."""
    servers = HAProxyStats(Path(os.environ[STATS])).servers()
    return {name: int(row["hrsp_1xx"] or 0) for name, row in servers.items()}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    before = websockets_opened()
    yield
    after = websockets_opened()
    path = Path(os.environ[SPREAD])
    spread = json.loads(path.read_text()) if path.exists() else {}
    spread[item.nodeid] = {name: n - before.get(name, 0) for name, n in after.items()}
    path.write_text(json.dumps(spread, indent=1))
