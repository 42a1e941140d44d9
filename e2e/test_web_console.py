"""The relay's /console: the side panel and its viewer as web pages, for a rep
without the extension. Signing in on the relay's page signs the console in;
it takes a customer from the queue and the viewer shows their page."""

import pytest
from playwright.sync_api import expect

from e2e.cobrowse import TIMEOUT, accept_next, ask_for_help, replay_frame, widget
from e2e.rep import sign_in_page

pytestmark = [pytest.mark.smoke, pytest.mark.cobrowse]


def open_console(context, relay, email: str, password: str):
    page = context.new_page()
    sign_in_page(page, relay.base, email, password, "/console/")
    expect(page).to_have_url(relay.base + "/console/", timeout=TIMEOUT)
    expect(page.locator("#status")).to_have_attribute("data-state", "connected", timeout=TIMEOUT)
    return page


def test_a_rep_in_a_plain_browser_takes_a_customer_in_the_web_console(relay, customer_browser):
    queue = relay.make_queue("Web console help")
    email, password = relay.make_rep("Wenche", queue_rep=True, queues=[queue])
    rep = customer_browser()  # an ordinary browser: no extension
    console = open_console(rep, relay, email, password)
    expect(console.locator("#start-session")).to_have_text("Start session")
    expect(console.locator("#more-settings")).to_be_hidden()  # the extension's own settings page
    expect(console.locator("#open-dashboard")).to_be_hidden()  # a rep: no supervisor dashboard

    customer = customer_browser().new_page()
    customer.goto(relay.base + f"/demo?queue={queue}")
    ask_for_help(customer)

    viewer = accept_next(rep, console)
    assert viewer.url.startswith(relay.base + "/console/viewer.html?session=")
    expect(replay_frame(viewer).locator("body")).to_contain_text("Nordic Outfitters", timeout=TIMEOUT)
    expect(widget(customer).locator(".banner")).to_contain_text("being viewed by Wenche", timeout=TIMEOUT)


def test_the_web_console_speaks_the_browsers_language(relay, customer_browser):
    email, password = relay.make_rep("Dorte")
    console = open_console(customer_browser(locale="da-DK"), relay, email, password)
    danish = console.evaluate("() => fetch('_locales/da/messages.json').then((r) => r.json())")
    expect(console.locator("#start-session")).to_have_text(danish["start_submit"]["message"])
    assert console.evaluate("document.documentElement.lang") == "da"


def test_an_admin_reaches_the_dashboard_from_the_console(relay, customer_browser):
    console = open_console(customer_browser(locale="da-DK"), relay, relay.admin_email, relay.admin_password)
    link = console.locator("#open-dashboard")
    expect(link).to_have_text("Oversigt")
    assert link.get_attribute("href") == relay.base + "/admin/dashboard"
