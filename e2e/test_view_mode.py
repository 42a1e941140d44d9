"""The view mode is one setting of the session: the primary picks Standard or
Screen sampling in the side panel's Session tab, and the desktop viewer shows
it (a read-out, not a second choice) and gets the smaller picture. A real
Support Manager (`tandem-agent`, under Xvfb with xcalc) shares the desktop."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from e2e.rep import TIMEOUT, SidePanel, customer_joins
from e2e.test_files_browser import support_manager
from tests.agent.conftest import X

pytestmark = pytest.mark.agent


def picture_is(viewer: Page, width: int, height: int) -> None:
    viewer.wait_for_function(f"() => {{ const v = document.getElementById('desktop-video');"
                             f" return v.videoWidth === {width} && v.videoHeight === {height}; }}",
                             timeout=TIMEOUT)


def test_screen_sampling_chosen_in_the_session_tab_reaches_the_desktop_viewer(
        relay, rep_browser, customer_browser, tmp_path):
    email, password = relay.make_rep("Petra")
    rep = SidePanel(rep_browser).sign_in(relay.base, email, password)
    number = rep.start_session()
    customer = customer_browser().new_page()
    customer_joins(customer, relay.base, number, "Carl")
    expect(rep.participant("Carl")).to_be_visible(timeout=TIMEOUT)

    # The session starts in Standard, and the primary may change it.
    rep.tool_tab("session")
    standard = rep.panel.locator('[data-role="view-mode"][value="standard"]')
    sampling = rep.panel.locator('[data-role="view-mode"][value="sampling"]')
    expect(standard).to_be_checked(timeout=TIMEOUT)
    expect(sampling).to_be_enabled()
    expect(rep.panel.locator('[data-role="view-mode-hint"]')).to_contain_text("every shared screen in this session")

    x = X()
    try:
        x.start_window(["xcalc"], "Calculator")
        customer.click("#agent-pair")
        expect(customer.locator("#agent-command")).to_contain_text("tandem-agent pair", timeout=TIMEOUT)
        code = customer.locator("#agent-command").inner_text().split()[-1]
        with support_manager(relay.base, number, code, None, tmp_path, x=x):
            rep.tool_tab("desktop")
            expect(rep.button("desktop-request-view")).to_be_enabled(timeout=TIMEOUT)
            rep.button("desktop-request-view").click()
            prompt = customer.locator("#grants .grant-prompt")
            expect(prompt).to_contain_text("Petra", timeout=TIMEOUT)
            # The customer allows it: the desktop viewer opens as a tab by itself.
            with rep_browser.expect_page(timeout=TIMEOUT) as opened:
                prompt.locator('button[data-approve="1"]').click()
            viewer = opened.value
            viewer.bring_to_front()
            readout = viewer.locator("#desktop-view-mode")
            expect(readout).to_have_text("View mode: Standard (best image)", timeout=TIMEOUT)
            expect(viewer.locator("#desktop-stage")).to_have_attribute("data-transport", "webrtc", timeout=TIMEOUT)
            picture_is(viewer, 1024, 768)
            # One setting: the viewer reads it out and offers no choice of its own.
            expect(viewer.locator("select, input, [role=radio], [role=listbox]")).to_have_count(0)

            # The primary picks Screen sampling in the Session tab ...
            rep.tool_tab("session")
            sampling.check()
            expect(sampling).to_be_checked(timeout=TIMEOUT)
            # ... and the viewer says so and gets the half-size picture.
            expect(readout).to_have_text("View mode: Screen sampling (fastest)", timeout=TIMEOUT)
            expect(viewer.locator("#desktop-stage")).to_have_attribute("data-view-mode", "sampling")
            picture_is(viewer, 512, 384)

            # Back to Standard: the full picture returns.
            rep.front()
            standard.check()
            expect(readout).to_have_text("View mode: Standard (best image)", timeout=TIMEOUT)
            picture_is(viewer, 1024, 768)
    finally:
        x.stop()
