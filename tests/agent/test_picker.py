"""The customer picks the application to share from the Support Manager's
list; Cancel denies the request; a window closed while shared ends it. Real
X windows, the agent's own Tk window driven with real key presses."""

from __future__ import annotations

import sys

import numpy as np

from .conftest import wait_for
from .test_sharing import frames_on, paint_all
from .test_support_manager_file import ERROR_RED, button

PICKER = "choose an application"


def two_windows(scene) -> tuple[int, int]:
    ledger = scene.x.start_window(["xcalc", "-title", "Ledger"], "Ledger")
    invoices = scene.x.start_window(["xcalc", "-title", "Invoices"], "Invoices")
    scene.x.place(ledger, 0, 0)
    scene.x.place(invoices, 500, 250)
    return ledger, invoices


def picker_keys(scene, *keys: str) -> None:
    """Answer the Support Manager's list as the customer does, with the keyboard."""
    found = wait_for(lambda: scene.x.xdotool("search", "--onlyvisible", "--name", PICKER).split(),
                     what="the Support Manager's list of applications")
    scene.x.xdotool("windowfocus", "--sync", found[0])
    scene.x.xdotool("key", "--delay", "100", *keys)


def request_application_view(scene) -> int:
    seq = scene.rep.send("request_grant", session=scene.session, kind="view", scope="application")
    st = scene.rep.state(lambda m: any(g["scope"] == "application" for g in m["grants"]))
    assert seq
    return next(g["id"] for g in st["grants"] if g["scope"] == "application")


def test_the_customer_picks_the_window_and_only_it_is_shared(scene):
    ledger, invoices = two_windows(scene)
    scene.start_agent()
    gid = request_application_view(scene)
    scene.rep.drain(1.0)
    assert not scene.rep.frames  # nothing before the choice
    picker_keys(scene, "Down", "Return")  # the list starts at the window on top (Invoices): pick Ledger
    st = scene.rep.state(lambda m: any(g["id"] == gid and g["state"] == "approved" for g in m["grants"]))
    act = next(a for a in st["activities"] if a.get("grant") == gid)
    wait_for(lambda: scene.rep.drain(0.2) or frames_on(scene.rep, act["stream"]), what="frames")
    scene.rep.drain(1.0)
    rect = scene.x.geometry(ledger)
    canvas = paint_all(scene.rep, act["stream"])
    assert {h[4:] for h in canvas.heads} == {(rect[2], rect[3])}, "frames show the chosen window only"
    assert np.abs(canvas.img.astype(int) - scene.x.grab(rect).astype(int)).mean() < 6

    # closing the shared window ends the share; the rep sees it end
    scene.x.xdotool("windowkill", str(ledger))
    scene.rep.state(lambda m: not any(a.get("grant") == gid for a in m["activities"]), timeout=30)
    assert "was closed" in scene.agent_log.read_text(encoding="utf-8")


def test_cancel_in_the_list_denies_the_request_and_shares_nothing(scene):
    two_windows(scene)
    scene.start_agent()
    gid = request_application_view(scene)
    picker_keys(scene, "Escape")
    st = scene.rep.state(lambda m: all(g["id"] != gid for g in m["grants"]))
    assert not st["activities"]
    scene.rep.drain(1.0)
    assert not scene.rep.frames


def test_the_rep_shares_one_of_their_applications_picked_on_their_own_machine(scene):
    """Share view of an application through the rep's own Support Manager: the
    rep picks the window in its list; the customer, who accepted, sees that
    window only, and nothing before the choice. Cancel in the list withdraws
    the offer."""
    ledger, _invoices = two_windows(scene)
    scene.start_agent(owner="rep")

    def offer() -> int:
        scene.rep.send("request_grant", session=scene.session, kind="view", scope="application", direction="share")
        st = scene.customer.state(lambda m: any(g["scope"] == "application" and g["state"] == "pending"
                                                for g in m["grants"]))
        return next(g["id"] for g in st["grants"] if g["scope"] == "application" and g["state"] == "pending")

    gid = offer()
    scene.customer.send("decide_grant", session=scene.session, grant=gid, approve=True)
    st = scene.customer.state(lambda m: any(a.get("grant") == gid for a in m["activities"]))
    stream = next(a["stream"] for a in st["activities"] if a.get("grant") == gid)
    scene.customer.drain(1.0)
    assert not frames_on(scene.customer, stream), "a window was shown before the rep chose one"
    picker_keys(scene, "Down", "Return")  # Invoices is on top: the rep picks Ledger
    wait_for(lambda: scene.customer.drain(0.2) or frames_on(scene.customer, stream), what="frames at the customer")
    scene.customer.drain(1.0)
    rect = scene.x.geometry(ledger)
    canvas = paint_all(scene.customer, stream)
    assert {h[4:] for h in canvas.heads} == {(rect[2], rect[3])}, "frames show the chosen window only"
    assert np.abs(canvas.img.astype(int) - scene.x.grab(rect).astype(int)).mean() < 6

    scene.rep.send("revoke_grant", session=scene.session, grant=gid)
    scene.customer.state(lambda m: not m["activities"])
    gid = offer()
    picker_keys(scene, "Escape")
    scene.customer.state(lambda m: all(g["id"] != gid for g in m["grants"]))


