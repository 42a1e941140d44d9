"""The Support Manager's catalogs (agent/locales) and how its language is chosen (agent/i18n.py)."""

from __future__ import annotations

import importlib
import string

import pytest

from agent import i18n

ENGLISH = i18n.catalog("en")
OTHERS = [lang for lang in i18n.MODULES if lang != "en"]


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_agent_speaks_the_relays_six_languages():
    from server.i18n import LANGUAGES
    assert set(i18n.MODULES) == set(LANGUAGES)


@pytest.mark.parametrize("lang", OTHERS)
def test_catalog_has_exactly_the_english_keys_and_placeholders(lang):
    own = importlib.import_module(f"agent.locales.{i18n.MODULES[lang]}").STRINGS
    assert set(own) == set(ENGLISH)
    assert {k: placeholders(v) for k, v in own.items()} == {k: placeholders(v) for k, v in ENGLISH.items()}
    assert all(isinstance(v, str) and v.strip() for v in own.values())
    # a few strings are the same in some languages (the brand, "Session {number}" in Danish)
    same = [k for k, v in own.items() if v == ENGLISH[k]]
    assert len(same) < len(ENGLISH) * 0.1, f"copied, not translated: {same}"


@pytest.mark.parametrize(("env", "preferred", "expected"), [
    ({"LANG": "da_DK.UTF-8"}, None, "da"),
    ({"LANGUAGE": "fr:nb", "LANG": "fr_FR.UTF-8"}, None, "nb"),
    ({"LC_ALL": "sr_RS@latin"}, None, "sr-Latn"),
    ({"LANG": "zh_TW.UTF-8"}, None, "en"),  # traditional script: not what zh-CN offers
    ({"LANG": "C.UTF-8"}, None, "en"),
    ({"LANG": "sv_SE.UTF-8"}, "zh-CN", "zh-CN"),  # the session page's language (in the file) comes first
    ({"LANG": "sv_SE.UTF-8"}, "fr", "sv"),
])
def test_language_from_the_download_then_the_system(monkeypatch, env, preferred, expected):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert i18n.choose(preferred) == expected


def test_translator_formats_and_falls_back():
    _ = i18n.translator("da")
    assert _("confirm.session", number="123 456 789") == "Session 123 456 789"
    assert _("error.ended", number="123 456 789") == "Session 123 456 789 er afsluttet. Bed din medarbejder om en ny session."
    assert _("no.such.key") == "no.such.key"
