"""Same-origin iframes and open shadow roots, in the React to-do app: what
the customer types in the notes iframe and in the <owner-card> shadow root
shows in the rep's replay, and under control the rep types and clicks in
both. An action on an element the customer's page no longer has is dropped,
and the rep is told."""

import pytest
from playwright.sync_api import expect

from e2e.cobrowse import (  # noqa: F401
    TIMEOUT,
    FrameRecorder,
    rep_sends_control,
    replay_frame,
    routed_customer,
    viewer_session,
)
from e2e.todo_app import frames_controlled, frames_replayed, take_control, todo_app, todo_session  # noqa: F401

pytestmark = pytest.mark.cobrowse


def test_iframe_and_shadow_root_are_replayed_and_controlled(relay, rep_browser, routed_customer, todo_app):  # noqa: F811
    customer, viewer, _ = todo_session(relay, rep_browser, routed_customer)
    # The customer types in the iframe and in the shadow root: the rep sees it.
    frames_replayed(customer, replay_frame(viewer))
    # With control, the rep types and clicks in both.
    frames_controlled(viewer, customer)


def test_action_on_a_vanished_element_is_dropped_and_the_rep_told(relay, rep_browser, routed_customer, todo_app):  # noqa: F811
    recorder = FrameRecorder()
    customer, viewer, token = todo_session(relay, rep_browser, routed_customer, on_page=recorder.attach)
    replay = replay_frame(viewer)
    # A viewer whose socket is recorded from its first frame (and its full snapshot).
    viewer.reload()
    expect(replay.locator(".todo-list li")).to_have_count(2, timeout=TIMEOUT)
    take_control(viewer, customer)
    first_delete = recorder.node_id(lambda node, parent: node["tagName"] == "button"
                                    and parent is not None and parent.get("attributes", {}).get("data-id") == "1")

    # The customer deletes "first thing" in their own page...
    customer.locator('.todo-list li[data-id="1"]').hover()
    customer.locator('.todo-list li[data-id="1"] .destroy').click()
    expect(customer.locator(".todo-list li")).to_have_count(1)
    expect(replay.locator(".todo-list li")).to_have_count(1, timeout=TIMEOUT)

    # ... and a click of the rep's on its delete button arrives after that:
    # nothing happens in the page, and the viewer says why.
    rep_sends_control(relay, token, viewer_session(viewer), {"type": "click", "id": first_delete})
    expect(viewer.locator("#viewer-error")).to_contain_text("no longer on the customer's page", timeout=TIMEOUT)
    expect(customer.locator(".todo-list li")).to_have_count(1)
    expect(customer.locator(".todo-list li label")).to_have_text("second thing")
