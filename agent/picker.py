"""The customer picks the application to share, in the Support Manager's own
window: a list of the machine's windows (icon where the platform gives one,
title and program), Share and Cancel. Nothing of any window is shared before a choice.

`await Picker(ui, windows, _, rep).choose()` returns the chosen `Window`, or
None on Cancel, on closing the window, when `close()` came first (the
request ended), or when no window can be shown here (then nothing is shared
either, and the terminal says how to choose with ``--window``).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from .platform.window import Window
from .ui import UI, button, center, dialog

log = logging.getLogger("agent.picker")


class Picker:
    def __init__(self, ui: UI | None, windows: list[Window], _: Callable[..., str], rep: str) -> None:
        self.ui = ui
        self.windows = list(reversed(windows))  # topmost first: what the customer looks at
        self._ = _
        self.rep = rep
        self._top = None

    async def choose(self) -> Window | None:
        if self.ui is None:
            print(f"[tandem-agent] {self._('picker.no_window')}", file=sys.stderr, flush=True)
            return None
        return await self.ui.ask(self._build)

    def close(self) -> None:
        """The request ended (revoked, expired, decided elsewhere): take the list away."""
        if self.ui is not None:
            self.ui.call(lambda root: self._top is not None and self._top.destroy())

    def _build(self, root, done) -> None:
        import base64
        import tkinter as tk
        from tkinter import ttk
        _ = self._
        top, body, buttons = dialog(root, _("picker.title"), _("picker.heading", name=self.rep), _("picker.intro"))
        self._top = top
        # a tree without branches: one row per window, its program's icon beside the title
        rows = ttk.Treeview(body, show="tree", selectmode="browse", height=min(max(len(self.windows), 3), 12))
        rows.column("#0", width=440)
        top.icons = []  # Tk forgets an image nothing in Python holds
        for i, w in enumerate(self.windows):
            image = ""
            if w.icon:
                try:
                    image = tk.PhotoImage(master=top, data=base64.b64encode(w.icon))
                    top.icons.append(image)
                except tk.TclError:
                    log.info("icon of %r not shown", w.title)
            rows.insert("", "end", iid=str(i), image=image,
                        text=f"{w.title}  —  {w.app}" if w.app and w.app.lower() not in w.title.lower() else w.title)
        rows.pack(fill="both", expand=True)

        def finish(result: Window | None) -> None:
            done(result)
            top.destroy()

        def share(event=None) -> None:
            picked = rows.selection()
            if picked:
                finish(self.windows[int(picked[0])])

        share_button = button(buttons, _("picker.share"), share, default=True)
        button(buttons, _("picker.cancel"), lambda: finish(None))
        if self.windows:
            rows.selection_set("0")
            rows.focus("0")
        else:
            tk.Label(body, text=_("picker.none"), fg="#8a1c1c").pack(fill="x")
            share_button.configure(state="disabled")
        rows.bind("<Double-Button-1>", share)
        top.bind("<Return>", share)
        top.bind("<Escape>", lambda event: finish(None))
        top.protocol("WM_DELETE_WINDOW", lambda: finish(None))
        top.bind("<Destroy>", lambda event: event.widget is top and done(None))  # closed from outside
        rows.focus_set()
        center(top)
