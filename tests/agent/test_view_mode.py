"""The session's view mode reaches the Support Manager: when the primary
switches to Screen sampling, the desktop it sends over the relay becomes a
half-size, lighter picture at once, and Standard brings the full one back.
Real Xvfb with xcalc, a real relay, the agent as a subprocess."""

from __future__ import annotations

import numpy as np
from PIL import Image

from agent.fallback import decode
from tests.agent.conftest import wait_for
from tests.agent.test_sharing import Canvas, crop, frames_on


def whole_picture(scene, stream: int, size: tuple[int, int]) -> tuple[Canvas, int]:
    """The rep's picture from the first whole frame of ``size`` (w, h) on, and
    that frame's length in bytes. Frames still under way in the old size are
    skipped, as a viewer repaints on a whole picture."""
    def first() -> list[int] | None:
        scene.rep.drain(0.2)
        return next(([i] for i, body in enumerate(frames_on(scene.rep, stream))
                     if decode(body)[0] == (0, 0, *size, *size)), None)
    [start] = wait_for(first, what=f"a whole {size[0]}x{size[1]} picture")
    scene.rep.drain(1.0)  # and what follows it
    bodies = frames_on(scene.rep, stream)[start:]
    canvas = Canvas()
    for body in bodies:
        if decode(body)[0][4:] == size:
            canvas.paint(body)
    return canvas, len(bodies[0])


def test_screen_sampling_set_by_the_primary_halves_the_picture_over_the_relay(scene, xcalc):
    scene.start_agent("--no-indicator-window")
    rect = scene.x.geometry(xcalc)
    act = scene.activity(scene.grant("view", "desktop")["id"])
    standard, standard_bytes = whole_picture(scene, act["stream"], (1024, 768))
    screen = scene.x.grab((0, 0, 1024, 768))
    assert np.abs(crop(standard.img, rect) - crop(screen, rect)).mean() < 6

    # Only the primary chooses: the customer is refused and nothing changes.
    scene.customer.send("set_view_mode", session=scene.session, mode="sampling")
    refused = scene.customer.expect("error")
    assert refused["code"] == "not_allowed" and "only the primary" in refused["message"]

    scene.rep.send("set_view_mode", session=scene.session, mode="sampling")
    assert scene.customer.state(lambda m: m["view_mode"] == "sampling")["view_mode"] == "sampling"
    scene.rep.frames.clear()
    sampled, sampled_bytes = whole_picture(scene, act["stream"], (512, 384))
    # The same screen, at half the size and much lighter on the wire.
    half = np.asarray(Image.fromarray(screen).resize((512, 384), Image.BILINEAR)).astype(int)
    small = tuple(v // 2 for v in rect)
    assert np.abs(crop(sampled.img, small) - crop(half, small)).mean() < 12
    assert sampled_bytes * 3 < standard_bytes, (sampled_bytes, standard_bytes)

    # Back to Standard: the full picture returns.
    scene.rep.send("set_view_mode", session=scene.session, mode="standard")
    scene.rep.frames.clear()
    again, _ = whole_picture(scene, act["stream"], (1024, 768))
    assert np.abs(crop(again.img, rect) - crop(scene.x.grab((0, 0, 1024, 768)), rect)).mean() < 6
