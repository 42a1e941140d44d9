"""Shows, on the shared machine, that it is being viewed or controlled, and
offers a local way to stop at once.

`Indicator(ui, on_stop)`: `show(text)` / `hide()` from the asyncio thread. It
prints a terminal line on every change, shows a small always-on-top window in
the bottom-right corner ("Your screen is being viewed by NAME" + Stop) on the
Support Manager's window thread (`agent.ui`), and listens for the global stop
hotkey (`agent.platform.hotkey`) while shown. Stop and the hotkey call
``on_stop`` in the asyncio loop. Without windows (``ui`` None, or
``window=False``) or a hotkey listener it falls back to the terminal line,
never to no indication at all.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable

from .platform.hotkey import HOTKEY_LABEL, Hotkey
from .ui import UI

log = logging.getLogger("agent.indicator")

RED = "#b00020"


class Indicator:
    def __init__(self, ui: UI | None, on_stop: Callable[[], object], window: bool = True,
                 hotkey: bool = True) -> None:
        self._loop = asyncio.get_running_loop()
        self._ui = ui if window else None
        self._on_stop = on_stop
        self._hotkey = Hotkey(self._stop_clicked) if hotkey else None
        self._top = None  # the window, on the window thread
        self.text: str | None = None

    # --- from the asyncio thread --------------------------------------------

    def show(self, text: str) -> None:
        if text == self.text:
            return
        self.text = text
        print(f"[tandem-agent] {text} — press {HOTKEY_LABEL} or run `tandem-agent stop` to stop",
              file=sys.stderr, flush=True)
        if self._ui is not None:
            self._ui.call(lambda root: self._show(root, text))
        if self._hotkey is not None:
            self._hotkey.start()

    def hide(self) -> None:
        if self.text is None:
            return
        self.text = None
        print("[tandem-agent] sharing stopped", file=sys.stderr, flush=True)
        if self._ui is not None:
            self._ui.call(lambda root: self._top is not None and self._top.withdraw())
        if self._hotkey is not None:
            self._hotkey.stop()

    def close(self) -> None:
        self.hide()
        if self._ui is not None:
            self._ui.call(self._destroy)

    # --- on the window thread -------------------------------------------------

    def _show(self, root, text: str) -> None:
        import tkinter as tk
        if self._top is None:
            top = self._top = tk.Toplevel(root)
            top.withdraw()  # mapped only once placed: at +0+0 it covered the screen's corner for a moment
            top.title("Tandem Support Manager")
            top.overrideredirect(True)
            top.attributes("-topmost", True)
            top.configure(bg=RED)
            self._label = tk.Label(top, text="", fg="white", bg=RED, font=("TkDefaultFont", 10, "bold"), padx=8)
            self._label.pack(side="left")
            tk.Button(top, text="Stop", command=self._stop_clicked).pack(side="right", padx=4, pady=4)
        top = self._top
        self._label.configure(text=f"{text}  ({HOTKEY_LABEL})")
        top.update_idletasks()
        w, h = top.winfo_reqwidth(), top.winfo_reqheight()
        sw, sh = top.winfo_screenwidth(), top.winfo_screenheight()
        top.geometry(f"{w}x{h}+{sw - w - 4}+{sh - h - 4}")
        top.deiconify()
        top.lift()

    def _destroy(self, root) -> None:
        if self._top is not None:
            self._top.destroy()
            self._top = None

    # --- from any thread --------------------------------------------------------

    def _stop_clicked(self) -> None:
        self._loop.call_soon_threadsafe(self._fire)

    def _fire(self) -> None:
        result = self._on_stop()
        if asyncio.iscoroutine(result):
            asyncio.ensure_future(result)
