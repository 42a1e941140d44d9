"""Recording and playback, end to end: a recorded cobrowse session plays back
showing the recorded page with its chat on one timeline; a recorded desktop
session (the Support Manager under Xvfb, sharing xcalc) plays back its video."""

from __future__ import annotations

import base64
import io
import time

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect

from agent import fallback
from e2e.cobrowse import accept_next, ask_for_help, replay_frame, widget
from e2e.rep import TIMEOUT, SidePanel, sign_in_page
from server import protocol as p
from tests.agent.conftest import scene, wait_for, xcalc, xserver  # noqa: F401
from tests.agent.test_webrtc import open_desktop_viewer

CHAT = "Where is my order?"


def recording_url(http, session: str, token: str) -> str:
    """The playback address of the session's one finished recording."""
    found: list[dict] = []

    def finished() -> bool:
        r = http.get("/api/recordings", params={"session": session}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        found[:] = r.json()
        return len(found) == 1 and found[0]["ended_at"] is not None

    wait_for(finished, 15, "the recording to be stored")
    return found[0]["url"]


def open_playback(context: BrowserContext, base: str, url: str, email: str, password: str) -> Page:
    """Sign in on the relay's page (the sign-in cookie) and land on the player."""
    page = context.new_page()
    sign_in_page(page, base, email, password, url)
    expect(page.locator("#playback-status")).to_have_attribute("data-state", "ready", timeout=TIMEOUT)
    return page


def seek(page: Page, position: float) -> float:
    """Move the playback's slider to `position`; where the slider went (its steps)."""
    return page.evaluate("""(value) => {
        const seek = document.getElementById('playback-seek');
        seek.value = String(value);
        seek.dispatchEvent(new Event('input', { bubbles: true }));
        return Number(seek.value);
    }""", position)


@pytest.mark.media
@pytest.mark.cobrowse
def test_a_recorded_cobrowse_session_plays_back_the_page_and_the_chat(relay, rep_browser, customer_browser):
    queue = relay.make_queue("Shop help")
    email, password = relay.make_rep("Rita", queue_rep=True, queues=[queue])
    rep = SidePanel(rep_browser).sign_in(relay.base, email, password)
    customer = customer_browser().new_page()
    customer.goto(relay.base + f"/demo?queue={queue}")
    ask_for_help(customer)
    viewer = accept_next(rep_browser, rep.page)
    expect(replay_frame(viewer).locator("body")).to_contain_text("Nordic Outfitters", timeout=TIMEOUT)
    session = rep.panel.get_attribute("data-session")

    # Rita records; the customer is told, and writes in the chat a moment later.
    rep.tool_tab("session")
    rep.button("record").click()
    expect(rep.button("record")).to_have_text("Stop recording", timeout=TIMEOUT)
    expect(widget(customer).locator(".recording")).to_have_text("This session is being recorded.", timeout=TIMEOUT)
    time.sleep(1.5)  # the chat line comes a while into the recording, to be found by seeking
    widget(customer).locator("form input").fill(CHAT)
    widget(customer).locator("form input").press("Enter")
    expect(rep.chat_log()).to_contain_text(CHAT, timeout=TIMEOUT)
    time.sleep(1.0)
    rep.button("record").click()
    expect(rep.button("record")).to_have_text("Record", timeout=TIMEOUT)
    expect(widget(customer).locator(".recording")).to_be_hidden(timeout=TIMEOUT)

    url = recording_url(relay.http, session, relay.signin(email, password))
    page = open_playback(rep_browser, relay.base, url, email, password)
    chat = page.locator("#playback-chat li", has_text=CHAT)
    # At the start the page shows and the chat line is still to come.
    replay = page.frame_locator("#replay-root iframe")
    expect(replay.locator("body")).to_contain_text("Nordic Outfitters", timeout=TIMEOUT)
    expect(chat).to_be_hidden()
    expect(page.locator("#chat-empty")).to_be_visible()
    # Seeking to the line's time shows it, with the recorded page still there; back before it hides it.
    at = float(chat.get_attribute("data-t"))
    seek(page, at + 1)
    expect(chat).to_be_visible(timeout=TIMEOUT)
    expect(replay.locator(".product h3").first).to_contain_text("Fjell shell jacket", timeout=TIMEOUT)
    seek(page, at - 500)
    expect(chat).to_be_hidden(timeout=TIMEOUT)
    # Play moves the timeline on by itself until the line appears.
    page.click("#playback-play")
    expect(page.locator("#playback-play")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#playback-status")).to_have_text("Playing.")  # not "Ready to play."
    assert page.locator("#playback-rate").bounding_box()["width"] < 120  # a speed, not a bar
    expect(chat).to_be_visible(timeout=TIMEOUT)


def canvas_pixels(page: Page) -> np.ndarray:
    data = page.evaluate("() => document.getElementById('video').toDataURL('image/png')")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data.split(",", 1)[1]))).convert("RGB")).astype(int)


