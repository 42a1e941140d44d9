"""Customer mode: a customer who joined an outbound session by number, on a
site with no Tandem snippet, shows one of their tabs with the extension; the
rep's viewer says what the customer still has to do until then, replays the
tab (values the app sets in code included) across its navigations, and the
customer's tab carries the extension's badge while it is shown. Chrome's own
pages get a clear message, to the customer and to the rep."""

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from e2e.cobrowse import FrameRecorder, click_replayed, hover_replayed, replay_frame, widget
from e2e.conftest import extension_page, own_relay
from e2e.relay import wait_for_relay
from e2e.rep import TIMEOUT, SidePanel, customer_joins, extra_rep_browser
from e2e.todo_app import (  # noqa: F401
    FRAMED,
    FRAMED_TEXT,
    fill_masked_fields,
    frames_controlled,
    frames_replayed,
    serve_todo,
    todo_app,
)
from server.config import Settings

pytestmark = pytest.mark.cobrowse

INSTALL = "https://chromewebstore.google.com/detail/tandem/bnmmlioojpcljadojigdoldfcjaipoip"
BADGE_JS = """async (prefix) => {
    const tab = (await chrome.tabs.query({})).find((t) => (t.url || '').startsWith(prefix));
    return tab ? chrome.action.getBadgeText({ tabId: tab.id }) : null;
}"""


@pytest.fixture
def customer_with_extension(playwright_, request):
    """The customer's Chromium, with the Tandem extension."""
    with extra_rep_browser(playwright_, request, who="customer") as context:
        yield context


@pytest.fixture
def relay_with_install_link(tmp_path, request):
    """A relay of this test's own that names where customers get the extension."""
    with own_relay(tmp_path, request, TANDEM_EXTENSION_INSTALL_URL=INSTALL) as relay:
        yield relay


def background(context: BrowserContext):
    workers = context.service_workers or [context.wait_for_event("serviceworker", timeout=TIMEOUT)]
    return workers[0]


def outbound_view(relay, rep_browser, customer: BrowserContext) -> tuple[SidePanel, Page, Page]:
    """Alice starts a session; the customer joins it on /join and allows the
    view of a tab Alice asks for; Alice opens the viewer. Returns (side
    panel, the customer's session page, the viewer)."""
    email, password = relay.make_rep("Alice")
    rep = SidePanel(rep_browser).sign_in(relay.base, email, password)
    number = rep.start_session()
    page = customer.new_page()
    customer_joins(page, relay.base, number, "Carol")
    expect(rep.participant("Carol")).to_be_visible(timeout=TIMEOUT)
    rep.tool_tab("application")
    rep.button("cobrowse-view").click()
    prompt = page.locator("#grants .grant-prompt")
    expect(prompt).to_be_visible(timeout=TIMEOUT)
    prompt.locator("button[data-approve='1']").click()
    expect(rep.button("open-viewer")).to_be_enabled(timeout=TIMEOUT)
    with rep_browser.expect_page(lambda p: "viewer.html" in p.url, timeout=TIMEOUT) as opened:
        rep.button("open-viewer").click()
    return rep, page, opened.value


