"""A small page object for the rep's side panel, and helpers for customer pages.

Everything waits with Playwright's auto-waiting `expect`; nothing sleeps.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import BrowserContext, Locator, Page, expect

from e2e.conftest import CHROMIUM, DIST, FLAGS, _screenshots_on_failure, extension_page

TIMEOUT = 15_000
NUMBER = re.compile(r"(\d{3}) ?(\d{3}) ?(\d{3})")


@contextmanager
def extra_rep_browser(playwright_, request=None, who: str = "rep2") -> Iterator[BrowserContext]:
    """Another rep's Chromium, launched exactly like conftest's `rep_browser`
    (its own profile, so its own sign-in), with screenshots on failure."""
    with tempfile.TemporaryDirectory() as profile:
        context = playwright_.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True,
            args=[*FLAGS, f"--disable-extensions-except={DIST}", f"--load-extension={DIST}"])
        try:
            yield context
        finally:
            if request is not None:
                _screenshots_on_failure(request, context, who)
            context.close()


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
        p = self.page
        expect(p.locator("#relay-url")).to_be_visible(timeout=TIMEOUT)
        p.fill("#relay-url", relay_base)
        p.fill("#signin-email", email)
        p.fill("#signin-password", password)
        p.click("#signin-submit")
        expect(p.locator("#status")).to_have_attribute("data-state", "connected", timeout=TIMEOUT)
        expect(p.locator("#signin-error")).to_be_hidden()
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
        self.tool_tab("session")
        self.panel.locator('[data-role="transfer-queue"]').fill(queue)
        self.panel.locator('[data-role="transfer-message-text"]').fill(message)
        self.button("transfer-session").click()
        expect(self.panel.locator('[data-role="transfer-error"]')).to_be_hidden()


def spaced(number: str) -> str:
    return f"{number[:3]} {number[3:6]} {number[6:]}"


# --- customer pages ------------------------------------------------------------

def customer_joins(page: Page, base: str, number: str, name: str) -> None:
    """The customer opens /join, types the number and their name, joins."""
    page.goto(base + "/join")
    page.fill("#join-number", spaced(number))
    page.fill("#join-name", name)
    page.locator("form[action='/join'] button[type=submit]").click()
    expect(page.locator("#chat-text")).to_be_enabled(timeout=TIMEOUT)


def customer_asks_for_help(page: Page, base: str, queue: str, name: str) -> None:
    """The customer opens the help link of a queue and asks for help."""
    page.goto(f"{base}/help?queue={queue}")
    page.fill("#help-name", name)
    page.locator("form[action='/help'] button[type=submit]").click()
    expect(page.locator("#tandem-customer")).to_be_visible(timeout=TIMEOUT)


def customer_chat(page: Page, text: str) -> None:
    page.fill("#chat-text", text)
    page.locator("#chat-form button[type=submit]").click()
    expect(page.locator("#chat-log")).to_contain_text(text, timeout=TIMEOUT)
