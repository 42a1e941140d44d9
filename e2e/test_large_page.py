"""A large page: the customer's full snapshot leaves in parts of at most 32 KiB
(capture.js's PART_BYTES; the relay reads each frame whole into its
connection's read buffer, which keeps the size of the largest frame for the
connection's life), and the rep's viewer puts them together into the whole page."""

import json

import pytest
from playwright.sync_api import expect

from e2e.cobrowse import (  # noqa: F401
    TIMEOUT,
    FrameRecorder,
    accept_next,
    ask_for_help,
    replay_frame,
    routed_customer,
    serve_form_page,
    sign_in_queue_rep,
)

pytestmark = pytest.mark.cobrowse

PART_BYTES = 32 * 1024
LINES = 4000

GROW_PAGE = """(n) => {
    const main = document.querySelector('main');
    for (let i = 0; i < n; i += 1) {
        const p = document.createElement('p');
        p.className = 'line';
        p.textContent = `line ${i}: ` + 'the quick brown fox jumps over the lazy dog '.repeat(3);
        main.append(p);
    }
    const last = document.createElement('p');
    last.id = 'last';
    last.textContent = `all ${n} lines`;
    main.append(last);
}"""


def test_a_large_page_reaches_the_viewer_whole_in_parts_of_at_most_32_kib(relay, rep_browser, routed_customer):  # noqa: F811
    queue = relay.make_queue("Catalog")
    panel = sign_in_queue_rep(rep_browser, relay, "Rita", queue)
    recorder = FrameRecorder()
    rep_browser.on("page", recorder.attach)

    customer = routed_customer.new_page()
    customer.goto(serve_form_page(routed_customer, relay.base, queue))
    customer.evaluate(GROW_PAGE, LINES)  # ~0.7 MB of rrweb snapshot
    ask_for_help(customer)
    viewer = accept_next(rep_browser, panel)
    replay = replay_frame(viewer)
    expect(replay.locator("#last")).to_have_text(f"all {LINES} lines", timeout=TIMEOUT)
    # a viewer that joins now gets a fresh snapshot, on a socket recorded from its first frame
    viewer.reload()
    expect(viewer.locator("#viewer-status")).to_have_attribute("data-state", "live", timeout=TIMEOUT)
    expect(replay.locator("#last")).to_have_text(f"all {LINES} lines", timeout=TIMEOUT)
    assert replay.locator("p.line").count() == LINES

    bodies = recorder.cobrowse_bodies()
    parts = [b for b in bodies if isinstance(json.loads(b), dict)]
    assert len(parts) > 5, "the snapshot did not come in parts"
    assert sum(map(len, parts)) > 10 * PART_BYTES
    assert max(map(len, bodies)) <= PART_BYTES
