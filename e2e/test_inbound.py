"""Inbound: a customer clicks help on the demo shop (the snippet); a queue rep
accepts next in the side panel; the viewer shows the customer's page."""

import pytest
from playwright.sync_api import expect

from e2e.cobrowse import TIMEOUT, accept_next, ask_for_help, replay_frame, sign_in_queue_rep, widget

pytestmark = [pytest.mark.smoke, pytest.mark.cobrowse]


def test_customer_asks_for_help_and_rep_sees_their_page(relay, rep_browser, customer_browser):
    queue = relay.make_queue("Shop help")
    panel = sign_in_queue_rep(rep_browser, relay, "Rita", queue)

    # The customer is on the demo shop and asks for help: they see their place in line.
    customer = customer_browser().new_page()
    customer.goto(relay.base + f"/demo?queue={queue}")
    expect(customer.locator("h1")).to_be_visible()
    expect(customer.locator("#help-consent")).to_contain_text("they see this page with you at once")
    ask_for_help(customer)

    # The rep sees them waiting and accepts next: the viewer opens by itself.
    viewer = accept_next(rep_browser, panel)

    # The viewer shows the customer's page: the shop's name and its products.
    replay = replay_frame(viewer)
    expect(replay.locator("body")).to_contain_text("Nordic Outfitters", timeout=TIMEOUT)
    expect(replay.locator(".product h3").first).to_contain_text("Fjell shell jacket", timeout=TIMEOUT)

    # The customer is told their page is being viewed, and by whom.
    expect(widget(customer).locator(".banner")).to_contain_text("being viewed by Rita", timeout=TIMEOUT)


def test_ask_first_queue_views_the_page_only_once_the_customer_allows(relay, rep_browser, customer_browser):
    queue = relay.make_queue("Careful help", consent="ask_first")
    panel = sign_in_queue_rep(rep_browser, relay, "Rita", queue)

    # The shop says what the queue's policy does.
    customer = customer_browser().new_page()
    customer.goto(relay.base + f"/demo?queue={queue}")
    expect(customer.locator("#help-consent")).to_have_text(
        "Our team can look at this page with you, only after you allow it.")
    ask_for_help(customer)

    # Rita takes her: nothing is viewed yet, Ann is asked in the widget.
    expect(panel.locator("#accept-next")).to_be_enabled(timeout=TIMEOUT)
    panel.locator("#accept-next").click()
    prompt = widget(customer).locator(".grant-prompt")
    expect(prompt).to_contain_text("Rita asks to see this page", timeout=TIMEOUT)
    expect(widget(customer).locator(".banner")).to_have_count(0)

    # She allows it: the viewer opens by itself and shows her page.
    with rep_browser.expect_page(lambda p: "viewer.html" in p.url, timeout=TIMEOUT) as opened:
        prompt.locator("button.approve").click()
    viewer = opened.value
    expect(replay_frame(viewer).locator("body")).to_contain_text("Nordic Outfitters", timeout=TIMEOUT)
    expect(widget(customer).locator(".banner")).to_contain_text("being viewed by Rita", timeout=TIMEOUT)
