"""The second key: before the first control grant and the first file grant of
a session, the Support Manager asks the person at the machine in its own
window. The session page's Allow alone (or a relay that forges it) moves
no pointer and opens no file. Driven with real key presses on the real window."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from .conftest import wait_for
from .test_sharing import DISPLAY_AREA, SEVEN, control

ASKING = "allow?"  # the consent window's title: "Tandem Support Manager — allow?"


def answer(scene, *keys: str) -> None:
    found = wait_for(lambda: scene.x.xdotool("search", "--onlyvisible", "--name", ASKING).split(),
                     what="the Support Manager to ask the person at the machine")
    scene.x.xdotool("windowfocus", "--sync", found[0])
    scene.x.xdotool("key", "--delay", "100", *keys)


def xcalc_display(scene, xcalc) -> tuple[tuple, np.ndarray]:
    scene.x.place(xcalc, 0, 0)  # clear of the question, which opens in the middle of the screen
    x, y, _, _ = scene.x.geometry(xcalc)
    area = (x + DISPLAY_AREA[0], y + DISPLAY_AREA[1], DISPLAY_AREA[2], DISPLAY_AREA[3])
    return area, scene.x.grab(area).astype(int)


def click_seven(scene, stream: int, xcalc: int) -> None:
    """A click on xcalc's 7, in fractions of the shared screen (1024x768)."""
    x, y, w, h = scene.x.geometry(xcalc)
    control(scene, stream, t="click", x=(x + SEVEN[0] * w) / 1024, y=(y + SEVEN[1] * h) / 768, b="left")


def test_control_waits_for_the_person_at_the_machine_and_then_works(scene, xcalc):
    scene.start_agent(allow=None)
    g = scene.grant("control", "desktop")  # the customer's page said Allow
    act = scene.activity(g["id"])
    area, before = xcalc_display(scene, xcalc)
    click_seven(scene, act["stream"], xcalc)
    scene.rep.drain(1.0)
    assert np.abs(scene.x.grab(area).astype(int) - before).max() == 0, "input before the machine's own Allow"
    answer(scene, "Tab", "space")  # focus starts on "Don't allow": Tab to Allow, then press it
    wait_for(lambda: scene.x.grab(area).astype(int).tolist() != before.tolist() or click_seven(scene, act["stream"], xcalc),
             what="the click to reach xcalc once allowed", step=0.5)
    # asked once a session: a second control grant needs no second question
    scene.customer.send("revoke_grant", session=scene.session, grant=g["id"])
    scene.rep.now(lambda m: not m["activities"])
    g2 = scene.grant("control", "desktop")
    act2 = scene.activity(g2["id"])
    _, settled = xcalc_display(scene, xcalc)
    wait_for(lambda: scene.x.grab(area).astype(int).tolist() != settled.tolist() or click_seven(scene, act2["stream"], xcalc),
             what="control without a second question", step=0.5)
    assert not scene.x.xdotool("search", "--onlyvisible", "--name", ASKING).split()


def test_dont_allow_ends_the_control_grant_and_nothing_reaches_the_desktop(scene, xcalc):
    scene.start_agent(allow=None)
    g = scene.grant("control", "desktop")
    act = scene.activity(g["id"])
    area, before = xcalc_display(scene, xcalc)
    answer(scene, "Escape")
    scene.rep.state(lambda m: all(x["id"] != g["id"] for x in m["grants"]))  # revoked: gone from the live list
    click_seven(scene, act["stream"], xcalc)
    scene.rep.drain(1.0)
    assert np.abs(scene.x.grab(area).astype(int) - before).max() == 0


def test_files_wait_for_the_person_at_the_machine(scene, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "invoice.pdf").write_bytes(b"%PDF-1.4 Ann's invoice")
    scene.start_agent("--share-folder", str(shared), allow=None)
    g = scene.grant("files", "desktop")
    act = scene.activity(g["id"])

    scene.rep.send("file_request", session=scene.session, activity=act["id"], request=1, op="list", path="")
    scene.rep.drain(1.0)
    assert not [m for m in scene.rep.messages if m["type"] == "file_message"], "served before the machine's Allow"
    answer(scene, "Escape")  # the person at the machine says no
    refused = scene.rep.expect("file_message", lambda m: m["message"].get("request") == 1)
    assert refused["message"]["ok"] is False and "did not allow" in refused["message"]["error"]
    scene.rep.now(lambda m: all(x["id"] != g["id"] for x in m["grants"]))  # and the grant ends


def test_files_are_served_once_allowed(scene, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "invoice.pdf").write_bytes(b"%PDF-1.4 Ann's invoice")
    scene.start_agent("--share-folder", str(shared), allow=None)
    act = scene.activity(scene.grant("files", "desktop")["id"])
    scene.rep.send("file_request", session=scene.session, activity=act["id"], request=1, op="list", path="")
    answer(scene, "Tab", "space")
    listed = scene.rep.expect("file_message", lambda m: m["message"].get("request") == 1)
    assert listed["message"]["ok"] is True
    assert [e["name"] for e in listed["message"]["entries"]] == ["invoice.pdf"]


QUESTION = """
import tkinter as tk
from agent.ui import center, dialog
root = tk.Tk()
root.withdraw()
top, body, buttons = dialog(root, "Tandem Support Manager - allow?", "Rita asks to control", "Allow?")
tk.Button(buttons, text="Allow").pack()
root.update_idletasks()  # an idle moment before it is placed (a busy machine has them)
print(top.winfo_ismapped())
center(top)
root.update()
print(top.winfo_ismapped(), top.winfo_rootx(), top.winfo_rooty())
"""


def test_the_question_appears_only_where_it_belongs(xserver):
    """The consent question (and the window list, built the same way) is
    shown only once placed in the middle of the screen: never, even for a
    moment, over the screen's top-left corner, hiding what is there from the
    person at the machine and the rep who watches it."""
    out = subprocess.run([sys.executable, "-c", QUESTION], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[2], check=True).stdout.split()
    assert out[0] == "0", "the question was on the screen before it was placed"
    mapped, x, y = map(int, out[1:])
    assert mapped == 1 and x > 100 and y > 100
