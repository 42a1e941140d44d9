"""Published file names (server/web/files.py): bidi overrides and other invisible
format or control characters are removed, so ``invoice<U+202E>fdp.exe`` cannot
show itself to a customer as ``invoiceexe.pdf``."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote

import pytest

from server.web.files import safe_name
from tests.conftest import bearer
from tests.test_files import publish, start

TRICKS = {
    "invoice\u202efdp.exe": "invoicefdp.exe",  # RIGHT-TO-LEFT OVERRIDE
    "\u202dreport\u202c.pdf": "report.pdf",  # LEFT-TO-RIGHT OVERRIDE ... POP DIRECTIONAL FORMATTING
    "a\u2066b\u2067c\u2068d\u2069.txt": "abcd.txt",  # isolates
    "x\u200ey\u200f.txt": "xy.txt",  # LRM, RLM
    "zero\u200bwidth\u200d\ufeff.txt": "zerowidth.txt",  # zero-width space, joiner, BOM
    "line\u2028para\u2029.txt": "linepara.txt",  # line and paragraph separators
    "c1\x85\x9b.txt": "c1__.txt",  # C1 controls, like the C0 ones, become _
}
INVISIBLE = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


@pytest.mark.parametrize("raw,clean", TRICKS.items(), ids=[ascii(k) for k in TRICKS])
def test_bidi_and_control_characters_are_removed(raw, clean):
    assert safe_name(raw) == clean
    assert not {unicodedata.category(c) for c in safe_name(raw)} & INVISIBLE


def test_letters_of_any_script_stay():
    assert safe_name("Rechnung März 2026 — 報告 שלום.pdf") == "Rechnung März 2026 — 報告 שלום.pdf"


def test_a_published_name_reaches_the_customer_without_them(client):
    rita, state, ann = start(client)
    r = publish(client, rita, state["session"], b"%PDF-1.4", name="invoice\u202efdp.exe")
    assert r.status_code == 201 and r.json()["name"] == "invoicefdp.exe"
    listed = client.get(f"/api/sessions/{state['session']}/files", headers=bearer(ann)).json()["files"]
    assert [f["name"] for f in listed] == ["invoicefdp.exe"]
    got = client.get(listed[0]["url"], headers=bearer(ann))
    assert "\u202e" not in unquote(got.headers["content-disposition"]) and "invoicefdp.exe" in got.headers[
        "content-disposition"]
