"""Ask the viewer's browser to show each video frame as soon as it is decoded.

WebRTC receivers hold frames back to play them smoothly (a jitter buffer and
a render delay); a remote screen wants the opposite. The RTP header
extension ``playout-delay`` (min 0, max `MAX_MS`) tells Chromium so: it then
renders frames at once ("low-latency rendering"). aiortc neither offers nor
writes that extension; `enable` teaches it both, process-wide, once.
"""

from __future__ import annotations

from struct import pack

URI = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"
EXT_ID = 6  # aiortc's video extensions use 1 (mid) and 3 (abs-send-time)
MAX_MS = 100  # the most the browser may delay a frame (Chromium renders at once up to 500)
_done = False


def value(min_ms: int = 0, max_ms: int = MAX_MS) -> bytes:
    """The extension's 3 bytes: two 12-bit delays in units of 10 ms."""
    lo, hi = min_ms // 10, max_ms // 10
    if not (0 <= lo <= hi < 4096):
        raise ValueError(f"bad playout delay {min_ms}..{max_ms} ms")
    return pack("!I", (lo << 12) | hi)[1:]


def enable() -> None:
    """Offer ``playout-delay`` with video, and write it on every video packet
    of a connection whose viewer accepted it."""
    global _done
    if _done:
        return
    from aiortc import rtp
    from aiortc.codecs import HEADER_EXTENSIONS
    from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters

    video = HEADER_EXTENSIONS["video"]
    if not any(ext.uri == URI for ext in video):
        video.append(RTCRtpHeaderExtensionParameters(id=EXT_ID, uri=URI))
    configure, pack_extensions = rtp.HeaderExtensionsMap.configure, rtp.HeaderExtensionsMap.set
    data = value()

    def configure_with_delay(self, parameters) -> None:
        configure(self, parameters)
        self._playout_id = next((ext.id for ext in parameters.headerExtensions if ext.uri == URI), None)

    def pack_with_delay(self, values):
        ext_id = getattr(self, "_playout_id", None)
        packed = pack_extensions(self, values)
        if ext_id is None:
            return packed
        return rtp.pack_header_extensions([*rtp.unpack_header_extensions(*packed), (ext_id, data)])

    rtp.HeaderExtensionsMap.configure = configure_with_delay
    rtp.HeaderExtensionsMap.set = pack_with_delay
    _done = True
