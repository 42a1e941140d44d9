"""Reports end to end: a rep chats with a customer (with a canned reply and a
reps-only line for an assisting rep), takes a note and hands control over;
the session ends and the customer rates it in their page. An admin then reads
the session report and the rep activity report in Chromium, and the CSV
downloads hold exactly the rows of the HTML tables."""

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from e2e.rep import TIMEOUT, SidePanel, customer_chat, customer_joins, extra_rep_browser, sign_in_page, spaced

pytestmark = pytest.mark.admin

ROWS_JS = "t => [...t.rows].map(r => [...r.cells].map(c => c.textContent.trim()))"


@pytest.fixture
def second_rep_browser(playwright_, request):
    with extra_rep_browser(playwright_, request, "rep-b") as context:
        yield context


def table_rows(page: Page) -> list[list[str]]:
    return page.eval_on_selector("#report-rows", ROWS_JS)


def downloaded_rows(page: Page) -> list[list[str]]:
    with page.expect_download() as info:
        page.click("#csv-link")
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def csv_matches_html(page: Page) -> list[list[str]]:
    rows = table_rows(page)
    # the CSV only adds an apostrophe before cells a spreadsheet would run
    safe = [["'" + c if c[:1] in ("=", "+", "-", "@") else c for c in row] for row in rows]
    assert downloaded_rows(page) == safe
    return rows


def test_reports_show_notes_transfers_chat_and_ratings_and_csv_matches_html(
        relay, rep_browser, second_rep_browser, customer_browser):
    greeting = "Hello! I am looking at your account now."
    relay.add_canned_reply("Greeting", greeting)
    anna, bert = relay.make_rep("Anna", fresh=True), relay.make_rep("Bert", fresh=True)
    a = SidePanel(rep_browser).sign_in(relay.base, *anna)
    b = SidePanel(second_rep_browser).sign_in(relay.base, *bert)

    number = a.start_session()
    customer = customer_browser().new_page()
    customer_joins(customer, relay.base, number, "Carl")
    expect(a.participant("Carl")).to_be_visible(timeout=TIMEOUT)

    # Anna answers with a canned reply picked in her chat; Carl writes back.
    picker = a.panel.locator('[data-role="canned"]')
    expect(picker).to_be_visible(timeout=TIMEOUT)
    picker.select_option(label="Greeting")
    expect(a.panel.locator('[data-role="chat-text"]')).to_have_value(greeting)
    a.panel.locator('[data-role="chat-form"] button[type="submit"]').click()
    expect(customer.locator("#chat-log")).to_contain_text(greeting, timeout=TIMEOUT)
    customer_chat(customer, "My invoice is wrong")

    # Bert assists; Anna writes him a reps-only line, marked in both consoles.
    b.assist(number)
    expect(a.participant("Bert")).to_be_visible(timeout=TIMEOUT)
    a.panel.locator('[data-role="chat-reps-only"]').check()
    a.chat("Bert, please check the refund policy")
    a.panel.locator('[data-role="chat-reps-only"]').uncheck()
    expect(b.chat_log().locator(".reps-only")).to_contain_text("check the refund policy", timeout=TIMEOUT)
    a.chat("One moment please")
    expect(customer.locator("#chat-log")).to_contain_text("One moment please", timeout=TIMEOUT)
    expect(customer.locator("#chat-log")).not_to_contain_text("refund policy")

    # Anna notes what she found and hands control to Bert, who ends the session.
    a.panel.locator('[data-role="note-text"]').fill("Customer was billed twice in March")
    a.panel.locator('[data-role="note-form"] button[type="submit"]').click()
    expect(a.panel.locator('[data-role="notes"]')).to_contain_text("billed twice", timeout=TIMEOUT)
    a.transfer_control_to("Bert")
    expect(b.panel.locator('[data-role="role"]')).to_have_text("primary", timeout=TIMEOUT)
    b.tool_tab("session")
    b.button("end").click()

    # Carl's page offers the exit survey: 4 stars and a comment.
    survey = customer.locator("#survey-slot .survey")
    expect(survey).to_be_visible(timeout=TIMEOUT)
    survey.locator('button[data-score="4"]').click()
    expect(survey.locator('button[data-score="4"]')).to_have_attribute("aria-checked", "true")
    survey.locator("textarea").fill("Bert sorted it out quickly")
    survey.locator('button[type="submit"]').click()
    expect(survey).to_contain_text("Thank you for your feedback!", timeout=TIMEOUT)

    # The admin signs in and reads the reports.
    admin = customer_browser().new_page()
    sign_in_page(admin, relay.base, relay.admin_email, relay.admin_password, "/admin/sessions")
    admin.get_by_role("link", name="Session reports").first.click()
    expect(admin.locator("h1")).to_have_text("Session information report")
    # Anna's sessions only: a deployed relay's other sessions (live ones change while read) are not this test's.
    admin.goto(f"{relay.base}/reports/sessions?rep={relay.account_id(*anna)}")
    rows = csv_matches_html(admin)
    ours = [r for r in rows[1:] if r[0] == spaced(number)]
    assert len(ours) == 1
    session = dict(zip(rows[0], ours[0], strict=True))
    assert (session["Reps"], session["Customers"], session["Transfers"], session["Notes"], session["Rating"]) == (
        "Anna, Bert", "Carl", "1", "1", "4")
    assert session["Chat messages"] == "4"
    expect(admin.locator(".report-chart svg")).to_be_visible()

    admin.get_by_role("link", name=spaced(number)).click()
    expect(admin.locator("h1")).to_have_text(f"Session {spaced(number)}")
    expect(admin.locator("#participants")).to_contain_text("Carl")
    timeline = csv_matches_html(admin)
    events = [(r[1], r[2], r[3], r[4], r[5]) for r in timeline[1:]]
    assert events == [
        ("Chat", "Anna", "", greeting, "Everyone"),
        ("Chat", "Carl", "", "My invoice is wrong", "Everyone"),
        ("Chat", "Anna", "", "Bert, please check the refund policy", "Reps only"),
        ("Chat", "Anna", "", "One moment please", "Everyone"),
        ("Note", "Anna", "", "Customer was billed twice in March", "Reps only"),
        ("Control transferred", "Anna", "Bert", "", ""),
        ("Rating", "Carl", "", "4/5 · Bert sorted it out quickly", ""),
    ]
    reps_only = admin.locator("#report-rows tr.reps-only")
    expect(reps_only).to_have_count(1)
    expect(reps_only).to_contain_text("check the refund policy")
    expect(admin.locator("#ratings")).to_contain_text("4 of 5: Bert sorted it out quickly")

    by_rep = {}
    for name, rep in (("Anna", anna), ("Bert", bert)):
        admin.goto(f"{relay.base}/reports/reps?rep={relay.account_id(*rep)}")
        activity = csv_matches_html(admin)
        by_rep[name] = dict(zip(activity[0], next(r for r in activity[1:] if r[0] == name), strict=True))
    assert by_rep["Anna"]["Sessions"] == "1" and by_rep["Bert"]["Sessions"] == "1"
    assert by_rep["Anna"]["Average rating"] == "4" and by_rep["Bert"]["Ratings"] == "1"
    expect(admin.locator(".report-chart svg")).to_have_count(3)


