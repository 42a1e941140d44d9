"""The React to-do app of e2e/apps/todo, built from npm by the test set-up
(`npm ci` and its esbuild build, when missing or older than its sources), and
served to a customer's browser context by Playwright routing under /todo/ on
the relay's origin: with the website snippet (a site that embeds tandem.js)
or without it (a site the customer shares with the extension)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from e2e.cobrowse import TIMEOUT, accept_next, ask_for_help, click_replayed, replay_frame, sign_in, widget

APP = Path(__file__).resolve().parent / "apps" / "todo"
DIST = APP / "dist"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css"}
SNIPPET = '<script src="/tandem.js" data-queue="{queue}" defer></script>'
# The app's masked fields, each inside an iframe or a shadow root, and what a
# customer types in them: (iframe selector or None, field selector) -> text.
FRAMED = {
    ("#notes", "#note-pw"): "iframe-PASSWORD-typed",
    ("#notes", "#note-secret-input"): "iframe-MASKED-typed",
    (None, "#owner-pin"): "shadow-PIN-typed",
    (None, "#owner-card"): "5500005555555559",
    (None, "#owner-secret-input"): "shadow-MASKED-typed",
    ("#card-frame", "#card-holder"): "in-a-masked-iframe",  # the <iframe> itself is masked
    (None, "#secret-note-input"): "under-a-masked-host",  # the shadow host is masked
}
# Text the app shows inside masked elements of its iframes and shadow roots.
FRAMED_TEXT = ["IFRAME-SECRET-TEXT", "SHADOW-SECRET-TEXT", "FRAMED-CARD-TEXT", "HOST-MASKED-TEXT"]


def _newest(paths) -> float:
    return max((p.stat().st_mtime for p in paths if p.is_file()), default=0.0)


def build() -> Path:
    """Install the app's packages (`npm ci`) and build it, each only when needed."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to build e2e/apps/todo (apt-get install nodejs npm)")
    stamp = APP / "node_modules" / ".package-lock.json"
    if not stamp.exists() or stamp.stat().st_mtime < (APP / "package-lock.json").stat().st_mtime:
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=APP, check=True, timeout=300)
    sources = [*APP.glob("src/*"), *APP.glob("static/*"), APP / "build.mjs", stamp]
    if not (DIST / "main.js").exists() or _newest(DIST.iterdir()) < _newest(sources):
        subprocess.run(["node", "build.mjs"], cwd=APP, check=True, timeout=120)
    return DIST


@pytest.fixture(scope="session")
def todo_app() -> Path:
    return build()


def serve_todo(context: BrowserContext, base: str, queue: str | None = None) -> str:
    """Serve the built app at base + /todo/ in ``context`` (with the snippet
    for ``queue`` when given); any other path under /todo/ is the app itself,
    as a single-page app's server does. Returns the app's URL."""
    prefix = base + "/todo/"

    def handle(route) -> None:
        path = route.request.url[len(prefix):].split("?")[0].split("#")[0]
        file = DIST / path
        if not path or "/" in path or not file.is_file():
            file = DIST / "index.html"
        body = file.read_text()
        if file.name == "index.html":
            body = body.replace("<!-- tandem-snippet -->", SNIPPET.format(queue=queue) if queue else "")
        route.fulfill(status=200, body=body, headers={"content-type": TYPES.get(file.suffix, "text/plain")})

    context.route(prefix + "**", handle)
    return prefix


def todo_session(relay, rep_browser, customer_context: BrowserContext, on_page=None) -> tuple[Page, Page, str]:
    """The customer opens the to-do app (with the snippet) and asks for help;
    a queue rep, Rita, accepts next, and the viewer shows the app. ``on_page``
    is called with each page the rep's browser opens, from before the
    viewer's. Returns (customer page, viewer page, Rita's API token)."""
    queue = relay.make_queue("Todo help")
    email, password = relay.make_rep("Rita", queue_rep=True, queues=[queue])
    panel = sign_in(rep_browser, relay, email, password)
    if on_page is not None:
        rep_browser.on("page", on_page)
    customer = customer_context.new_page()
    customer.goto(serve_todo(customer_context, relay.base, queue))
    expect(customer.locator(".todo-list li")).to_have_count(2, timeout=TIMEOUT)
    ask_for_help(customer)
    viewer = accept_next(rep_browser, panel)
    expect(replay_frame(viewer).locator(".todo-list li")).to_have_count(2, timeout=TIMEOUT)
    return customer, viewer, relay.signin(email, password)


