"""Every page, in English, Danish and Simplified Chinese, 1280 and 420 px wide:
no text overflows its box or is drawn over other text, and no page scrolls
sideways. The pages are shown with what a person sees in them: a live session
with a customer, a session in the reports, a rep's console with the session."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.browsers import extension_page
from e2e.cobrowse import TIMEOUT, widget
from e2e.layout import layout_problems
from e2e.rep import customer_joins, sign_in_page
from e2e.test_recording import recording_url

pytestmark = pytest.mark.admin

LANGUAGES = {"en": "en-US", "da": "da-DK", "zh-CN": "zh-CN"}
WIDTHS = (1280, 420)

PUBLIC = ["/", "/demo", "/join", "/help?queue={queue}", "/signin", "/download"]
SIGNED_IN = ["/admin/dashboard", "/admin/reps", "/admin/queues", "/admin/policies", "/admin/sessions", "/admin/canned",
             "/admin/outbox", "/reports/sessions", "/reports/reps", "/reports/sessions/{session}",
             "/console/", "/console/viewer.html?session={session}", "/console/desktop.html?session={session}",
             "/console/files.html?session={session}", "/console/call.html?session={session}"]
EXTENSION_ONLY = ["options.html", "share.html"]
NUMBER = re.compile(r"(\d{3}) (\d{3}) (\d{3})")


def check(page: Page, where: str, found: dict[str, list[str]]) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        problems = layout_problems(page)
        if problems:
            found[f"{where} at {width} px"] = problems


def visit(page: Page, url: str, where: str, found: dict[str, list[str]]) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, f"{where}: {response and response.status}"
    check(page, where, found)


def report(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{where}:\n  " + "\n  ".join(problems) for where, problems in found.items())


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_page_fits_its_text(relay, customer_browser, browsers, lang):
    locale = LANGUAGES[lang]
    queue = relay.make_queue("Layout help")
    found: dict[str, list[str]] = {}

    # A rep's console in the browser with a live session and a customer in it.
    rep = customer_browser(locale=locale).new_page()
    rep.on("dialog", lambda dialog: dialog.accept())
    sign_in_page(rep, relay.base, relay.admin_email, relay.admin_password, "/console/")
    expect(rep.locator("#status")).to_have_attribute("data-state", "connected", timeout=TIMEOUT)
    rep.click("#start-session")
    panel = rep.locator(".session-panel:not([hidden])")
    expect(panel.locator('[data-role="number"]')).to_have_text(NUMBER, timeout=TIMEOUT)
    number = "".join(NUMBER.search(panel.locator('[data-role="number"]').inner_text()).groups())
    session = panel.get_attribute("data-session")

    customer = customer_browser(locale=locale).new_page()
    customer_joins(customer, relay.base, number, "Kunde Kirsten Langenavnsen-Østergaard")
    expect(panel.locator('[data-role="participants"]')).to_contain_text("Kirsten", timeout=TIMEOUT)
    check(customer, "the customer's session page", found)
    visitor = customer_browser(locale=locale).new_page()
    for path in PUBLIC:
        visit(visitor, relay.base + path.format(queue=queue), path, found)
    # A colleague's invitation to assist, as they open it.
    invitation = relay.http.post(f"/api/sessions/{session}/invitations", headers=relay.headers(),
                                 json={"invitee": "rep"})
    invitation.raise_for_status()
    visit(visitor, invitation.json()["link"], "a colleague's invitation", found)
    # The shop with its help window open (the widget, in its shadow root).
    visit(visitor, relay.base + f"/demo?queue={queue}", "/demo", found)
    widget(visitor).locator("button.help").first.click()
    expect(widget(visitor).locator("section.panel")).to_be_visible(timeout=TIMEOUT)
    check(visitor, "/demo with the help window open", found)

    for path in SIGNED_IN:
        if "{session}" in path and "/reports/" in path:
            continue  # once the session has ended, below
        visit(rep, relay.base + path.format(session=session), path, found)
    # The console again, with its session open.
    rep.goto(relay.base + "/console/")
    expect(rep.locator(".session-panel:not([hidden])")).to_be_visible(timeout=TIMEOUT)
    live = rep.locator(".session-panel:not([hidden])")
    for tab in ("tools", "desktop", "application", "session"):
        live.locator(f'[data-tool-tab="{tab}"]').click()
        expect(live.locator(f'[data-tool-pane="{tab}"]')).to_be_visible(timeout=TIMEOUT)
        check(rep, f"/console/ with a session, {tab} tab", found)
    # A short recording, for the player.
    live.locator('[data-tool-tab="session"]').click()
    record = live.locator('[data-action="record"]')
    record.click()
    expect(record).to_have_attribute("aria-pressed", "true", timeout=TIMEOUT)
    check(customer, "the customer's session page while recorded", found)
    record.click()
    expect(record).to_have_attribute("aria-pressed", "false", timeout=TIMEOUT)
    live.locator('[data-action="end"]').click()
    expect(rep.locator(".session-panel:not([hidden])")).to_have_count(0, timeout=TIMEOUT)
    check(customer, "the customer's page after the end", found)
    visit(rep, relay.base + f"/reports/sessions/{session}", "/reports/sessions/{session}", found)
    player = recording_url(relay.http, session, relay.admin)
    visit(rep, relay.base + player if player.startswith("/") else player, "the recording's player", found)

    # The extension's own pages, in the browser's language.
    context = browsers.extension_context(f"layout-{lang}", args=[f"--lang={locale}"])
    for name in EXTENSION_ONLY:
        check(extension_page(context, name), f"extension {name}", found)

    assert not found, f"layout problems in {lang}:\n{report(found)}"


def test_the_check_sees_overflow_overlap_and_sideways_scrolling(customer_browser):
    """The check itself: a box too narrow for its word, two texts on one
    spot, a page wider than the window; and a page without them passes."""
    page = customer_browser().new_page()
    page.set_viewport_size({"width": 420, "height": 600})
    page.set_content("""<main>
      <p style="width: 60px; white-space: nowrap">Unbreakablewordthatdoesnotfit</p>
      <div style="position: relative; height: 40px">
        <span style="position: absolute; left: 0; top: 0">Price</span>
        <span style="position: absolute; left: 10px; top: 0">Total</span>
      </div>
      <div style="width: 700px">wide</div></main>""")
    problems = "\n".join(layout_problems(page))
    assert "text overflows its box: <p>" in problems
    assert "text over text:" in problems and "Price" in problems and "Total" in problems
    assert "the page scrolls sideways: 7" in problems
    page.set_content("<main><p>Fits well.</p><p>So does this.</p></main>")
    assert layout_problems(page) == []
