"""The built extension loads in Chromium and its pages open."""

import pytest

from e2e.conftest import EXTENSION_ID, extension_page

pytestmark = pytest.mark.smoke


def test_extension_service_worker_runs_and_side_panel_opens(rep_browser):
    worker = rep_browser.service_workers[0] if rep_browser.service_workers else rep_browser.wait_for_event("serviceworker")
    assert worker.url == f"chrome-extension://{EXTENSION_ID}/background.js"
    panel = extension_page(rep_browser, "sidepanel.html")
    assert panel.title()


def test_relay_serves_the_snippet(relay):
    r = relay.http.get("/tandem.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert len(r.content) > 10_000  # rrweb's recorder is bundled in


def test_the_extension_has_its_icon(rep_browser):
    """The toolbar and chrome://extensions show Tandem's icon (manifest icons, real PNGs)."""
    panel = extension_page(rep_browser, "sidepanel.html")
    manifest = panel.evaluate("chrome.runtime.getManifest()")
    assert set(manifest["icons"]) == {"16", "32", "48", "128"}
    for size, path in manifest["icons"].items():
        shown = panel.evaluate("""async (path) => {
            const img = new Image(); img.src = chrome.runtime.getURL(path); await img.decode();
            return [img.naturalWidth, img.naturalHeight];
        }""", path)
        assert shown == [int(size), int(size)]
    assert manifest["action"]["default_icon"]
