"""Intake end to end: an admin asks for an order number on the queue's admin
page; a customer on the shop gives their name, the problem and the order
number in the help widget; the rep sees them in the queue panel, accepts, and
the session shows the customer by name with what they entered; the session
report and the session list (HTML and CSV) show it too."""

import pytest
from playwright.sync_api import expect

from e2e.cobrowse import TIMEOUT, accept_next, click_help, widget
from e2e.rep import SidePanel, sign_in_page, spaced
from e2e.test_reports import ROWS_JS, csv_matches_html

pytestmark = pytest.mark.admin

NAME = "Ann Example"
PROBLEM = "My card was charged twice"
ORDER = "A-1042"


def test_customer_intake_shows_in_queue_session_and_reports(relay, rep_browser, customer_browser):
    queue = relay.make_queue("Order help")

    # The admin asks this queue's customers for their order number, and makes the problem required.
    admin = customer_browser().new_page()
    sign_in_page(admin, relay.base, relay.admin_email, relay.admin_password, "/admin/queues")
    form = admin.locator(f'form[action="/admin/queues/{queue}"]')
    form.locator('select[name="intake_description"]').select_option("required")
    form.locator('input[name="intake_label-0"]').fill("Order number")
    form.locator('input[name="intake_required-0"]').check()
    form.locator('button[type="submit"]').click()
    form = admin.locator(f'form[action="/admin/queues/{queue}"]')
    expect(form.locator('input[name="intake_label-0"]')).to_have_value("Order number", timeout=TIMEOUT)
    expect(form.locator('input[name="intake_required-0"]')).to_be_checked()

    rita_account = relay.make_rep("Rita", fresh=True, queue_rep=True, queues=[queue])
    rita = SidePanel(rep_browser).sign_in(relay.base, *rita_account)

    # On the shop, the widget asks for the name, the problem and the order number before the line.
    customer = customer_browser().new_page()
    customer.goto(relay.base + f"/demo?queue={queue}")
    widget(customer).locator("button.help").first.click()
    intake = widget(customer).locator("form.intake")
    expect(intake.locator('input[data-label="Order number"]')).to_be_visible(timeout=TIMEOUT)
    expect(intake).to_contain_text("What do you need help with? (required)")
    expect(intake).to_contain_text("Order number (required)")
    intake.locator("button.quiet").click()  # Cancel: back to the help button
    expect(widget(customer).locator("button.help").first).to_be_visible()
    click_help(customer, name=NAME, description=PROBLEM, fields={"Order number": ORDER})
    expect(widget(customer)).to_contain_text("in line", timeout=TIMEOUT)

    # Rita's queue panel shows who waits and what they wrote.
    rita.front()
    waiting = rita.page.locator("#queues .waiting")
    expect(waiting).to_contain_text(NAME, timeout=TIMEOUT)
    expect(waiting.locator(".intake")).to_contain_text(PROBLEM)
    expect(waiting.locator(".intake")).to_contain_text(f"Order number{ORDER}")

    # She accepts: the session names the customer and shows the intake beside them.
    accept_next(rep_browser, rita.page)
    rita.front()
    number = rita.number()
    person = rita.participant(NAME)
    expect(person).to_be_visible(timeout=TIMEOUT)
    expect(person.locator(".intake")).to_contain_text(PROBLEM)
    expect(person.locator(".intake")).to_contain_text(ORDER)
    expect(rita.tab(number)).to_contain_text(NAME)
    expect(widget(customer)).to_contain_text("connected with Rita", timeout=TIMEOUT)
    rita.tool_tab("session")
    rita.button("end").click()
    expect(widget(customer)).to_contain_text("has ended", timeout=TIMEOUT)

    # The session list and the session report show what the customer entered.
    admin.goto(f"{relay.base}/reports/sessions?rep={relay.account_id(*rita_account)}")
    rows = csv_matches_html(admin)
    ours = [dict(zip(rows[0], r, strict=True)) for r in rows[1:] if r[0] == spaced(number)]
    assert [(r["Customers"], r["Problem and details"]) for r in ours] == [
        (NAME, f"{PROBLEM}; Order number: {ORDER}")]
    admin.get_by_role("link", name=spaced(number)).click()
    expect(admin.locator("#participants")).to_contain_text(NAME, timeout=TIMEOUT)
    people = admin.eval_on_selector("#participants", ROWS_JS)
    assert [p[-1] for p in people if p[0] == NAME] == [f"{PROBLEM}; Order number: {ORDER}"], people