def whole_picture(body: bytes) -> bool:
    x, y, w, h, full_w, full_h = fallback.HEADER.unpack_from(body)
    return (x, y, w, h) == (0, 0, full_w, full_h)


@pytest.mark.media
@pytest.mark.agent
@pytest.mark.parametrize("transport", ["relay", "webrtc"])
def test_a_recorded_desktop_session_plays_back_its_video(scene, xcalc, rep_browser, transport):  # noqa: F811
    """Over the relay the recorder keeps the FRAMES it passes on (Standard,
    full size); while WebRTC carries the picture past the relay, the agent
    sends the recorder RECORD frames of its own (Screen sampling, half size)."""
    scene.start_agent("--no-indicator-window")
    rect = scene.x.geometry(xcalc)
    g = scene.grant("view", "desktop")
    scene.activity(g["id"])
    if transport == "webrtc":
        viewer = open_desktop_viewer(rep_browser, scene)
        expect(viewer.locator("#desktop-stage")).to_have_attribute("data-transport", "webrtc", timeout=TIMEOUT)
    before = len(scene.rep.frames)
    scene.rep.send("start_activity", session=scene.session, kind="recording")
    st = scene.rep.state(lambda m: any(a["kind"] == "recording" for a in m["activities"]))
    recording = next(a for a in st["activities"] if a["kind"] == "recording")
    if transport == "relay":
        # The whole picture the Support Manager sends when a recording starts
        # reaches the viewer too: a recording stopped before it would hold
        # none (a loaded machine can take a while).
        def pictured() -> bool:  # a frame covering the whole picture, not a change sent before the recording
            scene.rep.pump(0.2)
            return any(kind == p.StreamKind.FRAMES and whole_picture(body) for kind, _s, body in scene.rep.frames[before:])
        wait_for(pictured, TIMEOUT, "the recording's first picture")
    # A couple of seconds of a still screen (over WebRTC the recorder's
    # pictures go to the relay alone: give them longer to arrive).
    scene.rep.drain(2.0 if transport == "relay" else 6.0)
    scene.rep.send("stop_activity", session=scene.session, activity=recording["id"])
    scene.rep.state(lambda m: not any(a["kind"] == "recording" for a in m["activities"]))
    # What was on the screen while it was recorded (later the live screen may
    # change: a full run leaves other windows about on the shared X display).
    grab = scene.x.grab((0, 0, 1024, 768))

    token = scene._signin("rita@example.com", "rep-password-1")
    url = recording_url(scene.http, scene.session, token)
    page = open_playback(rep_browser, scene.relay.base, url, "rita@example.com", "rep-password-1")
    expect(page.locator("#video-stage")).to_be_visible()
    end = seek(page, float(page.locator("#playback-seek").get_attribute("max")))
    expect(page.locator("#video")).to_be_visible(timeout=TIMEOUT)
    # painted up to the end (video-stage.js), not the "0" the player painted on
    # opening: the canvas shows as soon as its whole picture is being drawn
    expect(page.locator("#video")).to_have_attribute("data-painted", str(int(end + 0.5)), timeout=TIMEOUT)
    played = canvas_pixels(page)
    scale = 1 if transport == "relay" else 2
    assert played.shape == (768 // scale, 1024 // scale, 3)
    screen = np.asarray(Image.fromarray(grab).resize((1024 // scale, 768 // scale), Image.BILINEAR)).astype(int)
    x, y, w, h = (v // scale for v in rect)
    diff = np.abs(played[y:y + h, x:x + w] - screen[y:y + h, x:x + w]).mean()
    assert diff < 6 * scale, f"xcalc as played back differs from the screen by {diff:.1f}"
    # and the picture is the app, not an empty canvas
    assert played[y:y + h, x:x + w].std() > 10
