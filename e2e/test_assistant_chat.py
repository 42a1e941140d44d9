"""A rep who joins a session under way sees the chat so far, every line with
its time in the console's language, not "No messages yet"."""

import re

import pytest
from playwright.sync_api import expect

from e2e.rep import TIMEOUT, SidePanel, customer_chat, customer_joins


@pytest.fixture
def danish_rep_browser(browsers):
    with browsers.extension("rep-b", args=["--lang=da"], locale="da-DK") as context:
        yield context


pytestmark = pytest.mark.smoke


def test_assistant_sees_the_chat_so_far_with_times(relay, rep_browser, danish_rep_browser, customer_browser):
    a = SidePanel(rep_browser).sign_in(relay.base, *relay.make_rep("Anna"))
    b = SidePanel(danish_rep_browser).sign_in(relay.base, *relay.make_rep("Bent"))
    number = a.start_session()
    carl = customer_browser().new_page()
    customer_joins(carl, relay.base, number, "Carl")
    customer_chat(carl, "My printer only prints blank pages")
    a.chat("Let me get a colleague who knows printers")
    a.panel.locator('[data-role="chat-reps-only"]').check()
    a.chat("Bent, this is the HP from last week")
    expect(a.chat_log().locator(".chat-line")).to_have_count(3, timeout=TIMEOUT)
    expect(a.chat_log().locator(".chat-time").first).to_have_text(re.compile(r"^\d{1,2}:\d{2}\s?[AP]M$"))

    b.assist(number)
    log = b.chat_log()
    expect(log.locator(".chat-line")).to_have_count(3, timeout=TIMEOUT)
    expect(log.locator(".chat-line").nth(0)).to_contain_text("My printer only prints blank pages")
    expect(log.locator(".chat-line").nth(0)).to_contain_text("Carl")
    expect(log.locator(".chat-line").nth(1)).to_contain_text("Let me get a colleague who knows printers")
    expect(log.locator(".chat-line").nth(2)).to_contain_text("Bent, this is the HP from last week")
    expect(log.locator(".chat-line.reps-only")).to_have_count(1)
    expect(b.panel.locator('[data-role="chat-empty"]')).to_be_hidden()
    # Danish times: 24-hour clock, no AM/PM
    times = log.locator(".chat-time")
    expect(times).to_have_count(3)
    for i in range(3):
        expect(times.nth(i)).to_have_text(re.compile(r"^\d{2}[.:]\d{2}$"))

    # What is said after Bent joined arrives once, after the earlier lines.
    customer_chat(carl, "Thank you both")
    expect(log.locator(".chat-line")).to_have_count(4, timeout=TIMEOUT)
    expect(log.locator(".chat-line").last).to_contain_text("Thank you both")
