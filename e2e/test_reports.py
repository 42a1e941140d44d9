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

from e2e.rep import TIMEOUT, SidePanel, customer_chat, customer_joins, sign_in_page, spaced

pytestmark = pytest.mark.admin

ROWS_JS = "t => [...t.rows].map(r => [...r.cells].map(c => c.textContent.trim()))"


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
    # it says the session ended once, and offers nothing of a live session any more
    expect(customer.locator("#ended-text")).to_have_text("The session has ended. Thank you!")
    expect(customer.locator("#status")).to_be_hidden()  # said once, not also in the status line
    expect(customer.locator("#agent")).to_be_hidden()
    expect(customer.locator("#recording")).to_be_hidden()
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
    people = admin.eval_on_selector("#participants", ROWS_JS)
    assert people[0] == ["Name", "Role", "Joined", "Left", "Problem and details"], people
    assert all(p[3] for p in people[1:]), people
    timeline = csv_matches_html(admin)
    events = [(r[1], r[2], r[3], r[4], r[5]) for r in timeline[1:]]
    assert events == [
        ("Chat", "Anna", "", greeting, "Everyone"),
        ("Chat", "Carl", "", "My invoice is wrong", "Everyone"),
        ("Assistant joined", "Bert", "", "", ""),
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
    # Anna had the session until she handed control to Bert: both handled it, neither only assisted
    assert by_rep["Anna"]["Sessions"] == "1" and by_rep["Bert"]["Sessions"] == "1"
    assert by_rep["Anna"]["Assisted"] == "0" and by_rep["Bert"]["Assisted"] == "0"
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


@pytest.mark.cobrowse
def test_session_report_has_a_row_for_every_activity_and_an_assistant_is_not_credited(
        relay, rep_browser, second_rep_browser, customer_browser):
    from e2e.cobrowse import accept_next, ask_for_help, widget

    queue = relay.make_queue("Shop help")
    rita = relay.make_rep("Rita", queue_rep=True, queues=[queue], fresh=True)
    sam = relay.make_rep("Sam", fresh=True)
    r = SidePanel(rep_browser).sign_in(relay.base, *rita)
    customer = customer_browser().new_page()
    customer.goto(relay.base + f"/demo?queue={queue}")
    ask_for_help(customer)
    viewer = accept_next(rep_browser, r.page)  # view of the customer's page starts at once
    number = r.number()

    # Control: asked in the viewer, allowed by the customer, then stopped.
    viewer.locator("#request-control").click()
    prompt = widget(customer).locator(".grant-prompt")
    prompt.locator("button.approve").click()
    expect(viewer.locator("#control-layer")).to_have_attribute("data-control", "on", timeout=TIMEOUT)
    viewer.locator("#stop-control").click()
    expect(viewer.locator("#control-layer")).to_have_attribute("data-control", "off", timeout=TIMEOUT)

    # Sam joins as an assistant, and only watches.
    s = SidePanel(second_rep_browser).sign_in(relay.base, *sam)
    s.assist(number)
    expect(r.participant("Sam")).to_be_visible(timeout=TIMEOUT)

    # A recording, then the end.
    r.tool_tab("session")
    r.button("record").click()
    expect(r.button("record")).to_have_text("Stop recording", timeout=TIMEOUT)
    r.button("record").click()
    expect(r.button("record")).to_have_text("Record", timeout=TIMEOUT)
    r.button("end").click()
    expect(r.tab(number)).to_have_count(0, timeout=TIMEOUT)

    admin = customer_browser().new_page()
    sign_in_page(admin, relay.base, relay.admin_email, relay.admin_password, "/admin/sessions")
    admin.goto(f"{relay.base}/reports/sessions?rep={relay.account_id(*rita)}")
    admin.get_by_role("link", name=spaced(number)).click()
    expect(admin.locator("h1")).to_have_text(f"Session {spaced(number)}")
    people = admin.eval_on_selector("#participants", ROWS_JS)
    assert [p[1] for p in people[1:]] == ["Customer", "Primary", "Assistant"] and all(p[3] for p in people[1:])
    timeline = csv_matches_html(admin)
    events = {r_[1]: r_ for r_ in timeline[1:]}
    assert events["View"][2:4] == [people[1][0], "Rita"] and events["View"][4].startswith("browser tab, for 0:0")
    assert events["Control"][2:4] == [people[1][0], "Rita"] and events["Control"][4].startswith("browser tab, for 0:0")
    assert events["Assistant joined"][2] == "Sam"
    assert events["Recording"][2] == "Rita" and events["Recording"][4].startswith("Recording of ")
    link = admin.locator("#report-rows a", has_text="Recording of ")
    expect(link).to_have_count(1)
    assert link.get_attribute("href").startswith("/recordings/")

    # The rep activity report: the session and its time are Rita's; Sam only assisted.
    admin.goto(f"{relay.base}/reports/reps?rep={relay.account_id(*sam)}")
    activity = csv_matches_html(admin)
    row = dict(zip(activity[0], next(x for x in activity[1:] if x[0] == "Sam"), strict=True))
    assert (row["Sessions"], row["Assisted"], row["Total handle time"], row["Ratings"]) == ("0", "1", "0:00:00", "0")
