"""Compact mode keeps the two things the tray is for: Invite and Transfer,
without expanding the console."""

import re
import secrets

import pytest
from playwright.sync_api import expect

from e2e.rep import TIMEOUT, SidePanel, customer_joins, spaced

pytestmark = pytest.mark.smoke


def test_compact_bar_invites_a_colleague_and_transfers_to_a_queue(
        relay, rep_browser, second_rep_browser, customer_browser):
    tag = secrets.token_hex(2)
    q = relay.make_queue("Returns")
    a = SidePanel(rep_browser).sign_in(relay.base, *relay.make_rep(f"Anna {tag}", queue_rep=True, queues=[q]))
    b = SidePanel(second_rep_browser).sign_in(relay.base, *relay.make_rep(f"Bert {tag}", queue_rep=True, queues=[q]))
    number = a.start_session()
    customer_joins(customer_browser().new_page(), relay.base, number, "Carl")
    expect(a.participant("Carl")).to_be_visible(timeout=TIMEOUT)

    a.page.click("#compact-toggle")
    bar = a.page.locator("#compact-bar")
    expect(bar).to_be_visible()
    expect(a.page.locator("#console")).to_be_hidden()
    expect(bar.locator("#compact-number")).to_have_text(spaced(number))

    # Invite from the bar: the same dialog, with the colleague picker.
    bar.locator("#compact-invite").click()
    dialog = a.page.locator("#invite-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("#invitee-rep").check()
    bert = a.roster_rep(dialog.locator("#invite-colleague"), f"Bert {tag}")
    expect(bert).to_have_attribute("data-presence", "available", timeout=TIMEOUT)
    bert.locator("input").check()
    dialog.locator("#invite-send").click()
    expect(dialog.locator("#invite-result")).to_contain_text(f"Bert {tag}", timeout=TIMEOUT)
    dialog.locator("#invite-close").click()
    expect(dialog).to_be_hidden()

    # Transfer from the bar: the session's own transfer forms, in a dialog.
    bar.locator("#compact-transfer").click()
    transfer = a.page.locator("#transfer-dialog")
    expect(transfer).to_be_visible()
    a.picked_queue(q, within=transfer).check()
    transfer.locator('[data-role="transfer-message-text"]').fill("Carl wants to return his boots")
    transfer.locator('[data-action="transfer-session"]').click()
    expect(transfer).to_be_hidden(timeout=TIMEOUT)
    expect(a.tab(number)).to_have_count(0, timeout=TIMEOUT)
    expect(bar.locator("#compact-number")).to_have_text(re.compile(r"\D"))  # no session number any more
    expect(bar.locator("#compact-transfer")).to_be_hidden()

    # Bert sees Carl waiting in the queue with the message.
    waiting = b.page.locator("#queues .waiting", has_text=spaced(number))
    expect(waiting).to_contain_text("Carl", timeout=TIMEOUT)
    expect(waiting.locator(".waiting-message")).to_contain_text("Carl wants to return his boots")
