import json
import string

import pytest

from server import i18n
from server.i18n import LANGUAGES, pick_language, strings, translator


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _load_strict(path) -> dict[str, str]:
    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        dupes = {k for k in keys if keys.count(k) > 1}
        assert not dupes, f"{path.name}: duplicate keys {sorted(dupes)}"
        return dict(pairs)

    return json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=no_duplicates)


ENGLISH = _load_strict(i18n.LOCALES_DIR / "en.json")
OTHERS = [code for code in LANGUAGES if code != "en"]


def test_there_is_a_catalog_for_every_language_and_no_other():
    files = {p.stem for p in i18n.LOCALES_DIR.glob("*.json")}
    assert files == set(LANGUAGES)


@pytest.mark.parametrize("lang", OTHERS)
def test_catalog_has_exactly_the_english_keys(lang):
    cat = _load_strict(i18n.LOCALES_DIR / f"{lang}.json")
    assert sorted(set(ENGLISH) - set(cat)) == [], "missing"
    assert sorted(set(cat) - set(ENGLISH)) == [], "not in en.json"


@pytest.mark.parametrize("lang", OTHERS)
def test_catalog_has_the_same_placeholders_per_key(lang):
    cat = _load_strict(i18n.LOCALES_DIR / f"{lang}.json")
    wrong = {k: (sorted(_placeholders(v)), sorted(_placeholders(ENGLISH[k])))
             for k, v in cat.items() if k in ENGLISH and _placeholders(v) != _placeholders(ENGLISH[k])}
    assert wrong == {}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_string_is_non_empty_text(lang):
    cat = _load_strict(i18n.LOCALES_DIR / f"{lang}.json")
    assert all(isinstance(v, str) and v.strip() for v in cat.values())


@pytest.mark.parametrize("lang", OTHERS)
def test_catalog_is_translated_not_copied(lang):
    cat = i18n.catalog(lang)
    # A few strings are the same in every language ("Chat", "—", a brand name).
    same = [k for k, v in cat.items() if v == ENGLISH[k] and any(c.isalpha() for c in v)]
    assert len(same) < len(ENGLISH) * 0.05, same


@pytest.mark.parametrize(("header", "expected"), [
    (None, "en"),
    ("", "en"),
    ("da-DK,da;q=0.9,en;q=0.8", "da"),
    ("da", "da"),
    ("sv-SE", "sv"),
    ("nb", "nb"),
    ("no", "nb"),
    ("nn", "nb"),
    ("nb-NO,nb;q=0.9", "nb"),
    ("sr", "sr-Latn"),
    ("sr-Latn", "sr-Latn"),
    ("sr-RS", "sr-Latn"),
    ("zh", "zh-CN"),
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
    ("zh-Hans", "zh-CN"),
    ("zh-SG", "zh-CN"),
    ("zh_CN", "zh-CN"),
    ("fr-FR,fr;q=0.9", "en"),
    ("fr-FR,fr;q=0.9,sv;q=0.5", "sv"),
    ("en;q=0.5,da;q=0.8", "da"),
    ("da;q=0,sv", "sv"),
    ("da;q=0", "en"),
    ("da;q=banana,nb;q=0.4", "nb"),
    ("*", "en"),
    ("EN-gb, da", "en"),
    ("zh-TW,da;q=0.5", "da"),
    (" ; ,,;q=1, sv ;q=0.7 ", "sv"),
])
def test_pick_language(header, expected):
    assert pick_language(header) == expected


def test_pick_language_ignores_a_huge_header_tail():
    assert pick_language("fr," * 10_000 + "da") == "en"


def test_translator_formats_placeholders():
    _ = translator("en")
    assert _("customer.position", position=3) == "You are number 3 in line."
    assert translator("da")("customer.position", position=3) != "You are number 3 in line."


def test_missing_key_falls_back_to_english_then_to_the_key(monkeypatch):
    english = i18n.catalog("en")
    fake = {"en": english, "da": {"nav.join": "Deltag"}}
    monkeypatch.setattr(i18n, "catalog", lambda lang: fake.get(lang, {}))
    _ = translator("da")
    assert _("nav.join") == "Deltag"
    assert _("nav.demo") == english["nav.demo"]
    assert _("no.such.key") == "no.such.key"


def test_unknown_language_speaks_english():
    assert translator("xx")("nav.join") == ENGLISH["nav.join"]
    assert strings("xx", "nav.") == {k: v for k, v in ENGLISH.items() if k.startswith("nav.")}


def test_missing_placeholder_value_stays_visible_instead_of_failing():
    assert translator("en")("customer.position") == ENGLISH["customer.position"]
    assert "{position}" in translator("en")("customer.position", other=1)


def test_values_are_not_reinterpreted_as_format_strings():
    assert translator("en")("nav.signed_in_as", name="{0} {x.y}") == "Signed in as {0} {x.y}"


def test_catalogs_are_loaded_once():
    assert i18n.catalog("sv") is i18n.catalog("sv")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_strings_gives_the_prefixed_subset(lang):
    got = strings(lang, "customer.")
    assert set(got) == {k for k in ENGLISH if k.startswith("customer.")}
    assert got["customer.position"] == i18n.catalog(lang)["customer.position"]


def test_invitation_texts_take_their_placeholders():
    _ = translator("en")
    body = _("invite.email.body", rep="Ann", site="Acme", link="https://x/i/t",
             number="123 456 789", join_url="https://x/join")
    assert "Ann" in body and "https://x/i/t" in body and "123 456 789" in body and "{" not in body
    phone = _("invite.phone", number="123 456 789", join_url="https://x/join")
    assert phone == "Go to https://x/join and type the session number 123 456 789."
    assert _placeholders(ENGLISH["invite.rep.body"]) == {"rep", "number", "link"}
    assert _placeholders(ENGLISH["invite.email.subject"]) == {"site"}
