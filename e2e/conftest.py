"""Playwright suites: real Chromium, the real built extension, a real relay.

By default each test gets its own relay process on a loopback port. To run the
suites against a deployed relay (a QA team's installation):

    pytest e2e --base-url https://support.example.com
    # with TANDEM_E2E_ADMIN_EMAIL / TANDEM_E2E_ADMIN_PASSWORD for its admin

Chromium is Debian's (`TANDEM_CHROMIUM`, default /usr/bin/chromium); the
extension is loaded unpacked from extension/dist (built by `make test`).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, sync_playwright

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, LiveRelay

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "extension" / "dist"
EXTENSION_ID = "bnmmlioojpcljadojigdoldfcjaipoip"  # fixed by the "key" in the manifest
CHROMIUM = os.environ.get("TANDEM_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-gpu"]


def pytest_addoption(parser):
    parser.addoption("--base-url", default=None, help="run the e2e suites against this relay instead of a local one")


class Relay:
    """Where the suites talk to, and an admin API client for setting up reps and queues."""

    def __init__(self, base: str, admin_email: str, admin_password: str) -> None:
        self.base = base.rstrip("/")
        self.admin_email, self.admin_password = admin_email, admin_password
        self.http = httpx.Client(base_url=self.base, timeout=15)
        self.admin = self.signin(admin_email, admin_password)

    def signin(self, email: str, password: str) -> str:
        r = self.http.post("/api/signin", json={"email": email, "password": password})
        r.raise_for_status()
        return r.json()["token"]

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.admin}"}

    def make_rep(self, name: str, **fields) -> tuple[str, str]:
        """A new rep with a unique email; returns (email, password)."""
        email = f"{name.lower()}-{secrets.token_hex(3)}@example.com"
        password = "rep-password-" + secrets.token_hex(4)
        r = self.http.post("/api/admin/reps", headers=self.headers(),
                           json={"email": email, "name": name, "password": password, **fields})
        r.raise_for_status()
        return email, password

    def make_queue(self, title: str, **fields) -> str:
        name = f"{title.lower().replace(' ', '-')}-{secrets.token_hex(3)}"
        r = self.http.post("/api/admin/queues", headers=self.headers(), json={"name": name, "title": title, **fields})
        r.raise_for_status()
        return name

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def relay(request, tmp_path):
    base = request.config.getoption("--base-url")
    if base:
        r = Relay(base, os.environ.get("TANDEM_E2E_ADMIN_EMAIL", ADMIN_EMAIL),
                  os.environ["TANDEM_E2E_ADMIN_PASSWORD"])
        yield r
        r.close()
        return
    live = LiveRelay(tmp_path).start()
    r = Relay(live.base, ADMIN_EMAIL, ADMIN_PASSWORD)
    try:
        yield r
    finally:
        r.close()
        live.stop()
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            print(f"--- relay log ---\n{live.log.read_text()}")


@pytest.fixture(scope="session")
def playwright_():
    if not (DIST / "manifest.json").exists():
        raise RuntimeError("extension/dist is not built: run `make extension` (make test does it)")
    with sync_playwright() as p:
        yield p


@pytest.fixture
def rep_browser(playwright_, request) -> BrowserContext:
    """A rep's Chromium: a persistent profile with the built extension loaded."""
    with tempfile.TemporaryDirectory() as profile:
        context = playwright_.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True,
            args=[*FLAGS, f"--disable-extensions-except={DIST}", f"--load-extension={DIST}"])
        try:
            yield context
        finally:
            _screenshots_on_failure(request, context, "rep")
            context.close()


@pytest.fixture
def customer_browser(playwright_, request):
    """A customer's Chromium, without the extension; call it for a fresh context."""
    browser = playwright_.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
    contexts: list[BrowserContext] = []

    def new_context(locale: str = "en-US") -> BrowserContext:
        context = browser.new_context(locale=locale)
        contexts.append(context)
        return context

    try:
        yield new_context
    finally:
        for i, context in enumerate(contexts):
            _screenshots_on_failure(request, context, f"customer{i}")
        browser.close()


def extension_page(context: BrowserContext, page: str) -> Page:
    """An extension page (side panel, viewer, options) opened as an ordinary tab."""
    tab = context.new_page()
    tab.goto(f"chrome-extension://{EXTENSION_ID}/{page}")
    return tab


def _screenshots_on_failure(request, context: BrowserContext, who: str) -> None:
    rep = getattr(request.node, "rep_call", None)
    if rep is None or not rep.failed:
        return
    out = ROOT / "var" / "e2e-failures"
    out.mkdir(parents=True, exist_ok=True)
    for i, page in enumerate(context.pages):
        try:
            page.screenshot(path=str(out / f"{request.node.name}-{who}-{i}.png"))
            # what the video and voice tiles said (a CI log keeps this, not the picture)
            tiles = page.evaluate("() => [...document.querySelectorAll('.media-tile')].map((t) => ({"
                                  "name: t.querySelector('.media-name').textContent, ...t.dataset,"
                                  " player: t.querySelector('video').dataset.state}))")
            if tiles:
                print(f"--- {who} page {i} {page.url}: media tiles {tiles}")
        except Exception:
            pass
