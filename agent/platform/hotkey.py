"""The local stop hotkey, through pynput on every platform (the XRecord
extension on X, a low-level hook on Windows, an event tap on macOS)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

HOTKEY = "<ctrl>+<alt>+<shift>+s"
HOTKEY_LABEL = "Ctrl+Alt+Shift+S"


class Hotkey:
    """Calls ``on_press`` (in pynput's thread) while started. A machine
    without a way to listen (no RECORD extension, macOS without the
    accessibility permission) logs why and goes on without it."""

    def __init__(self, on_press: Callable[[], None]) -> None:
        self._on_press = on_press
        self._listener = None
        self.available = True

    def start(self) -> None:
        if self._listener is not None or not self.available:
            return
        try:
            from pynput import keyboard
            self._listener = keyboard.GlobalHotKeys({HOTKEY: self._on_press})
            self._listener.daemon = True
            self._listener.start()
        except Exception as exc:
            log.warning("no global hotkey: %s", exc)
            self._listener = None
            self.available = False  # don't retry

    def stop(self) -> None:
        """Stop listening, without waiting: pynput's X listener can block in
        stop() while its thread is still starting, and the caller is the
        agent's event loop."""
        listener, self._listener = self._listener, None
        if listener is not None:
            threading.Thread(target=_stop, args=(listener,), name="hotkey-stop", daemon=True).start()


def _stop(listener) -> None:
    try:
        listener.stop()
    except Exception as exc:
        log.debug("hotkey listener did not stop cleanly: %s", exc)
