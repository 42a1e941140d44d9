"""The side panel's Desktop and Application tabs with the Support Manager,
and the Tools tab's file transfer.

The customer's Support Manager is paired through the API (as the customer's
page does, with the customer's capability token) and connects as a raw
WebSocket client; the agent's own suites cover the sharing itself."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager

import pytest
import websockets.sync.client as ws_client
from playwright.sync_api import expect

from e2e.rep import TIMEOUT, SidePanel, customer_joins

pytestmark = pytest.mark.smoke


@contextmanager
def agent_connected(relay, number: str, code: str, name: str):
    """A Support Manager paired with `code`, connected for the block's duration."""
    r = relay.http.post("/api/agent/pair", json={"number": number, "code": code, "name": name})
    assert r.status_code == 200, r.text
    with ws_client.connect(relay.base.replace("http", "ws", 1) + "/ws") as agent:
        agent.send(json.dumps({"type": "hello", "seq": 0, "token": r.json()["token"], "client": "agent"}))
        assert json.loads(agent.recv(timeout=10))["role"] == "agent"
        yield agent


def test_desktop_tab_follows_the_support_managers_and_files_publish(relay, rep_browser, customer_browser):
    email, password = relay.make_rep("Petra")
    rep = SidePanel(rep_browser).sign_in(relay.base, email, password)
    number = rep.start_session()
    session = rep.panel.get_attribute("data-session")
    customer = customer_browser().new_page()
    customer_joins(customer, relay.base, number, "Carl")
    expect(rep.participant("Carl")).to_be_visible(timeout=TIMEOUT)
    token = customer.locator("#tandem-customer").get_attribute("data-token")
    assert token
    customer_auth = {"Authorization": f"Bearer {token}"}

    # Without the customer's Support Manager the Desktop tab says what to do,
    # and the requests are disabled with that reason.
    rep.tool_tab("desktop")
    status = rep.panel.locator('[data-role="agent-status"]')
    expect(status).to_contain_text("Ask the customer to get their Support Manager", timeout=TIMEOUT)
    for pane in ("desktop", "application"):
        expect(rep.panel.locator(f'[data-tool-pane="{pane}"]').get_by_text("coming soon")).to_have_count(0)
    for action in ("desktop-request-view", "desktop-request-control"):
        expect(rep.button(action)).to_be_disabled(timeout=TIMEOUT)
        expect(rep.button(action)).to_have_attribute("title", re.compile("get their Support Manager"))
    expect(rep.button("desktop-open-viewer")).to_be_disabled()
    # Sharing the rep's own desktop waits for the rep's own Support Manager.
    for action in ("desktop-share-view", "desktop-share-control"):
        expect(rep.button(action)).to_be_disabled()

    # The customer pairs their Support Manager (the code their page shows).
    r = relay.http.post(f"/api/sessions/{session}/pairing", headers=customer_auth)
    assert r.status_code == 200, r.text
    with agent_connected(relay, number, r.json()["code"], "Carl's laptop"):
        expect(status).to_contain_text("Carl's laptop", timeout=TIMEOUT)
        expect(status).to_have_attribute("data-connected", "true")
        for action in ("desktop-request-view", "desktop-request-control"):
            expect(rep.button(action)).to_be_enabled(timeout=TIMEOUT)
        rep.tool_tab("application")
        expect(rep.panel.locator('[data-role="app-agent-status"]')).to_contain_text("Carl's laptop")
        for action in ("app-request-view", "app-request-control"):
            expect(rep.button(action)).to_be_enabled(timeout=TIMEOUT)
        for action in ("app-share-view", "app-share-control"):
            expect(rep.button(action)).to_be_disabled()

        # The rep pairs their own Support Manager: a 6-digit code and the command.
        rep.tool_tab("desktop")
        rep.button("pair-own-agent").click()
        code = rep.panel.locator('[data-role="own-pairing-code"]')
        expect(code).to_have_text(re.compile(r"^\d{6}$"), timeout=TIMEOUT)
        command = rep.panel.locator('[data-role="own-pairing-command"]')
        expect(command).to_have_value(re.compile(r"^tandem-agent pair .*" + number), timeout=TIMEOUT)
        with agent_connected(relay, number, code.inner_text(), "Petra's desktop"):
            expect(rep.panel.locator('[data-role="own-agent-status"]')).to_contain_text(
                "Petra's desktop", timeout=TIMEOUT)
            for action in ("desktop-share-view", "desktop-share-control"):
                expect(rep.button(action)).to_be_enabled(timeout=TIMEOUT)
            expect(rep.button("pair-own-agent")).to_be_hidden()

        # Once the customer's Support Manager is gone, the requests are disabled again.
    expect(rep.button("desktop-request-view")).to_be_disabled(timeout=TIMEOUT)
    expect(status).to_contain_text("Ask the customer to get their Support Manager", timeout=TIMEOUT)

    # Browsing the customer's files says it needs their Support Manager.
    rep.tool_tab("tools")
    expect(rep.panel.locator('[data-role="files-agent-hint"]')).to_be_visible(timeout=TIMEOUT)

    # Publishing a file: it shows in the list, and the customer can fetch it.
    body = b"hello from Petra\n"
    expect(rep.panel.locator('[data-role="published-empty"]')).to_be_visible(timeout=TIMEOUT)
    rep.panel.locator('[data-role="publish-input"]').set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": body}])
    listed = rep.panel.locator('[data-role="published"] .published-file', has_text="notes.txt")
    expect(listed).to_be_visible(timeout=TIMEOUT)
    expect(listed).to_contain_text(f"{len(body)} B")
    expect(rep.panel.locator('[data-role="publish-status"]')).to_contain_text("Published notes.txt")
    expect(rep.panel.locator('[data-role="published-empty"]')).to_be_hidden()

    r = relay.http.get(f"/api/sessions/{session}/files", headers=customer_auth)
    assert r.status_code == 200, r.text
    files = r.json()["files"]
    assert [f["name"] for f in files] == ["notes.txt"] and files[0]["size"] == len(body)
    r = relay.http.get(files[0]["url"], headers=customer_auth)
    assert r.status_code == 200, r.text
    assert r.content == body
