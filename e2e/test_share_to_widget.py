"""Share view and Share control to a customer who came in through the website
snippet: Ann asks for help in the demo shop's widget, Petra takes her from
the queue, pairs her own Support Manager (under Xvfb with a real xcalc) and
shares her screen. The widget asks Ann first, then shows Petra's screen in
its panel (in Ann's language); with Share control Ann's click on xcalc's 7 in
the widget works xcalc on Petra's screen. The picture goes when Petra stops
sharing or Ann stops viewing. The session page's suite
(test_share_to_customer.py) covers the relay fallback and forged input."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from playwright.sync_api import ElementHandle, Locator, expect

from e2e.cobrowse import click_help, widget
from e2e.rep import TIMEOUT, SidePanel
from e2e.test_share_to_customer import COUNT_FRAMES, SCREEN, Share, own_support_manager, xserver  # noqa: F401
from tests.agent.conftest import X, wait_for, xcalc  # noqa: F401
from tests.agent.test_webrtc import MATCH, settle

pytestmark = [pytest.mark.agent, pytest.mark.media, pytest.mark.cobrowse]

# What Ann reads, in English and in Danish (the widget follows the browser's language).
TEXT = {
    "en-US": {
        "ask_view": "Petra wants to show you their screen.",
        "ask_control": "Petra wants to show you their screen and let you control it.",
        "title": "Petra is showing you their screen",
        "view": "View only: you can watch, but your clicks and keys are not sent to Petra's computer.",
        "control": "You have control: your clicks and keys on the picture go to Petra's computer.",
        "stop": "Stop viewing",
    },
    "da-DK": {
        "ask_view": "Petra vil gerne vise dig sin skærm.",
        "title": "Petra viser dig sin skærm",
        "view": "Kun visning: du kan se med, men dine klik og tastetryk sendes ikke videre til Petra.",
        "stop": "Stop visningen",
    },
}


class WidgetShare(Share):
    """The same session steps as on the session page, read in Ann's widget."""

    def share(self, action: str, prompt: str) -> None:
        self.rep.tool_tab("desktop")
        expect(self.rep.button(action)).to_be_enabled(timeout=TIMEOUT)
        self.rep.button(action).click()
        ask = widget(self.page).locator(".grant-prompt")
        expect(ask).to_contain_text(prompt, timeout=TIMEOUT)
        ask.locator("button.approve").click()
        expect(widget(self.page).locator(".grant-prompt")).to_have_count(0, timeout=TIMEOUT)

    @property
    def screen(self) -> Locator:
        return widget(self.page).locator(".screen")

    def shared_grant(self) -> Locator:
        """Petra's approved share of her screen in the side panel (Ann's page view is a grant too)."""
        return self.rep.panel.locator('[data-role="grants"] .grant[data-state="approved"]', has_text="Your screen shown to")

    def shown_element(self) -> Locator:
        return self.screen.locator("video:not([hidden]), canvas:not([hidden])")

    def picture(self) -> ElementHandle:  # the element itself: it is in the widget's shadow root
        return self.shown_element().element_handle()

    def click_on_picture(self, sx: float, sy: float) -> None:
        picture = self.shown_element()
        picture.scroll_into_view_if_needed()
        w, h = picture.evaluate("(n) => [n.videoWidth || n.width, n.videoHeight || n.height]")
        box = picture.bounding_box()
        scale = min(box["width"] / w, box["height"] / h)
        picture.click(position={"x": (box["width"] - w * scale) / 2 + sx / SCREEN[0] * w * scale,
                                "y": (box["height"] - h * scale) / 2 + sy / SCREEN[1] * h * scale})


@contextmanager
def widget_session(relay, rep_browser, customer_browser, x: X, calc: int, tmp_path,
                   locale: str = "en-US") -> Iterator[WidgetShare]:
    queue = relay.make_queue("Shop help")
    email, password = relay.make_rep("Petra", queue_rep=True, queues=[queue])
    rep = SidePanel(rep_browser).sign_in(relay.base, email, password)
    context = customer_browser(locale)
    context.add_init_script(COUNT_FRAMES)
    page = context.new_page()
    page.goto(relay.base + f"/demo?queue={queue}")
    click_help(page)  # "Brug for hjælp?" in Danish
    expect(rep.page.locator("#queues .waiting")).to_have_count(1, timeout=TIMEOUT)
    rep.accept_next()
    number = rep.number()
    expect(widget(page).locator(".banner")).to_be_visible(timeout=TIMEOUT)  # Petra sees the page (this queue's consent)
    with own_support_manager(rep, relay.base, number, x, tmp_path):
        yield WidgetShare(rep, page, x, calc, relay.base)


