"""Application windows through PyWinCtl: Win32 on Windows, Quartz on macOS,
EWMH on X (which needs a window manager that speaks it, as every desktop's does).

The same three calls as `windows_x11`; rectangles are the client area (the
window's frame and title bar left out), in screen coordinates as mss numbers them.
"""

from __future__ import annotations

import logging
import os
import sys

from .window import Window, pick

log = logging.getLogger(__name__)


def _pwc():
    import pywinctl  # imported on use: it opens the display
    return pywinctl


def _client(w) -> tuple[int, int, int, int] | None:
    try:
        if sys.platform.startswith("linux"):
            # on X, PyWinCtl's box is already the client window (the frame is
            # the window manager's): its client frame would take the frame off twice
            b = w.box
            return int(b.left), int(b.top), int(b.width), int(b.height)
        r = w.getClientFrame()
    except Exception:  # gone between listing and asking
        return None
    return int(r.left), int(r.top), int(r.right - r.left), int(r.bottom - r.top)


def _window(w) -> Window | None:
    try:
        title = w.title
        if not title or not w.visible or w.isMinimized:
            return None
        if w.getPID() == os.getpid():  # the Support Manager's own windows
            return None
        app = w.getAppName() or ""
    except Exception:
        return None
    r = _client(w)
    if r is None or r[2] < 2 or r[3] < 2:
        return None
    return Window(int(w.getHandle()), title, *r, app=app)


_known: dict[int, object] = {}
"""PyWinCtl's window objects by id, from the last listing: following a shared
window asks only that window, not the whole desktop, on every frame."""


def _all():
    try:
        found = _pwc().getAllWindows()
    except Exception as exc:
        log.warning("cannot list windows: %s", exc)
        return []
    _known.clear()
    for w in found:
        try:
            _known[int(w.getHandle())] = w
        except Exception:
            continue
    return found


def list_windows(icons: bool = False) -> list[Window]:
    """Bottom to top, as the platform stacks them. PyWinCtl gives no icons:
    ``icons`` is taken for the same call as on x11, and the list shows titles."""
    return [w for w in map(_window, _all()) if w is not None]


def find_window(title_substring: str | None) -> Window | None:
    try:
        active = _pwc().getActiveWindow()
    except Exception:
        active = None
    return pick(list_windows(), title_substring, int(active.getHandle()) if active else None)


def window_rect(wid: int) -> tuple[int, int, int, int] | None:
    """The window's client area now; None once it is closed, hidden or minimized."""
    w = _known.get(wid)
    if w is None:
        _all()
        w = _known.get(wid)
    try:
        if w is None or not w.isAlive or not w.visible or w.isMinimized:
            return None
    except Exception:
        return None
    return _client(w)
