"""Two reps: assist by number, transfer control (the former primary can only
leave), then transfer the session to a queue with a message, taken there by
another rep with Accept next."""

import pytest
from playwright.sync_api import expect

from e2e.rep import TIMEOUT, SidePanel, customer_chat, customer_joins, extra_rep_browser, spaced

pytestmark = pytest.mark.smoke


@pytest.fixture
def second_rep_browser(playwright_, request):
    with extra_rep_browser(playwright_, request, "rep-b") as context:
        yield context


@pytest.fixture
def third_rep_browser(playwright_, request):
    with extra_rep_browser(playwright_, request, "rep-c") as context:
        yield context


def test_assist_transfer_control_and_transfer_session_to_a_queue(
        relay, rep_browser, second_rep_browser, third_rep_browser, customer_browser):
    q = relay.make_queue("Billing")
    a = SidePanel(rep_browser).sign_in(relay.base, *relay.make_rep("Anna", queue_rep=True, queues=[q]))
    b = SidePanel(second_rep_browser).sign_in(relay.base, *relay.make_rep("Bert", queue_rep=True, queues=[q]))

    # A starts a session; the customer joins it by number.
    number = a.start_session()
    customer = customer_browser().new_page()
    customer_joins(customer, relay.base, number, "Carl")
    expect(a.participant("Carl")).to_be_visible(timeout=TIMEOUT)

    # B assists by number: both panels show the same session, B as assistant.
    b.assist(number)
    expect(b.participant("Carl")).to_be_visible(timeout=TIMEOUT)
    expect(b.panel.locator('[data-role="role"]')).to_have_text("assistant", timeout=TIMEOUT)
    expect(a.participant("Bert")).to_contain_text("assistant", timeout=TIMEOUT)
    b.tool_tab("session")
    expect(b.button("leave")).to_be_visible()
    expect(b.button("end")).to_be_hidden()

    # A transfers control to B: B is primary and can end the session; A, now
    # an assistant, can only leave it.
    a.transfer_control_to("Bert")
    expect(b.panel.locator('[data-role="role"]')).to_have_text("primary", timeout=TIMEOUT)
    expect(b.button("end")).to_be_visible(timeout=TIMEOUT)
    expect(b.button("leave")).to_be_hidden()
    expect(a.panel.locator('[data-role="role"]')).to_have_text("assistant", timeout=TIMEOUT)
    a.tool_tab("session")
    expect(a.button("leave")).to_be_visible(timeout=TIMEOUT)
    expect(a.button("end")).to_be_hidden()
    expect(a.panel.locator('[data-role="transfer-control"]')).to_be_hidden()

    # B transfers the session to the queue with a message for the next rep.
    message = "Refund for invoice 4711 approved, please send the credit note"
    b.transfer_session_to_queue(q, message)
    expect(b.tab(number)).to_have_count(0, timeout=TIMEOUT)
    expect(b.page.locator("#notices")).to_contain_text(f"Session {spaced(number)} was transferred", timeout=TIMEOUT)

    # C, a rep of that queue, sees the customer waiting with the message and
    # takes them with Accept next.
    c = SidePanel(third_rep_browser).sign_in(relay.base, *relay.make_rep("Cleo", queue_rep=True, queues=[q]))
    waiting = c.page.locator("#queues .waiting", has_text=spaced(number))
    expect(waiting).to_be_visible(timeout=TIMEOUT)
    expect(waiting).to_contain_text("Carl")
    expect(waiting.locator(".waiting-message")).to_contain_text(message)
    c.accept_next()

    # The customer is now with C, and C sees the message in the session.
    expect(c.panel.locator('[data-role="number"]')).to_contain_text(spaced(number), timeout=TIMEOUT)
    expect(c.panel.locator('[data-role="role"]')).to_have_text("primary", timeout=TIMEOUT)
    expect(c.participant("Carl")).to_be_visible(timeout=TIMEOUT)
    expect(c.panel.locator('[data-role="transfer-message"]')).to_contain_text(message)
    expect(customer.locator("#participants")).to_contain_text("Cleo", timeout=TIMEOUT)
    c.chat("Hi Carl, Cleo here, I have your refund")
    expect(customer.locator("#chat-log")).to_contain_text("Cleo here", timeout=TIMEOUT)
    customer_chat(customer, "Thanks Cleo")
    expect(c.chat_log()).to_contain_text("Thanks Cleo", timeout=TIMEOUT)
