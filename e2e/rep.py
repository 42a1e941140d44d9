"""A small page object for the rep's side panel, and helpers for customer pages.

Everything waits with Playwright's auto-waiting `expect`; nothing sleeps.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from playwright.sync_api import BrowserContext, Locator, Page, Response, expect

from e2e.browsers import extension_page
from e2e.relay import TOKENS, patient_client, retry_after, wait_for_relay

TIMEOUT = 15_000
NUMBER = re.compile(r"(\d{3}) ?(\d{3}) ?(\d{3})")


@contextmanager
def extra_rep_browser(playwright_, request, who: str = "rep2") -> Iterator[BrowserContext]:
    """Another rep's Chromium, launched exactly like conftest's `rep_browser`
    (its own profile, so its own sign-in) and recorded with the test's browsers."""
    with request.getfixturevalue("browsers").extension(who) as context:
        yield context


def sign_in_panel(page: Page, relay_base: str, email: str, password: str) -> None:
    """The rep signs in in the side panel (or the options page) and it connects.
    An account signed in before in this run is not signed in again: its token
    goes into the extension's storage, as a browser that stayed signed in has
    it. A sign-in the relay turns away for too many attempts is repeated over
    the API once its Retry-After has passed."""
    expect(page.locator("#relay-url")).to_be_visible(timeout=TIMEOUT)
    signed_in = TOKENS.get((relay_base, email, password))
    if signed_in is None:
        page.fill("#relay-url", relay_base)
        page.fill("#signin-email", email)
        page.fill("#signin-password", password)
        page.click("#signin-submit")
        connected = page.locator('#status[data-state="connected"]')
        expect(connected.or_(page.locator("#signin-error:visible"))).to_be_visible(timeout=TIMEOUT)
        if connected.is_visible():
            stored = page.evaluate("() => chrome.storage.local.get(['token', 'account'])")
            TOKENS[(relay_base, email, password)] = (stored["token"], stored["account"])
        else:
            with patient_client(relay_base) as http:
                r = http.post("/api/signin", json={"email": email, "password": password})
                r.raise_for_status()
            signed_in = TOKENS[(relay_base, email, password)] = (r.json()["token"], r.json()["account"])
    if signed_in is not None:
        token, account = signed_in
        page.evaluate("(s) => chrome.storage.local.set(s)", {"relay": relay_base, "token": token, "account": account})
    expect(page.locator("#status")).to_have_attribute("data-state", "connected", timeout=TIMEOUT)
    expect(page.locator("#signin-error")).to_be_hidden()


def sign_in_page(page: Page, base: str, email: str, password: str, then: str) -> None:
    """Open the relay's page `then` signed in, with the sign-in cookie of the
    account's one sign-in of this run (through the API, which waits out a 429:
    a deployed relay limits sign-ins per address, and a run signs in many)."""
    key = (base, email, password)
    if key not in TOKENS:
        with patient_client(base) as http:
            r = http.post("/api/signin", json={"email": email, "password": password})
            r.raise_for_status()
            TOKENS[key] = (r.json()["token"], r.json()["account"])
    page.context.add_cookies([{"name": "tandem_rep", "value": TOKENS[key][0], "url": base, "httpOnly": True}])
    page.goto(base + then)


