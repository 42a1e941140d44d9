"""Video and voice over WebRTC between browsers, the relay signaling: Chromium's
fake camera and microphone stand in for real ones. People see each other's
live video (frames decode and play) and hear each other (a live audio track
whose packets and sound energy keep arriving). Stopping ends the track on the
other side; transfer control keeps a voice call, transfer session ends it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from e2e.rep import TIMEOUT, SidePanel, customer_joins

pytestmark = pytest.mark.media

MEDIA_FLAGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
CALL = "call.html"
# How long media may take to arrive: long enough for media.js to notice a
# stalled connection (STALL_MS) and build a fresh one on a loaded machine.
ARRIVES = 30_000


@pytest.fixture
def rep_a(browsers):
    """A rep's Chromium with the extension and fake media devices."""
    return browsers.extension_context("rep-a", args=MEDIA_FLAGS)


@pytest.fixture
def rep_b(browsers):
    return browsers.extension_context("rep-b", args=MEDIA_FLAGS)


@pytest.fixture
def customer_context(browsers):
    return browsers.new_context(browsers.browser(args=MEDIA_FLAGS), "customer", locale="en-US")


# --- what a person sees and hears ----------------------------------------------------


def tile(page: Page, name: str) -> Locator:
    return page.locator(".media-tile", has=page.locator(".media-name", has_text=name))


def video_plays(page: Page, t: Locator) -> None:
    """The tile shows live video: it has a size, decoded frames keep coming and time runs."""
    video = t.locator("video")
    expect(video).to_be_visible(timeout=TIMEOUT)
    handle = video.element_handle(timeout=TIMEOUT)
    page.wait_for_function("v => v.videoWidth > 0 && v.readyState >= 2", arg=handle, timeout=ARRIVES)
    frames = handle.evaluate("v => v.getVideoPlaybackQuality().totalVideoFrames")
    page.wait_for_function("([v, n]) => v.getVideoPlaybackQuality().totalVideoFrames > n + 10",
                           arg=[handle, frames], timeout=TIMEOUT)
    start = handle.evaluate("v => v.currentTime")
    page.wait_for_function("([v, t]) => v.currentTime > t + 0.5", arg=[handle, start], timeout=TIMEOUT)


def sees_video(page: Page, name: str) -> None:
    """``name``'s tile shows their camera."""
    video_plays(page, tile(page, name))


def sound_arrives(page: Page, t: Locator) -> None:
    """The tile plays a live audio track whose packets and sound energy keep growing."""
    expect(t).to_have_attribute("data-audio", "on", timeout=TIMEOUT)
    audio = t.locator("audio").element_handle(timeout=TIMEOUT)
    page.wait_for_function(
        "a => a.srcObject && a.srcObject.getAudioTracks().some((x) => x.readyState === 'live')",
        arg=audio, timeout=ARRIVES)
    handle = t.element_handle()
    page.wait_for_function("t => Number(t.dataset.audioPackets) > 0 && Number(t.dataset.audioEnergy) > 0",
                           arg=handle, timeout=ARRIVES)
    before = handle.evaluate("t => [Number(t.dataset.audioPackets), Number(t.dataset.audioEnergy)]")
    page.wait_for_function(
        "([t, p, e]) => Number(t.dataset.audioPackets) > p && Number(t.dataset.audioEnergy) > e",
        arg=[handle, *before], timeout=TIMEOUT)


def hears(page: Page, name: str) -> None:
    """``name``'s voice arrives."""
    sound_arrives(page, tile(page, name))


def keep_tile_track(page: Page, t: Locator, kind: str, key: str) -> None:
    """Remember the track now playing in the tile, as window[key]."""
    element = t.locator("video" if kind == "video" else "audio").element_handle(timeout=TIMEOUT)
    page.wait_for_function("e => e.srcObject && e.srcObject.getTracks().length > 0", arg=element, timeout=TIMEOUT)
    element.evaluate("(e, k) => { window[k] = e.srcObject.getTracks()[0]; }", key)


def keep_track(page: Page, name: str, kind: str, key: str) -> None:
    """Remember the track now playing in ``name``'s tile, as window[key]."""
    keep_tile_track(page, tile(page, name), kind, key)


def track_state(page: Page, key: str) -> str:
    return page.evaluate("k => window[k].readyState", key)


def track_ends(page: Page, key: str) -> None:
    page.wait_for_function("k => window[k].readyState === 'ended'", arg=key, timeout=TIMEOUT)


