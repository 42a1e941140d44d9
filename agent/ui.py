"""The Support Manager's windows: one Tk root in the main thread, which macOS
requires of every window; the agent's asyncio loop runs in another thread.

    ui = UI.open()                  # None where no window can be shown (then the terminal says it all)
    ui.call(fn)                     # from any thread: fn(root) runs on the window thread
    result = await ui.ask(build)    # build(root, done) shows a window and calls done(result) once
    ui.run(stop)                    # the main thread: windows until ``stop`` is set
    ui.tell(text)                   # a line for the person at the machine, in the launcher's window

The launcher window, the "being viewed" notice, the application list and the
consent question are all windows of this one root.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import threading
from collections.abc import Callable

log = logging.getLogger("agent.ui")

POLL_MS = 50


class UI:
    def __init__(self, root) -> None:
        self.root = root
        self._calls: queue.Queue = queue.Queue()
        self.on_quit: Callable[[], None] | None = None
        """Set by the agent: ends it (Ctrl+C, or the window's owner going away)."""
        self.on_tell: Callable[[str], None] | None = None
        """Set by the launcher: shows a line in its window (`tell`)."""
        mark_own_windows(root)
        root.after(POLL_MS, self._poll)

    @classmethod
    def open(cls) -> UI | None:
        try:
            import tkinter as tk
            root = tk.Tk()
        except Exception as exc:  # no display, no Tk
            log.info("no windows here (%s): the terminal says what happens", exc)
            return None
        root.withdraw()
        return cls(root)

    def call(self, fn: Callable) -> None:
        self._calls.put(fn)

    async def ask(self, build: Callable) -> object:
        """Show a window made by ``build(root, done)``; its ``done(result)`` answers."""
        loop = asyncio.get_running_loop()
        answer = loop.create_future()

        def settle(result) -> None:
            if not answer.done():
                answer.set_result(result)

        def done(result=None) -> None:
            loop.call_soon_threadsafe(settle, result)

        def make(root) -> None:
            try:
                build(root, done)
            except Exception:
                log.exception("a window could not be shown")
                done(None)

        self.call(make)
        return await answer

    def tell(self, text: str) -> None:
        """What the person at the machine should read (the screen cannot be
        shared, a shared window was closed): the Support Manager's window says
        it, where it has one; a customer who double-clicked it has no terminal."""
        if self.on_tell is not None:
            self.call(lambda root: self.on_tell(text))

    def quit(self) -> None:
        """Ctrl+C or SIGTERM (the main thread's signal handlers): end the agent."""
        if self.on_quit is not None:
            self.on_quit()

    def _poll(self) -> None:
        try:
            while True:
                fn = self._calls.get_nowait()
                try:
                    fn(self.root)
                except Exception:
                    log.exception("window call failed")
        except queue.Empty:
            pass
        self.root.after(POLL_MS, self._poll)

    def run(self, stop: threading.Event) -> None:
        """Tk's loop in this (the main) thread until ``stop`` is set."""
        def check() -> None:
            if stop.is_set():
                self.root.quit()
            else:
                self.root.after(POLL_MS, check)

        self.root.after(POLL_MS, check)
        self.root.mainloop()


def mark_own_windows(root) -> None:
    """On X, label each of this root's windows with this process's id as it
    shows (``_NET_WM_PID``, which Tk does not set), so the application lists
    (`agent.platform`) leave the Support Manager's own windows out: its
    window, notice and questions are never offered to the rep."""
    if root.tk.call("tk", "windowingsystem") != "x11":
        return
    try:
        from Xlib import X, Xatom, display, error
        dpy = display.Display(root.winfo_screen())
    except Exception as exc:  # no python-xlib, or the display went away: the lists may show them
        log.info("cannot label the Support Manager's windows: %s", exc)
        return
    pid, atom = os.getpid(), dpy.intern_atom("_NET_WM_PID")

    def label(event) -> None:
        widget = event.widget
        if not hasattr(widget, "winfo_toplevel") or widget.winfo_toplevel() is not widget:
            return
        try:  # the window managers see Tk's wrapper, the parent of the toplevel's own window
            inner = dpy.create_resource_object("window", widget.winfo_id())
            wrapper = inner.query_tree().parent
            for window in (inner, wrapper) if wrapper != dpy.screen().root else (inner,):
                window.change_property(atom, Xatom.CARDINAL, 32, [pid], X.PropModeReplace)
            dpy.flush()
        except error.XError as exc:
            log.info("could not label a window: %s", exc)

    root.bind_all("<Map>", label, add="+")


def dialog(root, title: str, heading: str, text: str):
    """A window with a heading and a line of text; returns (window, body, buttons).
    The picker and the consent question look alike."""
    import tkinter as tk
    top = tk.Toplevel(root)
    top.withdraw()  # mapped by `center` once placed: at +0+0 it covered the screen's corner for a moment
    top.title(title)
    top.attributes("-topmost", True)
    body = tk.Frame(top, padx=14, pady=12)
    body.pack(fill="both", expand=True)
    tk.Label(body, text=heading, font=("TkDefaultFont", 12, "bold"), anchor="w", justify="left",
             wraplength=420).pack(fill="x")
    tk.Label(body, text=text, anchor="w", justify="left", wraplength=420).pack(fill="x", pady=(4, 8))
    buttons = tk.Frame(body, pady=10)
    buttons.pack(side="bottom", fill="x")
    return top, body, buttons


def center(top) -> None:
    """Put a finished window in the middle of the screen, a little above centre,
    in front, and show it there."""
    top.update_idletasks()
    w, h = top.winfo_reqwidth(), top.winfo_reqheight()
    sw, sh = top.winfo_screenwidth(), top.winfo_screenheight()
    top.geometry(f"+{max(0, (sw - w) // 2)}+{max(0, (sh - h) // 3)}")
    top.deiconify()
    top.lift()


def button(parent, text: str, command, default: bool = False):
    import tkinter as tk
    b = tk.Button(parent, text=text, command=command, default="active" if default else "normal")
    b.pack(side="right", padx=(8, 0))
    return b
