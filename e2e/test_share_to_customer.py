"""Share view and Share control to the customer, end to end: the rep pairs
their own Support Manager (`tandem-agent pair`, under Xvfb with a real xcalc)
in the side panel and shares their screen; the customer's session page in
Chromium shows it, over WebRTC or, where the page has no WebRTC, over the
relay. With Share control the customer's clicks and keys on the picture work
xcalc on the rep's screen; with Share view they do not reach it (the page
sends nothing, and the relay refuses a forged CONTROL frame). The picture
goes when the rep stops sharing or the customer stops viewing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pytest
from playwright.sync_api import Locator, Page, expect

from e2e.rep import TIMEOUT, SidePanel, customer_joins, extra_rep_browser
from e2e.test_files_browser import support_manager
from server.protocol import FRAME_HEADER, StreamKind
from tests.agent.conftest import Peer, X, wait_for, xcalc  # noqa: F401
from tests.agent.test_sharing import DISPLAY_AREA, SEVEN
from tests.agent.test_webrtc import MATCH, settle, shown

pytestmark = [pytest.mark.agent, pytest.mark.media]

SCREEN = (1024, 768)  # the Xvfb screen (tests/agent/conftest.py)
NO_WEBRTC = "delete window.RTCPeerConnection;"  # a browser without WebRTC: the relay carries the picture
# The kind (first byte) of every binary frame the page sends, read back with
# page.evaluate: in step with the page, unlike the browser's network events.
COUNT_FRAMES = """(() => {
  window.framesSent = [];
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (data instanceof ArrayBuffer) window.framesSent.push(new Uint8Array(data)[0]);
    return send.call(this, data);
  };
})();"""


@pytest.fixture
def xserver():
    """The rep's X display, on the Linux backend (the agent's own suites run
    the portable one as well); `xcalc` starts on it."""
    x = X()
    yield x
    x.stop()


@dataclass
class Share:
    """A session where Petra (side panel) has paired her Support Manager on
    `x` and Carl (session page) has joined."""

    rep: SidePanel
    page: Page
    x: X
    xcalc: int
    relay_base: str

    def share(self, action: str, prompt: str) -> None:
        """Petra presses a Share button; Carl reads the prompt and allows it."""
        self.rep.tool_tab("desktop")
        expect(self.rep.button(action)).to_be_enabled(timeout=TIMEOUT)
        self.rep.button(action).click()
        ask = self.page.locator("#grants .grant-prompt")
        expect(ask).to_contain_text(prompt, timeout=TIMEOUT)
        ask.locator('[data-approve="1"]').click()
        expect(self.page.locator("#grants .grant-prompt")).to_have_count(0, timeout=TIMEOUT)

    @property
    def screen(self) -> Locator:
        return self.page.locator("#screen")

    def picture(self) -> str:
        """The id of the element that shows the picture now (video or canvas)."""
        return "screen-canvas" if self.screen.get_attribute("data-transport") == "relay" else "screen-video"

    def difference(self, rect: tuple[int, int, int, int]) -> float:
        return difference(self.page, self.picture(), self.x, rect)

    def click_on_picture(self, sx: float, sy: float) -> None:
        """Carl clicks the picture where it shows the rep's screen point (sx, sy)."""
        element = self.picture()
        self.page.locator(f"#{element}").scroll_into_view_if_needed()
        x, y = self.page.evaluate("""([id, fx, fy]) => {
          const node = document.getElementById(id);
          const box = node.getBoundingClientRect();
          const w = node.videoWidth || node.width, h = node.videoHeight || node.height;
          const scale = Math.min(box.width / w, box.height / h);
          return [box.left + (box.width - w * scale) / 2 + fx * w * scale,
                  box.top + (box.height - h * scale) / 2 + fy * h * scale];
        }""", [element, sx / SCREEN[0], sy / SCREEN[1]])
        self.page.mouse.click(x, y)

    def control_frames(self) -> int:
        """How many CONTROL frames Carl's page has sent over its WebSocket (see COUNT_FRAMES)."""
        return self.page.evaluate("(kind) => window.framesSent.filter((k) => k === kind).length", StreamKind.CONTROL)

    def xcalc_display(self) -> tuple[int, int, int, int]:
        x, y, _, _ = self.x.geometry(self.xcalc)
        return (x + DISPLAY_AREA[0], y + DISPLAY_AREA[1], DISPLAY_AREA[2], DISPLAY_AREA[3])

    def seven(self) -> tuple[float, float]:
        x, y, w, h = self.x.geometry(self.xcalc)
        return x + SEVEN[0] * w, y + SEVEN[1] * h

    def changes_xcalc(self, act, what: str) -> None:
        """``act()`` changes xcalc's display on the rep's screen."""
        display = self.xcalc_display()
        before = self.x.grab(display).astype(int)
        act()
        wait_for(lambda: np.abs(self.x.grab(display).astype(int) - before).max() > 60, 15, what)

    def works_xcalc(self) -> None:
        """The customer clicks xcalc's 7 on the picture and types 8 (the
        picture has the focus after the click): both reach the rep's xcalc,
        as CONTROL frames."""
        self.changes_xcalc(lambda: self.click_on_picture(*self.seven()), "xcalc's display to change on the rep's screen")
        assert self.control_frames() > 0, "the click went as CONTROL frames"
        self.changes_xcalc(lambda: self.page.keyboard.press("8"), "the key to show")