def open_call(panel: SidePanel, action: str) -> Page:
    """The rep presses Video or Voice: the call tab opens (or is focused)."""
    context = panel.page.context
    existing = [p for p in context.pages if CALL in p.url]
    panel.front()
    if existing:
        panel.button(action).click()
        return existing[0]
    with context.expect_page(lambda p: CALL in p.url, timeout=TIMEOUT) as opened:
        panel.button(action).click()
    page = opened.value
    expect(page.locator("#call-status")).to_have_attribute("data-state", "connected", timeout=TIMEOUT)
    return page


# --- the tests -------------------------------------------------------------------------


def test_rep_and_customer_see_and_hear_each_other(relay, rep_a, customer_context):
    anna = SidePanel(rep_a).sign_in(relay.base, *relay.make_rep("Anna"))
    number = anna.start_session()
    customer = customer_context.new_page()
    customer_joins(customer, relay.base, number, "Carl")
    expect(anna.participant("Carl")).to_be_visible(timeout=TIMEOUT)

    # Anna starts video and voice: her call tab shows her own camera.
    call = open_call(anna, "video")
    expect(anna.button("video")).to_have_text("Stop video", timeout=TIMEOUT)
    open_call(anna, "audio")
    expect(anna.panel.locator('[data-role="media-status"]')).to_contain_text("Anna: video, voice call", timeout=TIMEOUT)
    sees_video(call, "Anna (you)")

    # Carl is asked before his own camera and microphone are used; he sees
    # and hears Anna either way.
    prompt = customer.locator("#media-prompt")
    expect(prompt).to_contain_text("Anna wants to start video and voice with you", timeout=TIMEOUT)
    sees_video(customer, "Anna")
    hears(customer, "Anna")
    expect(tile(customer, "Carl (you)")).to_have_count(0)

    # He allows: Anna sees and hears him in her call tab.
    customer.locator("#media-allow").click()
    expect(prompt).to_be_hidden()
    expect(customer.locator("#media-video")).to_have_text("Stop my camera", timeout=TIMEOUT)
    sees_video(call, "Carl")
    hears(call, "Carl")
    expect(anna.panel.locator('[data-role="media-status"]')).to_contain_text("Carl: video, voice call", timeout=TIMEOUT)

    # Anna stops her video: the track ends on Carl's side, her voice goes on.
    keep_track(customer, "Anna", "video", "annaVideo")
    call.locator("#call-video").click()
    track_ends(customer, "annaVideo")
    expect(tile(customer, "Anna")).to_have_attribute("data-video", "off", timeout=TIMEOUT)
    expect(tile(customer, "Anna").locator("video")).to_be_hidden()
    hears(customer, "Anna")

    # Carl stops his camera and then his voice: Anna's tile of him goes.
    keep_track(call, "Carl", "video", "carlVideo")
    keep_track(call, "Carl", "audio", "carlVoice")
    customer.locator("#media-video").click()
    track_ends(call, "carlVideo")
    customer.locator("#media-audio").click()
    track_ends(call, "carlVoice")
    expect(tile(call, "Carl")).to_have_count(0, timeout=TIMEOUT)
    expect(customer.locator("#media-audio")).to_have_text("Share my voice")


# Loses the next offer this page sends (window.tandemDropOffer = true), as a
# network that drops one message would: the relay never sees it.
DROP_NEXT_OFFER = """
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (data) {
  if (window.tandemDropOffer && typeof data === 'string' && data.includes('"signal"')
      && data.includes('"description"') && data.includes('"offer"')) {
    window.tandemDropOffer = false;
    window.tandemDropped = (window.tandemDropped || 0) + 1;
    return undefined;
  }
  return send.call(this, data);
};
"""


def test_a_lost_offer_is_repaired_by_starting_the_connection_over(relay, rep_a, customer_context):
    """Carl's offer that adds his camera never reaches Anna. Her call tab,
    connected but missing the video he shares, starts the connection over,
    and then shows it."""
    anna = SidePanel(rep_a).sign_in(relay.base, *relay.make_rep("Anna"))
    number = anna.start_session()
    customer_context.add_init_script(DROP_NEXT_OFFER)
    customer = customer_context.new_page()
    customer_joins(customer, relay.base, number, "Carl")
    expect(anna.participant("Carl")).to_be_visible(timeout=TIMEOUT)
    call = open_call(anna, "audio")
    customer.locator("#media-allow").click()  # his voice too
    hears(call, "Carl")

    customer.evaluate("window.tandemDropOffer = true")
    customer.locator("#media-video").click()
    customer.wait_for_function("() => window.tandemDropped === 1", timeout=TIMEOUT)
    expect(tile(call, "Carl")).to_have_attribute("data-video", "on", timeout=TIMEOUT)
    sees_video(call, "Carl")
    hears(call, "Carl")


