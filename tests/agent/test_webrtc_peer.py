"""agent/webrtc.py against an aiortc viewer in-process, on a real Xvfb: the
signaling it speaks, the sizes Standard and Screen sampling send, what it
tells sharing, and that an ended view closes the connection."""

from __future__ import annotations

import asyncio

import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription

from agent import webrtc

pytestmark = pytest.mark.anyio
AGENT, REP, CUSTOMER, ASSISTANT = "agent1", "rep1", "cust1", "rep2"


def state(activities=(), present=True, view_mode="standard") -> dict:
    return {
        "type": "session_state", "session": "s1", "you": AGENT, "state": "active", "view_mode": view_mode,
        "participants": [
            {"pid": REP, "kind": "rep", "present": True},
            {"pid": CUSTOMER, "kind": "customer", "present": True},
            {"pid": AGENT, "kind": "agent", "present": True, "owner": CUSTOMER},
            {"pid": ASSISTANT, "kind": "rep", "present": present},
        ],
        "activities": list(activities),
    }


VIEW = {"id": 7, "kind": "view", "sharer": AGENT, "peer": REP, "scope": "desktop", "grant": 6, "stream": 7}


def test_viewers_are_present_people_other_than_the_machines_owner():
    assert webrtc.viewers(state()) == [REP, ASSISTANT]
    assert webrtc.viewers(state(present=False)) == [REP]


def test_a_control_activity_is_video_only_without_a_view_of_its_scope():
    control = {**VIEW, "id": 8, "kind": "control", "stream": 8}
    tab = {**VIEW, "id": 9, "scope": "tab", "stream": 9}
    assert [a["id"] for a in webrtc.video_activities(state([VIEW, control, tab]))] == [7]
    assert [a["id"] for a in webrtc.video_activities(state([control]))] == [8]


def test_ice_servers_come_from_the_environment():
    assert webrtc.ice_servers("") == []
    [server] = webrtc.ice_servers('[{"urls": "turn:t.example:3478", "username": "u", "credential": "c"}]')
    assert (server.urls, server.username, server.credential) == ("turn:t.example:3478", "u", "c")
    with pytest.raises(ValueError):
        webrtc.ice_servers('{"urls": "stun:x"}')


class Viewer:
    """A rep's viewer as aiortc: answers the offer it asked for."""

    def __init__(self, rtc: webrtc.WebRTC) -> None:
        self.rtc = rtc
        self.pc: RTCPeerConnection | None = None
        self.track = asyncio.get_running_loop().create_future()

    async def on_signal(self, to: str, data: dict) -> None:
        offer = data["webrtc"]
        if to != REP or offer.get("request") != "r1":
            return  # unasked offers (to every viewer) go unanswered here
        self.pc = RTCPeerConnection()
        self.pc.on("track", lambda track: self.track.done() or self.track.set_result(track))
        await self.pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        self.rtc.on_signal({"type": "signal", "session": "s1", "sender": REP, "data": {
            "webrtc": {"type": "answer", "sdp": self.pc.localDescription.sdp,
                       "activity": offer["activity"], "id": offer["id"]}, "activity": offer["activity"]}})


async def frame_size(track, timeout: float = 10.0) -> tuple[int, int]:
    frame = await asyncio.wait_for(track.recv(), timeout)
    return frame.width, frame.height


async def test_viewer_gets_full_then_half_resolution_and_sharing_hears_it(xserver, monkeypatch):
    monkeypatch.setenv("DISPLAY", xserver.display)
    monkeypatch.setattr(webrtc, "CONNECT_TIMEOUT", 3.0)
    reported: list[bool] = []
    sent: list[tuple[str, dict]] = []
    viewer: Viewer | None = None

    async def send(type_, **fields):
        assert type_ == "signal" and fields["session"] == "s1"
        sent.append((fields["to"], fields["data"]))
        await viewer.on_signal(fields["to"], fields["data"])

    rtc = webrtc.WebRTC(send, connected=reported.append)
    viewer = Viewer(rtc)
    try:
        rtc.on_session_state(state([VIEW]))
        rtc.on_signal({"type": "signal", "session": "s1", "sender": REP,
                       "data": {"webrtc": {"type": "request", "activity": 7, "request": "r1"}, "activity": 7}})
        track = await asyncio.wait_for(viewer.track, 10)
        assert await frame_size(track) == (1024, 768)
        offers = {to for to, data in sent if data["webrtc"]["type"] == "offer"}
        assert offers == {REP, ASSISTANT}  # the owner's own page is not offered its own screen

        # The assistant never answers: after the timeout, frames must go over the relay.
        await asyncio.sleep(webrtc.CONNECT_TIMEOUT + 0.5)
        assert reported and reported[-1] is False
        # The assistant leaves: every remaining viewer is on WebRTC.
        rtc.on_session_state(state([VIEW], present=False))
        await asyncio.sleep(0.2)
        assert reported[-1] is True

        # The primary switches the session to Screen sampling.
        rtc.on_session_state(state([VIEW], present=False, view_mode="sampling"))
        deadline = asyncio.get_running_loop().time() + 10
        while await frame_size(track) != (512, 384):  # frames received earlier drain first
            if asyncio.get_running_loop().time() > deadline:
                pytest.fail("Screen sampling did not halve the picture")

        pc = rtc._shared[7].viewers[REP].pc
        rtc.on_session_state(state([]))
        for _ in range(50):
            if pc.connectionState == "closed":
                break
            await asyncio.sleep(0.05)
        assert pc.connectionState == "closed" and not rtc._shared
    finally:
        await rtc.close()
        if viewer.pc is not None:
            await viewer.pc.close()
