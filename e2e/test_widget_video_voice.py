"""Video and voice in the website widget: an inbound customer on the demo shop
(the snippet) is asked before their camera and microphone are used, sees and
hears the rep in the widget, shares their camera with the rep's call tab, and
stopping ends the tracks. Chromium's fake camera and microphone stand in for
real ones."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from e2e.cobrowse import accept_next, ask_for_help, widget
from e2e.rep import TIMEOUT, SidePanel
from e2e.test_video_voice import (
    MEDIA_FLAGS,
    keep_tile_track,
    open_call,
    sound_arrives,
    track_ends,
    video_plays,
)

pytestmark = [pytest.mark.media, pytest.mark.cobrowse]

# Counts the page's camera and microphone requests: the snippet runs in the
# page, so this sees every getUserMedia it makes.
COUNT_CAPTURE = """
(() => {
  window.__captures = [];
  const devices = navigator.mediaDevices;
  if (!devices) return;
  const original = devices.getUserMedia.bind(devices);
  devices.getUserMedia = (constraints) => {
    window.__captures.push(Object.keys(constraints || {}).filter((k) => constraints[k]).join('+'));
    return original(constraints);
  };
})();
"""


@pytest.fixture
def rep_context(browsers):
    return browsers.extension_context("rep", args=MEDIA_FLAGS)


@pytest.fixture
def customer_context(browsers):
    context = browsers.new_context(browsers.browser(args=MEDIA_FLAGS), "customer", locale="en-US")
    context.add_init_script(COUNT_CAPTURE)
    return context


def help_accepted(relay, rep_context, customer_context) -> tuple[SidePanel, Page]:
    """A customer asks for help on the demo shop and Rita accepts: (Rita, the customer's page)."""
    queue = relay.make_queue("Shop help")
    rita = SidePanel(rep_context).sign_in(relay.base, *relay.make_rep("Rita", queue_rep=True, queues=[queue]))
    customer = customer_context.new_page()
    customer.goto(relay.base + f"/demo?queue={queue}")
    ask_for_help(customer)
    accept_next(rep_context, rita.page)
    return rita, customer


def test_widget_customer_allows_video_and_voice_and_shares_camera(relay, rep_context, customer_context):
    # The customer asks for help on the demo shop; Rita accepts.
    rita, customer = help_accepted(relay, rep_context, customer_context)

    # Rita starts video and voice in her call tab.
    call = open_call(rita, "video")
    open_call(rita, "audio")
    expect(rita.panel.locator('[data-role="media-status"]')).to_contain_text("Rita: video, voice call", timeout=TIMEOUT)

    # The widget asks first; meanwhile the customer sees and hears Rita, and
    # their own camera and microphone stay closed.
    w = widget(customer)
    prompt = w.locator(".media-prompt")
    expect(prompt).to_contain_text("Rita wants to start video and voice with you. Allow your camera and microphone?",
                                   timeout=TIMEOUT)
    rita_tile = w.locator(".media-tile[data-self='0']")
    expect(rita_tile.locator(".media-name")).to_have_text("Rita", timeout=TIMEOUT)
    video_plays(customer, rita_tile)
    sound_arrives(customer, rita_tile)
    expect(w.locator(".media-tile[data-self='1']")).to_have_count(0)
    assert customer.evaluate("window.__captures") == []

    # The customer allows: their camera and microphone open, and Rita's call
    # tab shows their camera playing and their voice arriving.
    w.locator(".media-allow").click()
    expect(prompt).to_be_hidden()
    expect(w.locator(".media-video-toggle")).to_have_text("Stop my camera", timeout=TIMEOUT)
    expect(w.locator(".media-audio-toggle")).to_have_text("Stop my voice", timeout=TIMEOUT)
    assert sorted(customer.evaluate("window.__captures")) == ["audio", "video"]
    expect(w.locator(".media-tile[data-self='1'] .media-name")).to_contain_text("(you)", timeout=TIMEOUT)
    call.bring_to_front()
    their_tile = call.locator(".media-tile[data-self='0']")
    expect(their_tile).to_have_attribute("data-video", "on", timeout=TIMEOUT)
    video_plays(call, their_tile)
    sound_arrives(call, their_tile)

    # The customer stops their camera, then their voice: the tracks end in
    # Rita's call tab and the tile goes.
    keep_tile_track(call, their_tile, "video", "theirVideo")
    keep_tile_track(call, their_tile, "audio", "theirVoice")
    w.locator(".media-video-toggle").click()
    track_ends(call, "theirVideo")
    expect(w.locator(".media-video-toggle")).to_have_text("Share my camera", timeout=TIMEOUT)
    w.locator(".media-audio-toggle").click()
    track_ends(call, "theirVoice")
    expect(their_tile).to_have_count(0, timeout=TIMEOUT)
    expect(w.locator(".media-tile[data-self='1']")).to_have_count(0, timeout=TIMEOUT)

    # Rita stops her video: the track ends in the widget, her voice goes on.
    keep_tile_track(customer, rita_tile, "video", "ritaVideo")
    call.locator("#call-video").click()
    track_ends(customer, "ritaVideo")
    expect(rita_tile).to_have_attribute("data-video", "off", timeout=TIMEOUT)
    expect(rita_tile.locator("video")).to_be_hidden()
    sound_arrives(customer, rita_tile)

    # She stops her voice too: nothing is left in the widget.
    keep_tile_track(customer, rita_tile, "audio", "ritaVoice")
    call.locator("#call-audio").click()
    track_ends(customer, "ritaVoice")
    expect(w.locator(".media-tile")).to_have_count(0, timeout=TIMEOUT)


def test_not_now_keeps_the_customers_microphone_closed(relay, rep_context, customer_context):
    """Rita starts a voice call; the customer says Not now: the prompt goes,
    their microphone is never opened, Rita's voice still arrives, and the
    customer may still share their voice later on their own."""
    rita, customer = help_accepted(relay, rep_context, customer_context)
    call = open_call(rita, "audio")

    w = widget(customer)
    prompt = w.locator(".media-prompt")
    expect(prompt).to_contain_text("Rita wants to start a voice call with you. Allow your microphone?", timeout=TIMEOUT)
    rita_tile = w.locator(".media-tile[data-self='0']")
    sound_arrives(customer, rita_tile)

    w.locator(".media-decline").click()
    expect(prompt).to_be_hidden()
    expect(w.locator(".media-audio-toggle")).to_have_text("Share my voice")
    sound_arrives(customer, rita_tile)
    assert customer.evaluate("window.__captures") == []
    expect(rita.panel.locator('[data-role="media-status"]')).to_have_text("On now: Rita: voice call", timeout=TIMEOUT)

    # Later the customer shares their voice after all: Rita hears them.
    w.locator(".media-audio-toggle").click()
    expect(w.locator(".media-audio-toggle")).to_have_text("Stop my voice", timeout=TIMEOUT)
    assert customer.evaluate("window.__captures") == ["audio"]
    call.bring_to_front()
    sound_arrives(call, call.locator(".media-tile[data-self='0']"))
