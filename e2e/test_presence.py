"""Honest presence: a customer who asked for help and closed their page is
shown to the queue rep as not connected at once, and Accept next passes
them by: it opens a live session with the customer whose page is open, or,
when nobody connected waits, is disabled and says why."""

import pytest
from playwright.sync_api import expect

from e2e.cobrowse import TIMEOUT, ask_for_help, replay_frame, sign_in_queue_rep

pytestmark = pytest.mark.cobrowse


def test_closed_page_is_shown_at_once_and_accept_next_takes_a_connected_customer(relay, rep_browser, customer_browser):
    queue = relay.make_queue("Shop help")
    panel = sign_in_queue_rep(rep_browser, relay, "Rita", queue)
    accept = panel.locator("#accept-next")
    waiting = panel.locator("#queues .waiting")

    # Ann asks for help and closes her browser tab.
    ann = customer_browser().new_page()
    ann.goto(relay.base + f"/demo?queue={queue}")
    ask_for_help(ann)
    expect(waiting).to_have_count(1, timeout=TIMEOUT)
    expect(waiting).to_have_attribute("data-connected", "true")
    expect(accept).to_be_enabled()
    ann.close()
    expect(waiting).to_have_attribute("data-connected", "false", timeout=TIMEOUT)
    expect(waiting).to_contain_text("not connected")
    expect(accept).to_be_disabled()
    expect(accept).to_have_attribute("title", "The customers waiting are not connected right now (their page closed).")

    # Bob asks for help after her: Accept next opens his session, live.
    bob = customer_browser().new_page()
    bob.goto(relay.base + f"/demo?queue={queue}")
    ask_for_help(bob)
    expect(waiting).to_have_count(2, timeout=TIMEOUT)
    expect(accept).to_be_enabled(timeout=TIMEOUT)
    with rep_browser.expect_page(lambda p: "viewer.html" in p.url, timeout=TIMEOUT) as opened:
        accept.click()
    viewer = opened.value
    expect(viewer.locator("#viewer-status")).to_have_attribute("data-state", "live", timeout=TIMEOUT)
    expect(replay_frame(viewer).locator("body")).to_contain_text("Nordic Outfitters", timeout=TIMEOUT)
    expect(waiting).to_have_count(1, timeout=TIMEOUT)
    expect(waiting).to_have_attribute("data-connected", "false")
