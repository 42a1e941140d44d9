"""Invitation email on a relay without a mail server (the default of `make
run`): the side panel says the mail went to the outbox, and an admin reads it
at /admin/outbox. A relay with a mail server sends it, and the panel says so."""

import re

import pytest
from playwright.sync_api import expect

from e2e.rep import TIMEOUT, SidePanel, sign_in_page

pytestmark = pytest.mark.admin


def test_invitation_goes_to_the_outbox_and_an_admin_reads_it(relay, rep_browser, customer_browser):
    a = SidePanel(rep_browser).sign_in(relay.base, *relay.make_rep("Anna"))
    number = a.start_session()
    a.button("invite").click()
    dialog = a.page.locator("#invite-dialog")
    expect(dialog).to_be_visible()
    address = f"{relay.prefix}-carl@example.com"
    dialog.locator("#invite-email").fill(address)
    dialog.locator("#invite-send").click()
    result = dialog.locator("#invite-result")
    expect(result).to_have_text(re.compile(r"(sent to|outbox)"), timeout=TIMEOUT)
    expect(result).not_to_contain_text("did not take the message")
    kept = "outbox" in result.inner_text()

    admin = customer_browser().new_page()
    sign_in_page(admin, relay.base, relay.admin_email, relay.admin_password, "/admin/outbox")
    expect(admin.locator("h1")).to_have_text("Outbox", timeout=TIMEOUT)
    expect(admin.locator(".sub-nav a[aria-current=page]")).to_have_text("Outbox")
    if kept:  # no mail server: the invitation is there, with the session's number
        expect(admin.locator("#outbox-intro")).to_contain_text("No mail server is configured")
        mail = admin.locator(".outbox-mail", has=admin.locator(".outbox-to", has_text=address))
        expect(mail).to_have_count(1)
        expect(mail.locator(".outbox-body")).to_contain_text(f"{number[:3]} {number[3:6]} {number[6:]}")
        expect(mail.locator(".outbox-subject")).not_to_be_empty()
    else:  # a relay with a mail server sent it: nothing of it is kept
        expect(admin.locator("#outbox-intro")).to_contain_text("A mail server is configured")
        expect(admin.locator(".outbox-to", has_text=address)).to_have_count(0)

    # the page in Danish
    admin.goto(relay.base + "/admin/outbox?lang=da")
    expect(admin.locator("h1")).to_have_text("Udbakke")
