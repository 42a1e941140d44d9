"""The cluster tests' fixtures (`tests.cluster.harness`), and each test's
outcome on its item (``item.rep_call``), so a fixture can print its
processes' logs when the test failed."""

from __future__ import annotations

import pytest

from tests.cluster.harness import cluster  # noqa: F401 (fixture)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