def test_customer_shows_a_tab_of_a_site_without_the_snippet(relay, rep_browser, customer_with_extension, todo_app):  # noqa: F811
    customer = customer_with_extension
    app = customer.new_page()
    app_url = serve_todo(customer, relay.base)  # no snippet on this site
    app.goto(app_url)
    expect(app.locator(".todo-list li")).to_have_count(2, timeout=TIMEOUT)
    rep, page, viewer = outbound_view(relay, rep_browser, customer)
    status = viewer.locator("#viewer-status")

    # The viewer says what the customer still has to do; the session page offers it.
    expect(status).to_have_attribute("data-state", "need_share_tab", timeout=TIMEOUT)
    expect(status).to_contain_text("still has to pick the tab")
    pick = page.locator("#tab-share-pick")
    expect(pick).to_have_text("Pick a tab to show", timeout=TIMEOUT)
    with customer.expect_page(lambda p: p.url.endswith("/share.html"), timeout=TIMEOUT) as opened:
        pick.click()
    share = opened.value
    row = share.locator(".share-tab", has_text="todos")
    expect(row).to_have_count(1, timeout=TIMEOUT)
    row.locator("button").click()

    # Alice sees the app; Carol's tab says it is shown, with the badge.
    replay = replay_frame(viewer)
    expect(replay.locator(".todo-list li")).to_have_count(2, timeout=TIMEOUT)
    expect(status).to_have_attribute("data-state", "live", timeout=TIMEOUT)
    expect(widget(app).locator(".banner")).to_contain_text("being viewed by Alice", timeout=TIMEOUT)
    expect(page.locator("#tab-share-text")).to_contain_text("sees your tab: todos", timeout=TIMEOUT)
    expect(share.locator("#share-now")).to_contain_text("can see this tab: todos", timeout=TIMEOUT)
    assert background(customer).evaluate(BADGE_JS, app_url) == "ON"

    # What the app sets in code reaches the replay (the page's own world).
    app.locator("#new-todo").fill("third thing")
    expect(replay.locator("#new-todo")).to_have_value("third thing", timeout=TIMEOUT)
    app.locator("#new-todo").press("Enter")
    expect(replay.locator(".todo-list li")).to_have_count(3, timeout=TIMEOUT)
    expect(replay.locator("#new-todo")).to_have_value("", timeout=TIMEOUT)
    app.locator("#suggest").click()
    expect(replay.locator("#new-todo")).to_have_value("water the plants", timeout=TIMEOUT)
    # Hash navigation inside the app: the address bar follows (seen from the content script's world).
    app.locator(".filters a", has_text="Active").click()
    expect(viewer.locator("#navigate-url")).to_have_value(re.compile(r"/todo/#/active$"), timeout=TIMEOUT)
    # History API navigation too (About is pushState), and back.
    app.locator("#about-link").click()
    expect(replay.locator("#about")).to_be_visible(timeout=TIMEOUT)
    expect(viewer.locator("#navigate-url")).to_have_value(re.compile(r"/todo/about$"), timeout=TIMEOUT)
    app.go_back()
    expect(replay.locator(".todo-list")).to_be_visible(timeout=TIMEOUT)
    expect(viewer.locator("#navigate-url")).to_have_value(re.compile(r"/todo/#/active$"), timeout=TIMEOUT)

    # Control under the same grants: Carol allows it in her tab.
    viewer.locator("#request-control").click()
    prompt = widget(app).locator(".grant-prompt")
    expect(prompt).to_contain_text("asks to control this page", timeout=TIMEOUT)
    prompt.locator("button.approve").click()
    expect(status).to_have_attribute("data-state", "control", timeout=TIMEOUT)
    app.locator("#clear").click()
    expect(replay.locator("#new-todo")).to_have_value("", timeout=TIMEOUT)
    box = viewer.evaluate("""() => {
        const iframe = document.querySelector('#replay-root iframe');
        const r = iframe.contentDocument.querySelector('#new-todo').getBoundingClientRect();
        const layer = document.getElementById('control-layer').getBoundingClientRect();
        const s = layer.width / Number(iframe.width);
        return { x: layer.left + (r.left + r.width / 2) * s, y: layer.top + (r.top + r.height / 2) * s };
    }""")
    viewer.mouse.click(box["x"], box["y"])
    expect(viewer.locator(".control-editor")).to_be_focused(timeout=TIMEOUT)
    viewer.keyboard.type("from Alice")
    expect(app.locator("#new-todo")).to_have_value("from Alice", timeout=TIMEOUT)

    # The tab goes on to another page: the replay follows, the badge stays.
    app.goto(relay.base + "/todo/notes.html")
    expect(replay.locator("#note-text")).to_be_visible(timeout=TIMEOUT)
    expect(viewer.locator("#navigate-url")).to_have_value(re.compile(r"/todo/notes\.html$"), timeout=TIMEOUT)
    expect(widget(app).locator(".banner").first).to_contain_text("Alice", timeout=TIMEOUT)
    assert background(customer).evaluate(BADGE_JS, relay.base + "/todo/notes.html") == "ON"

    # Carol stops showing it: the widget and the badge go, the viewer says so.
    share.bring_to_front()
    share.locator("#share-stop").click()
    expect(widget(app)).to_have_count(0, timeout=TIMEOUT)
    expect(share.locator("#share-now")).to_have_text("No tab is shown yet.", timeout=TIMEOUT)
    assert background(customer).evaluate(BADGE_JS, relay.base + "/todo/notes.html") == ""
    expect(status).to_have_attribute("data-state", "need_share_tab", timeout=TIMEOUT)
    expect(replay.locator("#note-text")).to_have_count(0)

    # She shows it again, then closes it: the viewer follows each time.
    share.locator(".share-tab", has_text="Notes").locator("button").click()
    expect(replay.locator("#note-text")).to_be_visible(timeout=TIMEOUT)
    expect(status).to_have_attribute("data-state", "control", timeout=TIMEOUT)
    app.close()
    expect(status).to_have_attribute("data-state", "need_share_tab", timeout=TIMEOUT)


