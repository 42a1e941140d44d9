"""The agent's platform layer: one small module per concern and platform,
chosen once when the agent starts.

`backend()` answers which implementation of each concern this machine uses:

============  =====================================  ==================================
concern       x11 (the Linux fast path)              portable (Windows, macOS; any X)
============  =====================================  ==================================
changes       X DAMAGE: a still screen costs nothing  mss grabs compared tile by tile
keys          XTEST (`keys_x11`)                      pynput (`keys_portable`)
windows       python-xlib, EWMH (`windows_x11`)       PyWinCtl (`windows_portable`)
fileio        pread/pwrite (`fileio_x11`)             seek + read/write (`fileio_portable`)
============  =====================================  ==================================

The pointer (`pointer`, pynput), the stop hotkey (`hotkey`, pynput), the
screen grabs (mss) and the local stop/status channel (`channel`, loopback
TCP with a secret) are the same everywhere. ``TANDEM_AGENT_BACKEND`` picks
one (``x11`` or ``portable``; default ``auto``: x11 on Linux with an X
display, portable elsewhere), so the code Windows and macOS customers run is
exercised under Xvfb too. Nothing outside the ``*_x11`` modules assumes POSIX.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from dataclasses import dataclass
from types import ModuleType

from .screen import screen_problem

log = logging.getLogger("agent.platform")

BACKENDS = ("x11", "portable")

__all__ = ["BACKENDS", "Backend", "backend", "screen_problem", "use"]


@dataclass(frozen=True)
class Backend:
    name: str
    changes: ModuleType
    """``Watch()``: says whether anything may have been drawn (see change_x11)."""
    keys: ModuleType
    """``Keyboard()``: press, release and type keys given as DOM key names."""
    windows: ModuleType
    """``list_windows(icons=False)``, ``find_window(title)``, ``window_rect(id)``."""
    fileio: ModuleType
    """``read_at``, ``read_into_at``, ``write_at``: positional file I/O for transfers."""

    def __str__(self) -> str:
        return self.name


_chosen: Backend | None = None


def choose(name: str | None = None) -> Backend:
    """The backend called ``name`` (or ``$TANDEM_AGENT_BACKEND``, else auto)."""
    name = (name or os.environ.get("TANDEM_AGENT_BACKEND") or "auto").strip().lower()
    if name == "auto":
        name = "x11" if sys.platform.startswith("linux") and os.environ.get("DISPLAY") else "portable"
    if name not in BACKENDS:
        raise ValueError(f"TANDEM_AGENT_BACKEND must be one of auto, {', '.join(BACKENDS)}; not {name!r}")
    tail = "x11" if name == "x11" else "portable"

    def load(concern: str) -> ModuleType:
        return importlib.import_module(f"{__name__}.{concern}_{tail}")

    if tail == "x11" and not hasattr(os, "pread"):
        raise ValueError("TANDEM_AGENT_BACKEND=x11 needs a POSIX system")
    return Backend(name, load("change"), load("keys"), load("windows"), load("fileio"))


def backend() -> Backend:
    """The backend of this process, chosen on first use and kept."""
    global _chosen
    if _chosen is None:
        _chosen = choose()
        log.info("platform backend: %s", _chosen)
    return _chosen


def use(name: str | None) -> Backend:
    """Choose the backend of this process now (tests switch between them)."""
    global _chosen
    _chosen = choose(name)
    return _chosen
