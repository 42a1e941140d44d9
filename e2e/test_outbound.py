"""Outbound: a rep starts a session in the side panel, the customer joins by
number on the Join page, and they chat both ways."""

import re

import pytest
from playwright.sync_api import expect

from e2e.rep import TIMEOUT, SidePanel, customer_chat, customer_joins

pytestmark = pytest.mark.smoke


def test_rep_starts_a_session_customer_joins_by_number_and_they_chat(relay, rep_browser, customer_browser):
    email, password = relay.make_rep("Alice")
    rep = SidePanel(rep_browser).sign_in(relay.base, email, password)

    # The rep starts a session: the panel shows its number, and the tools that
    # need a customer are disabled (and say why) while nobody has joined.
    number = rep.start_session()
    assert len(number) == 9
    expect(rep.panel.locator('[data-role="tools-note"]')).to_be_visible()
    tools = rep.needs_customer()
    assert tools.count() > 0
    for i in range(tools.count()):
        expect(tools.nth(i)).to_be_disabled()
        expect(tools.nth(i)).to_have_attribute("title", re.compile(r"\S"))

    # The customer types the number from the panel on the Join page.
    customer = customer_browser().new_page()
    customer_joins(customer, relay.base, number, "Carol")

    # The rep notices the customer, and the tools become usable.
    expect(rep.participant("Carol")).to_be_visible(timeout=TIMEOUT)
    expect(rep.panel.locator('[data-role="customer"]')).to_contain_text("Carol", timeout=TIMEOUT)
    expect(rep.panel.locator('[data-role="tools-note"]')).to_be_hidden(timeout=TIMEOUT)
    for action in ("video", "audio", "files"):
        expect(rep.button(action)).to_be_enabled(timeout=TIMEOUT)
    rep.tool_tab("application")
    expect(rep.button("cobrowse-view")).to_be_enabled(timeout=TIMEOUT)
    expect(rep.button("cobrowse-control")).to_be_enabled(timeout=TIMEOUT)

    # Chat both ways.
    rep.chat("Hello Carol, how can I help?")
    expect(customer.locator("#chat-log")).to_contain_text("Hello Carol, how can I help?", timeout=TIMEOUT)
    customer_chat(customer, "My printer is on fire")
    expect(rep.chat_log()).to_contain_text("My printer is on fire", timeout=TIMEOUT)
    expect(rep.chat_log().locator(".chat-line", has_text="My printer is on fire")).to_contain_text("Carol")
