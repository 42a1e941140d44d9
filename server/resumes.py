"""Resume ids: how a `/ws` client that lost its connection picks its stream up.

A welcomed connection is given a resume id (`Resume.key`), good while the
connection is open and for ``Settings.resume_window`` seconds after it
closed, and good once. A client that comes back with it in its hello gets
its channel from the seq it last saw, and the relay skips what it already
processed of the client's own messages (`Resume.client_seq`). One relay
process keeps the ids in memory; a cluster keeps them in Redis, through its
node, so that a client resumes on any node.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Resume:
    """What a reconnecting client needs: its channel and its last processed seq."""

    channel: str
    client_seq: int
    expires: float
    key: str = ""
    """The resume id the client was given (in a cluster, its Redis key)."""


class Resumes:
    """The resume ids of one relay process, or of its cluster (``node``)."""

    OPEN_TTL = 86400.0
    """Seconds a cluster keeps the id of a connection still open: longer than
    any connection lasts, so that a node that dies leaves nothing for good."""

    SWEEP = 5.0
    """Seconds between two sweeps of the ids past their window: they only
    hold memory, since `take` refuses one past its window."""

    def __init__(self, window: float, node=None) -> None:
        self.window = window
        self.node = node
        self._kept: dict[str, Resume] = {}
        self._swept = time.time()

    async def take(self, key: str) -> Resume | None:
        """The resume id a reconnecting client shows (good once)."""
        if self.node is None:
            resume = self._kept.pop(key, None)
            return resume if resume is not None and resume.expires >= time.time() else None
        got = await self.node.take_resume(key)
        return Resume(got[0], got[1], float("inf"), key) if got else None

    async def save(self, resume: Resume) -> None:
        """A connection was welcomed with `resume`."""
        if self.node is None:
            self._kept[resume.key] = resume
        else:
            await self.node.save_resume(resume.key, resume.channel, resume.client_seq, self.OPEN_TTL)

    async def release(self, resume: Resume) -> None:
        """The connection closed: its resume id is good for the resume window."""
        resume.expires = time.time() + self.window
        if self.node is not None:
            try:
                await self.node.expire_resume(resume.key, self.window)
            except Exception as exc:  # Redis gone: the id lives out its longer time
                log.warning("could not shorten a resume id's life: %s", exc)

    def sweep(self) -> None:
        """Forget the ids past their window, every `SWEEP` seconds (the relay's tick)."""
        now = time.time()  # the ids' clock (`release`)
        if now < self._swept + self.SWEEP:
            return
        self._swept = now
        for key in [k for k, r in self._kept.items() if r.expires < now]:
            del self._kept[key]
