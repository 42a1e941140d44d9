"""extension/patches/rrweb+2.2.2.patch, as the build applies it (the esbuild
plugin of extension/patches/apply.mjs), in Chromium:

- a field whose framework gave it its own `value`/`checked` accessor before
  recording began (what React's value tracker does when a field mounts) has
  the values the page sets in code recorded, in the document and in an open
  shadow root;
- text under a masked shadow host or a masked <iframe> is masked.

And the plugin refuses a patch that no longer fits the installed package."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.cobrowse

EXTENSION = Path(__file__).resolve().parent.parent / "extension"
ORIGIN = "http://rrweb-patch.test"

BUILD = """
import { build } from 'esbuild';
import { patchPackages } from './patches/apply.mjs';
const [entry, out] = process.argv.slice(1);
await build({ entryPoints: [entry], outfile: out, bundle: true, format: 'iife', target: 'chrome116',
  nodePaths: [process.cwd() + '/node_modules'], plugins: [patchPackages()], logLevel: 'warning' });
"""

PAGE = """<!doctype html><html><body>
<input id="name"><input id="agree" type="checkbox">
<div id="host"></div>
<div id="masked-host" data-mask></div>
<iframe id="masked-frame" data-mask src="/frame.html"></iframe>
<script src="/page.js"></script></body></html>"""

FRAME = "<!doctype html><html><body><p>FRAME-SECRET-TEXT</p></body></html>"

# What React's inputValueTracking does when a field mounts: an own accessor
# that calls the native setter it found then.
PAGE_JS = """
function track(node, key) {
  const native = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(node), key);
  Object.defineProperty(node, key, { configurable: true,
    get() { return native.get.call(this); }, set(v) { native.set.call(this, v); } });
}
const shadow = document.getElementById('host').attachShadow({ mode: 'open' });
shadow.innerHTML = '<input id="inner">';
document.getElementById('masked-host').attachShadow({ mode: 'open' }).innerHTML = '<p>SHADOW-SECRET-TEXT</p>';
for (const [el, key] of [[document.getElementById('name'), 'value'], [document.getElementById('agree'), 'checked'],
                         [shadow.getElementById('inner'), 'value']]) track(el, key);
window.events = [];
window.startRecording = () => { window.rrwebRecord({ emit: (e) => window.events.push(e), maskTextSelector: '[data-mask]' }); };
"""

INPUTS = """() => window.events.filter((e) => e.type === 3 && e.data.source === 5)
    .map((e) => ({ id: e.data.id, text: e.data.text, checked: e.data.isChecked }))"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("rrweb-patch")
    entry = out / "entry.js"
    entry.write_text("import { record } from 'rrweb';\nwindow.rrwebRecord = record;\n")
    subprocess.run(["node", "--input-type=module", "-e", BUILD, str(entry), str(out / "record.js")],
                   cwd=EXTENSION, check=True, timeout=120)
    return (out / "record.js").read_text()


def test_patched_rrweb_records_values_set_in_code_and_masks_through_boundaries(browsers, bundle):
    browser = browsers.browser()
    page = browsers.new_context(browser, "page").new_page()
    files = {"/": ("text/html", PAGE), "/frame.html": ("text/html", FRAME),
             "/page.js": ("text/javascript", bundle + PAGE_JS)}
    page.route(ORIGIN + "/**", lambda route: route.fulfill(
        status=200, content_type=files[route.request.url[len(ORIGIN):]][0],
        body=files[route.request.url[len(ORIGIN):]][1]))
    page.goto(ORIGIN + "/")
    expect(page.frame_locator("#masked-frame").locator("p")).to_have_text("FRAME-SECRET-TEXT")
    page.evaluate("window.startRecording()")

    page.evaluate("""() => {
        document.getElementById('name').value = 'set in code';
        document.getElementById('agree').checked = true;
        document.getElementById('host').shadowRoot.getElementById('inner').value = 'shadow set in code';
    }""")
    page.wait_for_function(f"() => ({INPUTS})().length >= 3")
    inputs = page.evaluate(INPUTS)
    assert {"set in code", "shadow set in code"} <= {i["text"] for i in inputs}, inputs
    assert any(i["checked"] for i in inputs), inputs
    # the page still works as before: the tracked value reads back
    assert page.evaluate("document.getElementById('name').value") == "set in code"

    page.wait_for_function("() => JSON.stringify(window.events).includes('isAttachIframe')")
    recorded = page.evaluate("JSON.stringify(window.events)")
    assert "SHADOW-SECRET-TEXT" not in recorded
    assert "FRAME-SECRET-TEXT" not in recorded
    assert "*" * len("FRAME-SECRET-TEXT") in recorded, "the iframe's text was not recorded at all"


def test_a_patch_that_no_longer_fits_fails_the_build():
    script = """
import { applyHunks, parsePatch } from './patches/apply.mjs';
import { readFileSync } from 'node:fs';
const hunks = parsePatch(readFileSync('patches/rrweb+2.2.2.patch', 'utf8'))['dist/rrweb.js'];
const stock = readFileSync('node_modules/rrweb/dist/rrweb.js', 'utf8');
const patched = applyHunks(stock, hunks, 'rrweb');
let refused = null;
try { applyHunks(stock.replace('function needMaskingText(', 'function needMaskingText2('), hunks, 'rrweb'); }
catch (e) { refused = e.message; }
console.log(JSON.stringify({ grew: patched.length > stock.length, refused }));
"""
    done = subprocess.run(["node", "--input-type=module", "-e", script], cwd=EXTENSION, capture_output=True,
                          text=True, check=True, timeout=60)
    result = json.loads(done.stdout)
    assert result["grew"]
    assert result["refused"] and "does not apply" in result["refused"]
