"""`GET /healthz`: can this node serve, for a load balancer's health check.

200 ``ok`` while the node's store (the database) and its broker both answer
(and, in a cluster, the node has not lost Redis since it last wrote to it);
503 with a one-line reason when one does not, or not within `CHECK_TIMEOUT`.
A load balancer takes a node that answers 503 (or nothing) out of its pool,
so clients reconnect to one that works (docs/haproxy.cfg).

Anyone may ask: the answer holds no data but which backend failed. The checks
are one cheap read each, made together, and an answer is reused for `CACHE_FOR` seconds, so
a health check every second from several balancers costs the backends
nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from ..relay import Relay

CHECK_TIMEOUT = 1.0
CACHE_FOR = 0.5
# a channel nobody publishes to: reading its last sequence number is one small read
PROBE_CHANNEL = "healthz"


class Health:
    """The node's last health answer, checked again when older than `CACHE_FOR`."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self._problem: str | None = None
        self._checked = -CACHE_FOR
        self._checking = asyncio.Lock()

    async def problem(self) -> str | None:
        """None when the store and the broker answer; else why not, in one line."""
        async with self._checking:  # callers arriving during a check share its answer
            if time.monotonic() - self._checked >= CACHE_FOR:
                self._problem = await self._check()
                self._checked = time.monotonic()
            return self._problem

    async def _check(self) -> str | None:
        problems = await asyncio.gather(_probe("database", self.relay.store.count_accounts()),
                                        _probe("broker", self.relay.broker.last_seq(PROBE_CHANNEL)))
        node = self.relay.node
        if node is not None and not node.healthy:  # a cluster node that lost Redis and has not rejoined yet
            problems.append("cluster node not back in the cluster yet")
        return next((p for p in problems if p is not None), None)


async def _probe(name: str, read: Awaitable[object]) -> str | None:
    try:
        await asyncio.wait_for(read, CHECK_TIMEOUT)
    except TimeoutError:
        return f"{name} did not answer within {CHECK_TIMEOUT:g} s"
    except Exception as exc:  # the kind of failure only: its text may name hosts
        return f"{name} unreachable ({type(exc).__name__})"
    return None


async def healthz(request: Request) -> PlainTextResponse:
    state = request.app.state
    if getattr(state, "health", None) is None:
        state.health = Health(state.relay)
    problem = await state.health.problem()
    headers = {"Cache-Control": "no-store"}
    if problem is None:
        return PlainTextResponse("ok", headers=headers)
    return PlainTextResponse(problem, 503, headers=headers)


routes = [Route("/healthz", healthz)]
