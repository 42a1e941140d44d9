"""Which application window is offered and shared (a real Xvfb, real X11 clients)."""

from __future__ import annotations

import subprocess
import sys

from .conftest import X

PICK = """
import os, sys
from Xlib import X as XC, display
from agent.platform import backend
windows = backend().windows
d = display.Display()
own = d.screen().root.create_window(0, 0, 300, 200, 0, d.screen().root_depth, XC.InputOutput, XC.CopyFromParent)
own.set_wm_name("Tandem Support Manager")
own.change_property(d.intern_atom("_NET_WM_PID"), d.intern_atom("CARDINAL"), 32, [os.getpid()])
own.map()
d.sync()
mapped = False
for _ in range(100):
    mapped = own.get_attributes().map_state == XC.IsViewable
    if mapped:
        break
    d.sync()
print("|".join(w.title for w in windows.list_windows()))
w = windows.find_window(sys.argv[1] if len(sys.argv) > 1 else None)
print(w.title if w else "")
"""


def pick(x: X, *title: str) -> tuple[list[str], str]:
    out = subprocess.run([sys.executable, "-c", PICK, *title], env=x.env, capture_output=True, text=True,
                         timeout=20, check=True).stdout.splitlines()
    return out[0].split("|"), out[1]


def test_without_a_title_the_topmost_window_is_shared_never_the_support_managers_own(xserver):
    xserver.start_window(["xcalc", "-title", "Ledger"], "Ledger")
    xserver.start_window(["xcalc", "-title", "Invoices", "-geometry", "+300+200"], "Invoices")
    listed, chosen = pick(xserver)
    assert listed == ["Ledger", "Invoices"]  # bottom to top; the agent's own window is not offered
    assert chosen == "Invoices"  # the one on top, where the customer works
    assert pick(xserver, "ledg")[1] == "Ledger"  # a title picks by case-insensitive substring
    assert pick(xserver, "nothing like it")[1] == ""


# The Support Manager's real windows: Tk, which does not say which process
# owns a window; the launcher window and a question on top of it.
OWN_TK = """
import tkinter as tk
from agent.platform import backend
from agent.ui import UI, dialog
root = tk.Tk()
UI(root)
root.title("Tandem Support Manager")
tk.Label(root, text="You are in the session").pack()
dialog(root, "Tandem Support Manager - a question", "Allow?", "")
for _ in range(100):
    root.update()
    if root.winfo_viewable():
        break
root.after(300, root.quit)
root.mainloop()
print("|".join(w.title for w in backend().windows.list_windows()))
w = backend().windows.find_window(None)
print(w.title if w else "")
"""


def test_the_support_managers_own_tk_windows_are_never_offered(xserver):
    xserver.start_window(["xcalc", "-title", "Ledger"], "Ledger")
    out = subprocess.run([sys.executable, "-c", OWN_TK], env=xserver.env, capture_output=True, text=True,
                         timeout=30, check=True).stdout.splitlines()
    assert out == ["Ledger", "Ledger"]  # listed, and chosen without a title: never the Support Manager's own