def test_shown_tab_iframes_shadow_roots_and_hover_are_replayed_masked_and_controlled(
        relay, rep_browser, customer_with_extension, todo_app):  # noqa: F811
    customer = customer_with_extension
    app = customer.new_page()
    app.goto(serve_todo(customer, relay.base))  # no snippet on this site
    expect(app.locator(".todo-list li")).to_have_count(2, timeout=TIMEOUT)
    recorder = FrameRecorder()
    rep_browser.on("page", recorder.attach)
    rep, page, viewer = outbound_view(relay, rep_browser, customer)
    with customer.expect_page(lambda p: p.url.endswith("/share.html"), timeout=TIMEOUT) as opened:
        page.locator("#tab-share-pick").click()
    opened.value.locator(".share-tab", has_text="todos").locator("button").click()
    replay = replay_frame(viewer)
    expect(replay.locator(".todo-list li")).to_have_count(2, timeout=TIMEOUT)
    viewer.reload()  # its socket recorded from the first frame
    expect(replay.locator(".todo-list li")).to_have_count(2, timeout=TIMEOUT)

    # What Carol does in the iframe and the shadow root, and what their code
    # then sets (the fields emptied), reaches Alice's replay; with control,
    # Alice types and clicks in both.
    frames_replayed(app, replay)
    frames_controlled(viewer, app)

    # Alice's pointer over a row shows its hover-only delete button in her
    # replay; her click on it deletes the item in Carol's app.
    row = '.todo-list li[data-id="2"]'
    expect(replay.locator(f"{row} .destroy")).to_be_hidden()
    hover_replayed(viewer, row)
    expect(replay.locator(f"{row} .destroy")).to_be_visible(timeout=TIMEOUT)
    click_replayed(viewer, f"{row} .destroy")
    expect(app.locator(".todo-list li")).to_have_count(1, timeout=TIMEOUT)
    expect(replay.locator(".todo-list li")).to_have_count(1, timeout=TIMEOUT)

    # Masked fields in both stay masked: nothing typed there reaches Alice,
    # nor does their text, in a viewer that joins now either.
    fill_masked_fields(app)
    expect(replay.locator("#owner-pin")).not_to_have_value("", timeout=TIMEOUT)
    viewer.reload()
    expect(replay.locator("#owner-saved")).to_have_text("Owner: Rita", timeout=TIMEOUT)

    received = recorder.everything()
    assert b"buy milk" in received and b"Owner: Rita" in received
    leaked = [s for s in [*FRAMED.values(), *FRAMED_TEXT] if s.encode() in received]
    assert not leaked, f"masked values reached the rep's viewer: {leaked}"


