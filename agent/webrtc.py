"""Desktop and application video to each viewer over WebRTC (aiortc).

For every live desktop or application view activity this agent shares, each
viewer (every other present participant except agents and this machine's
owner) gets its own `RTCPeerConnection` with a `ScreenTrack` fed by mss. The
relay carries the signaling as ``signal`` messages whose ``data`` is::

    viewer -> agent  {"webrtc": {"type": "request", "activity": 12, "request": "k3j9"}}
    agent -> viewer  {"webrtc": {"type": "offer", "sdp": ..., "activity": 12, "id": 3, "request": "k3j9"}}
    viewer -> agent  {"webrtc": {"type": "answer", "sdp": ..., "activity": 12, "id": 3}}
    viewer -> agent  {"frames": "full", "activity": 12}   (no picture yet: repaint over the relay)

aiortc gathers ICE candidates before it returns a local description, so the
SDP holds them all (no trickle); the viewer likewise answers once gathered.
``id`` tells an answer to the current offer from a stale one; ``request``
echoes the viewer's request, so a viewer answers only the offer it asked
for (not one replayed from before it opened, nor one meant for another tab
of the same rep). The agent also offers, unasked, to every viewer when a view
starts: a viewer that cannot answer (a page without WebRTC) then times out,
and the relay keeps carrying frames for it.

The picture's size and rate follow the session's view mode (``view_mode`` in
session_state, which only the primary sets): Standard or Screen sampling
(`video.MODES`), for every connection at once.

Whenever every viewer's connection is ``connected`` the agent tells
``sharing.webrtc_connected(True)`` and fallback frames over the relay stop; a
connection that is not connected within `CONNECT_TIMEOUT` or goes ``failed``
makes it ``False``, so the relay carries the frames again.

ICE servers: none by default (loopback and LAN); ``TANDEM_ICE_SERVERS`` holds a
JSON list of RTCIceServer dicts (``urls``, ``username``, ``credential``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)

from . import playout, video
from .video import MODES, Area, ScreenSource, ScreenTrack, _new_mss

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 8.0
SCOPES = ("desktop", "application")


def ice_servers(env: str | None = None) -> list[RTCIceServer]:
    """`RTCIceServer`s from this machine's ``TANDEM_ICE_SERVERS`` (a JSON
    list); none by default, and then the relay's from ``welcome`` are used."""
    text = os.environ.get("TANDEM_ICE_SERVERS", "") if env is None else env
    if not text.strip():
        return []
    items = json.loads(text)
    if not isinstance(items, list):
        raise ValueError("TANDEM_ICE_SERVERS must be a JSON list of RTCIceServer objects")
    return [RTCIceServer(**item) for item in items]


def _plain(msg: Any) -> dict:
    return msg.model_dump() if hasattr(msg, "model_dump") else dict(msg)


def video_activities(state: dict) -> list[dict]:
    """The desktop and application activities ``state['you']`` shares as video:
    view activities, and control activities with no view of the same scope."""
    mine = [a for a in state.get("activities", [])
            if a["sharer"] == state["you"] and a.get("scope") in SCOPES and a["kind"] in ("view", "control")]
    views = {a["scope"] for a in mine if a["kind"] == "view"}
    return [a for a in mine if a["kind"] == "view" or a["scope"] not in views]


def viewers(state: dict) -> list[str]:
    """Who watches what this agent shares: present people other than its owner."""
    me = next((x for x in state.get("participants", []) if x["pid"] == state["you"]), None)
    owner = me.get("owner") if me else None
    return [x["pid"] for x in state.get("participants", [])
            if x["present"] and x["kind"] != "agent" and x["pid"] not in (state["you"], owner)]


@dataclass
class Viewer:
    """One viewer's connection for one activity."""

    pid: str
    pc: RTCPeerConnection
    track: ScreenTrack
    offer_id: int
    state: str = "new"
    timer: asyncio.Task | None = None

    @property
    def ok(self) -> bool | None:
        """True connected, False failed or timed out, None still trying."""
        if self.state == "connected":
            return True
        if self.state in ("failed", "closed", "timeout"):
            return False
        return None


