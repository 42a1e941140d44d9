"""Simple file transfer: a file the rep publishes shows on the customer's page,
and downloading it gives the same bytes."""

import json
import secrets

import pytest
import websockets.sync.client as ws_client
from playwright.sync_api import expect

from e2e.rep import customer_joins

pytestmark = pytest.mark.smoke


def test_published_file_appears_on_the_customer_page_and_downloads_intact(relay, customer_browser, tmp_path):
    email, password = relay.make_rep("Rita")
    token = relay.signin(email, password)
    with ws_client.connect(relay.base.replace("http", "ws") + "/ws") as rep:
        rep.send(json.dumps({"type": "hello", "seq": 0, "token": token}))
        rep.send(json.dumps({"type": "start_session", "seq": 1}))
        while True:
            msg = json.loads(rep.recv(timeout=10))
            if msg["type"] == "session_state":
                break
        page = customer_browser().new_page()
        customer_joins(page, relay.base, msg["number"].replace(" ", ""), "Ann")
        expect(page.locator("#status")).to_be_visible()
        # shown while the session is live, empty until the rep publishes
        expect(page.locator("#files")).to_be_visible(timeout=10000)
        expect(page.locator("#files-empty")).to_be_visible()
        content = secrets.token_bytes(200_000)
        r = relay.http.post(f"/api/sessions/{msg['session']}/files", params={"name": "invoice.pdf"},
                            content=content, headers=relay.headers(token))
        assert r.status_code == 201, r.text
        item = page.locator("#files-list li").filter(has_text="invoice.pdf")
        expect(item).to_be_visible(timeout=10000)  # the page polls every 5 s
        expect(item.locator(".file-size")).to_contain_text("195.3")  # 200,000 bytes
        expect(page.locator("#files-empty")).to_be_hidden()
        with page.expect_download() as download:
            item.locator("button").click()
        saved = tmp_path / "got.pdf"
        download.value.save_as(saved)
        assert download.value.suggested_filename == "invoice.pdf"
        assert saved.read_bytes() == content
        expect(item.locator("button")).to_be_enabled()
        expect(page.locator("#files-error")).to_be_hidden()
