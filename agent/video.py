"""A screen as WebRTC video: `ScreenSource` grabs it (when X says something
was drawn), a `ScreenTrack` per viewer paces it, and `ScreenEncoder` turns the
images into H.264 or VP8 packets.

aiortc encodes the frames a track returns with fixed settings meant for
cameras (VP8 capped at 1.5 Mbit/s, or x264's default preset), and converts
each frame's pixel format with a new swscale context. `ScreenEncoder` is made
for screens instead: the grab's memory read without a copy, one converter
reused for every image, x264 ``ultrafast`` + ``zerolatency`` (constrained
baseline: every browser decodes it) at a constant quality, or libvpx in real
time when the viewer only takes VP8. A track returns its packets (`av.Packet`), which aiortc then
only packetizes into RTP.

Call `encode` from one thread at a time.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import av
import numpy as np
from aiortc import VideoStreamTrack
from aiortc.mediastreams import MediaStreamError
from av.video.reformatter import VideoReformatter

from .platform import backend

log = logging.getLogger(__name__)

CLOCK_RATE = 90000
TIME_BASE = fractions.Fraction(1, CLOCK_RATE)
MODES = {"standard": (1, 36), "sampling": (2, 15)}
"""View mode -> (downscale factor, frames per second). Standard sends up to
36 so that a busy viewer, which drops a frame now and then, still shows 30."""
AREA_REFRESH = 0.5  # seconds between asking where a shared window is now
IDLE_POLL = 0.01  # without X DAMAGE: look for a change this often after one, then less often
KEEPALIVE = 2.0
"""A still screen: repeat the last frame this often (browsers ask for a
keyframe after 3 s without a frame)."""

Area = dict  # an mss monitor: {"left", "top", "width", "height"}

CODECS = ("h264", "vp8")
"""What `ScreenEncoder` makes, in order of preference (H.264 costs a third
of VP8's CPU on a 1080p screen)."""
H264_CRF = "28"  # constant quality: flat screen content stays sharp, motion costs what it needs
H264_MAXRATE = 12_000_000  # bit/s, and one second's buffer: bounds a burst (a page scrolled)
VP8_BITRATE = 6_000_000


def codec_of(answer_sdp: str) -> str | None:
    """The video codec a viewer's answer chose (its first video codec that
    `ScreenEncoder` makes, as aiortc sends with the answer's first one), or
    None when it chose none of them."""
    from aiortc.sdp import SessionDescription
    for media in SessionDescription.parse(answer_sdp).media:
        if media.kind != "video":
            continue
        for codec in media.rtp.codecs:
            name = codec.mimeType.split("/")[-1].lower()
            if name in CODECS:
                return name
            if name != "rtx":
                return None
    return None


class ScreenEncoder:
    """Encodes BGRA images (numpy, height × width × 4, even sizes) into one
    packet each; a change of size starts a new stream with a keyframe."""

    def __init__(self, codec: str, fps: int = 30) -> None:
        if codec not in CODECS:
            raise ValueError(f"cannot encode {codec!r}: only {', '.join(CODECS)}")
        self.codec = codec
        self.fps = fps
        self._ctx: av.VideoCodecContext | None = None
        self._frame: av.VideoFrame | None = None
        self._pixels: np.ndarray | None = None
        self._reformatter = VideoReformatter()
        self._image: np.ndarray | None = None  # the last image, and its YUV
        self._yuv: av.VideoFrame | None = None

    def _open(self, width: int, height: int) -> None:
        threads = max(1, min(4, os.cpu_count() or 1))
        if self.codec == "h264":
            ctx = av.CodecContext.create("libx264", "w")
            ctx.options = {"preset": "ultrafast", "tune": "zerolatency", "crf": H264_CRF,
                           "maxrate": str(H264_MAXRATE), "bufsize": str(H264_MAXRATE),
                           "x264-params": "keyint=infinite:repeat-headers=1"}
            ctx.profile = "Constrained Baseline"
        else:
            ctx = av.CodecContext.create("libvpx", "w")
            ctx.bit_rate = VP8_BITRATE
            ctx.gop_size = 100_000
            ctx.qmin, ctx.qmax = 4, 56
            ctx.options = {"deadline": "realtime", "cpu-used": "-8", "lag-in-frames": "0", "static-thresh": "100",
                           "undershoot-pct": "95", "overshoot-pct": "15", "bufsize": str(VP8_BITRATE // 2)}
        ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
        ctx.time_base = fractions.Fraction(1, self.fps)
        ctx.framerate = fractions.Fraction(self.fps, 1)
        ctx.thread_count = threads
        self._ctx = ctx
        self._frame = av.VideoFrame(width, height, "bgra")
        plane = self._frame.planes[0]
        rows = np.frombuffer(plane, np.uint8).reshape(height, plane.line_size)
        self._pixels = rows[:, : width * 4].reshape(height, width, 4)

    def encode(self, image: np.ndarray, keyframe: bool = False) -> av.Packet | None:
        """One packet with the image (a keyframe when asked, or when the size
        changed); None if the encoder held it back (it does not, with these
        settings)."""
        height, width = image.shape[:2]
        if self._ctx is None or (self._ctx.width, self._ctx.height) != (width, height):
            self._open(width, height)
            keyframe = True
        if image is not self._image or keyframe:  # the very same image (a still screen) is converted once
            try:  # the grab's own memory, no copy
                src = av.VideoFrame.from_numpy_buffer(image, format="bgra")
            except ValueError:  # a layout FFmpeg cannot take as is
                self._pixels[...] = image  # one copy into a frame that stays mapped
                src = self._frame
            self._yuv = self._reformatter.reformat(src, format="yuv420p", interpolation="FAST_BILINEAR")
            self._image = image
        yuv = self._yuv
        yuv.pict_type = av.video.frame.PictureType.I if keyframe else av.video.frame.PictureType.NONE
        packets = self._ctx.encode(yuv)
        if not packets:
            return None
        if len(packets) == 1:
            return packets[0]
        return av.Packet(b"".join(bytes(p) for p in packets))


class ScreenSource:
    """One activity's pixels: mss grabs in a worker thread of its own (mss
    keeps per-thread X resources), shared by all viewers' tracks; a grab
    younger than ``max_age`` is reused, and so is the last one while X DAMAGE
    says nothing was drawn (the very same array: tracks skip it). `drawn`
    waits for X to report drawing: a still screen costs no CPU at all."""

    def __init__(self, area: Callable[[], Area | tuple | None]) -> None:
        self._area = area
        self._where: Area | None = None
        self._where_at = -AREA_REFRESH
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webrtc-capture")
        self._local = threading.local()
        self._lock = asyncio.Lock()
        self._frame: np.ndarray | None = None
        self._at = 0.0
        self._damage = None  # the platform's change watch  # used in the event loop's thread only
        self._grabbed: Area | None = None
        self._dirty = False  # drawn since the last grab
        self._drawn = asyncio.Event()
        self._watched: int | None = None  # the X socket the event loop watches
        self._poll = IDLE_POLL  # without a socket to watch: seconds between looks

    def _grab(self, where: Area, compare: bool) -> np.ndarray | None:
        """A new picture, or None when ``compare`` and nothing changed since
        the last grab (a memcmp of the raw pixels: how the portable backend
        tells a still screen without X DAMAGE)."""
        sct = getattr(self._local, "sct", None)
        if sct is None:
            sct = self._local.sct = _new_mss()
        shot = sct.grab(where)
        raw = shot.raw
        if compare and raw == getattr(self._local, "raw", None):
            return None
        self._local.raw = raw if compare else None
        arr = np.frombuffer(raw, np.uint8).reshape(shot.height, shot.width, 4)
        # yuv420p wants even sizes
        return arr[: shot.height & ~1, : shot.width & ~1]

    async def frame(self, max_age: float = 1 / 60) -> np.ndarray:
        async with self._lock:
            now = time.monotonic()
            if self._frame is not None and now - self._at < max_age and not self._dirty:
                return self._frame
            if now - self._where_at > AREA_REFRESH:
                area = self._area()
                self._where, self._where_at = (None if area is None else as_monitor(area)), now
            if self._where is None:  # nothing may leave the machine now
                h, w = self._frame.shape[:2] if self._frame is not None else (480, 640)
                self._frame = np.zeros((h, w, 4), np.uint8)
            else:
                self._watch()
                drawn = self._damage.changed() or self._dirty  # a cheap check of X events, no grab
                self._dirty = False
                if drawn or self._frame is None or self._grabbed != self._where:
                    compare = not self._damage.exact and self._frame is not None and self._grabbed == self._where
                    self._grabbed = self._where
                    grabbed = await asyncio.get_running_loop().run_in_executor(
                        self._pool, self._grab, self._where, compare)
                    if grabbed is None:  # still: look less often, up to the backend's idle pace
                        self._poll = min(self._poll * 1.5, getattr(self._damage, "idle_poll", IDLE_POLL))
                    else:
                        self._frame, self._poll = grabbed, IDLE_POLL
            self._at = time.monotonic()
            return self._frame

    def _watch(self) -> None:
        if self._damage is not None:
            return
        self._damage = backend().changes.Watch()
        fd = self._damage.fileno()
        if fd is not None:
            self._loop = asyncio.get_running_loop()
            self._loop.add_reader(fd, self._on_x)
            self._watched = fd

    def _on_x(self) -> None:
        try:
            if self._damage.changed():
                self._dirty = True
                self._drawn.set()
        except Exception as exc:  # the X connection broke: poll instead
            log.warning("X DAMAGE stopped (%s): polling the screen", exc)
            self._unwatch()

    def _unwatch(self) -> None:
        if self._watched is not None:
            self._loop.remove_reader(self._watched)
            self._watched = None

    def nudge(self) -> None:
        """Remote input was just applied: without X DAMAGE, look again at
        once and often for a while (the change it causes shows without waiting
        for the still screen's slow pace)."""
        self._poll = IDLE_POLL
        self._drawn.set()

    async def drawn(self, timeout: float) -> None:
        """Return when something may have been drawn since the last `frame`
        (at once if so already), or after ``timeout``."""
        if self._watched is None:
            self._drawn.clear()
            try:
                await asyncio.wait_for(self._drawn.wait(), min(timeout, self._poll))
            except TimeoutError:
                pass
            return
        if self._dirty or self._damage.queued:
            return
        self._drawn.clear()
        try:
            await asyncio.wait_for(self._drawn.wait(), timeout)
        except TimeoutError:
            pass

    def close(self) -> None:
        def release() -> None:
            sct = getattr(self._local, "sct", None)
            if sct is not None:
                sct.close()
        self._pool.submit(release)
        self._unwatch()
        if self._damage is not None:
            self._damage.close()
        self._pool.shutdown(wait=False)


class ScreenTrack(VideoStreamTrack):
    """One viewer's video: full resolution at up to 36 fps (Standard), or half
    resolution at up to 15 fps (Screen sampling). While the screen is still,
    `recv` waits for a change (a frame per `KEEPALIVE`): nothing is encoded,
    and the first change after a pause goes out at once.

    Once `codec` says what the viewer's answer chose (see `video`), `recv`
    returns packets encoded for screens; until then, or for a codec
    `ScreenEncoder` does not make, frames that aiortc encodes."""

    def __init__(self, source: ScreenSource, mode: str = "standard") -> None:
        super().__init__()
        self.source = source
        self.mode = mode
        self.codec: str | None = None
        self._encoder: ScreenEncoder | None = None
        self._keyframe = False
        self._aiortc_keyframe: Callable[[], None] | None = None
        self._start: float | None = None
        self._next = 0.0
        self._sent: np.ndarray | None = None
        self._sent_at = 0.0

    def request_keyframe(self) -> None:
        """The viewer lost the picture (RTCP PLI/FIR): the next packet is a keyframe."""
        self._keyframe = True
        if self.codec not in CODECS and self._aiortc_keyframe is not None:
            self._aiortc_keyframe()  # aiortc encodes: tell its encoder

    def serve(self, sender) -> None:
        """Take ``sender``'s keyframe requests (aiortc asks its own encoder,
        which does not see this track's packets)."""
        self._aiortc_keyframe = sender._send_keyframe
        sender._send_keyframe = self.request_keyframe

    def _encode(self, arr: np.ndarray) -> av.Packet | None:
        if self._encoder is None or self._encoder.codec != self.codec:
            self._encoder = ScreenEncoder(self.codec)
        keyframe, self._keyframe = self._keyframe, False
        return self._encoder.encode(arr, keyframe)

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        scale, fps = MODES[self.mode]
        now = time.monotonic()
        if self._start is None:
            self._start = self._next = now
        else:
            self._next = max(self._next + 1 / fps, now - 1 / fps)  # never race to catch up
            await asyncio.sleep(self._next - now)
        while True:
            arr = await self.source.frame()
            still = time.monotonic() - self._sent_at
            if arr is not self._sent or still >= KEEPALIVE:
                break
            await self.source.drawn(KEEPALIVE - still)
            if self.readyState != "live":
                raise MediaStreamError
        self._sent, self._sent_at = arr, time.monotonic()
        if scale > 1:
            arr = np.ascontiguousarray(arr[::scale, ::scale])
            arr = arr[: arr.shape[0] & ~1, : arr.shape[1] & ~1]
        if self.codec in CODECS:
            packet = await asyncio.get_running_loop().run_in_executor(None, self._encode, arr)
            if packet is not None:
                packet.pts = int((time.monotonic() - self._start) * CLOCK_RATE)
                packet.time_base = TIME_BASE
                return packet
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(arr), format="bgra")
        frame.pts = int((time.monotonic() - self._start) * CLOCK_RATE)
        frame.time_base = TIME_BASE
        return frame


def as_monitor(area) -> Area:
    """An mss monitor dict from one, or from a (left, top, width, height) tuple."""
    if isinstance(area, dict):
        return {k: int(area[k]) for k in ("left", "top", "width", "height")}
    left, top, width, height = area
    return {"left": int(left), "top": int(top), "width": int(width), "height": int(height)}


def _new_mss():
    import mss
    return (getattr(mss, "MSS", None) or mss.mss)()