def difference(page: Page, element: str, x: X, rect: tuple[int, int, int, int]) -> float:
    """Mean difference (0-255) between a page's picture and the rep's X screen in `rect`."""
    screen = x.grab(rect).astype(np.int16)
    assert screen.std() > 20, "the region should show xcalc, not a flat background"
    return float(np.abs(shown(page, element, rect).astype(np.int16) - screen).mean())


@contextmanager
def shared_session(relay, rep_browser, customer_browser, x: X, calc: int, tmp_path,
                   webrtc: bool = True, locale: str = "en-US") -> Iterator[Share]:
    email, password = relay.make_rep("Petra")
    rep = SidePanel(rep_browser).sign_in(relay.base, email, password)
    number = rep.start_session()
    context = customer_browser(locale)
    context.add_init_script(COUNT_FRAMES)
    if not webrtc:
        context.add_init_script(NO_WEBRTC)
    page = context.new_page()
    customer_joins(page, relay.base, number, "Carl")
    expect(rep.participant("Carl")).to_be_visible(timeout=TIMEOUT)
    with own_support_manager(rep, relay.base, number, x, tmp_path):
        yield Share(rep, page, x, calc, relay.base)


@contextmanager
def own_support_manager(rep: SidePanel, base: str, number: str, x: X, tmp_path) -> Iterator[None]:
    """Petra pairs her own Support Manager ("Petra's desktop", on `x`) with
    session `number` from the side panel's desktop tab."""
    rep.tool_tab("desktop")
    rep.button("pair-own-agent").click()
    code = rep.panel.locator('[data-role="own-pairing-code"]')
    expect(code).to_have_text(re.compile(r"^\d{6}$"), timeout=TIMEOUT)
    with support_manager(base, number, code.inner_text(), None, tmp_path, name="Petra's desktop", x=x):
        expect(rep.panel.locator('[data-role="own-agent-status"]')).to_contain_text("Petra's desktop", timeout=TIMEOUT)
        rep.front()
        yield


@pytest.mark.parametrize("transport", ["webrtc", "relay"])
def test_share_view_shows_the_reps_screen_and_takes_no_input(relay, rep_browser, customer_browser,
                                                             xserver, xcalc, tmp_path, transport):  # noqa: F811
    with shared_session(relay, rep_browser, customer_browser, xserver, xcalc, tmp_path,
                        webrtc=transport == "webrtc") as s:
        screen = s.screen
        expect(screen).to_be_hidden()
        s.share("desktop-share-view", "Petra wants to show you their screen.")

        # (a) Carl sees Petra's screen, xcalc and all, as it is on her X display.
        expect(screen).to_be_visible(timeout=TIMEOUT)
        expect(screen).to_have_attribute("data-transport", transport, timeout=TIMEOUT)
        expect(s.page.locator("#screen-title")).to_have_text("Petra is showing you their screen")
        element = s.page.locator(f"#{s.picture()}")
        expect(element).to_be_visible()
        expect(s.page.locator("#screen-waiting")).to_be_hidden()
        rect = xserver.geometry(xcalc)
        assert settle(lambda: s.difference(rect)) < MATCH

        # (c) View only: the page says so and offers no control; a click on
        # xcalc's "7" sends nothing, and xcalc's display stays as it was.
        expect(screen).to_have_attribute("data-control", "off")
        expect(s.page.locator("#screen-mode")).to_have_text(
            "View only: you can watch, but your clicks and keys are not sent to Petra's computer.")
        display = s.xcalc_display()
        before = xserver.grab(display).astype(int)
        s.click_on_picture(*s.seven())
        s.page.keyboard.press("8")
        assert s.control_frames() == 0, "a view-only page sent input"
        # A CONTROL frame forged with Carl's own token is refused by the relay.
        token = s.page.locator("#tandem-customer").get_attribute("data-token")
        forger = Peer(s.relay_base.replace("http", "ws", 1) + "/ws", token)
        try:
            state = forger.state(lambda m: any(a["kind"] == "view" for a in m["activities"]))
            stream = next(a["stream"] for a in state["activities"] if a["kind"] == "view")
            fx, fy = s.seven()
            body = json.dumps({"t": "click", "x": fx / SCREEN[0], "y": fy / SCREEN[1], "b": "left"}).encode()
            forger.seq += 1
            forger.ws.send(FRAME_HEADER.pack(StreamKind.CONTROL, stream, forger.seq) + body)
            refused = forger.expect("error", lambda m: m.get("ref") == forger.seq)
            assert refused["code"] == "not_allowed", refused
        finally:
            forger.close()
        assert np.abs(xserver.grab(display).astype(int) - before).max() <= 60, "input reached the rep's machine"

        # (d) Petra stops sharing: the picture goes.
        s.rep.tool_tab("application")
        s.rep.panel.locator('[data-role="grants"] .grant[data-state="approved"] .revoke-grant').click()
        expect(screen).to_be_hidden(timeout=TIMEOUT)
        expect(screen).to_have_attribute("data-transport", "none")