def test_website_widget_offers_the_survey_when_the_customer_leaves(relay, rep_browser, customer_browser):
    from e2e.cobrowse import accept_next, ask_for_help, sign_in_queue_rep, widget

    queue = relay.make_queue("Shop help")
    panel = sign_in_queue_rep(rep_browser, relay, "Rita", queue)
    customer = customer_browser().new_page()
    customer.goto(relay.base + f"/demo?queue={queue}")
    ask_for_help(customer)
    accept_next(rep_browser, panel)
    expect(widget(customer)).to_contain_text("connected with Rita", timeout=TIMEOUT)

    widget(customer).locator("button", has_text="Leave session").click()
    survey = widget(customer).locator(".survey")
    expect(survey).to_be_visible(timeout=TIMEOUT)
    survey.locator('button[type="submit"]').click()
    expect(survey).to_contain_text("Choose 1 to 5 stars first.")
    survey.locator('button[data-score="5"]').click()
    survey.locator("textarea").fill("Great shop help")
    survey.locator('button[type="submit"]').click()
    expect(survey).to_contain_text("Thank you for your feedback!", timeout=TIMEOUT)

    # The rating is in the rep activity report.
    r = relay.http.get("/reports/reps", params={"format": "csv", "queue": queue}, headers=relay.headers())
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    rita = dict(zip(rows[0], next(row for row in rows[1:] if row[0] == "Rita"), strict=True))
    assert (rita["Average rating"], rita["Ratings"]) == ("5", "1")