def test_transfer_control_keeps_voice_and_transfer_session_ends_it(relay, rep_a, rep_b, customer_context):
    q = relay.make_queue("Support")
    anna = SidePanel(rep_a).sign_in(relay.base, *relay.make_rep("Anna", queue_rep=True, queues=[q]))
    bert = SidePanel(rep_b).sign_in(relay.base, *relay.make_rep("Bert", queue_rep=True, queues=[q]))
    number = anna.start_session()
    customer = customer_context.new_page()
    customer_joins(customer, relay.base, number, "Carl")
    bert.assist(number)
    expect(anna.participant("Bert")).to_be_visible(timeout=TIMEOUT)

    # Anna starts video and voice; Bert joins the call with his voice.
    # Bert's call tab opens by itself when Anna starts.
    with rep_b.expect_page(lambda p: CALL in p.url, timeout=TIMEOUT) as opened:
        call_a = open_call(anna, "audio")
    call_b = opened.value
    open_call(anna, "video")
    open_call(bert, "audio")
    expect(tile(call_b, "Bert (you)")).to_be_visible(timeout=TIMEOUT)
    sees_video(call_b, "Anna")
    hears(call_b, "Anna")
    hears(customer, "Bert")
    keep_track(call_b, "Anna", "audio", "annaVoice")

    # Anna hands control to Bert: her video ends, the voice call goes on
    # over the same connections.
    anna.transfer_control_to("Bert")
    expect(bert.panel.locator('[data-role="role"]')).to_have_text("primary", timeout=TIMEOUT)
    expect(tile(call_b, "Anna")).to_have_attribute("data-video", "off", timeout=TIMEOUT)
    expect(tile(call_b, "Anna")).to_have_attribute("data-audio", "on")
    hears(call_b, "Anna")
    assert track_state(call_b, "annaVoice") == "live"
    assert call_b.evaluate("window.annaVoice === [...document.querySelectorAll('.media-tile')]"
                           ".find((t) => t.textContent.includes('Anna')).querySelector('audio').srcObject"
                           ".getAudioTracks()[0]")
    hears(customer, "Bert")
    hears(customer, "Anna")
    hears(call_a, "Bert")

    # Bert transfers the session to the queue and leaves: the call ends for
    # everyone, the customer's tracks end and the tiles go.
    keep_track(customer, "Bert", "audio", "bertVoice")
    keep_track(customer, "Anna", "audio", "annaVoice")
    bert.transfer_session_to_queue(q, "Over to the queue")
    expect(bert.tab(number)).to_have_count(0, timeout=TIMEOUT)
    track_ends(customer, "bertVoice")
    track_ends(customer, "annaVoice")
    expect(customer.locator("#media-tiles .media-tile")).to_have_count(0, timeout=TIMEOUT)
    expect(call_b.locator("#call-status")).to_have_attribute("data-state", "ended", timeout=TIMEOUT)
    expect(call_b.locator("#call-tiles .media-tile")).to_have_count(0)
    # nothing to stop or start in a call that is over
    for button in ("#call-audio", "#call-video"):
        expect(call_b.locator(button)).to_be_disabled()
    expect(call_b.locator("#call-audio")).to_have_text("Start voice call")
    expect(call_a.locator("#call-tiles .media-tile")).to_have_count(0, timeout=TIMEOUT)


def test_a_refused_camera_is_said_clearly_and_nothing_is_announced(relay, rep_a, browsers):
    """Without the person's permission (no fake UI: the browser refuses), the
    customer is told why, and no video is announced to the rep."""
    anna = SidePanel(rep_a).sign_in(relay.base, *relay.make_rep("Anna"))
    number = anna.start_session()
    browser = browsers.browser(args=["--use-fake-device-for-media-stream"])
    customer = browsers.new_context(browser, "customer", locale="en-US").new_page()
    customer_joins(customer, relay.base, number, "Carl")
    expect(anna.participant("Carl")).to_be_visible(timeout=TIMEOUT)
    customer.locator("#media-video").click()
    expect(customer.locator("#media-error")).to_contain_text("did not allow the camera", timeout=TIMEOUT)
    expect(customer.locator("#media-video")).to_have_text("Share my camera")
    expect(anna.panel.locator('[data-role="media-status"]')).to_have_text("No video or voice is on.")
    expect(customer.locator("#media-tiles .media-tile")).to_have_count(0)
