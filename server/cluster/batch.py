"""Script calls from many connections, sent to Redis together.

Every client message and every binary frame a node takes is one Lua call
(`scripts.SUBMIT`, `scripts.PUBLISH_FRAME`). Sent one by one, each costs a
round trip and a connection of the pool; under load they would queue for
connections. `Batcher` puts the calls made while a pipeline is on its way
into the next pipeline: one write and one read for all of them. Each caller
still awaits its own answer, so a connection's inputs keep their order.
"""

from __future__ import annotations

import asyncio
from typing import Any

MAX_BATCH = 512


class Batcher:
    def __init__(self, redis) -> None:
        self.redis = redis
        self._pending: list[tuple[Any, list, list, asyncio.Future]] = []
        self._task: asyncio.Task | None = None

    def call(self, script, keys: list, args: list) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self._pending.append((script, keys, args, future))
        if self._task is None:
            self._task = asyncio.create_task(self._send(), name="cluster-batch")
        return future

    async def _send(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                try:
                    async with self.redis.pipeline(transaction=False) as pipe:
                        for script, keys, args, _future in batch:
                            await script(keys=keys, args=args, client=pipe)
                        results = await pipe.execute(raise_on_error=False)
                except BaseException as exc:
                    for *_call, future in batch:
                        if not future.done():
                            future.set_exception(exc if isinstance(exc, Exception) else ConnectionError(str(exc)))
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for (*_call, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._task = None
            for *_call, future in self._pending:  # cancelled with calls still waiting
                if not future.done():
                    future.set_exception(ConnectionError("the node is stopping"))
            self._pending = []