class SidePanel:
    """The rep's console (sidepanel.html opened as a tab)."""

    def __init__(self, context: BrowserContext) -> None:
        self.page: Page = extension_page(context, "sidepanel.html")
        # End, Leave and the transfers ask window.confirm: the rep says yes
        # (one handler: a second one would answer a dialog already answered).
        self.page.on("dialog", lambda dialog: dialog.accept())
        self.front()

    def front(self) -> None:
        """Bring the console's tab to the front. In Chrome it lives in the side
        panel; here it is a tab, and a background tab's animation frames are
        throttled, so every click would wait ~2 s for "stable". The blank tab
        of a persistent context, and the viewer tab the extension opens when a
        rep accepts an inbound customer, both take the front."""
        self.page.bring_to_front()

    # --- sign-in and status ----------------------------------------------------

    def sign_in(self, relay_base: str, email: str, password: str) -> SidePanel:
        sign_in_panel(self.page, relay_base, email, password)
        return self

    # --- starting and joining sessions ----------------------------------------

    def start_session(self) -> str:
        """Start an outbound session; returns its number as 9 digits."""
        before = self.page.locator("#session-tabs .session-tab").count()
        self.page.click("#start-session")
        expect(self.page.locator("#session-tabs .session-tab")).to_have_count(before + 1, timeout=TIMEOUT)
        return self.number()

    def assist(self, number: str) -> None:
        self.page.fill("#assist-number", number)
        self.page.click("#assist-submit")
        expect(self.panel.locator('[data-role="number"]')).to_contain_text(spaced(number), timeout=TIMEOUT)

    # --- the visible session -------------------------------------------------

    @property
    def panel(self) -> Locator:
        return self.page.locator(".session-panel:not([hidden])")

    def number(self) -> str:
        head = self.panel.locator('[data-role="number"]')
        expect(head).to_have_text(NUMBER, timeout=TIMEOUT)
        match = NUMBER.search(head.inner_text())
        assert match, head.inner_text()
        return "".join(match.groups())

    @property
    def tabs(self) -> Locator:
        return self.page.locator("#session-tabs .session-tab")

    def tab(self, number: str) -> Locator:
        return self.tabs.filter(has_text=spaced(number))

    def select_tab(self, text: str) -> None:
        """Show the session whose tab shows `text` (its number or customer's name)."""
        self.front()
        tab = self.tabs.filter(has_text=spaced(text) if text.isdigit() else text)
        tab.click()
        expect(tab).to_have_attribute("aria-selected", "true", timeout=TIMEOUT)
        expect(self.panel).to_have_attribute("data-session", tab.get_attribute("data-session"))

    def accept_next(self) -> None:
        self.front()
        expect(self.page.locator("#accept-next")).to_be_enabled(timeout=TIMEOUT)
        self.page.click("#accept-next")

    def participant(self, name: str) -> Locator:
        return self.panel.locator('[data-role="participants"] .participant', has_text=name)

    def tool_tab(self, name: str) -> None:
        self.front()
        self.panel.locator(f'[data-tool-tab="{name}"]').click()
        expect(self.panel.locator(f'[data-tool-pane="{name}"]')).to_be_visible(timeout=TIMEOUT)

    def button(self, action: str) -> Locator:
        return self.panel.locator(f'[data-action="{action}"]')

    def needs_customer(self) -> Locator:
        return self.panel.locator("[data-needs-customer]")

    # --- chat ------------------------------------------------------------------

    def chat(self, text: str) -> None:
        self.tool_tab("tools")
        self.panel.locator('[data-role="chat-text"]').fill(text)
        self.panel.locator('[data-role="chat-form"] button[type="submit"]').click()
        expect(self.chat_log()).to_contain_text(text, timeout=TIMEOUT)

    def chat_log(self) -> Locator:
        return self.panel.locator('[data-role="chat-log"]')

    # --- transfers -----------------------------------------------------------

    def transfer_control_to(self, name: str) -> None:
        self.tool_tab("session")
        select = self.panel.locator('[data-role="assistants"]')
        expect(select.locator("option", has_text=name)).to_have_count(1, timeout=TIMEOUT)
        select.select_option(label=name)
        self.button("transfer-control").click()

    def transfer_session_to_queue(self, queue: str, message: str) -> None:
        """Pick the queue (by its name) in the Transfer session picker, write the message, transfer."""
        self.tool_tab("session")
        self.picked_queue(queue).check()
        self.panel.locator('[data-role="transfer-message-text"]').fill(message)
        self.button("transfer-session").click()
        expect(self.panel.locator('[data-role="transfer-error"]')).to_be_hidden()

    def picked_queue(self, queue: str, within: Locator | None = None) -> Locator:
        """The radio button of `queue` (its name) in a Transfer session picker,
        once the roster lists it."""
        entry = (within or self.panel).locator(f'.roster-queue[data-queue="{queue}"]')
        expect(entry).to_be_visible(timeout=TIMEOUT)
        return entry.locator("input")

    def roster_rep(self, picker: Locator, name: str) -> Locator:
        """A rep's line in a roster picker (name, presence, load)."""
        return picker.locator(".roster-rep", has=self.page.locator(".roster-name", has_text=re.compile(f"^{re.escape(name)}$")))


def spaced(number: str) -> str:
    return f"{number[:3]} {number[3:6]} {number[6:]}"


# --- customer pages ------------------------------------------------------------

def customer_joins(page: Page, base: str, number: str, name: str) -> None:
    """The customer opens /join, types the number and their name, joins."""
    def join() -> None:
        page.goto(base + "/join")
        page.fill("#join-number", spaced(number))
        page.fill("#join-name", name)
        page.locator("form[action='/join'] button[type=submit]").click()
    patiently(page, "/join", join)
    expect(page.locator("#chat-text")).to_be_enabled(timeout=TIMEOUT)


def customer_asks_for_help(page: Page, base: str, queue: str, name: str) -> None:
    """The customer opens the help link of a queue and asks for help."""
    def ask() -> None:
        page.goto(f"{base}/help?queue={queue}")
        page.fill("#help-name", name)
        page.locator("form[action='/help'] button[type=submit]").click()
    patiently(page, "/help", ask)
    expect(page.locator("#tandem-customer")).to_be_visible(timeout=TIMEOUT)


def patiently(page: Page, path: str, act: Callable[[], None]) -> Response:
    """Do `act`, which makes the page POST to `path` (joining a session: the
    relay limits tries per address); while the relay answers 429, wait as long
    as it says and do it again. Returns the accepted answer."""
    while True:
        with page.expect_response(lambda r: r.request.method == "POST" and r.url.split("?")[0].endswith(path),
                                  timeout=TIMEOUT) as answer:
            act()
        response = answer.value
        if response.status != 429:
            return response
        wait = retry_after(response)
        if wait is None:  # a page says it in words: "... try again in 6 seconds."
            page.wait_for_load_state()
            seconds = re.search(r"\d+", page.locator("main").inner_text())
            wait = float(seconds.group()) if seconds else 60.0
        wait_for_relay(f"POST {path}", wait)


def customer_chat(page: Page, text: str) -> None:
    page.fill("#chat-text", text)
    page.locator("#chat-form button[type=submit]").click()
    expect(page.locator("#chat-log")).to_contain_text(text, timeout=TIMEOUT)
