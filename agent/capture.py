"""Screen capture with mss (XShm on X11, GDI on Windows, Quartz on macOS),
reporting only what changed.

A `Capturer` grabs a monitor or a fixed rectangle (an application window's),
compares it with the previous grab in TILE×TILE tiles (numpy) and returns the
changed areas merged into a few rectangles. The platform's change watch (X
DAMAGE on the x11 backend) says whether anything was drawn at all since the
last look, so a static screen costs no grab, no compare and no encoding there.
Call from one thread only (mss and Xlib keep per-thread X resources).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import mss
import numpy as np

from .platform import backend

log = logging.getLogger(__name__)

TILE = 64


@dataclass(frozen=True)
class Quality:
    """Standard favours image quality, Screen sampling favours speed."""
    name: str
    scale: float
    jpeg_quality: int
    fps: float


STANDARD = Quality("standard", 1.0, 85, 30.0)
SAMPLING = Quality("sampling", 0.5, 60, 12.0)
QUALITIES = {q.name: q for q in (STANDARD, SAMPLING)}


@dataclass(frozen=True)
class Region:
    x: int
    y: int
    w: int
    h: int


def _new_mss():
    cls = getattr(mss, "MSS", None) or mss.mss
    return cls()


def monitors() -> list[dict]:
    """mss monitors: [0] is all of them, [1..] each one."""
    with _new_mss() as s:
        return [dict(m) for m in s.monitors]


class Capturer:
    def __init__(self, monitor: int = 1, rect: tuple[int, int, int, int] | None = None) -> None:
        self._mss = _new_mss()
        self.damage = backend().changes.Watch()
        mons = self._mss.monitors
        self.monitor = mons[monitor if 0 <= monitor < len(mons) else 1 if len(mons) > 1 else 0]
        self.rect = rect
        self.prev: np.ndarray | None = None

    def set_rect(self, rect: tuple[int, int, int, int] | None) -> None:
        if rect != self.rect:
            self.rect = rect
            self.prev = None  # size or place changed: everything is new

    @property
    def area(self) -> tuple[int, int, int, int]:
        """The captured rectangle in root coordinates (left, top, width, height)."""
        if self.rect is not None:
            return self.rect
        m = self.monitor
        return m["left"], m["top"], m["width"], m["height"]

    def grab(self) -> np.ndarray:
        """The area as BGRA pixels (height × width × 4, uint8)."""
        x, y, w, h = self.area
        shot = self._mss.grab({"left": x, "top": y, "width": w, "height": h})
        return np.frombuffer(bytes(shot.raw), dtype=np.uint8).reshape(shot.height, shot.width, 4)

    def changes(self, full: bool = False) -> tuple[np.ndarray, list[Region]]:
        """Grab; return (BGRA image, changed regions). ``full`` or a first grab → the whole area."""
        drawn = self.damage.changed()
        if not (full or drawn or self.prev is None):
            return self.prev, []  # nothing was drawn: nothing to grab
        img = self.grab()
        h, w = img.shape[:2]
        prev, self.prev = self.prev, img
        if full or prev is None or prev.shape != img.shape:
            return img, [Region(0, 0, w, h)]
        raw, self._raw = getattr(self, "_raw", None), _bytes_of(img)
        if not self.damage.exact and raw == self._raw:  # one memcmp: a still screen
            return img, []
        return img, changed_regions(prev, img)

    def close(self) -> None:
        self._mss.close()
        self.damage.close()


def _bytes_of(img: np.ndarray) -> bytes | None:
    """The bytes a `Capturer.grab` array lies on (two grabs compare in one memcmp)."""
    base = img
    while isinstance(base, np.ndarray):
        base = base.base
    return base if isinstance(base, bytes) else None


def changed_tiles(prev: np.ndarray, cur: np.ndarray, tile: int = TILE) -> np.ndarray:
    """Boolean grid (rows × cols): which tiles differ (BGRA images compared as u32)."""
    h, w = cur.shape[:2]
    rows, cols = -(-h // tile), -(-w // tile)
    diff = prev.view(np.uint32)[:, :, 0] != cur.view(np.uint32)[:, :, 0]
    pad = np.zeros((rows * tile, cols * tile), dtype=bool)
    pad[:h, :w] = diff
    return pad.reshape(rows, tile, cols, tile).any(axis=(1, 3))


def changed_regions(prev: np.ndarray, cur: np.ndarray, tile: int = TILE, limit: int = 8) -> list[Region]:
    """Changed tiles merged into at most ``limit`` rectangles: runs of changed
    rows become bands spanning their changed columns (few frames per grab keeps
    under the relay's message rate)."""
    grid = changed_tiles(prev, cur, tile)
    h, w = cur.shape[:2]
    rows = np.flatnonzero(grid.any(axis=1))
    if rows.size == 0:
        return []
    bands: list[tuple[int, int]] = []  # (first row, last row)
    for r in rows:
        if bands and r == bands[-1][1] + 1:
            bands[-1] = (bands[-1][0], r)
        else:
            bands.append((r, r))
    while len(bands) > limit:  # merge the two closest bands
        i = min(range(len(bands) - 1), key=lambda k: bands[k + 1][0] - bands[k][1])
        bands[i:i + 2] = [(bands[i][0], bands[i + 1][1])]
    out = []
    for r0, r1 in bands:
        cols = np.flatnonzero(grid[r0:r1 + 1].any(axis=0))
        x0, x1 = cols[0] * tile, min((cols[-1] + 1) * tile, w)
        y0, y1 = r0 * tile, min((r1 + 1) * tile, h)
        out.append(Region(int(x0), int(y0), int(x1 - x0), int(y1 - y0)))
    return out