@dataclass
class Shared:
    activity: dict
    source: ScreenSource
    viewers: dict[str, Viewer] = field(default_factory=dict)
    offering: asyncio.Lock = field(default_factory=asyncio.Lock)
    """One offer at a time: closing a connection while it gathers leaks its sockets."""


class WebRTC:
    """Serves the video of this agent's view activities to their viewers.

    Call `on_session_state` and `on_signal` with the relay's messages (or let
    `attach` register them on a `Link`); `close` when the agent stops.
    ``send(type, **fields)`` sends a relay message; ``area(activity)`` says
    which mss monitor (a screen, or a window's rectangle) the activity shows,
    None while there is nothing to show (a hidden window: black frames);
    ``connected(bool)`` hears whether WebRTC carries the video to everyone.
    """

    def __init__(self, send: Callable[..., Any], *, area: Callable[[dict], Area | None] | None = None,
                 connected: Callable[[bool], Any] | None = None, mode: str = "standard",
                 repaint: Callable[[], Any] | None = None,
                 ice: list[RTCIceServer] | None = None) -> None:
        self._send = send
        self._mode = mode if mode in MODES else "standard"
        self._area = area or primary_monitor
        self._connected = connected or (lambda ok: None)
        self._repaint = repaint or (lambda: None)
        local = ice if ice is not None else ice_servers()
        self._own_ice = bool(local)  # set on this machine: the relay's are not used
        self._config = RTCConfiguration(iceServers=local)
        playout.enable()  # the viewer's browser shows each frame at once
        self._shared: dict[int, Shared] = {}
        self._session: str | None = None
        self._reported: bool | None = None
        self._ids = itertools.count(int(time.time() * 1000) % 2**31)
        self._tasks: set[asyncio.Task] = set()

    # --- relay input -----------------------------------------------------

    @property
    def ice_servers(self) -> list[RTCIceServer]:
        """The STUN/TURN servers new connections use."""
        return list(self._config.iceServers or [])

    def on_share_event(self, event: str, share) -> None:
        """Remote input on a share: every picture is looked at again at once
        (without X DAMAGE a still screen is looked at only now and then)."""
        if event == "input":
            for shared in self._shared.values():
                shared.source.nudge()

    def on_welcome(self, msg) -> None:
        """The relay's STUN/TURN servers (its TURN credentials are made for
        this connection), unless this machine set its own."""
        if self._own_ice:
            return
        servers = []
        for item in _plain(msg).get("ice_servers") or []:
            item = {k: v for k, v in _plain(item).items() if v is not None}
            try:
                servers.append(RTCIceServer(**item))
            except TypeError:
                log.warning("ignoring an ICE server the relay sent: %r", item)
        self._config = RTCConfiguration(iceServers=servers)

    def on_session_state(self, msg) -> None:
        """Start, keep or end connections to match the session's activities
        and present viewers."""
        state = _plain(msg)
        self._session = state["session"]
        self._follow_view_mode(state.get("view_mode"))
        if state.get("state") == "ended":
            live, people = [], []
        else:
            live, people = video_activities(state), viewers(state)
        ids = {a["id"] for a in live}
        for aid in [a for a in self._shared if a not in ids]:
            self._spawn(self._end(aid))
        for act in live:
            shared = self._shared.get(act["id"])
            if shared is None:
                source = ScreenSource(lambda act=act: self._area(act))
                shared = self._shared[act["id"]] = Shared(act, source)
                log.info("video for activity %s (%s) to %s", act["id"], act["scope"], ", ".join(people) or "nobody yet")
            for pid in [p for p in shared.viewers if p not in people]:
                self._spawn(self._drop(shared, pid))
            for pid in people:
                if pid not in shared.viewers:
                    self._spawn(self._offer(shared, pid))

    def _follow_view_mode(self, mode) -> None:
        """The session's view mode changed: every track sends so from its next frame."""
        if mode not in MODES or mode == self._mode:
            return
        log.info("view mode: %s -> %s", self._mode, mode)
        self._mode = mode
        for shared in self._shared.values():
            for viewer in shared.viewers.values():
                viewer.track.mode = mode

    def on_signal(self, msg) -> None:
        """A viewer's answer, request for an offer, or request for a whole picture."""
        sig = _plain(msg)
        data, sender = sig.get("data") or {}, sig.get("sender")
        rtc = data.get("webrtc")
        shared = self._find(data.get("activity"))
        if shared is None:
            return
        if data.get("frames") == "full" and self._reported is not True:
            self._repaint()  # a viewer that opened on a still screen has no picture yet
        if not isinstance(rtc, dict):
            return
        if rtc.get("type") == "request":
            nonce = rtc.get("request")
            self._spawn(self._offer(shared, sender, nonce if isinstance(nonce, str) else None))
        elif rtc.get("type") == "answer" and isinstance(rtc.get("sdp"), str):
            viewer = shared.viewers.get(sender)
            if viewer is not None and rtc.get("id", viewer.offer_id) == viewer.offer_id:
                self._spawn(self._answer(viewer, rtc["sdp"]))

    def _find(self, activity) -> Shared | None:
        if activity in self._shared:
            return self._shared[activity]
        return next(iter(self._shared.values()), None) if activity is None and len(self._shared) == 1 else None

    # --- connections -------------------------------------------------------

    async def _offer(self, shared: Shared, pid: str, request: str | None = None) -> None:
        async with shared.offering:
            if self._shared.get(shared.activity["id"]) is not shared:
                return
            if request is None and pid in shared.viewers:
                # Offered meanwhile (states come in bursts as a view starts):
                # an unasked offer must not replace one the viewer asked for
                # and is answering.
                return
            await self._offer_now(shared, pid, request)

    async def _offer_now(self, shared: Shared, pid: str, request: str | None) -> None:
        old = shared.viewers.pop(pid, None)
        if old is not None:
            await self._close(old)
        pc = RTCPeerConnection(self._config)
        track = ScreenTrack(shared.source, self._mode)
        viewer = Viewer(pid, pc, track, next(self._ids))
        shared.viewers[pid] = viewer
        sender = pc.addTrack(track)
        # The track encodes (see `video`): aiortc's keyframe request must reach it.
        track.serve(sender)
        transceiver = next(t for t in pc.getTransceivers() if t.sender is sender)
        transceiver.setCodecPreferences(preferred_codecs())

        @pc.on("connectionstatechange")
        def changed() -> None:
            self._state(viewer, pc.connectionState)

        try:
            await pc.setLocalDescription(await pc.createOffer())
        except Exception:
            if viewer.state == "closed":
                return  # replaced or ended while gathering
            raise
        if viewer.state == "closed" or shared.viewers.get(pid) is not viewer:
            return  # replaced, or the view ended, while gathering
        viewer.timer = asyncio.ensure_future(self._deadline(viewer))
        sent = self._send("signal", session=self._session, to=pid, data={"webrtc": {
            "type": "offer", "sdp": pc.localDescription.sdp,
            "activity": shared.activity["id"], "id": viewer.offer_id, "request": request}})
        if asyncio.iscoroutine(sent) or isinstance(sent, asyncio.Future):
            await sent

    async def _answer(self, viewer: Viewer, sdp: str) -> None:
        if viewer.pc.signalingState != "have-local-offer":
            return
        try:
            await viewer.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        except Exception as exc:  # a malformed answer fails this viewer, not the agent
            log.warning("viewer %s: bad answer: %s", viewer.pid, exc)
            self._state(viewer, "failed")
            return
        viewer.track.codec = video.codec_of(sdp)
        log.info("viewer %s: video as %s", viewer.pid, viewer.track.codec or "aiortc encodes it")

    async def _deadline(self, viewer: Viewer) -> None:
        await asyncio.sleep(CONNECT_TIMEOUT)
        if viewer.state != "connected":
            self._state(viewer, "timeout")

    def _state(self, viewer: Viewer, new: str) -> None:
        if new == viewer.state or viewer.state == "closed":
            return
        log.info("viewer %s: %s -> %s", viewer.pid, viewer.state, new)
        viewer.state = new
        if new == "connected" and viewer.timer:
            viewer.timer.cancel()
        self._report()

    def _report(self) -> None:
        """Tell sharing whether WebRTC reaches every viewer, when that changes."""
        every = [v.ok for s in self._shared.values() for v in s.viewers.values()]
        if False in every:
            ok = False
        elif every and all(every):
            ok = True
        else:
            return
        if ok is not self._reported:
            log.info("webrtc: %s -> %s", self._reported, ok)
            self._reported = ok
            self._connected(ok)

    async def _close(self, viewer: Viewer) -> None:
        viewer.state = "closed"
        if viewer.timer:
            viewer.timer.cancel()
        viewer.track.stop()
        await viewer.pc.close()

    async def _drop(self, shared: Shared, pid: str) -> None:
        viewer = shared.viewers.pop(pid, None)
        if viewer is not None:
            await self._close(viewer)
            self._report()

    async def _end(self, aid: int) -> None:
        shared = self._shared.pop(aid, None)
        if shared is None:
            return
        log.info("video for activity %s ended", aid)
        for viewer in list(shared.viewers.values()):
            await self._close(viewer)
        shared.source.close()

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("webrtc task failed", exc_info=task.exception())

    async def close(self) -> None:
        """Close every connection (the agent stops or unpairs)."""
        for aid in list(self._shared):
            await self._end(aid)
        for task in list(self._tasks):
            task.cancel()


