"""The supervisor dashboard (/admin/dashboard): a supervisor, who administers
nothing, watches reps, queues and sessions change live, and joins a session
as an assistant from there; the rep's console then lists them."""

import re
import secrets

import pytest
from playwright.sync_api import expect

from e2e.rep import TIMEOUT, SidePanel, customer_asks_for_help, sign_in_page, spaced

pytestmark = pytest.mark.admin


def test_supervisor_sees_a_customer_wait_and_a_rep_accept_live_then_joins_as_assistant(
        relay, rep_browser, customer_browser):
    tag = secrets.token_hex(2)  # names of their own: a deployed relay shows other runs' reps and sessions too
    rita, sue, dora = f"Rita {tag}", f"Sue {tag}", f"Dora {tag}"
    q = relay.make_queue("Billing")
    panel = SidePanel(rep_browser).sign_in(relay.base, *relay.make_rep(rita, queue_rep=True, queues=[q]))

    page = customer_browser().new_page()
    sign_in_page(page, relay.base, *relay.make_rep(sue, is_supervisor=True), then="/admin/dashboard")
    expect(page.locator("#dashboard-status")).to_have_attribute("data-state", "live", timeout=TIMEOUT)
    expect(page.locator(".sub-nav a")).to_have_text(["Dashboard"])  # no administration pages for a supervisor
    queue = page.locator(f'#dash-queues tr[data-queue="{q}"]')
    expect(queue.locator(".dash-waiting")).to_have_text("0", timeout=TIMEOUT)
    expect(queue.locator(".dash-longest")).to_have_text("—")
    rep_row = page.locator("#dash-reps tr", has_text=rita)
    expect(rep_row.locator(".dash-presence")).to_have_text("Available", timeout=TIMEOUT)
    expect(rep_row.locator(".dash-load")).to_have_text("0 of 1")
    sue_row = page.locator("#dash-reps tr", has_text=sue)
    expect(sue_row.locator(".dash-presence")).to_have_text("Away")  # the dashboard is no console

    # A customer asks for help: the queue's line and wait, and a waiting session, appear on their own.
    customer_asks_for_help(customer_browser().new_page(), relay.base, q, dora)
    expect(queue.locator(".dash-waiting")).to_have_text("1", timeout=TIMEOUT)
    expect(queue.locator(".dash-longest")).to_have_text(re.compile(r"^\d+:\d\d$"))
    card = page.locator(".dash-session", has_text=dora)
    expect(card).to_have_attribute("data-state", "waiting", timeout=TIMEOUT)
    expect(card.locator(".dash-state")).to_have_text("Waiting in Billing")
    expect(card.locator(".dash-primary")).to_contain_text("—")
    expect(card.locator("button")).to_have_count(0)  # nobody to assist yet

    # Rita takes the customer: the session is active with her as primary, she is busy, the line is empty.
    panel.accept_next()
    expect(panel.participant(dora)).to_be_visible(timeout=TIMEOUT)
    number = panel.number()
    expect(card).to_have_attribute("data-state", "active", timeout=TIMEOUT)
    expect(card.locator(".dash-number")).to_have_text(spaced(number))
    expect(card.locator(".dash-primary")).to_contain_text(rita)
    expect(rep_row.locator(".dash-presence")).to_have_text("Busy")
    expect(rep_row.locator(".dash-load")).to_have_text("1 of 1")
    expect(queue.locator(".dash-waiting")).to_have_text("0")

    # Sue joins as an assistant from the dashboard: Rita's console lists her, and the dashboard says so.
    card.get_by_role("button", name="Join as assistant").click()
    expect(page.locator("#dashboard-notice")).to_have_text(
        f"You joined session {spaced(number)} as an assistant.", timeout=TIMEOUT)
    expect(card.locator(".dash-assistants")).to_contain_text(sue)
    expect(card.locator(".dash-joined")).to_have_text("You are in this session")
    panel.front()
    expect(panel.participant(sue)).to_be_visible(timeout=TIMEOUT)

    # Open console (what Watch opens as it joins): the relay's console shows the session to Sue.
    with page.expect_popup() as opened:
        card.get_by_role("button", name="Open console").click()
    console = opened.value
    expect(console).to_have_url(relay.base + "/console/")
    expect(console.locator("#session-tabs .session-tab", has_text=spaced(number))).to_be_visible(timeout=TIMEOUT)
    page.bring_to_front()
    expect(sue_row.locator(".dash-presence")).to_have_text("Available", timeout=TIMEOUT)  # a console is open now

    # On a phone-sized screen the dashboard still fits: nothing to scroll sideways.
    page.set_viewport_size({"width": 420, "height": 900})
    expect(card.locator(".dash-joined")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 420
