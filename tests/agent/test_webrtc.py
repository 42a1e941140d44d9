"""The desktop viewer in Chromium shows the customer's desktop: over WebRTC
from the agent (aiortc), or, when WebRTC cannot connect, from frames over the
relay. Real Xvfb with xcalc, a real relay, the real agent, the real extension."""

from __future__ import annotations

import base64
import tempfile
import time

import numpy as np
import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from e2e.conftest import CHROMIUM, DIST, EXTENSION_ID, FLAGS
from server.protocol import StreamKind

MATCH = 12.0  # mean abs difference (0-255) of a region between the viewer and the screen
TIMEOUT = 15_000

pytestmark = pytest.mark.skipif(not (DIST / "desktop.html").exists(),
                                reason="extension/dist is not built: run `make extension`")

# `id` is an element's id, or the element itself (one in a shadow root).
READ_PIXELS = """([id, x, y, w, h, screenW]) => {
  const node = typeof id === 'string' ? document.getElementById(id) : id;
  const fullW = node.videoWidth || node.width;
  const fullH = node.videoHeight || node.height;
  const s = fullW / screenW;
  const c = document.createElement('canvas');
  c.width = w; c.height = h;
  c.getContext('2d').drawImage(node, x * s, y * s, w * s, h * s, 0, 0, w, h);
  const data = c.getContext('2d').getImageData(0, 0, w, h).data;
  let text = '';
  for (let i = 0; i < data.length; i += 0x8000) text += String.fromCharCode.apply(null, data.subarray(i, i + 0x8000));
  return btoa(text);
}"""


@pytest.fixture
def rep_chromium():
    # Its own Playwright, stopped after the test: e2e/'s session-wide one
    # starts later in the run (tests/ comes first) and asyncio tests follow.
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True,
            args=[*FLAGS, f"--disable-extensions-except={DIST}", f"--load-extension={DIST}"])
        try:
            yield context
        finally:
            context.close()


def open_desktop_viewer(context: BrowserContext, scene, query: str = "") -> Page:
    """Sign the rep in (settings in chrome.storage.local) and open desktop.html."""
    token = scene._signin("rita@example.com", "rep-password-1")
    page = context.new_page()
    page.goto(f"chrome-extension://{EXTENSION_ID}/options.html")
    page.evaluate("(s) => chrome.storage.local.set(s)", {"relay": scene.relay.base, "token": token})
    page.goto(f"chrome-extension://{EXTENSION_ID}/desktop.html?session={scene.session}{query}")
    return page


def shown(page: Page, element: str, rect: tuple[int, int, int, int]) -> np.ndarray:
    x, y, w, h = rect
    raw = base64.b64decode(page.evaluate(READ_PIXELS, [element, x, y, w, h, 1024]))
    return np.frombuffer(raw, np.uint8).reshape(h, w, 4)[:, :, :3]


def difference(page: Page, element: str, scene, rect) -> float:
    screen = scene.x.grab(rect).astype(np.int16)
    assert screen.std() > 20, "the region should show xcalc, not a flat background"
    return float(np.abs(shown(page, element, rect).astype(np.int16) - screen).mean())


def settle(predicate, seconds: float = 10.0) -> float:
    """The last value of ``predicate()`` once it is below MATCH, or at the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value < MATCH or time.monotonic() > deadline:
            return value
        time.sleep(0.25)


def relay_frames(scene, stream: int, seconds: float) -> int:
    """FRAMES the rep's connection receives in the next ``seconds``."""
    scene.rep.drain(0.3)  # what arrived earlier and still waits in the socket
    scene.rep.frames.clear()
    scene.rep.drain(seconds)
    return sum(1 for kind, s, _ in scene.rep.frames if kind == StreamKind.FRAMES and s == stream)


def test_viewer_receives_the_desktop_over_webrtc(scene, xcalc, rep_chromium):
    scene.start_agent("--no-indicator-window")
    grant = scene.grant("view", "desktop")
    view = scene.activity(grant["id"])
    page = open_desktop_viewer(rep_chromium, scene)

    video = page.locator("#desktop-video")
    expect(video).to_have_attribute("data-connection-state", "connected", timeout=TIMEOUT)
    expect(page.locator("#desktop-stage")).to_have_attribute("data-transport", "webrtc", timeout=TIMEOUT)
    expect(page.locator("#desktop-status")).to_have_attribute("data-state", "webrtc")
    page.wait_for_function("() => { const v = document.getElementById('desktop-video');"
                           " return v.videoWidth === 1024 && v.videoHeight === 768 && v.currentTime > 0.3; }",
                           timeout=TIMEOUT)
    rect = scene.x.geometry(xcalc)
    assert settle(lambda: difference(page, "desktop-video", scene, rect)) < MATCH

    # WebRTC carries the picture: a change on screen reaches the video, not the relay.
    scene.x.xdotool("windowmove", str(xcalc), "400", "200")
    moved = scene.x.geometry(xcalc)
    assert moved[:2] != rect[:2]
    assert settle(lambda: difference(page, "desktop-video", scene, moved)) < MATCH
    assert relay_frames(scene, view["stream"], 1.0) == 0


def test_viewer_falls_back_to_frames_over_the_relay(scene, xcalc, rep_chromium):
    scene.start_agent("--no-indicator-window")
    scene.grant("view", "desktop")
    page = open_desktop_viewer(rep_chromium, scene, "&webrtc=0")  # this viewer never answers an offer

    expect(page.locator("#desktop-stage")).to_have_attribute("data-transport", "relay", timeout=TIMEOUT)
    expect(page.locator("#desktop-status")).to_have_attribute("data-state", "relay")
    expect(page.locator("#desktop-canvas")).to_be_visible()
    expect(page.locator("#desktop-video")).to_be_hidden()
    rect = scene.x.geometry(xcalc)
    assert settle(lambda: difference(page, "desktop-canvas", scene, rect)) < MATCH
    # A still screen sends nothing more, and the picture stays (no "connecting", no blank canvas).
    page.wait_for_timeout(4500)
    expect(page.locator("#desktop-stage")).to_have_attribute("data-transport", "relay")
    expect(page.locator("#desktop-canvas")).to_be_visible()
    assert difference(page, "desktop-canvas", scene, rect) < MATCH
