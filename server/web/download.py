"""The single-file Support Manager: which builds this relay has, which one a
visitor's computer needs, and the file stamped with a session.

Builds are the files ``make agent-dist`` (or the CI workflow, for Windows and
macOS) writes, ``tandem-support-manager-<os>-<arch>`` with ``.exe`` on
Windows and ``.zip`` (the app bundle, zipped) on macOS, in
``Settings.agent_dist_dir``; the folder is read on every request, so a build
copied in shows at once.

Every file the relay serves carries a ticket, as a trailer on the executable
(`trailer`, read by agent/ticket.py) or, in a macOS zip, as a file in the app
bundle (app_zip.py): a ticket signed with the relay's key naming the relay's
address and the page's language and, for a session's download, the session,
its number and a fresh one-time pairing code. A session's file is also named
``tandem-support-manager-NUMBER-CODE[.exe|.zip]``. PyInstaller's one-file loader
searches for its archive from the end of the file, so the executable runs
with the trailer after it. The Support Manager hands the ticket back to
``POST /download/ticket``, which checks it and says what it joins.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import anyio
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse

from ..i18n import pick_language, translator
from ..relay import Relay
from . import app_zip

PREFIX = "tandem-support-manager"
BUILD_RE = re.compile(rf"^{PREFIX}-(windows|macos|linux)-([a-z0-9_]+?)(\.exe|\.zip)?$")
SUFFIXES = {"windows": ".exe", "macos": ".zip", "linux": ""}
OS_NAMES = {"windows": "Windows", "macos": "macOS", "linux": "Linux"}
ARCH_NAMES = {"x86_64": "x64", "arm64": "ARM64"}
ORDER = ("windows", "macos", "linux")
# The trailer's end; agent/ticket.py reads the same layout (a test holds them together).
MAGIC = b"TANDEM-SESSION-1"
SALT = "tandem.agent-download"
CHUNK = 1 << 20


@dataclass(frozen=True)
class Build:
    os: str
    arch: str
    path: Path
    size: int

    @property
    def key(self) -> str:
        return f"{self.os}-{self.arch}"

    @property
    def label(self) -> str:
        return f"{OS_NAMES[self.os]} ({ARCH_NAMES.get(self.arch, self.arch)})"

    @property
    def suffix(self) -> str:
        return SUFFIXES[self.os]

    @property
    def megabytes(self) -> int:
        return max(1, round(self.size / 1_000_000))

    def session_name(self, number: str, code: str) -> str:
        return f"{PREFIX}-{number}-{code}{self.suffix}"


def builds(folder: Path) -> list[Build]:
    """The builds in ``folder``, Windows first, then macOS, then Linux."""
    found = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        m = BUILD_RE.match(entry.name)
        if m and SUFFIXES[m.group(1)] == (m.group(3) or "") and entry.is_file():
            found.append(Build(m.group(1), m.group(2), Path(entry.path), entry.stat().st_size))
    return sorted(found, key=lambda b: (ORDER.index(b.os), b.arch != "x86_64", b.arch))


@dataclass(frozen=True)
class Visitor:
    """The visitor's computer as the browser tells it: os (windows, macos, linux,
    or None when unknown), arch (x86_64, arm64 or None), and whether it is a
    phone or tablet (no Support Manager runs there)."""

    os: str | None
    arch: str | None = None
    mobile: bool = False
    name: str | None = None
    """How to call it on the page ("Android", "Chrome OS", "macOS"...)."""


_HINT_OS = {"windows": "windows", "macos": "macos", "linux": "linux", "chrome os": "chromeos",
            "chromeos": "chromeos", "android": "android", "ios": "ios"}
_SHOWN = {"windows": "Windows", "macos": "macOS", "linux": "Linux", "chromeos": "Chrome OS",
          "android": "Android", "ios": "iOS"}


def _hint(headers: Mapping[str, str], name: str) -> str:
    return headers.get(name, "").strip().strip('"').lower()


def visitor(headers: Mapping[str, str]) -> Visitor:
    """From ``Sec-CH-UA-Platform`` (and ``-Arch``) when the browser sends them,
    else from the User-Agent."""
    ua = headers.get("user-agent", "")
    low = ua.lower()
    kind = _HINT_OS.get(_hint(headers, "sec-ch-ua-platform"))
    if kind is None:
        if "android" in low:
            kind = "android"
        elif re.search(r"iphone|ipad|ipod", low):
            kind = "ios"
        elif "cros" in low:
            kind = "chromeos"
        elif "windows" in low:
            kind = "windows"
        elif "macintosh" in low or "mac os x" in low:
            kind = "macos"
        elif "linux" in low or "x11" in low:
            kind = "linux"
    arch = {"x86": "x86_64", "arm": "arm64"}.get(_hint(headers, "sec-ch-ua-arch"))
    if arch is None and kind in ("linux", "windows"):
        if re.search(r"aarch64|arm64", low):
            arch = "arm64"
        elif re.search(r"x86_64|x64|win64|wow64|amd64", low):
            arch = "x86_64"
    mobile = kind in ("android", "ios") or _hint(headers, "sec-ch-ua-mobile") == "?1"
    return Visitor(kind if kind in OS_NAMES else None, arch, mobile, _SHOWN.get(kind or ""))


@dataclass
class Offer:
    """What the download page shows: the visitor's build first (``mine``),
    the rest after it."""

    visitor: Visitor
    mine: Build | None
    others: list[Build] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return self.mine is not None or bool(self.others)

    @property
    def platforms(self) -> str:
        """The systems there are builds for: "Windows, Linux"."""
        have = [OS_NAMES[b.os] for b in ([self.mine] if self.mine else []) + self.others]
        return ", ".join(dict.fromkeys(have))


def pick(available: list[Build], who: Visitor) -> Build | None:
    """The build for the visitor's system: the same architecture when known and
    built; else x64 on Windows and macOS (ARM machines run it emulated); Linux
    needs its own architecture."""
    same_os = [b for b in available if b.os == who.os]
    if not same_os:
        return None
    if who.arch:
        exact = [b for b in same_os if b.arch == who.arch]
        if exact:
            return exact[0]
        if who.os == "linux":
            return None
    if who.os == "macos" and not who.arch:
        arm = [b for b in same_os if b.arch == "arm64"]  # Macs say "Intel" in every User-Agent
        if arm:
            return arm[0]
    x64 = [b for b in same_os if b.arch == "x86_64"]
    return x64[0] if x64 else same_os[0]


def offer(folder: Path, headers: Mapping[str, str], platform: str | None = None) -> Offer:
    """The builds for this visitor; ``platform`` (a build's key) overrides the guess."""
    available = builds(folder)
    who = visitor(headers)
    mine = next((b for b in available if b.key == platform), None) if platform else pick(available, who)
    return Offer(who, mine, [b for b in available if b is not mine])


# --- stamping --------------------------------------------------------------------

def signer(relay: Relay) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(relay.settings.secret_key, salt=SALT)


def trailer(token: str) -> bytes:
    raw = token.encode("ascii")
    return b"\n" + raw + len(raw).to_bytes(4, "big") + MAGIC


def stamped_response(build: Build, token: str, filename: str) -> StreamingResponse:
    """The build's bytes then the trailer (a macOS zip: up to its central
    directory, then the ticket's entry and a new one), as an attachment
    called ``filename``."""
    f: BinaryIO = open(build.path, "rb")  # noqa: SIM115 - closed by the body when it ends
    size = os.fstat(f.fileno()).st_size  # this file, even if a new build replaces it meanwhile
    if build.os == "macos":
        try:
            size, tail = app_zip.stamp(build.path, token)
        except (OSError, ValueError, zipfile.BadZipFile):
            f.close()
            raise
    else:
        tail = trailer(token)

    async def body() -> AsyncIterator[bytes]:
        try:
            left = size
            while left > 0:
                chunk = await anyio.to_thread.run_sync(f.read, min(CHUNK, left))
                if not chunk:
                    break
                left -= len(chunk)
                yield chunk
            yield tail
        finally:
            f.close()

    media = "application/zip" if build.suffix == ".zip" else "application/octet-stream"  # Safari opens a zip by itself
    return StreamingResponse(body(), media_type=media, headers={
        "Content-Length": str(size + len(tail)),
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    })


# --- the Support Manager asks what its ticket joins -------------------------------

async def check_ticket(request: Request) -> JSONResponse:
    """``POST /download/ticket {"ticket": T}``: 200 ``{"number", "rep", "expires_in"}``
    while the session is live and the code unused; else 4xx ``{"error", "message"}``
    with error ``invalid`` (not this relay's, or changed), ``expired``, ``ended``
    (or never existed) or ``used`` (paired already, or replaced by a newer download)."""
    relay: Relay = request.app.state.relay
    _ = translator(pick_language(request.headers.get("accept-language")))

    def refuse(status: int, error: str, **kw) -> JSONResponse:
        return JSONResponse({"error": error, "message": _(f"download.ticket.{error}", **kw)}, status)

    try:
        body = await request.json()
        token = body["ticket"]
        if not isinstance(token, str) or len(token) > 4096:
            raise ValueError
        data = signer(relay).loads(token, max_age=relay.PAIRING_TTL)
        sid, code, number = data["session"], data["code"], data["number"]
    except SignatureExpired:
        return refuse(410, "expired")
    except (BadData, ValueError, KeyError, TypeError):
        return refuse(400, "invalid")
    s = relay.desk.sessions.get(sid)
    if s is None or not s.live:
        return refuse(410, "ended", number=f"{number[:3]} {number[3:6]} {number[6:]}")
    if not relay.desk.pairing_open(sid, code, relay.clock()):
        return refuse(409, "used")
    primary = s.participants.get(s.primary) if s.primary else None
    return JSONResponse({"number": s.number, "rep": primary.name if primary else None,
                         "expires_in": max(0.0, data["expires"] - relay.clock())})
