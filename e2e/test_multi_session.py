"""Multi-session mode: a rep takes two customers from a queue; each has its own
session tab, and chat in one tab reaches only that tab's customer."""

import pytest
from playwright.sync_api import expect

from e2e.rep import TIMEOUT, SidePanel, customer_asks_for_help, customer_chat

pytestmark = pytest.mark.smoke


def test_two_customers_in_two_session_tabs(relay, rep_browser, customer_browser):
    q = relay.make_queue("Support")
    rep = SidePanel(rep_browser).sign_in(relay.base, *relay.make_rep(
        "Mona", queue_rep=True, multi_session=True, max_customers=2, queues=[q]))

    # Two customers ask for help through the queue's help link.
    first = customer_browser().new_page()
    customer_asks_for_help(first, relay.base, q, "Dora")
    second = customer_browser().new_page()
    customer_asks_for_help(second, relay.base, q, "Egon")
    waiting = rep.page.locator("#queues .waiting")
    expect(waiting).to_have_count(2, timeout=TIMEOUT)

    # The rep accepts both: two session tabs, each with its own customer.
    rep.accept_next()
    expect(rep.tabs).to_have_count(1, timeout=TIMEOUT)
    expect(waiting).to_have_count(1, timeout=TIMEOUT)
    rep.accept_next()
    tabs = rep.tabs
    expect(tabs).to_have_count(2, timeout=TIMEOUT)
    expect(waiting).to_have_count(0, timeout=TIMEOUT)
    dora_tab = tabs.filter(has_text="Dora")
    egon_tab = tabs.filter(has_text="Egon")
    expect(dora_tab).to_have_count(1, timeout=TIMEOUT)
    expect(egon_tab).to_have_count(1, timeout=TIMEOUT)
    for page in (first, second):
        expect(page.locator("#participants")).to_contain_text("Mona", timeout=TIMEOUT)
        expect(page.locator("#chat-text")).to_be_enabled(timeout=TIMEOUT)

    rep.select_tab("Dora")
    expect(rep.participant("Dora")).to_be_visible(timeout=TIMEOUT)
    expect(rep.participant("Egon")).to_have_count(0)
    dora_number = rep.number()
    rep.select_tab("Egon")
    expect(rep.participant("Egon")).to_be_visible(timeout=TIMEOUT)
    expect(rep.participant("Dora")).to_have_count(0)
    assert rep.number() != dora_number

    # Chat in Egon's tab reaches Egon only; Dora's reply lands in Dora's tab.
    rep.chat("Egon, only for you")
    expect(second.locator("#chat-log")).to_contain_text("Egon, only for you", timeout=TIMEOUT)
    customer_chat(first, "Dora here, still waiting")
    rep.select_tab("Dora")
    expect(rep.chat_log()).to_contain_text("Dora here, still waiting", timeout=TIMEOUT)
    expect(rep.chat_log()).not_to_contain_text("Egon, only for you")
    rep.chat("Dora, only for you")
    expect(first.locator("#chat-log")).to_contain_text("Dora, only for you", timeout=TIMEOUT)
    rep.select_tab("Egon")
    expect(rep.chat_log()).not_to_contain_text("Dora")
    # A last line to each, sent after the others: once it has arrived, any
    # misrouted line would have too.
    rep.chat("Egon, last one")
    expect(second.locator("#chat-log")).to_contain_text("Egon, last one", timeout=TIMEOUT)
    rep.select_tab("Dora")
    rep.chat("Dora, last one")
    expect(first.locator("#chat-log")).to_contain_text("Dora, last one", timeout=TIMEOUT)
    expect(first.locator("#chat-log")).not_to_contain_text("Egon")
    expect(second.locator("#chat-log")).not_to_contain_text("Dora")
