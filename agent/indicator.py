"""Shows, on the shared machine, that it is being viewed or controlled, and
offers a local way to stop at once.

`Indicator(on_stop)`: `show(text)` / `hide()` from the asyncio thread. It
prints a terminal line on every change, shows a small always-on-top Tk window
in the bottom-right corner ("Your screen is being viewed by NAME" + Stop) when
Tk can open the display, and listens for the global stop hotkey
(`agent.platform.hotkey`) while shown. Stop and the hotkey call ``on_stop`` in the asyncio loop.
Tk lives in its own thread; every failure to open a window or a hotkey
listener degrades to the terminal line, never to no indication at all.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import queue
import sys
import threading
from collections.abc import Callable

from .platform.hotkey import HOTKEY_LABEL, Hotkey

log = logging.getLogger("agent.indicator")


class Indicator:
    def __init__(self, on_stop: Callable[[], object], window: bool = True, hotkey: bool = True) -> None:
        self._loop = asyncio.get_running_loop()
        self._on_stop = on_stop
        self._want_window = window
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._hotkey = Hotkey(self._stop_clicked) if hotkey else None
        self.text: str | None = None

    # --- from the asyncio thread --------------------------------------------

    def show(self, text: str) -> None:
        if text == self.text:
            return
        self.text = text
        print(f"[tandem-agent] {text} — press {HOTKEY_LABEL} or run `tandem-agent stop` to stop",
              file=sys.stderr, flush=True)
        if self._want_window:
            self._ensure_thread()
            self._queue.put(text)
        if self._hotkey is not None:
            self._hotkey.start()

    def hide(self) -> None:
        if self.text is None:
            return
        self.text = None
        print("[tandem-agent] sharing stopped", file=sys.stderr, flush=True)
        if self._thread is not None:
            self._queue.put(None)
        if self._hotkey is not None:
            self._hotkey.stop()

    def close(self) -> None:
        self.hide()
        if self._thread is not None:
            self._queue.put(False)

    # --- internals ----------------------------------------------------------

    def _stop_clicked(self) -> None:
        self._loop.call_soon_threadsafe(self._fire)

    def _fire(self) -> None:
        result = self._on_stop()
        if asyncio.iscoroutine(result):
            asyncio.ensure_future(result)

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._tk_main, name="indicator", daemon=True)
            self._thread.start()

    def _tk_main(self) -> None:
        try:
            import tkinter as tk
            root = tk.Tk()
        except Exception as exc:
            log.warning("no indicator window: %s", exc)
            self._want_window = False
            return
        root.title("Tandem Support Manager")
        root.overrideredirect(True)
        root.attributes("-topmost", True)
        root.configure(bg="#b00020")
        label = tk.Label(root, text="", fg="white", bg="#b00020", font=("TkDefaultFont", 10, "bold"), padx=8)
        label.pack(side="left")
        tk.Button(root, text="Stop", command=self._stop_clicked).pack(side="right", padx=4, pady=4)
        root.withdraw()

        def poll() -> None:
            try:
                while True:
                    item = self._queue.get_nowait()
                    if item is False:
                        root.destroy()
                        return
                    if item is None:
                        root.withdraw()
                    else:
                        label.configure(text=f"{item}  ({HOTKEY_LABEL})")
                        root.update_idletasks()
                        w, h = root.winfo_reqwidth(), root.winfo_reqheight()
                        sw, sh = root.winfo_screenwidth(), root.winfo_screenheight()
                        root.geometry(f"{w}x{h}+{sw - w - 4}+{sh - h - 4}")
                        root.deiconify()
                        root.lift()
            except queue.Empty:
                pass
            root.after(100, poll)

        root.after(0, poll)
        try:
            root.mainloop()
        except Exception:
            log.exception("indicator window failed")
        # Tk's callbacks hold `poll`, which holds `root`: free that cycle here, in
        # the Tcl interpreter's own thread. Freed by the garbage collector in
        # another thread (or at exit), Tcl aborts the process ("Tcl_AsyncDelete:
        # async handler deleted by the wrong thread").
        poll = label = root = None  # noqa: F841 - the closure cells, emptied
        gc.collect()
