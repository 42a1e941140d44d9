"""The owner's lease and the cluster's clock: a mixin on `node.Node`.

Every node marks itself alive in Redis every `RENEW_EVERY` seconds, and takes
the lease (``tandem:owner``, with a fencing token from ``tandem:fence``)
when nobody holds it; the owner renews it, closes the connections of nodes
that stopped marking themselves alive, and appends a clock tick to the inbox
every `TICK_EVERY` seconds. A node that cannot reach Redis takes no new work
until it can (`_healthy`).
"""

from __future__ import annotations

import asyncio
import logging

from ..backends import shown

log = logging.getLogger(__name__)

OWNER = "tandem:owner"
FENCE = "tandem:fence"
ALIVE = "tandem:alive:"

LEASE_MS = 3000
"""A dead owner's sessions stall at most this long before a node takes over."""
RENEW_EVERY = 0.75
TICK_EVERY = 0.25
ALIVE_TIMEOUT = 1.5
"""A node whose 'alive' mark takes longer than this to write has lost Redis."""


class LeaseHolder:
    async def _lease_loop(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._redis.set(ALIVE + self.id, 1, px=LEASE_MS), ALIVE_TIMEOUT)
                if not self.healthy:
                    log.warning("node %s: Redis is back; taking work again", self.id)
                    self._healthy(True)
                if self.token is not None:
                    await self._bury_dead_nodes()
                if self.token is not None:
                    if not await self._scripts["RENEW_LEASE"](keys=[OWNER], args=[self.token, LEASE_MS]):
                        log.warning("node %s: the lease was lost", self.id)
                        self._lost_lease()
                elif self._taken is None:
                    token = await self._scripts["TAKE_LEASE"](keys=[OWNER, FENCE], args=[self.id, LEASE_MS])
                    if token is not None:
                        self._taken = token.decode()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis unreachable: the lease runs out by itself, fencing keeps us safe
                if asyncio.current_task().cancelling():
                    raise asyncio.CancelledError from None
                if self.healthy:
                    log.error("node %s: lost Redis at %s (%s); taking no new work until it is back",
                              self.id, shown(self.url), exc or type(exc).__name__)
                    self._healthy(False)
            await asyncio.sleep(RENEW_EVERY)

    async def _bury_dead_nodes(self) -> None:
        """The owner closes the connections of nodes that stopped saying they
        are alive (killed, or cut off from Redis)."""
        others = [n for n in self.replica.links if n != self.id and n not in self._burying]
        if not others:
            return
        alive = await self._redis.mget([ALIVE + n for n in others])
        for node, mark in zip(others, alive, strict=True):
            if mark is None:
                log.warning("node %s: node %s is gone; closing its connections", self.id, node)
                self._burying.add(node)
                try:
                    await self.submit("node_gone", {"node": node})
                finally:
                    self._burying.discard(node)

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(TICK_EVERY)
            if self.token is None:
                continue
            try:
                await self.submit("tick", {})
            except Exception as exc:
                if asyncio.current_task().cancelling():
                    raise asyncio.CancelledError from None
                log.debug("node %s: tick not applied: %s", self.id, exc)

    def _lost_lease(self) -> None:
        if self.token is not None:
            self.token = None
            self.relay.lost_lease()

    def _healthy(self, healthy: bool) -> None:
        self.healthy = healthy
        self.relay.backend_state(healthy)