def fill_masked_fields(customer: Page) -> None:
    """The customer types in every masked field of FRAMED."""
    expect(customer.frame_locator("#card-frame").locator("#card-holder")).to_be_visible(timeout=TIMEOUT)
    for (frame, field), text in FRAMED.items():
        (customer.frame_locator(frame) if frame else customer).locator(field).fill(text)


def take_control(viewer: Page, customer: Page) -> None:
    """The rep asks for control in the viewer; the customer allows it in the widget."""
    viewer.locator("#request-control").click()
    prompt = widget(customer).locator(".grant-prompt")
    expect(prompt).to_contain_text("asks to control this page", timeout=TIMEOUT)
    prompt.locator("button.approve").click()
    expect(viewer.locator("#viewer-status")).to_have_attribute("data-state", "control", timeout=TIMEOUT)


def frames_replayed(customer: Page, replay) -> None:
    """The customer types in the notes iframe and in the <owner-card> shadow
    root, and adds and saves, upon which the app's code empties the fields:
    ``replay`` (the viewer's replay frame) shows each step."""
    notes, replay_notes = customer.frame_locator("#notes"), replay.frame_locator("#notes")
    notes.locator("#note-text").fill("buy milk")
    expect(replay_notes.locator("#note-text")).to_have_value("buy milk", timeout=TIMEOUT)
    notes.locator("#note-add").click()
    expect(replay_notes.locator("#note-list li")).to_have_text(["buy milk"], timeout=TIMEOUT)
    expect(replay_notes.locator("#note-text")).to_have_value("", timeout=TIMEOUT)
    customer.locator("#owner-name").fill("Carol")
    expect(replay.locator("#owner-name")).to_have_value("Carol", timeout=TIMEOUT)
    customer.locator("#owner-save").click()
    expect(replay.locator("#owner-saved")).to_have_text("Owner: Carol", timeout=TIMEOUT)
    expect(replay.locator("#owner-name")).to_have_value("", timeout=TIMEOUT)


def frames_controlled(viewer: Page, customer: Page) -> None:
    """After frames_replayed: the rep takes control and types and clicks in
    the iframe and the shadow root; the customer's app does it, and the replay
    shows it."""
    replay = replay_frame(viewer)
    notes = customer.frame_locator("#notes")
    take_control(viewer, customer)
    click_replayed(viewer, ["#notes", "#note-text"])
    expect(viewer.locator(".control-editor")).to_be_focused(timeout=TIMEOUT)
    viewer.keyboard.type("call the bank")
    expect(notes.locator("#note-text")).to_have_value("call the bank", timeout=TIMEOUT)
    click_replayed(viewer, ["#notes", "#note-add"])
    expect(notes.locator("#note-list li")).to_have_text(["buy milk", "call the bank"], timeout=TIMEOUT)
    expect(replay.frame_locator("#notes").locator("#note-list li")).to_have_text(["buy milk", "call the bank"],
                                                                                 timeout=TIMEOUT)
    click_replayed(viewer, ["#owner", "#owner-name"])
    expect(viewer.locator(".control-editor")).to_be_focused(timeout=TIMEOUT)
    viewer.keyboard.type("Rita")
    expect(customer.locator("#owner-name")).to_have_value("Rita", timeout=TIMEOUT)
    click_replayed(viewer, ["#owner", "#owner-save"])
    expect(customer.locator("#owner-saved")).to_have_text("Owner: Rita", timeout=TIMEOUT)
    expect(replay.locator("#owner-saved")).to_have_text("Owner: Rita", timeout=TIMEOUT)
