"""Which tabs customer mode may show (extension/src/share/capturable.js, run
in node): Chrome's own pages and the Chrome Web Store are refused with their
own reason, which the customer's share page and the relay's customer page
say in every language. (An e2e test cannot open the Web Store: Chromium
closes an automated tab that goes there.)"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULE = ROOT / "extension" / "src" / "share" / "capturable.js"
LANGS = {"en": "en", "da": "da", "sv": "sv", "nb": "nb", "sr": "sr-Latn", "zh_CN": "zh-CN"}  # extension -> relay

URLS = {
    "https://shop.example/cart": None,
    "http://127.0.0.1:8000/todo/#/active": None,
    "https://chromewebstore.google.com/": "web_store",
    "https://chromewebstore.google.com/detail/some-extension/abcdefghijklmnop": "web_store",
    "https://chrome.google.com/webstore/category/extensions": "web_store",
    "https://chrome.google.com/search": None,
    "https://chromewebstore.google.com.example/": None,
    "chrome://version": "browser_page",
    "chrome://newtab/": "browser_page",
    "chrome-extension://abcdefghijklmnop/share.html": "browser_page",
    "devtools://devtools/bundled/inspector.html": "browser_page",
    "about:blank": "browser_page",
    "view-source:https://shop.example/": "browser_page",
    "file:///home/carol/notes.html": "not_web",
    "data:text/html,hello": "not_web",
    "": "not_web",
}


def classify(urls: list[str]) -> list[str | None]:
    node = shutil.which("node")
    assert node, "node is needed (make extension installs it)"
    script = (f"const {{ notCapturable }} = await import({json.dumps(MODULE.as_uri())});"
              f"console.log(JSON.stringify({json.dumps(urls)}.map(notCapturable)));")
    out = subprocess.run([node, "--input-type=module", "-e", script], capture_output=True, text=True, check=True,
                         timeout=30)
    return json.loads(out.stdout)


def test_chrome_pages_and_the_web_store_are_refused_with_their_reason():
    assert dict(zip(URLS, classify(list(URLS)), strict=True)) == URLS


@pytest.mark.parametrize("lang", sorted(LANGS))
def test_every_reason_is_said_in_every_language(lang):
    reasons = {r for r in URLS.values() if r}
    share = json.loads((ROOT / "extension" / "static" / "_locales" / lang / "messages.json").read_text())
    page = json.loads((ROOT / "server" / "locales" / f"{LANGS[lang]}.json").read_text())
    for reason in reasons:
        assert share[f"share_problem_{reason}"]["message"].strip()
        assert page[f"customer.tab.problem.{reason}"].strip()
