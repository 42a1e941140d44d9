"""Screen pictures for the session recording.

The relay records what passes through it. While WebRTC carries the picture of
a shared desktop or application, nothing of it does, so while the session
has a recording activity this module sends RECORD frames (kind 5: FRAMES
bodies, `agent/fallback.py`, at Screen-sampling quality and a modest rate)
on each shared stream. The relay keeps them for the recorder only and
forwards them to nobody. While WebRTC is down the ordinary FRAMES pass
through the relay and are recorded as they are, so nothing extra is sent.

Attached by `Sharing` (``RecordingFrames(sharing)``); it only reads the
sharing's state and never changes it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from server.protocol import StreamKind

from .capture import SAMPLING, Capturer
from .fallback import FrameEncoder
from .link import Link
from .platform import backend
from .platform.window import Window


class Share(Protocol):
    """What this module reads of one `agent.sharing.Share`."""

    id: int
    stream: int
    scope: str
    window: Window | None


class Sharing(Protocol):
    """What this module reads of `agent.sharing.Sharing` (it never changes it)."""

    link: Link
    monitor: int
    shares: dict[int, Share]

    @property
    def frames_wanted(self) -> bool: ...

    def repaint(self) -> None: ...

log = logging.getLogger("agent.recording")

RECORD_FPS = 4.0
KEYFRAME_SECONDS = 5.0
"""A whole picture this often, so a seek in the player repaints quickly."""


class RecordingFrames:
    def __init__(self, sharing: Sharing) -> None:
        self.sharing = sharing
        self.link = sharing.link
        self.recording = False
        self._tasks: dict[int, asyncio.Task] = {}
        self.frames_sent = 0
        self.link.on("session_state", self._on_state)

    def _on_state(self, state: dict) -> None:
        was, self.recording = self.recording, any(a["kind"] == "recording" for a in state.get("activities", []))
        if self.recording and not was:
            self.sharing.repaint()  # a recording starts with a whole picture, even of a still screen
        wanted = set(self.sharing.shares) if self.recording else set()
        for aid in [a for a in self._tasks if a not in wanted]:
            self._tasks.pop(aid).cancel()
        for aid in wanted - set(self._tasks):
            self._tasks[aid] = asyncio.create_task(self._run(self.sharing.shares[aid]), name=f"record-{aid}")

    async def _run(self, share: Share) -> None:
        loop = asyncio.get_running_loop()
        pool = ThreadPoolExecutor(1, thread_name_prefix=f"record-{share.id}")
        encoder = FrameEncoder(SAMPLING)
        capturer: list[Capturer] = []
        last_full = 0.0
        sending = False
        log.info("activity %d: recording frames start", share.id)

        def grab(rect) -> list[bytes]:
            if not capturer:
                capturer.append(Capturer(self.sharing.monitor, rect))
            capturer[0].set_rect(rect)
            img, regions = capturer[0].changes(full=encoder.take_full())
            return encoder.bodies(img, regions) if regions else []

        try:
            while self.recording and self.sharing.shares.get(share.id) is share:
                started = time.monotonic()
                # Only while WebRTC carries the picture: otherwise FRAMES pass the relay anyway.
                if not self.sharing.frames_wanted and self.link.connected:
                    if not sending or started - last_full >= KEYFRAME_SECONDS:
                        encoder.want_full()
                        last_full = started
                    sending = True
                    rect = None
                    if share.scope == "application":
                        rect = backend().windows.window_rect(share.window.id) if share.window else None
                    if share.scope != "application" or rect is not None:
                        for body in await loop.run_in_executor(pool, grab, rect):
                            if not await self.link.send_frame(StreamKind.RECORD, share.stream, body):
                                sending = False  # the link dropped: a whole picture after it
                                break
                            self.frames_sent += 1
                else:
                    sending = False
                await asyncio.sleep(max(0.0, 1.0 / RECORD_FPS - (time.monotonic() - started)))
        finally:
            log.info("activity %d: recording frames stop", share.id)
            if capturer:
                pool.submit(capturer[0].close)
            pool.shutdown(wait=False)
            if self._tasks.get(share.id) is asyncio.current_task():
                del self._tasks[share.id]
