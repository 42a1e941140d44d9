"""Languages and string catalogs for the pages the relay serves.

Catalogs are flat JSON files in `server/locales/<code>.json`: dotted keys to
`str.format` strings (``"You are number {position} in line."``). English is
the reference: every other catalog has exactly its keys (tests check it), and
a key missing at run time falls back to English, then to the key itself, so a
page never fails to render for want of a translation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache

from . import SERVER_DIR

LOCALES_DIR = SERVER_DIR / "locales"
DEFAULT = "en"

LANGUAGES: dict[str, str] = {
    "en": "English",
    "da": "Dansk",
    "sv": "Svenska",
    "nb": "Norsk bokmål",
    "sr-Latn": "Srpski (latinica)",
    "zh-CN": "简体中文",
}

# Primary subtag -> catalog. Norwegian Nynorsk and plain "no" readers get
# Bokmål; Serbian readers get Latin script, which every Serbian reader reads.
_PRIMARY = {
    "en": "en", "da": "da", "sv": "sv",
    "nb": "nb", "no": "nb", "nn": "nb",
    "sr": "sr-Latn", "zh": "zh-CN",
}
# Traditional-script Chinese is not what zh-CN offers: let a later
# preference (or English) win instead.
_TRADITIONAL = {"hant", "tw", "hk", "mo"}
_MAX_RANGES = 32  # an Accept-Language longer than this is truncated, not parsed whole


def match_language(tag: str | None) -> str | None:
    """The catalog code for one language tag (``"nb-NO"`` -> ``"nb"``), or None.

    Also the way to validate an explicit choice such as ``?lang=da``."""
    if not tag:
        return None
    parts = tag.strip().replace("_", "-").lower().split("-")
    code = _PRIMARY.get(parts[0])
    if code == "zh-CN" and _TRADITIONAL.intersection(parts[1:]):
        return None
    return code


def pick_language(accept_language: str | None) -> str:
    """The best catalog for an ``Accept-Language`` header; English if none fits.

    Ranges are tried by descending q-value (header order breaks ties); ``q=0``
    and malformed q-values exclude a range."""
    if not accept_language:
        return DEFAULT
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(accept_language.split(",")[:_MAX_RANGES]):
        tag, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0 and q <= 1:
            ranked.append((-q, index, tag.strip()))
    for _q, _index, tag in sorted(ranked):
        code = match_language(tag)
        if code:
            return code
    return DEFAULT


@cache
def catalog(lang: str) -> dict[str, str]:
    """The raw catalog of one language, read once. Unknown codes give ``{}``."""
    if lang not in LANGUAGES:
        return {}
    with open(LOCALES_DIR / f"{lang}.json", encoding="utf-8") as f:
        return json.load(f)


class _Keep(dict):
    """Leaves an unknown placeholder visible rather than failing the page."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _format(text: str, values: dict) -> str:
    if not values:
        return text
    try:
        return text.format_map(_Keep(values))
    except (ValueError, IndexError, AttributeError, KeyError):
        return text


def lookup(lang: str, key: str) -> str:
    """The unformatted string for ``key``: the language's, else English's, else the key."""
    text = catalog(lang).get(key)
    if text is None:
        text = catalog(DEFAULT).get(key, key)
    return text


def translator(lang: str) -> Callable[..., str]:
    """``_ = translator("da"); _("customer.position", position=3)``.

    The result is plain text: templates escape it like any other value."""
    if lang not in LANGUAGES:
        lang = DEFAULT

    def _(key: str, **values: object) -> str:
        return _format(lookup(lang, key), values)

    _.lang = lang  # type: ignore[attr-defined]
    return _


def strings(lang: str, prefix: str) -> dict[str, str]:
    """Every key starting with ``prefix``, unformatted, with English filling
    any gaps: what a page's JavaScript gets to do its own formatting."""
    merged = {k: v for k, v in catalog(DEFAULT).items() if k.startswith(prefix)}
    if lang in LANGUAGES:
        merged.update((k, v) for k, v in catalog(lang).items() if k.startswith(prefix))
    return merged
