"""The customer picks the application to share, in the Support Manager's own
window: a list of the machine's windows (title and program), Share and
Cancel. Nothing of any window is shared before a choice.

`await pick_window(windows, _, rep)` returns the chosen `Window`, or None on
Cancel, on closing the window, when `close()` came first (the request ended),
or when no window can be shown here (then nothing is shared either). Tk runs
in a thread of its own, as the indicator's does.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from collections.abc import Callable

from .platform.window import Window

log = logging.getLogger("agent.picker")


class Picker:
    def __init__(self, windows: list[Window], _: Callable[..., str], rep: str) -> None:
        self.windows = list(reversed(windows))  # topmost first: what the customer looks at
        self._ = _
        self.rep = rep
        self._closed = threading.Event()
        self._future: asyncio.Future | None = None

    async def choose(self) -> Window | None:
        loop = asyncio.get_running_loop()
        self._future = loop.create_future()

        def done(result: Window | None) -> None:
            if not self._future.done():
                self._future.set_result(result)

        def run() -> None:
            try:
                result = self._show()
            except Exception as exc:  # no display for Tk: nothing is shared
                log.warning("cannot show the application list: %s", exc)
                result = None
            loop.call_soon_threadsafe(done, result)

        threading.Thread(target=run, name="picker", daemon=True).start()
        return await self._future

    def close(self) -> None:
        """The request ended (revoked, expired, decided elsewhere): take the list away."""
        self._closed.set()

    def _show(self) -> Window | None:
        chosen = self._ui()
        # Tk objects must die in the thread that made them: the widgets hold
        # cycles, which another thread's garbage collection would otherwise
        # free (and Tcl aborts the process).
        gc.collect()
        return chosen

    def _ui(self) -> Window | None:
        import tkinter as tk
        _ = self._
        root = tk.Tk()
        chosen: list[Window | None] = [None]
        root.title(_("picker.title"))
        root.attributes("-topmost", True)
        frame = tk.Frame(root, padx=14, pady=12)
        frame.pack(fill="both", expand=True)
        tk.Label(frame, text=_("picker.heading", name=self.rep), font=("TkDefaultFont", 12, "bold"),
                 anchor="w", justify="left", wraplength=420).pack(fill="x")
        tk.Label(frame, text=_("picker.intro"), anchor="w", justify="left", wraplength=420).pack(fill="x", pady=(4, 8))
        listbox = tk.Listbox(frame, height=min(max(len(self.windows), 3), 12), width=56, activestyle="dotbox",
                             exportselection=False)
        for w in self.windows:
            listbox.insert("end", f"{w.title}  —  {w.app}" if w.app and w.app.lower() not in w.title.lower()
                           else w.title)
        listbox.pack(fill="both", expand=True)
        buttons = tk.Frame(frame, pady=10)
        buttons.pack(fill="x")

        def share(event=None) -> None:
            picked = listbox.curselection()
            if picked:
                chosen[0] = self.windows[picked[0]]
                root.destroy()

        def cancel(event=None) -> None:
            root.destroy()

        share_button = tk.Button(buttons, text=_("picker.share"), default="active", command=share)
        share_button.pack(side="right")
        tk.Button(buttons, text=_("picker.cancel"), command=cancel).pack(side="right", padx=(0, 8))
        if self.windows:
            listbox.selection_set(0)
            listbox.activate(0)
        else:
            tk.Label(frame, text=_("picker.none"), fg="#8a1c1c").pack(fill="x")
            share_button.configure(state="disabled")
        listbox.bind("<Double-Button-1>", share)
        root.bind("<Return>", share)
        root.bind("<Escape>", cancel)
        root.protocol("WM_DELETE_WINDOW", cancel)
        listbox.focus_set()

        def watch() -> None:
            if self._closed.is_set():
                root.destroy()
            else:
                root.after(100, watch)

        root.after(100, watch)
        root.mainloop()
        return chosen[0]
