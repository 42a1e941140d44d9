"""Whether this session's screen can be captured at all, and why not.

On a Wayland desktop (the default of current Ubuntu and Fedora) an X client
such as the agent sees only other X clients: mss would grab a black picture.
`screen_problem()` says so up front, so the customer and the rep are told
instead of being shown black.
"""

from __future__ import annotations

import os
import sys

WAYLAND = "wayland"
NO_DISPLAY = "no_display"


def screen_problem(environ: dict | None = None) -> str | None:
    """None when the screen can be shared; else ``"wayland"`` or ``"no_display"``."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return None  # Windows and macOS: mss reads the screen (macOS asks the customer once)
    if env.get("XDG_SESSION_TYPE", "").lower() == WAYLAND or env.get("WAYLAND_DISPLAY"):
        return WAYLAND
    if not env.get("DISPLAY"):
        return NO_DISPLAY
    return None