def attach(link, sharing=None, **kwargs) -> WebRTC:
    """A `WebRTC` wired to ``link`` (session_state and signal messages) and to
    ``sharing``: its ``webrtc_connected`` and the area each of its shares
    captures. The view mode comes from the relay (session_state)."""
    if sharing is not None:
        kwargs.setdefault("connected", sharing.webrtc_connected)
        kwargs.setdefault("area", lambda activity: sharing_area(sharing, activity))
        repaint = getattr(sharing, "repaint", None)
        if repaint is not None:
            kwargs.setdefault("repaint", repaint)
    rtc = WebRTC(link.send, **kwargs)
    if sharing is not None and hasattr(sharing, "listeners"):
        sharing.listeners.append(rtc.on_share_event)
    link.on("welcome", rtc.on_welcome)
    link.on("session_state", rtc.on_session_state)
    link.on("signal", rtc.on_signal)
    return rtc


def sharing_area(sharing, activity: dict):
    """What `agent.sharing` captures for ``activity``: the shared window's
    rectangle (None while it is hidden), else its monitor."""
    share = getattr(sharing, "shares", {}).get(activity["id"])
    rect = share.area() if share is not None else None
    if rect is not None or activity.get("scope") == "application":
        return rect
    with _new_mss() as sct:
        mons = sct.monitors
        n = getattr(sharing, "monitor", 1)
        return dict(mons[n if 0 <= n < len(mons) else 1 if len(mons) > 1 else 0])


def preferred_codecs() -> list:
    """Video codecs to offer, best first: H.264, then VP8 (with their RTX)."""
    codecs = RTCRtpSender.getCapabilities("video").codecs
    rank = {name: i for i, name in enumerate((*video.CODECS, "rtx"))}
    return sorted((c for c in codecs if c.mimeType.split("/")[1].lower() in rank),
                  key=lambda c: rank[c.mimeType.split("/")[1].lower()])


def primary_monitor(activity: dict | None = None) -> Area:
    """The first monitor (mss numbering), for a desktop without a choice."""
    with _new_mss() as sct:
        return dict(sct.monitors[1] if len(sct.monitors) > 1 else sct.monitors[0])
