"""Orchestration: what the relay confirms is shared, this machine shares.

`Sharing(link, ...)` watches every session_state. For each live view or
control activity whose sharer is this agent and whose scope is desktop or
application, it runs one `Share`: capture (the chosen monitor, or the chosen
application window), changed regions to FRAMES (kind 4) on the activity's
stream while WebRTC is not connected, and CONTROL frames (kind 2) applied with
pynput while a control activity lives. The indicator is shown while anything
is shared. An activity that leaves the state stops at once, and input for a
stream that is not a live control activity of ours is ignored.

Hooks for other modules:
  sharing.webrtc_connected(True | False)  # WebRTC carries the picture: pause FRAMES
  sharing.listeners.append(fn)            # fn("start" | "stop" | "input", share): on each change,
                                          # and after remote input was applied (look again soon)
  await sharing.stop_all()                # local Stop: revoke every grant we share
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from server.protocol import StreamKind

from .capture import QUALITIES, STANDARD, Capturer, Quality, monitors
from .choice import WindowChoice
from .consent import Consent
from .fallback import FrameEncoder
from .link import Link
from .platform import backend
from .platform.window import Window
from .ui import UI

log = logging.getLogger("agent.sharing")



class Share:
    """One live view or control activity of ours."""

    def __init__(self, sharing: Sharing, activity: dict) -> None:
        self.sharing = sharing
        self.activity = activity
        self.id: int = activity["id"]
        self.stream: int = activity["stream"]
        self.kind: str = activity["kind"]
        self.scope: str = activity.get("scope") or "desktop"
        self.window: Window | None = None
        self.rect: tuple[int, int, int, int] | None = None
        self.monitor_rect: tuple[int, int, int, int] | None = None
        self.encoder = FrameEncoder(sharing.quality)
        self.controller = None
        self._wake = asyncio.Event()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=f"capture-{self.id}")
        self._capturer: Capturer | None = None
        self._task: asyncio.Task | None = None
        self._hidden_since: float | None = None
        self.frames_sent = 0

    def start(self) -> bool:
        if self.scope == "application":
            self.window = self.sharing.choice.window_for(self.activity.get("grant"))
            if self.window is None and self.sharing.window_title is not None:
                log.warning("activity %d: no application window %r to share", self.id, self.sharing.window_title)
                return False
            if self.window is None:
                log.info("activity %d: waiting for the customer to choose the window", self.id)
            else:
                self.rect = self.window.rect
                log.info("activity %d: sharing window %r at %s", self.id, self.window.title, self.rect)
        else:
            mons = monitors()
            m = mons[self.sharing.monitor if 0 <= self.sharing.monitor < len(mons) else min(1, len(mons) - 1)]
            self.monitor_rect = (m["left"], m["top"], m["width"], m["height"])
        if self.kind == "control":
            from .control import Controller
            self.controller = Controller(self.area, confine=self.scope == "application")
        self._task = asyncio.create_task(self._run())
        return True

    def area(self) -> tuple[int, int, int, int] | None:
        return self.rect if self.scope == "application" else self.monitor_rect

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        if self.controller is not None:
            self.controller.release_all()
            self.controller = None
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        self._pool.submit(self._close)
        self._pool.shutdown(wait=False)

    def _close(self) -> None:
        if self._capturer is not None:
            self._capturer.close()

    def _grab(self, rect) -> list[bytes]:
        if self._capturer is None:
            self._capturer = Capturer(self.sharing.monitor, rect)
        self._capturer.set_rect(rect)
        img, regions = self._capturer.changes(full=self.encoder.take_full())
        return self.encoder.bodies(img, regions) if regions else []

    async def _window_rect(self) -> tuple[int, int, int, int] | None:
        if self.window is None:
            self.window = self.sharing.choice.window_for(self.activity.get("grant"))
            if self.window is None:
                await self.sharing.choice.wait(0.5)
                return None
            log.info("activity %d: sharing window %r", self.id, self.window.title)
        rect = backend().windows.window_rect(self.window.id)
        if rect is None:
            self._hidden_since = self._hidden_since or time.monotonic()
            await asyncio.sleep(0.5)
        else:
            self._hidden_since = None
        return rect

    def _window_closed(self) -> bool:
        """Hidden for a while and gone from the window list: closed, not minimized."""
        if self.window is None or self._hidden_since is None or time.monotonic() - self._hidden_since < 2:
            return False
        return all(w.id != self.window.id for w in backend().windows.list_windows())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        link = self.sharing.link
        idle = 1.0 / self.sharing.quality.fps
        idle_max = backend().changes.IDLE_POLL  # a still screen: how often to look
        while True:
            started = time.monotonic()
            interval = 1.0 / self.sharing.quality.fps  # the view mode may change while we run
            sent = False
            if self.sharing.frames_wanted and link.connected:
                if self.scope == "application":
                    rect = await self._window_rect()
                    if rect is None:  # not chosen yet, hidden or closed: nothing of it leaves the machine
                        self.rect = None
                        if self._window_closed():
                            await self.sharing.window_closed(self)
                            return
                        continue
                    self.rect = rect
                else:
                    rect = None
                bodies = await loop.run_in_executor(self._pool, self._grab, rect)
                for body in bodies:
                    if not await link.send_frame(StreamKind.FRAMES, self.stream, body):
                        self.encoder.want_full()  # the link dropped: repaint all after it
                        break
                    self.frames_sent += 1
                    sent = True
            idle = interval if sent else min(idle * 1.5, idle_max)
            delay = max(0.0, idle - (time.monotonic() - started))
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
                idle = interval
            except TimeoutError:
                pass


class Sharing:
    def __init__(self, link: Link, *, monitor: int = 1, window_title: str | None = None,
                 quality: Quality = STANDARD, indicator: bool = True, indicator_window: bool = True,
                 ui: UI | None = None, allow: frozenset[str] = frozenset(), lang: str | None = None) -> None:
        self.link = link
        self.monitor = monitor
        self.window_title = window_title
        self.quality = quality
        self.shares: dict[int, Share] = {}
        self.listeners: list[Callable[[str, Share], object]] = []
        self._webrtc = False
        self._stopped_grants: set[int] = set()
        self._viewers: set[str] = set()
        self._indicator = None
        self._indicator_on = indicator
        self._indicator_window = indicator_window
        self._lock = asyncio.Lock()
        self.ui = ui
        self.choice = WindowChoice(link, window_title, ui=ui, lang=lang)
        self.consent = Consent(ui, self.choice.text, allow)  # the second key, asked on this machine
        link.on("session_state", self._on_state)
        link.on("welcome", self._on_welcome)
        link.on_frame(StreamKind.CONTROL, self._on_control)
        from .recording import RecordingFrames  # RECORD frames while the session is recorded
        self.recording = RecordingFrames(self)

    @property
    def frames_wanted(self) -> bool:
        return not self._webrtc

    def webrtc_connected(self, connected: bool) -> None:
        if connected != self._webrtc:
            log.info("webrtc %s -> %s", self._webrtc, connected)
            self._webrtc = connected
            if not connected:
                self.repaint()

    def set_quality(self, quality: Quality) -> None:
        """The session's view mode (the primary's choice, from session_state):
        every share sends a whole picture at it now, and its changes after."""
        if quality is self.quality:
            return
        log.info("view mode %s -> %s", self.quality.name, quality.name)
        self.quality = quality
        for share in self.shares.values():
            share.encoder.quality = quality
        self.repaint()

    def repaint(self) -> None:
        for share in self.shares.values():
            share.encoder.want_full()
            share.wake()

    def _on_welcome(self, msg: dict) -> None:
        self.repaint()

    async def _on_state(self, state: dict) -> None:
        async with self._lock:
            await self._sync(state)

    async def _sync(self, state: dict) -> None:
        me = self.link.me
        self.choice.sync(state)
        self.set_quality(QUALITIES.get(state.get("view_mode"), self.quality))
        live = {a["id"]: a for a in state.get("activities", [])
                if a["sharer"] == me and a["kind"] in ("view", "control")
                and (a.get("scope") or "desktop") in ("desktop", "application")
                and a.get("grant") not in self._stopped_grants}
        for aid in [a for a in self.shares if a not in live]:
            share = self.shares.pop(aid)
            log.info("activity %d ended: stop %s", aid, share.kind)
            await share.stop()
            self._notify("stop", share)
        for aid, act in live.items():
            if aid not in self.shares:
                share = Share(self, act)
                if share.start():
                    log.info("activity %d: %s of %s starts", aid, act["kind"], share.scope)
                    self.shares[aid] = share
                    self._notify("start", share)
                    if share.kind == "control":
                        asyncio.ensure_future(self._ask_control(share, state))
        viewers = {x["pid"] for x in state.get("participants", [])
                   if x["present"] and x["kind"] != "agent" and x["pid"] != me}
        if viewers - self._viewers:
            self.repaint()  # someone joined: they need a whole picture first
        self._viewers = viewers
        self._update_indicator(state)

    async def _ask_control(self, share: Share, state: dict) -> None:
        """Control starts only once the person at this machine allows it (once a session)."""
        names = {x["pid"]: x["name"] for x in state.get("participants", [])}
        grant = share.activity.get("grant")

        async def refused() -> None:
            if grant:
                await self.link.send("revoke_grant", session=self.link.session, grant=grant)

        await self.consent.ask("control", names.get(share.activity.get("peer"), ""), refused)

    def _notify(self, event: str, share: Share) -> None:
        for fn in list(self.listeners):
            try:
                fn(event, share)
            except Exception:
                log.exception("sharing listener failed")

    def _update_indicator(self, state: dict) -> None:
        if not self._indicator_on:
            return
        if not self.shares:
            if self._indicator is not None:
                self._indicator.hide()
            return
        if self._indicator is None:
            from .indicator import Indicator
            self._indicator = Indicator(self.ui, self.stop_all, window=self._indicator_window)
        names = {x["pid"]: x["name"] for x in state.get("participants", [])}
        owner = next((x.get("owner") for x in state.get("participants", []) if x["pid"] == self.link.me), None)
        controlled = [s for s in self.shares.values() if s.kind == "control"]
        _ = self.choice.text
        if controlled:
            who = names.get(controlled[0].activity.get("peer"), "")
            what = "controlled"
        else:
            grants = [self.link.grant(s.activity.get("grant")) for s in self.shares.values()]
            people = sorted({names.get(g["requester"], "") for g in grants if g and g["requester"] != owner} - {""})
            who = ", ".join(people)
            what = "viewed"
        thing = "screen" if any(s.scope == "desktop" for s in self.shares.values()) else "window"
        self._indicator.show(_(f"indicator.{thing}.{what}", name=who or _("indicator.someone")))

    async def _on_control(self, stream: int, seq: int, body: bytes) -> None:
        share = self.shares.get(stream)
        if share is None or share.kind != "control" or share.controller is None:
            return  # not a live control activity of ours: ignore
        if not self.consent.allowed("control"):
            return  # the person at this machine has not allowed control (yet)
        if share.controller.apply(body):
            share.wake()  # poll at once: the change should show without delay
            self._notify("input", share)

    async def window_closed(self, share: Share) -> None:
        """The shared window was closed: end its grant (the rep sees it end)."""
        grant = share.activity.get("grant")
        text = self.choice.text("picker.closed", title=share.window.title)
        print(f"[tandem-agent] {text}", flush=True)
        if self.ui is not None:
            self.ui.tell(text)
        if grant:
            await self.link.send("revoke_grant", session=self.link.session, grant=grant)

    async def stop_all(self) -> list[int]:
        """Local Stop: revoke every grant behind our activities at once, and
        stop sharing without waiting for the relay. Returns the grant ids."""
        grants = sorted({a["grant"] for a in self.link.activities(mine=True) if a.get("grant")})
        async with self._lock:
            self._stopped_grants.update(grants)
            for share in list(self.shares.values()):
                await share.stop()
                self._notify("stop", share)
            self.shares.clear()
            if self._indicator is not None:
                self._indicator.hide()
        for g in grants:
            await self.link.send("revoke_grant", session=self.link.session, grant=g)
        log.info("local stop: revoked grants %s", grants)
        return grants

    async def close(self) -> None:
        async with self._lock:
            for share in list(self.shares.values()):
                await share.stop()
            self.shares.clear()
            if self._indicator is not None:
                self._indicator.close()
