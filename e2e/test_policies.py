"""Policies as reps and customers see them: under the assist approval policy
the primary lets a rep in (or turns them away) from the side panel, and the
asking rep is told; with chat with customers off, the customer page says so
and the side panel sends to reps only."""

import pytest
from playwright.sync_api import expect

from e2e.rep import TIMEOUT, SidePanel, customer_joins, extra_rep_browser, spaced

pytestmark = pytest.mark.admin


@pytest.fixture
def third_rep_browser(playwright_, request):
    with extra_rep_browser(playwright_, request, "rep-c") as context:
        yield context


def test_the_primary_lets_a_rep_in_or_turns_them_away(relay, rep_browser, second_rep_browser, third_rep_browser):
    relay.set_policies(assist_approval=True)
    a = SidePanel(rep_browser).sign_in(relay.base, *relay.make_rep("Anna"))
    b = SidePanel(second_rep_browser).sign_in(relay.base, *relay.make_rep("Bert"))
    c = SidePanel(third_rep_browser).sign_in(relay.base, *relay.make_rep("Cleo"))
    number = a.start_session()

    # Bert asks: he waits, Anna sees the request in the session and a notice.
    b.page.fill("#assist-number", number)
    b.page.click("#assist-submit")
    expect(b.page.locator("#assist-status")).to_contain_text(spaced(number), timeout=TIMEOUT)
    expect(b.tabs).to_have_count(0)
    a.front()
    request = a.panel.locator('[data-role="assist-requests"] .assist-request', has_text="Bert")
    expect(request).to_be_visible(timeout=TIMEOUT)
    expect(a.page.locator("#notices")).to_contain_text("Bert asks to assist", timeout=TIMEOUT)

    # Anna lets him in: Bert is an assistant in both panels, the request is gone.
    request.locator('[data-action="approve-assist"]').click()
    expect(b.panel.locator('[data-role="role"]')).to_have_text("assistant", timeout=TIMEOUT)
    expect(b.page.locator("#assist-status")).to_be_hidden()
    expect(a.participant("Bert")).to_contain_text("assistant", timeout=TIMEOUT)
    expect(a.panel.locator('[data-role="assist-requests"]')).to_be_hidden()

    # Cleo asks and is turned away: she is told, and has no session.
    c.page.fill("#assist-number", number)
    c.page.click("#assist-submit")
    a.front()
    request = a.panel.locator('[data-role="assist-requests"] .assist-request', has_text="Cleo")
    request.locator('[data-action="deny-assist"]').click()
    expect(c.page.locator("#errors")).to_contain_text(
        f"The primary of session {spaced(number)} did not let you in", timeout=TIMEOUT)
    expect(c.tabs).to_have_count(0)
    expect(a.participant("Cleo")).to_have_count(0)


def test_without_the_policy_the_primary_is_told_who_arrived(relay, rep_browser, second_rep_browser):
    a = SidePanel(rep_browser).sign_in(relay.base, *relay.make_rep("Anna"))
    b = SidePanel(second_rep_browser).sign_in(relay.base, *relay.make_rep("Bert"))
    number = a.start_session()
    b.assist(number)
    expect(a.page.locator("#notices")).to_contain_text(
        f"Bert joined session {spaced(number)} as an assistant", timeout=TIMEOUT)


def test_chat_off_shows_on_the_customer_page_and_in_the_side_panel(relay, rep_browser, customer_browser):
    a = SidePanel(rep_browser).sign_in(relay.base, *relay.make_rep("Anna"))
    number = a.start_session()
    customer = customer_browser(locale="da-DK").new_page()
    customer_joins(customer, relay.base, number, "Carl")

    relay.set_policies(chat_with_customers=False)
    expect(customer.locator("#chat-off")).to_have_text("Chat er slået fra i denne session.", timeout=TIMEOUT)
    expect(customer.locator("#chat-form")).to_be_hidden()
    a.tool_tab("tools")
    reps_only = a.panel.locator('[data-role="chat-reps-only"]')
    expect(reps_only).to_be_checked(timeout=TIMEOUT)
    expect(reps_only).to_be_disabled()
    expect(a.panel.locator('[data-role="chat-off"]')).to_be_visible()
    a.chat("only for the team")
    expect(a.chat_log().locator(".reps-only")).to_contain_text("only for the team")

    relay.set_policies(chat_with_customers=True)
    expect(customer.locator("#chat-text")).to_be_enabled(timeout=TIMEOUT)
    expect(reps_only).to_be_enabled(timeout=TIMEOUT)
    expect(reps_only).not_to_be_checked()
    expect(customer.locator("#chat-log")).not_to_contain_text("only for the team")
