"""A customer gets a pairing code on their session page, and the Support
Manager pairs with it (the agent's own suites, under Xvfb, cover sharing)."""

import json

import pytest
import websockets.sync.client as ws_client
from playwright.sync_api import expect

from e2e.rep import SidePanel, customer_joins

pytestmark = pytest.mark.smoke


def test_customer_page_gives_a_pairing_code_the_support_manager_accepts(relay, rep_browser, customer_browser):
    email, password = relay.make_rep("Rita")
    panel = SidePanel(rep_browser)
    panel.sign_in(relay.base, email, password)
    number = panel.start_session()
    page = customer_browser().new_page()
    customer_joins(page, relay.base, number, "Ann")
    expect(page.locator("#agent")).to_be_visible()
    page.click("#agent-pair")
    expect(page.locator("#agent-code")).to_contain_text("Pairing code")
    command = page.locator("#agent-command").inner_text()
    assert command.startswith("tandem-agent pair") and number in command
    code = command.split()[-1]
    r = relay.http.post("/api/agent/pair", json={"number": number, "code": code, "name": "Ann's laptop"})
    assert r.status_code == 200, r.text
    # the customer's page shows the Support Manager once it connects
    with ws_client.connect(relay.base.replace("http", "ws") + "/ws") as agent:
        agent.send(json.dumps({"type": "hello", "seq": 0, "token": r.json()["token"], "client": "agent"}))
        assert json.loads(agent.recv(timeout=10))["role"] == "agent"
        expect(page.locator("#agent-connected")).to_be_visible(timeout=10000)
