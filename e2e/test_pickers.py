"""Invite and transfer by picking, not typing: the side panel's pickers list
reps by name with presence (available / busy / away) and load, and queues with
how many wait in each; presence follows what reps do, and a transfer picked
there reaches the rep who was picked."""

import re
import secrets

import pytest
from playwright.sync_api import expect

from e2e.rep import TIMEOUT, SidePanel, customer_asks_for_help, customer_joins, spaced

pytestmark = pytest.mark.smoke


def test_pickers_show_presence_load_and_waiting_and_a_picked_rep_gets_the_session(
        relay, rep_browser, second_rep_browser, customer_browser):
    tag = secrets.token_hex(2)  # names of their own on a deployed relay, where other runs' reps may be listed
    anna, bert, cleo = f"Anna {tag}", f"Bert {tag}", f"Cleo {tag}"
    q = relay.make_queue("Billing")
    a = SidePanel(rep_browser).sign_in(relay.base, *relay.make_rep(
        anna, queue_rep=True, queues=[q], max_customers=2, multi_session=True))
    b = SidePanel(second_rep_browser).sign_in(relay.base, *relay.make_rep(
        bert, queue_rep=True, queues=[q], max_customers=1))
    relay.make_rep(cleo, queue_rep=True, queues=[q])  # never signs in: away

    # Bert helps a customer: with a maximum of one, he is busy.
    bert_session = b.start_session()
    customer_joins(customer_browser().new_page(), relay.base, bert_session, "Eva")
    expect(b.participant("Eva")).to_be_visible(timeout=TIMEOUT)
    # Dora waits in the queue.
    customer_asks_for_help(customer_browser().new_page(), relay.base, q, "Dora")

    # Anna's session with Carl: her Session tab lists whom she can hand it to.
    number = a.start_session()
    customer_joins(customer_browser().new_page(), relay.base, number, "Carl")
    expect(a.participant("Carl")).to_be_visible(timeout=TIMEOUT)
    a.tool_tab("session")
    reps = a.panel.locator('[data-role="transfer-reps"]')
    expect(a.roster_rep(reps, bert)).to_have_attribute("data-presence", "busy", timeout=TIMEOUT)
    expect(a.roster_rep(reps, bert)).to_contain_text("busy")
    expect(a.roster_rep(reps, bert)).to_contain_text("1/1 customers")
    expect(a.roster_rep(reps, cleo)).to_have_attribute("data-presence", "away")
    expect(a.roster_rep(reps, cleo)).to_contain_text("0/1 customers")
    expect(a.roster_rep(reps, anna)).to_have_count(0)  # not herself
    queue_entry = a.panel.locator(f'.roster-queue[data-queue="{q}"]')
    expect(queue_entry).to_contain_text("Billing", timeout=TIMEOUT)
    expect(queue_entry).to_contain_text("1 waiting")

    # Bert ends his session: Anna's picker shows him available, with no load.
    b.tool_tab("session")
    b.button("end").click()
    expect(b.tabs).to_have_count(0, timeout=TIMEOUT)
    expect(a.roster_rep(reps, bert)).to_have_attribute("data-presence", "available", timeout=TIMEOUT)
    expect(a.roster_rep(reps, bert)).to_contain_text("0/1 customers")

    # Inviting a colleague: picked from the same list, the relay mails them
    # (or, with no mail server, keeps the mail in its outbox and says so).
    a.tool_tab("tools")
    a.button("invite").click()
    dialog = a.page.locator("#invite-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("#invitee-rep").check()
    colleagues = dialog.locator("#invite-colleague")
    expect(a.roster_rep(colleagues, cleo)).to_have_attribute("data-presence", "away", timeout=TIMEOUT)
    a.roster_rep(colleagues, cleo).locator("input").check()
    dialog.locator("#invite-send").click()
    expect(dialog.locator("#invite-result")).to_have_text(
        re.compile(f"(Invitation sent to {cleo}|No mail server is configured: the invitation to {cleo} is in the relay's outbox)"),
        timeout=TIMEOUT)
    dialog.locator("#invite-close").click()

    # Anna hands the session to Bert by picking him; Bert takes it.
    a.tool_tab("session")
    a.roster_rep(reps, bert).locator("input").check()
    a.panel.locator('[data-role="transfer-message-text"]').fill("Carl needs a refund")
    a.button("transfer-session").click()
    expect(a.tab(number)).to_have_count(0, timeout=TIMEOUT)
    offer = b.page.locator("#offers .offer", has_text=spaced(number))
    expect(offer).to_contain_text("Carl needs a refund", timeout=TIMEOUT)
    offer.locator('[data-action="accept"]').click()
    expect(b.panel.locator('[data-role="number"]')).to_contain_text(spaced(number), timeout=TIMEOUT)
    expect(b.panel.locator('[data-role="role"]')).to_have_text("primary", timeout=TIMEOUT)
    expect(b.participant("Carl")).to_be_visible(timeout=TIMEOUT)

