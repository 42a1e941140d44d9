"""TANDEM_EXTENSION_INSTALL_URL: where the customer's session page sends a
customer who needs the Tandem extension to show a tab (e2e/test_customer_mode
shows the link in Chromium). Only a web address is taken: anything else would
become a link of another kind on the customer's page."""

import pytest

from server.config import Settings

LISTING = "https://chromewebstore.google.com/detail/tandem/bnmmlioojpcljadojigdoldfcjaipoip"


def test_unset_means_no_link(tmp_path):
    assert Settings.from_env({"TANDEM_VAR": str(tmp_path)}).extension_install_url == ""


def test_a_web_address_is_taken(tmp_path):
    env = {"TANDEM_VAR": str(tmp_path), "TANDEM_EXTENSION_INSTALL_URL": f" {LISTING} "}
    assert Settings.from_env(env).extension_install_url == LISTING


@pytest.mark.parametrize("value", ["javascript:alert(1)", "chromewebstore.google.com/detail/tandem", "ftp://example.com/x"])
def test_anything_else_stops_the_start_with_the_reason(tmp_path, value):
    with pytest.raises(ValueError, match="TANDEM_EXTENSION_INSTALL_URL"):
        Settings.from_env({"TANDEM_VAR": str(tmp_path), "TANDEM_EXTENSION_INSTALL_URL": value})
