"""Shared steps of the cobrowse suites (inbound, control, masking): a queue rep
signed in in the side panel, a customer asking for help through the snippet,
Accept next opening the viewer, and a small test page on the relay's origin."""

from __future__ import annotations

import json
import re
import struct
import time
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from websockets.sync.client import connect

from e2e.browsers import extension_page
from e2e.rep import patiently, sign_in_panel

TIMEOUT = 15_000
HEADER = struct.Struct("!BII")  # kind, stream, seq: the relay's binary frame header
COBROWSE, CONTROL = 1, 2
# The demo shop's CSP (server pages), so the routed test page runs under the same rules.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")

FORM_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Account</title>
<link rel="stylesheet" href="/static/tandem.css"></head><body><main style="padding:24px">
<h1>Account settings</h1>
<form id="account">
<p><label>Name <input id="name" name="name" value=""></label></p>
<p><label>Password <input id="pw" type="password" autocomplete="current-password"></label></p>
<p><label>Card <input id="card" autocomplete="cc-number"></label></p>
<p><button type="button" id="go">Add one</button></p>
</form>
<p id="greeting">Hello nobody</p>
<p id="count">0</p>
<div data-tandem-mask><p id="note">MASKED-NOTE-TEXT</p><textarea id="notes"></textarea></div>
<p id="plain">visible-marker</p>
</main>
<script src="/e2e-form.js"></script>
<script src="/tandem.js" data-queue="{queue}" defer></script></body></html>"""

FORM_SCRIPT = """
const name = document.getElementById('name');
name.addEventListener('input', () => {
  document.getElementById('greeting').textContent = 'Hello ' + name.value;
});
document.getElementById('go').addEventListener('click', () => {
  const c = document.getElementById('count'); c.textContent = String(Number(c.textContent) + 1);
});
"""


@pytest.fixture
def routed_customer(browsers):
    """A customer's Chromium that may open pages served by Playwright routing:
    such a page has no address space, and without LocalNetworkAccessChecks off
    Chromium would block its WebSocket to the loopback relay."""
    browser = browsers.browser(args=["--disable-features=LocalNetworkAccessChecks"])
    return browsers.new_context(browser, "customer", locale="en-US")


def serve_form_page(context: BrowserContext, base: str, queue: str) -> str:
    """Serve the test form page at base + /e2e-form (with the demo's CSP); returns its URL."""
    url = base + "/e2e-form"
    context.route(url, lambda route: route.fulfill(
        status=200, body=FORM_PAGE.replace("{queue}", queue),
        headers={"content-type": "text/html; charset=utf-8", "content-security-policy": CSP}))
    context.route(base + "/e2e-form.js", lambda route: route.fulfill(
        status=200, body=FORM_SCRIPT, headers={"content-type": "text/javascript"}))
    return url


def widget(page: Page):
    """The customer widget (open shadow DOM: Playwright's CSS pierces it)."""
    return page.locator("tandem-support")


def sign_in_queue_rep(rep_browser: BrowserContext, relay, name: str, queue: str) -> Page:
    """A queue rep of `queue` signs in in the side panel, which connects."""
    return sign_in(rep_browser, relay, *relay.make_rep(name, queue_rep=True, queues=[queue]))


def sign_in(rep_browser: BrowserContext, relay, email: str, password: str) -> Page:
    """The rep signs in in the side panel (an ordinary tab here), which connects."""
    panel = extension_page(rep_browser, "sidepanel.html")
    sign_in_panel(panel, relay.base, email, password)
    return panel


def ask_for_help(page: Page) -> None:
    """The customer clicks the snippet's help button and is told their place in line."""
    click_help(page)
    expect(widget(page)).to_contain_text(re.compile(r"in line"), timeout=TIMEOUT)


def click_help(page: Page, name: str = "", description: str = "", fields: dict[str, str] | None = None) -> None:
    """The customer clicks the snippet's help button, fills the intake form
    (their name, the problem, the queue's extra fields by label) and asks for
    help; again, after a wait, while the relay says there were too many tries
    from this address."""
    tries = 0

    def click() -> None:
        nonlocal tries
        if tries:
            page.reload()  # the widget said "unavailable": a fresh page offers help again
        tries += 1
        help_button = widget(page).locator("button.help").first
        expect(help_button).to_be_visible(timeout=TIMEOUT)
        help_button.click()
        form = widget(page).locator("form.intake")
        expect(form).to_be_visible(timeout=TIMEOUT)
        form.locator("input[name=name]").fill(name)
        if description:
            form.locator("textarea[name=description]").fill(description)
        for label, value in (fields or {}).items():
            form.locator(f'input[data-label="{label}"]').fill(value)
        form.locator("button.intake-submit").click()

    patiently(page, "/api/help", click)


def accept_next(rep_browser: BrowserContext, panel: Page) -> Page:
    """The rep sees the customer waiting, clicks Accept next; the viewer tab opens by itself."""
    expect(panel.locator("#queues .waiting")).to_have_count(1, timeout=TIMEOUT)
    accept = panel.locator("#accept-next")
    expect(accept).to_be_enabled(timeout=TIMEOUT)
    with rep_browser.expect_page(lambda p: "viewer.html" in p.url, timeout=TIMEOUT) as opened:
        accept.click()
    viewer = opened.value
    expect(panel.locator(".session-panel:not([hidden])")).to_be_visible(timeout=TIMEOUT)
    expect(viewer.locator("#viewer-status")).to_have_attribute("data-state", "live", timeout=TIMEOUT)
    return viewer


def replay_frame(viewer: Page):
    return viewer.frame_locator("#replay-root iframe")


# Where a replayed element is drawn on the viewer's control layer. `path` is
# one selector, or several: each one after an <iframe> or a shadow host is
# looked up inside its document or shadow root.
_REPLAYED_POINT = """(path) => {
    const iframe = document.querySelector('#replay-root iframe');
    let scope = iframe.contentDocument;
    let node = null;
    let x = 0, y = 0;
    for (const selector of path) {
        if (node && node.tagName === 'IFRAME') {
            const r = node.getBoundingClientRect();
            x += r.left + node.clientLeft; y += r.top + node.clientTop;
            scope = node.contentDocument;
        } else if (node && node.shadowRoot) {
            scope = node.shadowRoot;
        }
        node = scope && scope.querySelector(selector);
        if (!node) return null;
    }
    const layer = document.getElementById('control-layer').getBoundingClientRect();
    const scale = layer.width / (Number(iframe.width) || 1);
    const r = node.getBoundingClientRect();
    return { x: layer.left + (x + r.left + r.width / 2) * scale, y: layer.top + (y + r.top + r.height / 2) * scale };
}"""


def replayed_point(viewer: Page, selector: str | list[str]) -> dict:
    path = [selector] if isinstance(selector, str) else list(selector)
    point = viewer.evaluate(_REPLAYED_POINT, path)
    assert point, f"{path} is not in the replay"
    return point


def click_replayed(viewer: Page, selector: str | list[str]) -> None:
    """Click, as the rep, on the replayed element `selector` (a list of
    selectors reaches into iframes and shadow roots): on the control layer
    laid over the replay, where that element is drawn (scaled)."""
    point = replayed_point(viewer, selector)
    viewer.mouse.click(point["x"], point["y"])


def hover_replayed(viewer: Page, selector: str | list[str]) -> None:
    """Move the rep's pointer over the replayed element `selector`."""
    point = replayed_point(viewer, selector)
    viewer.mouse.move(point["x"], point["y"], steps=3)


class FrameRecorder:
    """Every WebSocket frame the relay sends to a page (binary payloads as bytes)."""

    def __init__(self) -> None:
        self.sockets: list[str] = []
        self.frames: list[bytes] = []

    def attach(self, page: Page) -> None:
        page.on("websocket", self._on_socket)

    def _on_socket(self, ws) -> None:
        self.sockets.append(ws.url)
        ws.on("framereceived", self._on_frame)

    def _on_frame(self, payload) -> None:
        self.frames.append(payload if isinstance(payload, bytes) else payload.encode())

    def everything(self) -> bytes:
        return b"\n".join(self.frames)

    def cobrowse_bodies(self) -> list[bytes]:
        return [f[HEADER.size:] for f in self.frames
                if len(f) >= HEADER.size and HEADER.unpack_from(f)[0] == COBROWSE]

    def events(self) -> list[dict]:
        """The rrweb events of the COBROWSE frames, parts joined (capture.js's
        format); an event whose first parts came before the recorder did is left out."""
        out: list[dict] = []
        parts: list[str] | None = None
        for body in self.cobrowse_bodies():
            data = json.loads(body)
            if isinstance(data, dict):
                if data["part"] == 0:
                    parts = []
                if parts is None or len(parts) != data["part"]:
                    parts = None  # not from its first part: wait for the next event's
                    continue
                parts.append(data["data"])
                if data["part"] != data["parts"] - 1:
                    continue
                data, parts = json.loads("".join(parts)), None
            out.extend(data)
        return out

    def node_id(self, match) -> int:
        """The rrweb id of the first element of the last full snapshot for which
        ``match(node, parent)`` is true (nodes as rrweb serializes them)."""
        snapshots = [e for e in self.events() if e.get("type") == 2]
        assert snapshots, "no full snapshot reached the viewer"

        def walk(node, parent):
            if node.get("type") == 2 and match(node, parent):
                return node["id"]
            for child in node.get("childNodes", []):
                found = walk(child, node)
                if found is not None:
                    return found
            return None

        found = walk(snapshots[-1]["data"]["node"], None)
        assert found is not None, "no such element in the full snapshot"
        return found




def viewer_session(viewer: Page) -> str:
    return parse_qs(urlparse(viewer.url).query)["session"][0]


def relay_refuses_control(relay, token: str, session: str) -> bool:
    """Ask the relay itself, as the rep on a connection of its own: a CONTROL
    frame on the session's tab view stream must be answered with an error."""
    ws_url = relay.base.replace("http", "ws", 1) + "/ws"
    with connect(ws_url, max_size=None) as ws:
        ws.send(json.dumps({"type": "hello", "seq": 1, "token": token, "client": "extension"}))
        deadline = time.monotonic() + 10
        view = None
        while view is None and time.monotonic() < deadline:
            data = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            if isinstance(data, bytes):
                continue
            msg = json.loads(data)
            if msg["type"] == "session_state" and msg["session"] == session:
                view = next((a for a in msg["activities"] if a["kind"] == "view" and a["scope"] == "tab"), None)
        assert view is not None, "the rep's own connection got no tab view of the session"
        body = json.dumps({"type": "click", "id": 1}).encode()
        ws.send(HEADER.pack(CONTROL, view["stream"], 2) + body)
        while time.monotonic() < deadline:
            data = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            if isinstance(data, bytes):
                continue
            msg = json.loads(data)
            if msg["type"] == "error" and msg.get("ref") == 2:
                return True
        return False


def rep_sends_control(relay, token: str, session: str, action: dict) -> None:
    """The rep, on a WebSocket of their own, sends one CONTROL action on the
    session's tab control stream; the relay must accept it (no error before
    the pong that follows it)."""
    ws_url = relay.base.replace("http", "ws", 1) + "/ws"
    with connect(ws_url, max_size=None) as ws:
        ws.send(json.dumps({"type": "hello", "seq": 1, "token": token, "client": "extension"}))
        deadline = time.monotonic() + 10
        control = None
        while control is None and time.monotonic() < deadline:
            data = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            if isinstance(data, bytes):
                continue
            msg = json.loads(data)
            if msg["type"] == "session_state" and msg["session"] == session:
                control = next((a for a in msg["activities"] if a["kind"] == "control" and a["scope"] == "tab"), None)
        assert control is not None, "the rep's own connection got no tab control of the session"
        ws.send(HEADER.pack(CONTROL, control["stream"], 2) + json.dumps(action).encode())
        ws.send(json.dumps({"type": "ping", "seq": 3}))
        while time.monotonic() < deadline:
            data = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            if isinstance(data, bytes):
                continue
            msg = json.loads(data)
            assert not (msg["type"] == "error" and msg.get("ref") == 2), f"the relay refused the action: {msg}"
            if msg["type"] == "pong":
                return
        raise AssertionError("no pong from the relay")
