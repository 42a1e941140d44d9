"""A rep's side panel on a relay node that loses Redis (a cluster node,
tests/cluster/harness.py): the panel says it is reconnecting, and once it is
connected again that notice is gone, not left beside "Connected"."""

import pytest
from playwright.sync_api import expect

from e2e.relay import Relay
from e2e.rep import TIMEOUT, SidePanel
from tests.backends import postgres, redis_server  # noqa: F401 (fixtures)
from tests.cluster.harness import cluster  # noqa: F401 (fixture)
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

pytestmark = pytest.mark.smoke


@pytest.mark.parametrize("cluster", [{"partitionable": [0]}], indirect=True)
def test_the_reconnecting_notice_goes_once_the_panel_is_connected_again(cluster, rep_browser):  # noqa: F811
    node = cluster.node_base(0)  # the panel's relay is node 0 itself: it comes back there once healed
    relay = Relay(node, ADMIN_EMAIL, ADMIN_PASSWORD)
    try:
        panel = SidePanel(rep_browser).sign_in(node, *relay.make_rep("Rita"))
        status, notice = panel.page.locator("#status"), panel.page.locator("#errors .error")

        cluster.partition(0)
        expect(notice).to_have_count(1, timeout=TIMEOUT)
        expect(notice.locator(".notice-text")).to_have_text("Reconnecting to another server…")
        expect(status).not_to_have_attribute("data-state", "connected", timeout=TIMEOUT)

        cluster.heal(0)
        expect(status).to_have_attribute("data-state", "connected", timeout=2 * TIMEOUT)  # backoff up to 15 s
        expect(notice).to_have_count(0)
    finally:
        relay.close()
