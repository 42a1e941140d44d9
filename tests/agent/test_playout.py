"""The agent asks viewers to show its video frames at once: its offers carry the
``playout-delay`` RTP header extension, and every video packet sent to a
viewer that accepted it says "no delay" (min 0, max 100 ms)."""

from __future__ import annotations

import asyncio

from aiortc import RTCPeerConnection, VideoStreamTrack
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensions, HeaderExtensionsMap, RtpPacket, unpack_header_extensions

from agent import playout


def extensions(wire: bytes) -> dict[int, bytes]:
    """The header extensions of an RTP packet on the wire (no CSRCs)."""
    assert wire[0] & 0x10, "no header extension"
    profile, words = int.from_bytes(wire[12:14], "big"), int.from_bytes(wire[14:16], "big")
    return dict(unpack_header_extensions(profile, wire[16:16 + 4 * words]))


def test_offers_carry_playout_delay():
    playout.enable()

    async def offer() -> str:
        pc = RTCPeerConnection()
        pc.addTrack(VideoStreamTrack())
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        await pc.close()
        return sdp

    sdp = asyncio.run(offer())
    assert f"a=extmap:{playout.EXT_ID} {playout.URI}" in sdp


def test_packets_to_a_viewer_that_accepted_it_ask_for_no_delay():
    playout.enable()
    accepted = HeaderExtensionsMap()
    accepted.configure(RTCRtpParameters(headerExtensions=[
        RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
        RTCRtpHeaderExtensionParameters(id=11, uri=playout.URI)]))
    packet = RtpPacket(payload_type=96, sequence_number=1, timestamp=0)
    packet.extensions = HeaderExtensions(mid="0")
    wire = packet.serialize(accepted)
    assert RtpPacket.parse(wire, accepted).extensions.mid == "0"  # aiortc's own extensions are still there
    value = int.from_bytes(extensions(wire)[11], "big")
    assert (value >> 12, (value & 0xFFF) * 10) == (0, 100)

    declined = HeaderExtensionsMap()
    declined.configure(RTCRtpParameters(headerExtensions=[
        RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid")]))
    assert list(extensions(packet.serialize(declined))) == [1]