def test_a_customer_in_the_support_managers_window_picks_and_reads_that_the_window_closed(scene):
    """Started as a customer starts it (its window, no terminal, in Danish):
    the list offers the customer's windows, not the Support Manager's own, and
    when the shared window is closed the Support Manager's window says so."""
    ledger, _invoices = two_windows(scene)
    wid = scene.join_from_window(LANGUAGE="da")
    gid = request_application_view(scene)
    found = wait_for(lambda: scene.x.xdotool("search", "--onlyvisible", "--name", "lg et program$").split(),  # xdotool: ASCII
                     what="the Support Manager's list in Danish")
    scene.x.xdotool("windowfocus", "--sync", found[0])
    scene.x.xdotool("key", "--delay", "100", "Down", "Return")  # Invoices, then Ledger: its own window is not listed
    st = scene.rep.state(lambda m: any(g["id"] == gid and g["state"] == "approved" for g in m["grants"]))
    act = next(a for a in st["activities"] if a.get("grant") == gid)
    wait_for(lambda: scene.rep.drain(0.2) or frames_on(scene.rep, act["stream"]), what="frames")
    rect = scene.x.geometry(ledger)
    assert {h[4:] for h in paint_all(scene.rep, act["stream"]).heads} == {(rect[2], rect[3])}
    assert not button(scene.x, wid, ERROR_RED)

    scene.x.xdotool("windowkill", str(ledger))
    scene.rep.state(lambda m: not any(a.get("grant") == gid for a in m["activities"]), timeout=30)
    wait_for(lambda: button(scene.x, wid, ERROR_RED), what="the Support Manager's window to say the window closed")
    assert 'Det delte vindue "Ledger" blev lukket' in scene.agent_log.read_text(encoding="utf-8")


GREENHOUSE = """
import tkinter as tk
root = tk.Tk()
root.title("Greenhouse")
root.geometry("300x200+40+40")
icon = tk.PhotoImage(width=32, height=32)
icon.put("#00c000", to=(0, 0, 32, 32))
root.iconphoto(True, icon)
root.mainloop()
"""


def test_the_list_shows_each_programs_icon_where_the_platform_gives_it(scene):
    """X11 windows carry their icons (_NET_WM_ICON): the list shows them beside
    the titles. PyWinCtl (the portable backend) gives none: titles only."""
    scene.x.start_window([sys.executable, "-c", GREENHOUSE], "Greenhouse")
    scene.start_agent()
    gid = request_application_view(scene)
    found = wait_for(lambda: scene.x.xdotool("search", "--onlyvisible", "--name", PICKER).split(),
                     what="the Support Manager's list of applications")
    picker = int(found[0])
    scene.x.xdotool("windowfocus", "--sync", str(picker))

    def green() -> int:
        img = scene.x.grab(scene.x.geometry(picker)).astype(int)
        return int(np.all(np.abs(img - (0, 0xC0, 0)) <= 6, axis=-1).sum())
    if scene.x.backend == "x11":
        wait_for(lambda: green() >= 200, what="the program's icon in the list")  # 16 x 16, in its colour
    else:
        scene.x.xdotool("sleep", "0.5")
        assert green() == 0
    scene.x.xdotool("key", "Escape")
    scene.rep.state(lambda m: all(g["id"] != gid for g in m["grants"]))
