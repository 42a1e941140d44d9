"""A customer whose desktop runs Wayland, where the Support Manager cannot see
the screen: their session page says so in their language (Danish here) and
the rep's Desktop and Application tabs say why, instead of anyone waiting for
a picture that would be black. The real Support Manager, told by its session
(XDG_SESSION_TYPE) that it runs under Wayland."""

import pytest
from playwright.sync_api import expect

from e2e.rep import TIMEOUT, SidePanel, customer_joins
from e2e.test_files_browser import support_manager
from tests.agent.conftest import X

pytestmark = pytest.mark.agent


def test_a_customer_on_wayland_reads_why_in_their_language_and_the_rep_is_told(relay, rep_browser,
                                                                                customer_browser, tmp_path):
    email, password = relay.make_rep("Rita")
    rep = SidePanel(rep_browser)
    rep.sign_in(relay.base, email, password)
    number = rep.start_session()
    page = customer_browser(locale="da-DK").new_page()
    customer_joins(page, relay.base, number, "Ann")
    expect(page.locator("#agent")).to_be_visible(timeout=TIMEOUT)
    page.click("#agent-pair")
    expect(page.locator("#agent-command")).to_be_visible(timeout=TIMEOUT)
    code = page.locator("#agent-command").inner_text().split()[-1]
    x = X()
    x.env.update(XDG_SESSION_TYPE="wayland", LANGUAGE="da")
    try:
        with support_manager(relay.base, number, code, None, tmp_path, name="Anns computer", x=x):
            expect(page.locator("#agent-connected")).to_have_text(
                "Din Support Manager er forbundet, men den kan ikke vise din skærm: computerens skrivebord kører "
                "Wayland. Log ud, og vælg \"Ubuntu on Xorg\" (eller \"GNOME on Xorg\") ved login for at dele "
                "skærmen. Flytning af filer virker.", timeout=TIMEOUT)
            for tab, role in (("desktop", "agent-status"), ("application", "app-agent-status")):
                rep.tool_tab(tab)
                expect(rep.panel.locator(f'[data-role="{role}"]')).to_contain_text(
                    "Anns computer cannot share the screen: that desktop runs Wayland, and desktop or application "
                    "sharing needs an X11 session", timeout=TIMEOUT)
    finally:
        x.stop()
