"""agent/video.py: what a viewer decodes is the screen that was encoded, in
the codec its answer chose."""

from __future__ import annotations

import av
import numpy as np
import pytest
from aiortc import RTCPeerConnection

from agent import video, webrtc


def screen(width: int, height: int, colour: tuple[int, int, int]) -> np.ndarray:
    img = np.zeros((height, width, 4), np.uint8)
    img[..., :3] = (40, 40, 40)
    img[height // 4: height // 2, width // 4: width // 2, :3] = colour  # BGR
    return img


def decoded(codec: str, packets: list[av.Packet]) -> list[np.ndarray]:
    dec = av.CodecContext.create("h264" if codec == "h264" else "libvpx", "r")
    return [f.to_ndarray(format="bgr24") for p in packets for f in dec.decode(av.Packet(bytes(p)))]


@pytest.mark.parametrize("codec", video.CODECS)
def test_viewer_sees_each_change_and_a_new_size(codec):
    enc = video.ScreenEncoder(codec)
    shots = [screen(640, 360, (0, 0, 255)), screen(640, 360, (0, 255, 0)), screen(320, 180, (255, 0, 0))]
    frames = decoded(codec, [enc.encode(s) for s in shots])
    assert [f.shape[:2] for f in frames] == [(360, 640), (360, 640), (180, 320)]
    for frame, shot in zip(frames, shots, strict=True):
        h, w = shot.shape[:2]
        centre = frame[h * 3 // 8, w * 3 // 8].astype(int)
        assert np.abs(centre - shot[h * 3 // 8, w * 3 // 8, :3]).max() < 24


def test_a_still_screen_repeated_costs_almost_nothing():
    enc = video.ScreenEncoder("h264")
    still = screen(640, 360, (0, 0, 255))
    first = enc.encode(still)
    again = [enc.encode(still) for _ in range(3)]
    assert all(p.size < first.size // 10 for p in again)
    assert len(decoded("h264", [first, *again])) == 4
    with pytest.raises(ValueError):
        video.ScreenEncoder("av1")


async def offer_sdp(codecs) -> str:
    pc = RTCPeerConnection()
    try:
        sender = pc.addTrack(webrtc.ScreenTrack(webrtc.ScreenSource(lambda: None)))
        next(t for t in pc.getTransceivers() if t.sender is sender).setCodecPreferences(codecs)
        await pc.setLocalDescription(await pc.createOffer())
        return pc.localDescription.sdp
    finally:
        await pc.close()


@pytest.mark.anyio
async def test_offer_prefers_h264_and_the_answer_decides():
    sdp = await offer_sdp(webrtc.preferred_codecs())
    first = next(line for line in sdp.splitlines() if line.startswith("m=video")).split()[3]
    assert f"a=rtpmap:{first} H264/90000" in sdp
    assert video.codec_of(sdp) == "h264"
    # a browser without H.264 answers with VP8 alone
    vp8 = [c for c in webrtc.preferred_codecs() if c.mimeType in ("video/VP8", "video/rtx")]
    assert video.codec_of(await offer_sdp(vp8)) == "vp8"
