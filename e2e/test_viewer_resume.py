"""A rep's viewer whose connection drops for longer than the relay keeps
cobrowse frames (``TANDEM_HISTORY_LIVE_BYTES``): the relay tells it which
frames it skipped (`frames_skipped`), and the viewer drops its picture and
asks the customer's page for a fresh snapshot. Back, the rep sees the page
as it is now, not as it was before the drop with what changed missing."""

import pytest
from playwright.sync_api import expect

from e2e.cobrowse import TIMEOUT, replay_frame, routed_customer  # noqa: F401
from e2e.conftest import own_relay
from e2e.todo_app import todo_app, todo_session  # noqa: F401

pytestmark = pytest.mark.cobrowse

# In the viewer's page only: WebSockets it opens are kept in a list, and while
# `tandemHold` is set they go to a path that refuses them (the network is down).
HOLD = """(() => {
  if (!location.pathname.endsWith('/viewer.html')) return;
  const Real = window.WebSocket;
  window.tandemSockets = [];
  window.tandemHold = false;
  window.WebSocket = class extends Real {
    constructor(url, protocols) {
      super(window.tandemHold ? url.replace(/\\/ws$/, '/held') : url, protocols);
      window.tandemSockets.push(this);
    }
  };
})();"""


def test_a_viewer_back_after_its_frames_were_skipped_shows_the_page_as_it_is_now(
        rep_browser, routed_customer, todo_app, tmp_path, request):  # noqa: F811
    # the relay keeps no cobrowse frames for a resume: any drop skips some
    with own_relay(tmp_path, request, TANDEM_HISTORY_LIVE_BYTES="1") as relay:
        rep_browser.add_init_script(HOLD)
        customer, viewer, _ = todo_session(relay, rep_browser, routed_customer)
        replay = replay_frame(viewer)
        # A tab the extension opens may be attached to after its first script
        # ran, so the hook can miss the first socket: a reloaded viewer has it
        # in place from the start (a fresh clone's run once saw no socket).
        viewer.reload()
        expect(replay.locator(".todo-list li")).to_have_count(2, timeout=TIMEOUT)
        assert viewer.evaluate("() => window.tandemSockets.length") >= 1, "the viewer's socket is watched"

        # The viewer's network drops, and stays down while the customer adds an item.
        viewer.evaluate("() => { window.tandemHold = true; window.tandemSockets.at(-1).close(); }")
        viewer.wait_for_function("() => window.tandemSockets.length >= 2", timeout=TIMEOUT)  # a retry failed
        customer.locator("#new-todo").click()
        customer.keyboard.type("added while the rep was away")
        customer.keyboard.press("Enter")
        expect(customer.locator(".todo-list li")).to_have_count(3)

        # Back: the replay shows the item it never got the change for.
        viewer.evaluate("() => { window.tandemHold = false; }")
        expect(replay.locator(".todo-list li")).to_have_count(3, timeout=TIMEOUT)
        expect(replay.locator(".todo-list li").nth(2)).to_contain_text("added while the rep was away")
        expect(viewer.locator("#viewer-error")).to_be_hidden()  # the notice is not an error to show
