"""The Support Manager's window: what a customer sees after a double-click.

`main()` runs when the agent starts with no arguments. It reads the session
the downloaded file carries (`agent.ticket`), asks the relay what it is (the
session number and the rep's name), and shows it with Join and Cancel; it asks
for the session number, the pairing code and the relay's address only when the
file carries none (or carries a code the relay no longer takes). Join pairs
with `pairing.pair` and runs `cli.run_agent`, exactly as ``tandem-agent pair``
does, in a worker thread; the window stays, says the Support Manager is
connected, and Leave (or closing it) stops the agent. Errors (a refused code,
an unreachable relay, an ended session) show in the window with a way to try
again, in the customer's language (`agent.i18n.choose`).

Tk owns the main thread (macOS requires it); pairing and the agent's asyncio
loop run in worker threads and report back through a queue the window polls.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import re
import socket
import sys
import threading
from urllib.parse import urlsplit

import httpx

from . import i18n, pairing
from .ticket import Carried, carried
from .ui import UI

log = logging.getLogger("agent.launcher")

BLUE, BLUE_DARK, GREY, RED, INK, MUTED, WHITE = "#1a5fb4", "#154a8c", "#e6e6e6", "#b00020", "#1d1d1d", "#555555", "#ffffff"
WIDTH = 440


def check_ticket(relay: str, token: str, lang: str) -> dict:
    """The relay's word on a downloaded file's ticket: ``{"number", "rep", ...}``
    or ``{"error": "used" | "expired" | "ended" | "invalid"}``; raises httpx.HTTPError
    when the relay cannot be reached."""
    r = httpx.post(f"{relay}/download/ticket", json={"ticket": token}, headers={"Accept-Language": lang},
                   timeout=10)
    try:
        body = r.json()
    except ValueError:
        body = {}
    if r.status_code != 200:
        return {"error": body.get("error") or "invalid"}
    return body


STOP_WATCH = 10.0


def _log_tasks(task: asyncio.Task) -> None:
    """The agent has not stopped STOP_WATCH s after Leave: say where it waits."""
    if task.done():
        return
    for t in asyncio.all_tasks():
        log.warning("still running after Leave: %r\n%s", t, "".join(
            f"  {f.f_code.co_filename}:{f.f_lineno} {f.f_code.co_name}\n" for f in t.get_stack()))


def host_of(relay: str) -> str:
    return urlsplit(relay).netloc or relay


def spaced(number: str) -> str:
    return f"{number[:3]} {number[3:6]} {number[6:]}"


class Launcher:
    def __init__(self, found: Carried, lang: str) -> None:
        import tkinter as tk
        from tkinter import font

        self.tk = tk
        self._ = i18n.translator(lang)
        self.lang = lang
        self.found = found
        self.relay, self.number, self.code = found.relay, found.number, found.code
        self.events: queue.Queue = queue.Queue()
        self.mode = "enter"
        self.result = 1
        self._agent: tuple[asyncio.AbstractEventLoop, asyncio.Task] | None = None

        _ = self._
        self.root = root = tk.Tk()
        self.ui = UI(root)  # the agent's own windows (notice, application list, consent) live on this root
        self.ui.on_tell = self.told
        self.news = ""  # the agent's latest word to the customer (`told`), kept while joined
        root.title(_("title"))
        root.configure(bg=WHITE)
        root.resizable(False, False)
        base = font.nametofont("TkDefaultFont")
        base.configure(size=11)
        heading = font.Font(root, family=base.cget("family"), size=15, weight="bold")
        strong = font.Font(root, family=base.cget("family"), size=13, weight="bold")
        frame = tk.Frame(root, bg=WHITE, padx=22, pady=18)
        frame.pack(fill="both", expand=True)

        def label(**kw) -> tk.Label:
            return tk.Label(frame, **{"bg": WHITE, "fg": INK, "justify": "left", "anchor": "w",
                                      "wraplength": WIDTH, **kw})

        self.heading = label(font=heading)
        self.session = label(font=strong)
        self.rep = label()
        self.server = label(fg=MUTED)
        self.text = label()
        self.form = tk.Frame(frame, bg=WHITE)
        self.entries: dict[str, tk.Entry] = {}
        for row, key in enumerate(("number", "code", "relay")):
            tk.Label(self.form, text=_(f"enter.{key}"), bg=WHITE, fg=INK, anchor="w").grid(
                row=row, column=0, sticky="w", pady=3, padx=(0, 10))
            entry = tk.Entry(self.form, width=30 if key == "relay" else 16, relief="solid", bd=1, font=base)
            entry.grid(row=row, column=1, sticky="w", pady=3, ipady=3)
            self.entries[key] = entry
        self.status = label()
        buttons = tk.Frame(frame, bg=WHITE)
        self.join = tk.Button(buttons, command=self.on_join, bg=BLUE, fg=WHITE, activebackground=BLUE_DARK,
                              activeforeground=WHITE, relief="flat", bd=0, padx=18, pady=7,
                              font=(base.cget("family"), 11, "bold"), highlightthickness=0)
        self.cancel = tk.Button(buttons, command=self.on_cancel, bg=GREY, fg=INK, activebackground="#d0d0d0",
                                relief="flat", bd=0, padx=18, pady=7, highlightthickness=0)
        self.join.pack(side="right")
        self.cancel.pack(side="right", padx=(0, 10))
        self.rows = [self.heading, self.session, self.rep, self.server, self.text, self.form, self.status, buttons]
        root.bind("<Return>", lambda e: self.on_join())
        root.bind("<Escape>", lambda e: self.on_cancel())
        root.protocol("WM_DELETE_WINDOW", self.on_cancel)

        # Whether the file's code is still good is the relay's to say (`_check`):
        # the customer's clock may be wrong.
        if found.has_session and self.relay:
            self.show_confirm()
            if found.token:
                self.work(self._check)
        else:  # nothing, or only a file name's number and code: ask for the rest
            self.show_enter(keep_number=True, keep_code=True)
        root.after(100, self.poll)

    # --- views ------------------------------------------------------------------

    def layout(self, shown: list, join: str | None, cancel: str | None) -> None:
        for w in self.rows:
            w.pack_forget()
        for w in self.rows:
            if w in shown:
                pad = (12, 4) if w is self.form else (14, 0) if w is self.rows[-1] else (0, 6)
                w.pack(fill="x", anchor="w", pady=pad)
        if self.status.cget("text"):
            self.status.pack(fill="x", anchor="w", pady=(6, 0), before=self.rows[-1])
        self.join.configure(text=join or "", state="normal")
        self.join.pack_forget()
        self.cancel.pack_forget()
        if join:
            self.join.pack(side="right")
        if cancel:
            self.cancel.configure(text=cancel, state="normal")
            self.cancel.pack(side="right", padx=(0, 10))
        self.root.update_idletasks()
        w, h = self.root.winfo_reqwidth(), self.root.winfo_reqheight()
        x = (self.root.winfo_screenwidth() - w) // 2
        y = (self.root.winfo_screenheight() - h) // 3
        self.root.geometry(f"+{x}+{y}")

    def say(self, text: str = "", error: bool = False) -> None:
        """A line above the buttons: progress in grey, an error in red; none when empty."""
        self.status.configure(text=text, fg=RED if error else MUTED)
        if text and self.rows[-1].winfo_manager():  # else layout() packs it
            self.status.pack(fill="x", anchor="w", pady=(6, 0), before=self.rows[-1])
        elif not text:
            self.status.pack_forget()

    def show_confirm(self, rep: str | None = None, checking: bool = True) -> None:
        _ = self._
        self.mode = "confirm"
        self.heading.configure(text=_("confirm.heading"))
        self.session.configure(text=_("confirm.session", number=spaced(self.number)))
        self.rep.configure(text=_("confirm.rep", name=rep) if rep else "")
        self.server.configure(text=_("confirm.server", host=host_of(self.relay)))
        self.text.configure(text=_("confirm.explain"))
        self.say(_("confirm.checking") if checking and self.found.token else "")
        shown = [self.heading, self.session, self.server, self.text, self.rows[-1]]
        if rep:
            shown.append(self.rep)
        self.layout(shown, _("button.join"), _("button.cancel"))
        self.join.focus_set()

    def show_enter(self, error: str = "", keep_number: bool = False, keep_code: bool = False) -> None:
        """The form; the relay's field only when the file named no relay."""
        _ = self._
        self.mode = "enter"
        self.heading.configure(text=_("enter.heading"))
        self.text.configure(text=_("enter.intro"))
        for key, value in (("number", spaced(self.number) if keep_number and self.number else ""),
                           ("code", self.code if keep_code and self.code else ""),
                           ("relay", self.relay or "")):
            self.entries[key].delete(0, "end")
            self.entries[key].insert(0, value or "")
        for w in self.form.grid_slaves(row=2):  # the relay's row
            if self.found.relay:
                w.grid_remove()
            else:
                w.grid()
        self.say(error, error=bool(error))
        self.layout([self.heading, self.text, self.form, self.rows[-1]], _("button.join"),
                    _("button.cancel"))
        empty = [key for key in ("number", "code", "relay") if not self.entries[key].get() and
                 (key != "relay" or not self.found.relay)]
        self.entries[empty[0] if empty else "number"].focus_set()

    def show_joined(self) -> None:
        _ = self._
        self.mode = "joined"
        self.heading.configure(text=_("joined.heading"))
        self.session.configure(text=_("confirm.session", number=spaced(self.number)))
        self.server.configure(text=_("confirm.server", host=host_of(self.relay)))
        self.text.configure(text=_("joined.text", number=spaced(self.number)))
        self.say(self.news, error=bool(self.news))
        self.layout([self.heading, self.session, self.server, self.text, self.rows[-1]], None, _("button.leave"))

    def told(self, text: str) -> None:
        """The agent's word to the customer (`UI.tell`), in red under the session."""
        self.news = text
        if self.mode == "joined":
            self.say(text, error=True)

    def show_ended(self, error: str = "") -> None:
        _ = self._
        self.mode = "ended"
        self.text.configure(text=_("ended.text"))
        self.say(error, error=bool(error))
        self.layout([self.heading, self.session, self.server, self.text, self.rows[-1]], None,
                    _("button.close"))

    # --- actions ----------------------------------------------------------------

    def on_join(self) -> None:
        _ = self._
        if self.mode == "enter":
            number = re.sub(r"[\s-]", "", self.entries["number"].get())
            code = self.entries["code"].get().strip()
            relay = self.found.relay or self.entries["relay"].get().strip().rstrip("/")
            if not re.fullmatch(r"\d{9}", number):
                return self.say(_("error.number"), error=True)
            if not re.fullmatch(r"\d{6}", code):
                return self.say(_("error.code"), error=True)
            if relay and "://" not in relay:
                relay = "https://" + relay
            if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", relay or ""):
                return self.say(_("error.relay"), error=True)
            self.number, self.code, self.relay = number, code, relay
        elif self.mode != "confirm":
            return None
        self.mode = "busy"
        self.join.configure(state="disabled")
        self.say(_("joining"))
        self.work(self._pair)
        return None

    def on_cancel(self) -> None:
        if self.mode == "joined" and self._agent is not None:
            loop, task = self._agent
            self.cancel.configure(state="disabled")
            loop.call_soon_threadsafe(task.cancel)  # the agent thread reports "stopped", then we close
            loop.call_soon_threadsafe(loop.call_later, STOP_WATCH, _log_tasks, task)
            self.mode = "leaving"
            return
        if self.mode == "leaving":
            return
        self.root.destroy()

    # --- worker threads ---------------------------------------------------------

    def work(self, target) -> None:
        threading.Thread(target=target, daemon=True).start()

    def _check(self) -> None:
        try:
            self.events.put(("checked", check_ticket(self.relay, self.found.token, self.lang)))
        except httpx.HTTPError as exc:
            log.info("relay unreachable: %s", exc)
            self.events.put(("checked", {"error": "unreachable"}))

    def _pair(self) -> None:
        name = socket.gethostname()
        try:
            paired = pairing.pair(self.relay, self.number, self.code, name)
        except pairing.PairingError as exc:
            log.info("pairing failed: %s", exc)
            reason = "unreachable" if isinstance(exc.__cause__, httpx.HTTPError) else "refused"
            self.events.put(("pair_failed", reason))
            return
        state = {"relay": self.relay, "ws_url": pairing.ws_url(self.relay), "name": name, **paired}
        pairing.save_state(state)
        self._run_agent(state)

    def _run_agent(self, state: dict) -> None:
        """`cli.run_agent` with the CLI's defaults, in this thread's own loop, until
        the session ends, the link stops or Leave cancels it."""
        from .cli import build_parser, run_agent

        args = build_parser().parse_args(["pair", "--relay", self.relay, self.number, self.code])
        loop = asyncio.new_event_loop()
        task = loop.create_task(run_agent({**state, "lang": self.lang}, args, self.ui))
        self._agent = (loop, task)  # before the window offers Leave
        self.events.put(("paired", None))
        error = ""
        try:
            loop.run_until_complete(task)
        except asyncio.CancelledError:
            pass
        except Exception as exc:
            log.exception("the agent stopped")
            error = str(exc) or type(exc).__name__
        finally:
            loop.close()
        self.events.put(("stopped", error))

    def poll(self) -> None:
        _ = self._
        try:
            while True:
                kind, value = self.events.get_nowait()
                if kind == "checked" and self.mode == "confirm":
                    self._checked(value)
                elif kind == "pair_failed":
                    host = host_of(self.relay)
                    if value == "unreachable":
                        self.mode = "confirm" if self.found.has_session and self.code == self.found.code \
                            else "enter"
                        self.join.configure(state="normal", text=_("button.retry"))
                        self.say(_("error.unreachable", host=host), error=True)
                    else:
                        self.show_enter(_("error.refused", host=host), keep_number=True)
                elif kind == "paired":
                    self.show_joined()
                elif kind == "stopped":
                    if self.mode == "leaving":
                        self.result = 0
                        self.root.destroy()
                        return
                    self.result = 0 if not value else 1
                    self.show_ended(_("error.stopped", error=value) if value else "")
        except queue.Empty:
            pass
        self.root.after(100, self.poll)

    def _checked(self, answer: dict) -> None:
        _ = self._
        error = answer.get("error")
        host = host_of(self.relay)
        if error is None:
            self.show_confirm(rep=answer.get("rep"), checking=False)
        elif error == "unreachable":
            self.say(_("error.unreachable", host=host), error=True)
        elif error in ("used", "expired"):
            self.show_enter(_(f"error.{error}"), keep_number=True)
        elif error == "ended":
            self.show_enter(_("error.ended", number=spaced(self.number)))
        else:
            self.show_enter(_("error.invalid", host=host))

    def run(self) -> int:
        self.root.mainloop()
        return self.result


def _logging() -> None:
    """Logs go to the terminal, or (a windowed build has none) to the state folder."""
    fmt = "%(asctime)s %(name)s %(levelname)s %(message)s"
    if sys.stderr is not None:
        logging.basicConfig(level=logging.INFO, format=fmt)
    else:
        logging.basicConfig(level=logging.INFO, format=fmt, filename=str(pairing.state_dir() / "support-manager.log"))


def main() -> int:
    _logging()
    found = carried()
    lang = i18n.choose(found.lang)
    import tkinter

    try:
        launcher = Launcher(found, lang)
    except tkinter.TclError as exc:  # no display (a terminal over SSH): say how to pair from there
        if sys.stderr is not None:
            print(i18n.translator(lang)("error.no_window", error=exc), file=sys.stderr)
        return 2
    return launcher.run()
