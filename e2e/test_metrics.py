"""What an operator's scraper sees on /metrics while a real session runs: a
customer waits in line, a rep in the side panel takes them, and the viewer
replays their page. Counts are compared with the scrape before, so the test
also holds against a deployed relay with other traffic."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect
from prometheus_client.parser import text_string_to_metric_families

from e2e.cobrowse import TIMEOUT, accept_next, ask_for_help, replay_frame, sign_in_queue_rep

pytestmark = [pytest.mark.admin, pytest.mark.cobrowse]


def scrape(relay) -> dict[tuple[str, tuple], float]:
    r = relay.http.get("/metrics", headers=relay.headers())
    assert r.status_code == 200, r.text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def scrape_until(relay, what: str, ok) -> dict:
    """Scrape until ``ok(samples)``: the relay's numbers follow the pages
    without a fixed delay. Bounded by the suites' timeout."""
    deadline = time.monotonic() + TIMEOUT / 1000
    while True:
        got = scrape(relay)
        if ok(got):
            return got
        assert time.monotonic() < deadline, f"/metrics never showed {what}"
        time.sleep(0.2)


FRAMES = ("tandem_frames_relayed_total", (("kind", "cobrowse"),))
BYTES = ("tandem_frame_bytes_relayed_total", (("kind", "cobrowse"),))
CUSTOMERS = ("tandem_connections", (("kind", "customer"),))
REPS = ("tandem_connections", (("kind", "rep"),))
LIVE = ("tandem_live_sessions", ())
LAG = ("tandem_loop_lag_seconds_count", ())
TRIMS = ("tandem_heap_trim_seconds_count", ())


def test_metrics_move_with_a_cobrowse_session(relay, rep_browser, customer_browser):
    queue = relay.make_queue("Metrics help")
    waiting = ("tandem_queue_waiting_customers", (("queue", queue),))
    before = scrape(relay)
    assert before[waiting] == 0
    panel = sign_in_queue_rep(rep_browser, relay, "Mira", queue)
    scrape_until(relay, "the rep's side panel connected", lambda m: m[REPS] > before[REPS])

    # The customer asks for help: one more customer connection, one waiting in this queue.
    customer = customer_browser().new_page()
    customer.goto(relay.base + f"/demo?queue={queue}")
    ask_for_help(customer)
    scrape_until(relay, "the customer waiting in the queue",
                 lambda m: m[waiting] == 1 and m[CUSTOMERS] > before[CUSTOMERS])

    # Mira takes her: the line is empty, the session live, and her page flows as cobrowse frames.
    viewer = accept_next(rep_browser, panel)
    expect(replay_frame(viewer).locator("body")).to_contain_text("Nordic Outfitters", timeout=TIMEOUT)
    during = scrape_until(relay, "the session live and its frames relayed",
                          lambda m: m[waiting] == 0 and m[LIVE] > before[LIVE] and m[FRAMES] > before[FRAMES])
    assert during[BYTES] > before[BYTES]
    assert during[LAG] > before[LAG]  # the relay keeps timing its own loop

    # The customer moves the mouse and scrolls: more frames, the numbers keep moving.
    for x in range(5):
        customer.mouse.move(100 + 40 * x, 200)
    customer.mouse.wheel(0, 600)
    scrape_until(relay, "more frames after the customer's changes", lambda m: m[FRAMES] > during[FRAMES])
    # every TANDEM_HEAP_TRIM_INTERVAL (10 s) the relay gives the C heap's free pages back
    scrape_until(relay, "a heap trim", lambda m: m[TRIMS] > before[TRIMS])
