"""The attack of the outside test, in Chromium: a page on another port of the
relay's host (the same site, so the Lax sign-in cookie goes along) tries to
change the relay with the signed-in admin's cookie, by ``fetch`` with a
``text/plain`` body and by a form it posts after planting its own CSRF cookie
(cookies do not keep ports apart)."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from playwright.sync_api import sync_playwright

from e2e.conftest import CHROMIUM, FLAGS
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, LiveRelay

EVIL_PAGE = """<!doctype html><html><body>
<form id="f" method="post" action="{relay}/admin/queues">
  <input name="csrf" value="{field}"><input name="name" value="evil-form"><input name="title" value="Evil">
</form>
<script>
fetch("{relay}/api/admin/queues", {{method: "POST", mode: "no-cors", credentials: "include",
  headers: {{"Content-Type": "text/plain"}}, body: JSON.stringify({{name: "evil-fetch", title: "Evil"}})}})
  .finally(() => {{ document.title = "fetched"; document.getElementById("f").submit(); }});
</script></body></html>"""


class EvilSite:
    """A web server on another loopback port: it plants the CSRF cookie and
    serves the page above."""

    def __init__(self, relay: str, planted: str, field: str) -> None:
        page = EVIL_PAGE.format(relay=relay, field=field).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Set-Cookie", f"tandem_csrf={planted}; Path=/; HttpOnly; SameSite=Strict")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def relay(tmp_path):
    live = LiveRelay(tmp_path).start()
    yield live
    live.stop()


def test_a_same_site_page_cannot_act_with_the_admins_cookie(relay):
    with httpx.Client(base_url=relay.base, trust_env=False) as http:
        # what the attacker gets by loading the sign-in page themselves
        anonymous = http.get("/signin")
        planted = anonymous.cookies["tandem_csrf"]
        field = re.search(r'name="csrf" value="([^"]+)"', anonymous.text).group(1)
    evil = EvilSite(relay.base, planted, field)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            try:
                page = browser.new_page()
                page.goto(f"{relay.base}/signin")
                page.fill("input[name=email]", ADMIN_EMAIL)
                page.fill("input[name=password]", ADMIN_PASSWORD)
                with page.expect_navigation():
                    page.click("button[type=submit]")
                assert "tandem_rep" in {c["name"] for c in page.context.cookies()}
                page.goto(evil.url)
                page.wait_for_url(f"{relay.base}/admin/queues", timeout=30_000)  # the form went (and came back)
            finally:
                browser.close()
    finally:
        evil.close()
    queues = httpx.get(f"{relay.base}/api/queues", trust_env=False).json()["queues"]
    assert [q["name"] for q in queues] == ["demo"], "a page of another origin created a queue"