def test_chrome_pages_get_a_clear_message(relay, rep_browser, customer_with_extension, todo_app):  # noqa: F811
    customer = customer_with_extension
    settings = customer.new_page()
    settings.goto("chrome://version")
    app = customer.new_page()
    app.goto(serve_todo(customer, relay.base))
    rep, page, viewer = outbound_view(relay, rep_browser, customer)
    status = viewer.locator("#viewer-status")
    with customer.expect_page(lambda p: p.url.endswith("/share.html"), timeout=TIMEOUT) as opened:
        page.locator("#tab-share-pick").click()
    share = opened.value

    # Picking the chrome:// tab: told why not, nothing is shown.
    row = share.locator(".share-tab", has_text="chrome://version")
    expect(row).to_contain_text("Chrome does not let extensions show its own pages", timeout=TIMEOUT)
    row.locator("button").click()
    expect(share.locator("#share-problem")).to_contain_text("Chrome does not let extensions show its own pages",
                                                            timeout=TIMEOUT)
    expect(share.locator("#share-now")).to_have_text("No tab is shown yet.")

    # The app's tab is shown; then it goes to a chrome:// page.
    share.locator(".share-tab", has_text="todos").locator("button").click()
    expect(replay_frame(viewer).locator(".todo-list li")).to_have_count(2, timeout=TIMEOUT)
    app.goto("chrome://version")
    expect(status).to_have_attribute("data-state", "not_capturable", timeout=TIMEOUT)
    expect(status).to_contain_text("does not let extensions capture")
    expect(page.locator("#tab-share-text")).to_contain_text("one of Chrome's own pages", timeout=TIMEOUT)


def test_viewer_says_what_the_customer_without_the_extension_must_do(relay, rep_browser, customer_browser):
    customer = customer_browser()
    rep, page, viewer = outbound_view(relay, rep_browser, customer)
    status = viewer.locator("#viewer-status")

    # Carol has no extension: the viewer says she must show a tab with it, her page says how.
    expect(status).to_have_attribute("data-state", "need_extension", timeout=TIMEOUT)
    expect(status).to_contain_text("has to show a tab with the Tandem extension")
    expect(page.locator("#tab-share-text")).to_contain_text("add the Tandem extension to Chrome")
    expect(page.locator("#tab-share-text")).to_contain_text("ask your support rep where to get it")
    expect(page.locator("#tab-share-pick")).to_be_hidden()
    expect(page.locator("#tab-share-install")).to_have_count(0)  # this relay names no place to get it
    # Her page says what she allowed, not that some tab is being viewed.
    expect(page.locator("#banners .banner-text")).to_have_text(
        "Alice may see the web page you show with the Tandem extension.")

    # Her page closes: the viewer says she is not connected; she comes back.
    url = page.url
    page.close()
    expect(status).to_have_attribute("data-state", "customer_away", timeout=TIMEOUT)
    page = customer.new_page()
    page.goto(url)
    expect(status).to_have_attribute("data-state", "need_extension", timeout=TIMEOUT)

    # She leaves the session: the viewer says so.
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("#leave").click()
    expect(status).to_have_attribute("data-state", "customer_left", timeout=TIMEOUT)
    expect(status).to_have_text("The customer left the session.")


def test_session_page_links_to_the_extension_when_the_relay_names_where(relay_with_install_link, rep_browser,
                                                                         customer_browser):
    customer = customer_browser()
    rep, page, viewer = outbound_view(relay_with_install_link, rep_browser, customer)
    expect(viewer.locator("#viewer-status")).to_have_attribute("data-state", "need_extension", timeout=TIMEOUT)

    # Carol's page says to add the extension with its button, which opens the place to get it.
    expect(page.locator("#tab-share-text")).to_contain_text("add the Tandem extension to Chrome with the button below")
    install = page.locator("#tab-share-install")
    expect(install).to_have_text("Add the Tandem extension")
    expect(install).to_have_attribute("href", INSTALL)
    expect(install).to_have_attribute("target", "_blank")
    expect(page.locator("#tab-share-pick")).to_be_hidden()