@pytest.mark.parametrize("locale", ["en-US", "da-DK"])
def test_share_view_shows_the_reps_screen_in_the_widget(relay, rep_browser, customer_browser,
                                                        xserver, xcalc, tmp_path, locale):  # noqa: F811
    text = TEXT[locale]
    with widget_session(relay, rep_browser, customer_browser, xserver, xcalc, tmp_path, locale) as s:
        screen = s.screen
        expect(screen).to_be_hidden()
        s.share("desktop-share-view", text["ask_view"])

        # Ann sees Petra's screen in the widget, xcalc and all, as it is on her X display.
        expect(screen).to_be_visible(timeout=TIMEOUT)
        expect(screen).to_have_attribute("data-transport", "webrtc", timeout=TIMEOUT)
        expect(screen.locator(".screen-title")).to_have_text(text["title"])
        expect(screen.locator(".screen-mode")).to_have_text(text["view"])
        expect(screen.locator(".screen-stop")).to_have_text(text["stop"])
        expect(screen.locator(".screen-waiting")).to_be_hidden()
        expect(screen).to_have_attribute("data-control", "off")
        rect = xserver.geometry(xcalc)
        assert settle(lambda: s.difference(rect)) < MATCH
        s.page.screenshot(path=str(tmp_path / f"widget-screen-{locale}.png"))

        # View only: a click on xcalc's 7 sends nothing and xcalc stays as it was.
        display = s.xcalc_display()
        before = xserver.grab(display).astype(int)
        s.click_on_picture(*s.seven())
        assert s.control_frames() == 0, "a view-only widget sent input"
        assert np.abs(xserver.grab(display).astype(int) - before).max() <= 60, "input reached the rep's machine"

        # Petra stops sharing: the picture goes from the widget.
        s.rep.tool_tab("application")
        s.shared_grant().locator(".revoke-grant").click()
        expect(screen).to_be_hidden(timeout=TIMEOUT)
        expect(screen).to_have_attribute("data-transport", "none")


def test_share_control_lets_the_widget_customer_work_the_reps_xcalc(relay, rep_browser, customer_browser,
                                                                    xserver, xcalc, tmp_path):  # noqa: F811
    text = TEXT["en-US"]
    with widget_session(relay, rep_browser, customer_browser, xserver, xcalc, tmp_path) as s:
        s.share("desktop-share-control", text["ask_control"])
        screen = s.screen
        expect(screen).to_be_visible(timeout=TIMEOUT)
        expect(screen).to_have_attribute("data-transport", "webrtc", timeout=TIMEOUT)
        expect(screen).to_have_attribute("data-control", "on")
        expect(screen.locator(".screen-mode")).to_have_text(text["control"])
        rect = xserver.geometry(xcalc)
        assert settle(lambda: s.difference(rect)) < MATCH

        # Ann clicks xcalc's 7 in the widget and types (the key leaves the
        # widget's shadow root): xcalc's display changes on Petra's screen.
        s.works_xcalc()
        # Typing in the widget's chat stays in the chat.
        sent = s.control_frames()
        chat = widget(s.page).locator("form input")
        chat.press_sequentially("thanks")
        chat.press("Enter")
        expect(widget(s.page).locator(".log")).to_contain_text("thanks", timeout=TIMEOUT)
        assert s.control_frames() == sent, "keys typed in the chat went to the rep's machine"

        # Ann stops viewing: the grant ends on Petra's side and the picture goes.
        screen.locator(".screen-stop").click()
        expect(screen).to_be_hidden(timeout=TIMEOUT)
        expect(s.shared_grant()).to_have_count(0, timeout=TIMEOUT)
