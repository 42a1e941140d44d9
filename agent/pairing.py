"""Pairing with a session, and the per-user state a running agent leaves behind.

`pair()` trades a session number (or a join link) and the one-time code the
customer's page shows for an agent token. A join link
(``https://relay/invite/TOKEN``) is resolved by reading the session number
from the invite page it opens, and it names the relay too.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import httpx

NUMBER_RE = re.compile(r"\b(\d{3})[ \u00a0]?(\d{3})[ \u00a0]?(\d{3})\b")


class PairingError(Exception):
    pass


def resolve_target(relay_url: str | None, target: str) -> tuple[str, str]:
    """(relay base URL, 9-digit number) from a number or a join link."""
    target = target.strip()
    if target.startswith(("http://", "https://")):
        parts = urlsplit(target)
        base = f"{parts.scheme}://{parts.netloc}"
        try:
            page = httpx.get(target, timeout=10, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise PairingError(f"cannot open the join link: {exc}") from exc
        if page.status_code != 200:
            raise PairingError("the join link has expired or is not valid")
        m = NUMBER_RE.search(page.text)
        if m is None:
            raise PairingError("no session number found behind the join link")
        return base, "".join(m.groups())
    digits = re.sub(r"[\s-]", "", target)
    if not re.fullmatch(r"\d{9}", digits):
        raise PairingError("a session number has 9 digits")
    if not relay_url:
        raise PairingError("--relay URL is needed with a session number")
    return relay_url.rstrip("/"), digits


def pair(relay_url: str, number: str, code: str, name: str) -> dict:
    """POST /api/agent/pair; returns {session, pid, owner, token}."""
    try:
        r = httpx.post(f"{relay_url.rstrip('/')}/api/agent/pair",
                       json={"number": number, "code": code.strip(), "name": name}, timeout=15)
    except httpx.HTTPError as exc:
        raise PairingError(f"cannot reach the relay at {relay_url}: {exc}") from exc
    if r.status_code != 200:
        try:
            detail = r.json().get("message") or r.text
        except ValueError:
            detail = r.text
        raise PairingError(f"pairing refused ({r.status_code}): {detail}")
    return r.json()


def ws_url(relay_url: str) -> str:
    parts = urlsplit(relay_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}/ws"


def state_dir() -> Path:
    """Per-user: $TANDEM_AGENT_STATE; else %LOCALAPPDATA%\\Tandem on Windows,
    ~/Library/Application Support/Tandem on macOS, $XDG_STATE_HOME/tandem-agent
    (~/.local/state/tandem-agent) elsewhere."""
    explicit = os.environ.get("TANDEM_AGENT_STATE")
    if explicit:
        base = Path(explicit)
    elif sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "Tandem"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support" / "Tandem"
    else:
        base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "tandem-agent"
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    return base


def control_path() -> Path:
    """Where the running agent leaves the port and secret of its stop/status channel."""
    return state_dir() / "control.json"


def save_state(data: dict) -> Path:
    path = state_dir() / "state.json"
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds the token
    with os.fdopen(fd, "w") as f:
        json.dump(data, f)
    tmp.replace(path)
    return path


def load_state() -> dict | None:
    try:
        return json.loads((state_dir() / "state.json").read_text())
    except (OSError, ValueError):
        return None


def clear_state() -> None:
    for name in ("state.json", "control.json"):
        try:
            (state_dir() / name).unlink()
        except OSError:
            pass
