"""The Support Manager's languages: the same six as the relay's pages.

Strings live in ``agent/locales/<code>.py`` (a ``STRINGS`` dict each; Python
modules rather than data files so that a pip install and the single-file build
carry them without package data). English is the reference and fills gaps.

The language is chosen by `choose`: the language of the session page the
customer downloaded the file from (the relay writes it into the file), else
the operating system's UI language: ``LANGUAGE``/``LC_ALL``/``LC_MESSAGES``/
``LANG``, then Windows' user UI language or macOS's preferred languages.
"""

from __future__ import annotations

import importlib
import locale
import logging
import os
import subprocess
import sys
from collections.abc import Callable

log = logging.getLogger("agent.i18n")

DEFAULT = "en"
MODULES = {"en": "en", "da": "da", "sv": "sv", "nb": "nb", "sr-Latn": "sr_latn", "zh-CN": "zh_cn"}
_PRIMARY = {"en": "en", "da": "da", "sv": "sv", "nb": "nb", "no": "nb", "nn": "nb", "sr": "sr-Latn", "zh": "zh-CN"}
_TRADITIONAL = {"hant", "tw", "hk", "mo"}


def match(tag: str | None) -> str | None:
    """The catalog for one language tag or POSIX locale (``da_DK.UTF-8`` -> ``da``), or None."""
    if not tag:
        return None
    parts = tag.split(".")[0].split("@")[0].strip().replace("_", "-").lower().split("-")
    code = _PRIMARY.get(parts[0])
    if code == "zh-CN" and _TRADITIONAL.intersection(parts[1:]):
        return None
    return code


def os_languages() -> list[str]:
    """The user's interface languages, most preferred first, as the OS names them."""
    found: list[str] = []
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            found.extend(value.split(":"))
    if sys.platform == "win32":
        try:
            import ctypes
            lcid = ctypes.windll.kernel32.GetUserDefaultUILanguage()
            found.append(locale.windows_locale.get(lcid, ""))
        except (AttributeError, OSError) as exc:
            log.debug("no Windows UI language: %s", exc)
    elif sys.platform == "darwin":
        try:
            out = subprocess.run(["defaults", "read", "-g", "AppleLanguages"], capture_output=True,
                                 text=True, timeout=5).stdout
            found.extend(x.strip(' \n\t",()') for x in out.split(","))
        except (OSError, subprocess.SubprocessError) as exc:
            log.debug("no macOS languages: %s", exc)
    return [x for x in found if x]


def choose(*preferred: str | None) -> str:
    """The first of ``preferred``, then of the OS's languages, that has a catalog; else English."""
    for tag in [*preferred, *os_languages()]:
        code = match(tag)
        if code:
            return code
    return DEFAULT


def catalog(lang: str) -> dict[str, str]:
    merged = dict(importlib.import_module("agent.locales.en").STRINGS)
    if lang in MODULES and lang != DEFAULT:
        merged.update(importlib.import_module(f"agent.locales.{MODULES[lang]}").STRINGS)
    return merged


def translator(lang: str) -> Callable[..., str]:
    """``_ = translator("da"); _("confirm.session", number="123 456 789")``."""
    strings = catalog(lang)

    def _(key: str, **values: object) -> str:
        text = strings.get(key, key)
        try:
            return text.format(**values) if values else text
        except (KeyError, IndexError, ValueError):
            return text

    _.lang = lang  # type: ignore[attr-defined]
    return _
