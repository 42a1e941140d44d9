"""Screen images to H.264 or VP8 packets for a WebRTC video track.

aiortc encodes the frames a track returns with fixed settings meant for
cameras (VP8 capped at 1.5 Mbit/s, or x264's default preset), and converts
each frame's pixel format with a new swscale context. `ScreenEncoder` is made
for screens instead: one BGRA frame and one converter reused for every image,
x264 ``ultrafast`` + ``zerolatency`` (constrained baseline: every browser
decodes it) at a constant quality, or libvpx in real time when the viewer
only takes VP8. A track returns its packets (`av.Packet`), which aiortc then
only packetizes into RTP.

Call `encode` from one thread at a time.
"""

from __future__ import annotations

import fractions
import os

import av
import numpy as np
from av.video.reformatter import VideoReformatter

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
        self._pixels[...] = image  # one copy into a frame that stays mapped
        yuv = self._reformatter.reformat(self._frame, format="yuv420p", interpolation="FAST_BILINEAR")
        yuv.pict_type = av.video.frame.PictureType.I if keyframe else av.video.frame.PictureType.NONE
        packets = self._ctx.encode(yuv)
        if not packets:
            return None
        if len(packets) == 1:
            return packets[0]
        return av.Packet(b"".join(bytes(p) for p in packets))