TOO_MANY_TRIES = "Too many tries"


def join_from_share(share: Page, name: str, what: str, relay: str = "") -> None:
    """Carol fills share.html's join form and presses Join. Joins are limited
    per address, and a relay with its defaults (the deployment pass) can say
    "Too many tries. Wait a minute and try again.": she waits the minute (the
    default join window) and tries again, from a fresh page."""
    for attempt in range(4):
        if share.locator("#join-error").is_visible():
            share.reload()  # what an earlier try said is not this one's answer
        share.locator("#join-name").fill(name)
        share.locator("#join-what").fill(what)
        share.locator("#join-relay").fill(relay)
        share.locator("#join-submit").click()
        outcome = share.locator("#session:not([hidden]), #join-error:not([hidden])").first
        expect(outcome).to_be_visible(timeout=TIMEOUT)
        if attempt == 3 or TOO_MANY_TRIES not in (share.locator("#join-error").text_content() or ""):
            return
        wait_for_relay("a join from share.html", Settings.join_window + 1)


@pytest.mark.parametrize("how", ["number", "link"])
def test_customer_joins_in_the_extension(how, relay, rep_browser, customer_with_extension, todo_app):  # noqa: F811
    customer = customer_with_extension
    app = customer.new_page()
    app.goto(serve_todo(customer, relay.base))
    email, password = relay.make_rep("Alice")
    rep = SidePanel(rep_browser).sign_in(relay.base, email, password)
    number = rep.start_session()
    if how == "link":  # the join link of Alice's invitation (what she would mail or read out)
        rep.button("invite").click()
        expect(rep.page.locator("#invite-link")).to_have_value(re.compile(r"/invite/"), timeout=TIMEOUT)
        link = rep.page.locator("#invite-link").input_value()
        rep.page.locator("#invite-close").click()

    # The extension's side panel, before any sign-in, points customers to share.html.
    panel = extension_page(customer, "sidepanel.html")
    with customer.expect_page(lambda p: p.url.endswith("/share.html"), timeout=TIMEOUT) as opened:
        panel.locator("#open-share").click()
    share = opened.value

    if how == "number":
        # A wrong number is refused with a reason; the right one joins.
        join_from_share(share, "Carol", "123 456 789", relay.base)
        expect(share.locator("#join-error")).to_have_text(
            "No live session has this number. Check it with your support rep.", timeout=TIMEOUT)
        join_from_share(share, "Carol", number, relay.base)
    else:  # a link needs no relay address: it is the relay's
        join_from_share(share, "Carol", link)
    expect(share.locator("#session-title")).to_contain_text(f"{number[:3]} {number[3:6]} {number[6:]}",
                                                            timeout=TIMEOUT)
    share.locator(".share-tab", has_text="todos").locator("button").click()

    # Carol is in the session from her shown tab: Alice asks to see it, Carol allows it there.
    expect(rep.participant("Carol")).to_be_visible(timeout=TIMEOUT)
    rep.tool_tab("application")
    rep.button("cobrowse-view").click()
    prompt = widget(app).locator(".grant-prompt")
    expect(prompt).to_contain_text("Alice", timeout=TIMEOUT)
    prompt.locator("button.approve").click()
    with rep_browser.expect_page(lambda p: "viewer.html" in p.url, timeout=TIMEOUT) as opened:
        rep.button("open-viewer").click()
    viewer = opened.value
    expect(replay_frame(viewer).locator(".todo-list li")).to_have_count(2, timeout=TIMEOUT)
    expect(viewer.locator("#viewer-status")).to_have_attribute("data-state", "live", timeout=TIMEOUT)
