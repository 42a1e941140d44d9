"""Only what changed leaves the machine, and FRAMES bodies decode to it."""

import time

import numpy as np

from agent.capture import SAMPLING, STANDARD, Region, changed_regions
from agent.fallback import FrameEncoder, decode


def screen(h=768, w=1024) -> np.ndarray:
    img = np.zeros((h, w, 4), dtype=np.uint8)
    img[:, :, 0] = np.arange(w, dtype=np.uint8)[None, :]
    return img


def test_a_static_screen_has_no_changed_region():
    a = screen()
    assert changed_regions(a, a.copy()) == []


def test_changed_regions_cover_every_change_and_little_else():
    a, b = screen(), screen()
    b[100, 100] = 255
    b[700, 1000] = 255
    regions = changed_regions(a, b)
    assert regions == [Region(64, 64, 64, 64), Region(960, 640, 64, 64)]
    assert sum(r.w * r.h for r in regions) < a.shape[0] * a.shape[1] / 50


def test_many_changes_merge_into_few_rectangles():
    a, b = screen(), screen()
    b[::32, ::32] = 255
    assert len(changed_regions(a, b, limit=8)) <= 8


def test_frames_decode_to_the_captured_pixels_in_both_qualities():
    img = screen()
    img[200:300, 300:500, :3] = (40, 160, 220)
    for quality in (STANDARD, SAMPLING):
        [body] = FrameEncoder(quality).bodies(img, [Region(256, 192, 320, 128)])
        (x, y, w, h, fw, fh), tile = decode(body)
        s = quality.scale
        assert (fw, fh) == (1024 * s, 768 * s) and (x, y) == (256 * s, 192 * s) and (w, h) == (320 * s, 128 * s)
        r, g, b = np.asarray(tile)[int(40 * s), int(100 * s)]
        assert abs(int(r) - 220) < 12 and abs(int(g) - 160) < 12 and abs(int(b) - 40) < 12


def test_a_still_screen_sends_nothing_and_a_key_press_shows(xserver, xcalc, monkeypatch):
    from agent.capture import Capturer
    cap = Capturer()
    try:
        assert cap.damage.exact is (xserver.backend == "x11")  # X DAMAGE on the fast path only
        img, regions = cap.changes()
        assert regions == [Region(0, 0, 1024, 768)]
        grabs = []
        real = cap.grab
        monkeypatch.setattr(cap, "grab", lambda: grabs.append(1) or real())
        for _ in range(5):
            assert cap.changes()[1] == []
        # nothing drawn: the fast path grabs nothing; the portable one grabs and finds no change
        assert len(grabs) == (0 if xserver.backend == "x11" else 5)
        x, y, w, h = xserver.geometry(xcalc)
        xserver.xdotool("mousemove", str(x + w // 2), str(y + h // 2))
        xserver.xdotool("key", "7")
        deadline = time.monotonic() + 10
        while not (regions := cap.changes()[1]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert regions and grabs
        assert all(x <= r.x + r.w and r.x <= x + w and y <= r.y + r.h and r.y <= y + h for r in regions)
    finally:
        cap.close()
