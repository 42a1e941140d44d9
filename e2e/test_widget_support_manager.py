"""A customer who came in through the website's help window has no session
page: the widget offers the Support Manager with the session in it, shows
when it is connected, and asks about the requests it serves (the desktop, an
application, files), with a banner and Stop while one runs."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import websockets.sync.client as ws_client
from playwright.sync_api import expect

from e2e.cobrowse import TIMEOUT, accept_next, click_help, sign_in_queue_rep, widget

pytestmark = pytest.mark.smoke


@pytest.mark.parametrize("locale,line,download,ask,viewed", [
    ("en-US", "in line", "Download the Support Manager", "Rita asks to see your screen.", "Your screen is being viewed by Rita."),
    ("da-DK", "i køen", "Hent Support Manager", "Rita beder om at se din skærm.", "Din skærm bliver set af Rita."),
])
def test_a_website_customer_gets_the_support_manager_from_the_help_window(
        relay, rep_browser, customer_browser, locale, line, download, ask, viewed):
    queue = relay.make_queue("Widget desktop help")
    panel = sign_in_queue_rep(rep_browser, relay, "Rita", queue)
    customer = customer_browser(locale=locale).new_page()
    customer.goto(relay.base + f"/demo?queue={queue}")
    click_help(customer)
    expect(widget(customer)).to_contain_text(line, timeout=TIMEOUT)
    accept_next(rep_browser, panel)

    # The help window offers the Support Manager with this session in it.
    link = widget(customer).locator(".agent a.download")
    expect(link).to_have_text(download, timeout=TIMEOUT)
    href = link.get_attribute("href")
    path = urlsplit(href).path
    assert href.startswith(relay.base + "/s/") and path.endswith("/support-manager")
    token = path.split("/")[2]
    # The relay serves the file for the visitor's computer, named for the session, or says it has none.
    answer = relay.http.get(path, headers={"User-Agent": customer.evaluate("navigator.userAgent")})
    if answer.status_code == 200:
        assert "tandem-support-manager" in answer.headers["content-disposition"]
    else:
        assert answer.status_code == 404 and "no Support Manager" in answer.text, answer.status_code

    # The Support Manager pairs with the session (as the downloaded file does by itself).
    paired = relay.http.post(f"/api/sessions/{panel_session(panel)}/pairing", headers={"Authorization": f"Bearer {token}"})
    assert paired.status_code == 200, paired.text
    number = panel.locator(".session-panel:not([hidden]) [data-role='number']").inner_text()
    digits = "".join(c for c in number if c.isdigit())
    agent = relay.http.post("/api/agent/pair", json={"number": digits, "code": paired.json()["code"],
                                                    "name": "Ann's laptop"})
    assert agent.status_code == 200, agent.text
    with ws_client.connect(relay.base.replace("http", "ws") + "/ws") as sock:
        sock.send(json.dumps({"type": "hello", "seq": 0, "token": agent.json()["token"], "client": "agent"}))
        assert json.loads(sock.recv(timeout=10))["role"] == "agent"
        expect(widget(customer).locator(".agent .agent-connected")).to_be_visible(timeout=TIMEOUT)
        expect(link).to_be_hidden()  # a second download would only replace its code

        # Rita asks to see the desktop: the help window asks the customer.
        panel.bring_to_front()
        live = panel.locator(".session-panel:not([hidden])")
        live.locator('[data-tool-tab="desktop"]').click()
        request = live.locator('[data-action="desktop-request-view"]')
        expect(request).to_be_enabled(timeout=TIMEOUT)
        request.click()
        prompt = widget(customer).locator(".grant-prompt")
        expect(prompt).to_contain_text(ask, timeout=TIMEOUT)
        prompt.locator("button.approve").click()
        banner = widget(customer).locator(".banner", has_text=viewed)
        expect(banner).to_be_visible(timeout=TIMEOUT)

        # Stop ends it: the banner goes, and the rep can ask again.
        banner.locator("button.stop").click()
        expect(banner).to_have_count(0, timeout=TIMEOUT)
        expect(request).to_be_enabled(timeout=TIMEOUT)


def panel_session(panel) -> str:
    return panel.locator(".session-panel:not([hidden])").get_attribute("data-session")


def test_a_website_customer_downloads_what_the_rep_published_in_the_help_window(relay, rep_browser, customer_browser):
    queue = relay.make_queue("Widget files help")
    email, password = relay.make_rep("Rita", queue_rep=True, queues=[queue])
    panel = sign_in_queue_rep(rep_browser, relay, "Rita", queue)
    customer = customer_browser().new_page()
    customer.goto(relay.base + f"/demo?queue={queue}")
    click_help(customer)
    expect(widget(customer)).to_contain_text("in line", timeout=TIMEOUT)
    accept_next(rep_browser, panel)
    files = widget(customer).locator(".files")
    expect(files).to_be_hidden()  # nothing published yet

    # Rita publishes a guide (as the side panel's Files tool does, over the API).
    published = relay.http.post(f"/api/sessions/{panel_session(panel)}/files", params={"name": "Guide (1).txt"},
                                content=b"Step 1: restart the router.\n",
                                headers={**relay.headers(relay.signin(email, password)),
                                         "Content-Type": "application/octet-stream"})
    assert published.status_code == 201, published.text

    # The help window lists it and downloads it with the customer's token.
    item = files.locator("li", has_text="Guide (1).txt")
    expect(item).to_be_visible(timeout=TIMEOUT)
    with customer.expect_download(timeout=TIMEOUT) as saved:
        item.locator("button.download").click()
    assert saved.value.suggested_filename == "Guide (1).txt"
    assert Path(saved.value.path()).read_bytes() == b"Step 1: restart the router.\n"