def test_share_control_lets_the_customer_work_the_reps_xcalc(relay, rep_browser, customer_browser,
                                                             xserver, xcalc, tmp_path):  # noqa: F811
    with shared_session(relay, rep_browser, customer_browser, xserver, xcalc, tmp_path) as s:
        s.share("desktop-share-control", "Petra wants to show you their screen and let you control it.")
        screen = s.screen
        expect(screen).to_be_visible(timeout=TIMEOUT)
        expect(screen).to_have_attribute("data-transport", "webrtc", timeout=TIMEOUT)
        expect(screen).to_have_attribute("data-control", "on")
        expect(s.page.locator("#screen-mode")).to_have_text(
            "You have control: your clicks and keys on the picture go to Petra's computer.")
        rect = xserver.geometry(xcalc)
        assert settle(lambda: s.difference(rect)) < MATCH

        # (b) Carl clicks xcalc's "7" on the picture and types: xcalc's display changes on Petra's screen.
        s.works_xcalc()
        # the change shows on Carl's picture too
        assert settle(lambda: s.difference(rect)) < MATCH
        # Full screen (a whole desktop is small on a phone): clicks still land where they should.
        s.page.locator("#screen-full").click()
        s.page.wait_for_function("() => document.fullscreenElement === document.getElementById('screen-stage')")
        s.changes_xcalc(lambda: s.click_on_picture(*s.seven()), "a click in full screen to reach xcalc")
        s.page.evaluate("() => document.exitFullscreen()")
        # Typing in the chat stays in the chat.
        sent = s.control_frames()
        s.page.locator("#chat-text").press_sequentially("thanks")
        s.page.locator("#chat-text").press("Enter")
        expect(s.page.locator("#chat-log")).to_contain_text("thanks", timeout=TIMEOUT)
        assert s.control_frames() == sent, "keys typed in the chat went to the rep's machine"

        # Carl stops viewing: the grant ends on Petra's side and the picture goes.
        s.page.locator("#screen-stop").click()
        expect(screen).to_be_hidden(timeout=TIMEOUT)
        expect(s.rep.panel.locator('[data-role="grants"] .grant[data-state="approved"]')).to_have_count(
            0, timeout=TIMEOUT)


def test_an_assistant_rep_sees_the_shared_screen_too(relay, rep_browser, customer_browser, playwright_, request,
                                                     xserver, xcalc, tmp_path):  # noqa: F811
    """Whatever is shared is visible to every participant: Olga, assisting,
    gets the desktop viewer by herself, showing Petra's screen, with no
    control to ask for (only the customer was offered it)."""
    email, password = relay.make_rep("Olga")
    with shared_session(relay, rep_browser, customer_browser, xserver, xcalc, tmp_path) as s, \
            extra_rep_browser(playwright_, request, "assistant") as olga_browser:
        number = s.rep.number()
        olga = SidePanel(olga_browser).sign_in(relay.base, email, password)
        olga.assist(number)
        s.rep.front()
        expect(s.rep.participant("Olga")).to_be_visible(timeout=TIMEOUT)
        # expect_page, not polling `pages`: the sync API takes in new pages only while it waits
        with olga_browser.expect_page(lambda p: "/desktop.html" in p.url, timeout=TIMEOUT) as opened:
            s.share("desktop-share-control", "Petra wants to show you their screen and let you control it.")
            expect(s.screen).to_have_attribute("data-control", "on", timeout=TIMEOUT)
        viewer = opened.value
        viewer.bring_to_front()
        expect(viewer.locator("#desktop-stage")).to_have_attribute("data-transport", "webrtc", timeout=TIMEOUT)
        rect = xserver.geometry(xcalc)
        assert settle(lambda: difference(viewer, "desktop-video", xserver, rect)) < MATCH
        expect(viewer.locator("#desktop-request-control")).to_be_hidden()
        expect(viewer.locator("#desktop-stage")).to_have_attribute("data-control", "off")
