"""The cluster harness itself (tests/cluster/harness.py) with what a cluster
does today: HAProxy, run from docs/haproxy.cfg, spreads requests over every
node; a node killed without a goodbye leaves its pool while requests through
it keep succeeding, and comes back when restarted; a node cut from Redis
answers its health check with 503 and leaves the pool too, until healed."""

from __future__ import annotations

import json
import threading

import anyio
import httpx
import pytest
from websockets.asyncio.client import connect

from tests.conftest import ADMIN_EMAIL
from tests.test_resume import sign_in


def get_healthz(base: str, times: int = 1) -> list[httpx.Response]:
    with httpx.Client(base_url=base, trust_env=False, timeout=15) as http:
        return [http.get("/healthz") for _ in range(times)]


def served_since(cluster, before: list[int]) -> list[int]:
    return [now - then for now, then in zip(cluster.served(), before, strict=True)]


@pytest.mark.anyio
async def test_every_node_serves_through_haproxy_with_one_sign_in(cluster):
    for i in range(len(cluster.nodes)):
        assert [r.text for r in get_healthz(cluster.node_base(i))] == ["ok"]

    before = cluster.served()
    assert [(r.status_code, r.text) for r in get_healthz(cluster.base, 4)] == [(200, "ok")] * 4
    assert all(n > 0 for n in served_since(cluster, before))  # every node answered some

    # signed in through HAProxy: every node knows the rep (one database, one secret key)
    token = await sign_in(cluster.base)
    for i in range(len(cluster.nodes)):
        async with httpx.AsyncClient(base_url=cluster.node_base(i), trust_env=False, timeout=15) as http:
            r = await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        assert r.json()["email"] == ADMIN_EMAIL
    # and a WebSocket opens through HAProxy, from a page of its address (every node's public URL)
    async with connect(cluster.ws_url, origin=cluster.base, proxy=None, open_timeout=15) as ws:
        await ws.send(json.dumps({"type": "hello", "seq": 0, "token": token}))
        with anyio.fail_after(15):
            welcome = json.loads(await ws.recv())
    assert welcome["type"] == "welcome", welcome


@pytest.mark.parametrize("cluster", [3], indirect=True)
def test_a_killed_node_leaves_the_pool_and_a_restarted_one_comes_back(cluster):
    answers: list[httpx.Response] = []
    cut: list[httpx.RemoteProtocolError] = []
    done = threading.Event()

    def ask() -> None:  # one request after another all along, as a client would send them
        with httpx.Client(base_url=cluster.base, trust_env=False, timeout=15) as http:
            while not done.is_set():
                try:
                    answers.append(http.get("/healthz"))
                except httpx.RemoteProtocolError as exc:
                    cut.append(exc)

    asking = threading.Thread(target=ask)
    asking.start()
    try:
        cluster.kill(1)
        cluster.wait_down(1)
    finally:
        done.set()
        asking.join()
    # until HAProxy's health check noticed, it sent the requests the dead node refused to a live one;
    # the one request (if any) on its way to the dead node at the moment HAProxy took it out was cut
    # (on-marked-down shutdown-sessions), and the next went through
    assert answers and [r.status_code for r in answers] == [200] * len(answers)
    assert len(cut) <= 1, cut

    before = cluster.served()
    assert [r.status_code for r in get_healthz(cluster.base, 4)] == [200] * 4
    assert served_since(cluster, before)[1] == 0

    cluster.restart(1)
    cluster.wait_up(1)
    before = cluster.served()
    assert [r.status_code for r in get_healthz(cluster.base, 6)] == [200] * 6
    assert all(n > 0 for n in served_since(cluster, before))


@pytest.mark.parametrize("cluster", [{"nodes": 2, "partitionable": [1]}], indirect=True)
def test_a_node_cut_from_redis_is_unhealthy_and_leaves_the_pool_until_healed(cluster):
    cluster.partition(1)
    cluster.wait_down(1)
    r = get_healthz(cluster.node_base(1))[0]  # PostgreSQL and its clients still reach it
    assert (r.status_code, r.text) == (503, "broker did not answer within 1 s")
    before = cluster.served()
    assert [r.status_code for r in get_healthz(cluster.base, 4)] == [200] * 4
    assert served_since(cluster, before) == [4, 0]

    cluster.heal(1)
    cluster.wait_up(1)
    assert [r.text for r in get_healthz(cluster.node_base(1))] == ["ok"]
