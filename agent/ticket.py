"""The session a downloaded Support Manager carries.

The relay stamps the file it serves (server/web/download.py) in two ways:

- a trailer appended to the executable::

      b"\\n" + TOKEN + len(TOKEN) as 4 bytes big-endian + MAGIC

  TOKEN is the relay's signed ticket (itsdangerous, URL-safe) of a JSON object
  ``{"relay", "number", "code", "expires", "lang"}`` (only ``relay`` and
  ``lang`` for a file from the public /download page). A PyInstaller one-file
  executable still runs with data after it: its loader finds its archive by
  searching backwards from the end of the file.
- on macOS, where the download is a zip of the app bundle, a file in the
  bundle, ``Contents/Resources/tandem-session``, holding TOKEN;
- the file name, ``tandem-support-manager-NUMBER-CODE[.exe]``, for a file
  whose trailer was lost (a code-signing step, a copy through a tool that
  strips it): it names the session and code, not the relay.

The agent holds no key, so it reads the ticket without checking its signature
and hands the whole token back to the relay (`check`), whose answer is what
counts; pairing itself still needs the one-time code.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"TANDEM-SESSION-1"
LENGTH = 4
MAX_TOKEN = 8192
NAME_RE = re.compile(r"tandem-support-manager-(\d{9})-(\d{6})(?:\D|$)")


@dataclass(frozen=True)
class Carried:
    """What a downloaded file says about the session it is for; any part may be missing."""

    relay: str | None = None
    number: str | None = None
    code: str | None = None
    expires: float | None = None
    lang: str | None = None
    token: str | None = None
    """The signed ticket, for the relay's check (None when only the file name carried the session)."""

    @property
    def has_session(self) -> bool:
        return bool(self.number and self.code)


def read_token(path: Path) -> str | None:
    """The ticket token appended to ``path``, or None when it carries none."""
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            tail_len = min(size, MAX_TOKEN + LENGTH + len(MAGIC) + 1)
            f.seek(size - tail_len)
            tail = f.read(tail_len)
    except OSError:
        return None
    if not tail.endswith(MAGIC):
        return None
    n = int.from_bytes(tail[-len(MAGIC) - LENGTH:-len(MAGIC)], "big")
    if not 0 < n <= MAX_TOKEN or n + LENGTH + len(MAGIC) > len(tail):
        return None
    token = tail[-len(MAGIC) - LENGTH - n:-len(MAGIC) - LENGTH]
    try:
        return token.decode("ascii")
    except UnicodeDecodeError:
        return None


BUNDLE_SESSION = ("Resources", "tandem-session")


def bundle_token(executable: Path) -> str | None:
    """The ticket in the app bundle ``executable`` runs from
    (``X.app/Contents/MacOS/<executable>``), or None."""
    if executable.parent.name != "MacOS" or executable.parent.parent.name != "Contents":
        return None
    try:
        raw = executable.parent.parent.joinpath(*BUNDLE_SESSION).read_bytes()[:MAX_TOKEN + 1]
    except OSError:
        return None
    try:
        token = raw.strip().decode("ascii")
    except UnicodeDecodeError:
        return None
    return token if 0 < len(token) <= MAX_TOKEN else None


def token_payload(token: str) -> dict | None:
    """The JSON inside an itsdangerous URL-safe timed token, unverified."""
    body = token.split(".")
    compressed = token.startswith(".")
    if compressed:
        body = body[1:]
    if len(body) != 3:
        return None
    try:
        raw = base64.urlsafe_b64decode(body[0] + "=" * (-len(body[0]) % 4))
        data = json.loads(zlib.decompress(raw) if compressed else raw)
    except (ValueError, zlib.error):
        return None
    return data if isinstance(data, dict) else None


def from_name(name: str) -> Carried | None:
    m = NAME_RE.search(name)
    return Carried(number=m.group(1), code=m.group(2)) if m else None


def _text(data: dict, key: str, pattern: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and re.fullmatch(pattern, value) else None


def carried(path: Path | None = None) -> Carried:
    """What this executable (or ``path``) carries: the trailer first, then
    its app bundle's ticket, else its name."""
    if path is None:
        if not getattr(sys, "frozen", False):
            return Carried()  # `python -m agent`: the interpreter carries nothing
        path = Path(sys.executable)
    token = read_token(path) or bundle_token(path)
    data = token_payload(token) if token else None
    named = from_name(path.name)
    if data is None:
        return named or Carried()
    expires = data.get("expires")
    return Carried(relay=_text(data, "relay", r"https?://[^\s/]+(/[^\s]*)?"),
                   number=_text(data, "number", r"\d{9}"), code=_text(data, "code", r"\d{6}"),
                   expires=float(expires) if isinstance(expires, (int, float)) else None,
                   lang=_text(data, "lang", r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*"), token=token)
