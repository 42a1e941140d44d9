"""Report CSV (server/reports/tables.py): a cell a spreadsheet would run as a
formula (a chat line ``=HYPERLINK(...)``, a name ``@SUM(...)``) is written as text."""

from __future__ import annotations

import pytest

from server.reports.tables import csv_cell


@pytest.mark.parametrize("text", ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1)",
                                  "\t=1", "\r=1"])
def test_a_formula_becomes_text(text):
    assert csv_cell(text) == "'" + text


def test_plain_text_stays_as_it_is():
    assert csv_cell("Ann: thanks = great") == "Ann: thanks = great"
