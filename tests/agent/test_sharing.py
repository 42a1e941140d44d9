"""The Support Manager shares a desktop or one application, takes control and
stops locally — on a real X server with real xcalc windows and a real relay."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np

from agent.fallback import decode
from server.protocol import StreamKind
from tests.agent.conftest import ROOT, wait_for

SEVEN = (68 / 226, 286 / 394)  # xcalc's "7" button, as fractions of its window
DISPLAY_AREA = (8, 8, 210, 40)  # xcalc's display inside its window (x, y, w, h)


class Canvas:
    """Assembles FRAMES bodies as a viewer would."""

    def __init__(self) -> None:
        self.img: np.ndarray | None = None
        self.heads: list[tuple] = []

    def paint(self, body: bytes) -> None:
        head, tile = decode(body)
        x, y, w, h, fw, fh = head
        self.heads.append(head)
        if self.img is None or self.img.shape[:2] != (fh, fw):
            assert (x, y, w, h) == (0, 0, fw, fh), "the first frame must be a full frame"
            self.img = np.zeros((fh, fw, 3), dtype=np.uint8)
        self.img[y:y + h, x:x + w] = np.asarray(tile)


def frames_on(peer, stream: int) -> list[bytes]:
    return [body for kind, s, body in peer.frames if kind == StreamKind.FRAMES and s == stream]


def paint_all(peer, stream: int) -> Canvas:
    canvas = Canvas()
    for body in frames_on(peer, stream):
        canvas.paint(body)
    return canvas


def crop(img: np.ndarray, rect) -> np.ndarray:
    x, y, w, h = rect
    return img[y:y + h, x:x + w].astype(int)


def control(scene, stream: int, by=None, **event) -> None:
    """A CONTROL frame from ``by`` (the rep unless told)."""
    from server.protocol import FRAME_HEADER
    peer = by or scene.rep
    peer.seq += 1
    peer.ws.send(FRAME_HEADER.pack(StreamKind.CONTROL, stream, peer.seq) + json.dumps(event).encode())


def test_no_frame_before_approval_nor_after_denial_then_desktop_shows_xcalc(scene, xcalc):
    scene.start_agent()
    rect = scene.x.geometry(xcalc)
    scene.rep.send("request_grant", session=scene.session, kind="view", scope="desktop")
    st = scene.customer.state(lambda m: any(g["state"] == "pending" for g in m["grants"]))
    pending = next(g for g in st["grants"] if g["state"] == "pending")
    scene.last_grant = pending["id"]
    scene.rep.drain(1.5)
    assert not [f for f in scene.rep.frames if f[0] == StreamKind.FRAMES], "frames before the grant"
    scene.customer.send("decide_grant", session=scene.session, grant=pending["id"], approve=False)
    scene.rep.state(lambda m: all(g["id"] != pending["id"] for g in m["grants"]))  # denied: no longer live
    scene.rep.drain(1.5)
    assert not [f for f in scene.rep.frames if f[0] == StreamKind.FRAMES], "frames after a denial"

    g = scene.grant("view", "desktop")
    act = scene.activity(g["id"])
    assert act["sharer"] == scene.agent_pid
    wait_for(lambda: scene.rep.drain(0.2) or frames_on(scene.rep, act["stream"]), what="frames")
    scene.rep.drain(1.0)
    canvas = paint_all(scene.rep, act["stream"])
    assert canvas.heads[0] == (0, 0, 1024, 768, 1024, 768)
    diff = np.abs(crop(canvas.img, rect) - crop(scene.x.grab((0, 0, 1024, 768)), rect)).mean()
    assert diff < 6, f"xcalc as the rep sees it differs from the screen by {diff:.1f}"
    # every participant sees what is shared
    scene.customer.drain(0.5)
    assert frames_on(scene.customer, act["stream"])


def test_control_click_presses_xcalc_button_and_stops_with_the_grant(scene, xcalc):
    scene.start_agent()
    rect = scene.x.geometry(xcalc)
    display = (rect[0] + DISPLAY_AREA[0], rect[1] + DISPLAY_AREA[1], DISPLAY_AREA[2], DISPLAY_AREA[3])
    before = scene.x.grab(display).astype(int)
    g = scene.grant("control", "desktop")
    act = scene.activity(g["id"])
    fx = (rect[0] + SEVEN[0] * rect[2]) / 1024
    fy = (rect[1] + SEVEN[1] * rect[3]) / 768
    control(scene, act["stream"], t="click", x=fx, y=fy, b="left")
    wait_for(lambda: np.abs(scene.x.grab(display).astype(int) - before).max() > 60, 10, "xcalc's display to change"
             + str(scene.rep.drain(0.5) or [m for m in scene.rep.messages if m["type"] == "error"]))
    # the controller also sees the screen, frames on the control stream
    wait_for(lambda: scene.rep.drain(0.2) or frames_on(scene.rep, act["stream"]), what="frames")
    # keys: a DOM key name typed into xcalc
    after_click = scene.x.grab(display).astype(int)
    control(scene, act["stream"], t="move", x=fx, y=fy)
    control(scene, act["stream"], t="key", key="8", down=True)
    control(scene, act["stream"], t="key", key="8", down=False)
    wait_for(lambda: np.abs(scene.x.grab(display).astype(int) - after_click).max() > 60, 10, "the key to show")
    # the customer revokes: input stops at once
    scene.customer.send("revoke_grant", session=scene.session, grant=g["id"])
    scene.rep.state(lambda m: not m["activities"])
    time.sleep(0.5)
    settled = scene.x.grab(display).astype(int)
    control(scene, act["stream"], t="key", key="9", down=True)  # the relay refuses; nothing reaches xcalc
    control(scene, act["stream"], t="key", key="9", down=False)
    time.sleep(1.0)
    assert np.abs(scene.x.grab(display).astype(int) - settled).mean() == 0


def test_application_sharing_sends_only_that_window_and_confines_control(scene, xcalc):
    other = scene.x.start_window(["xcalc", "-title", "Other", "-geometry", "+600+300"], "Other")
    scene.x.place(xcalc, 0, 0)  # where a window manager put them is its business: side by side
    scene.x.place(other, 600, 300)
    scene.start_agent("--window", "Calculator")
    rect, orect = scene.x.geometry(xcalc), scene.x.geometry(other)
    assert rect[0] + rect[2] < orect[0]
    g = scene.grant("control", "application")
    act = scene.activity(g["id"])
    assert act["scope"] == "application"
    wait_for(lambda: scene.rep.drain(0.2) or frames_on(scene.rep, act["stream"]), what="frames")
    scene.rep.drain(1.0)
    canvas = paint_all(scene.rep, act["stream"])
    assert {h[4:] for h in canvas.heads} == {(rect[2], rect[3])}, "frames cover only the shared window"
    diff = np.abs(canvas.img.astype(int) - scene.x.grab(rect).astype(int)).mean()
    assert diff < 6, f"shared window differs from xcalc by {diff:.1f}"

    # a click whose fractions land on the other window's "7" is dropped
    odisplay = (orect[0] + DISPLAY_AREA[0], orect[1] + DISPLAY_AREA[1], DISPLAY_AREA[2], DISPLAY_AREA[3])
    obefore = scene.x.grab(odisplay).astype(int)
    ox, oy = orect[0] + SEVEN[0] * orect[2], orect[1] + SEVEN[1] * orect[3]
    control(scene, act["stream"], t="click", x=(ox - rect[0]) / rect[2], y=(oy - rect[1]) / rect[3], b="left")
    # while a click inside the shared window lands
    display = (rect[0] + DISPLAY_AREA[0], rect[1] + DISPLAY_AREA[1], DISPLAY_AREA[2], DISPLAY_AREA[3])
    before = scene.x.grab(display).astype(int)
    control(scene, act["stream"], t="click", x=SEVEN[0], y=SEVEN[1], b="left")
    wait_for(lambda: np.abs(scene.x.grab(display).astype(int) - before).max() > 60, 10, "xcalc's display to change")
    assert np.abs(scene.x.grab(odisplay).astype(int) - obefore).mean() == 0, "input left the shared window"
    scene.rep.drain(0.5)
    assert {h[4:] for h in paint_all(scene.rep, act["stream"]).heads} == {(rect[2], rect[3])}


def test_tandem_agent_stop_revokes_every_grant_at_once(scene, xcalc):
    scene.start_agent()
    view = scene.grant("view", "desktop")
    ctl = scene.grant("control", "desktop")
    scene.activity(ctl["id"])
    out = subprocess.run([sys.executable, "-m", "agent", "stop"], env=scene.agent_env, cwd=ROOT,
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    st = scene.rep.state(lambda m: not {g["id"] for g in m["grants"]} & {view["id"], ctl["id"]}
                         and not m["activities"])  # revoked grants leave the live list
    assert not st["activities"]
    # and no more frames arrive
    scene.rep.drain(0.5)
    n = len(scene.rep.frames)
    scene.rep.drain(1.0)
    assert len(scene.rep.frames) == n


def test_share_control_lets_the_customer_work_the_reps_xcalc(scene, xcalc):
    """Share control through the rep's own Support Manager: the customer's
    clicks and keys reach xcalc on the rep's machine, until the rep stops."""
    scene.start_agent(owner="rep")
    rect = scene.x.geometry(xcalc)
    display = (rect[0] + DISPLAY_AREA[0], rect[1] + DISPLAY_AREA[1], DISPLAY_AREA[2], DISPLAY_AREA[3])
    before = scene.x.grab(display).astype(int)
    scene.rep.send("request_grant", session=scene.session, kind="control", scope="desktop", direction="share")
    st = scene.customer.state(lambda m: any(g["kind"] == "control" and g["state"] == "pending" for g in m["grants"]))
    gid = next(g["id"] for g in st["grants"] if g["kind"] == "control")
    scene.customer.send("decide_grant", session=scene.session, grant=gid, approve=True)
    st = scene.customer.state(lambda m: any(a.get("grant") == gid for a in m["activities"]))
    stream = next(a["stream"] for a in st["activities"] if a.get("grant") == gid)
    fx, fy = (rect[0] + SEVEN[0] * rect[2]) / 1024, (rect[1] + SEVEN[1] * rect[3]) / 768
    control(scene, stream, scene.customer, t="click", x=fx, y=fy, b="left")
    wait_for(lambda: np.abs(scene.x.grab(display).astype(int) - before).max() > 60, 10, "the customer's click")
    after_click = scene.x.grab(display).astype(int)
    control(scene, stream, scene.customer, t="key", key="8", down=True)
    control(scene, stream, scene.customer, t="key", key="8", down=False)
    wait_for(lambda: np.abs(scene.x.grab(display).astype(int) - after_click).max() > 60, 10, "the customer's key")
    # the rep stops sharing: the customer's input goes nowhere
    scene.rep.send("revoke_grant", session=scene.session, grant=gid)
    scene.customer.state(lambda m: not m["activities"])
    settled = scene.x.grab(display).astype(int)
    seq = scene.customer.seq + 1
    control(scene, stream, scene.customer, t="key", key="9", down=True)
    assert scene.customer.expect("error", lambda m: m.get("ref") == seq)["code"] == "not_allowed"
    scene.customer.drain(1.0)
    assert np.abs(scene.x.grab(display).astype(int) - settled).mean() == 0
