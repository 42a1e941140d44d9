"""Inbound: a customer clicks help on the demo shop (the snippet); a queue rep
accepts next in the side panel; the viewer shows the customer's page."""

from playwright.sync_api import expect

from e2e.cobrowse import TIMEOUT, accept_next, ask_for_help, replay_frame, sign_in_queue_rep, widget


def test_customer_asks_for_help_and_rep_sees_their_page(relay, rep_browser, customer_browser):
    queue = relay.make_queue("Shop help")
    panel = sign_in_queue_rep(rep_browser, relay, "Rita", queue)

    # The customer is on the demo shop and asks for help: they see their place in line.
    customer = customer_browser().new_page()
    customer.goto(relay.base + f"/demo?queue={queue}")
    expect(customer.locator("h1")).to_be_visible()
    ask_for_help(customer)

    # The rep sees them waiting and accepts next: the viewer opens by itself.
    viewer = accept_next(rep_browser, panel)

    # The viewer shows the customer's page: the shop's name and its products.
    replay = replay_frame(viewer)
    expect(replay.locator("body")).to_contain_text("Nordic Outfitters", timeout=TIMEOUT)
    expect(replay.locator(".product h3").first).to_contain_text("Fjell shell jacket", timeout=TIMEOUT)

    # The customer is told their page is being viewed, and by whom.
    expect(widget(customer).locator(".banner")).to_contain_text("being viewed by Rita", timeout=TIMEOUT)
