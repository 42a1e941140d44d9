"""FRAMES (kind 4) bodies: the screen over the relay when WebRTC cannot connect.

Body = 12-byte big-endian header ``!6H`` (x, y, w, h, full_w, full_h) + a JPEG
of that rectangle. Coordinates are in the sent picture (scaled in Screen
sampling), whose size is full_w × full_h; a viewer paints each rectangle onto
a canvas of that size. The first frame after a viewer joins or the view starts
covers the whole picture (`FrameEncoder.want_full()`).
"""

from __future__ import annotations

import io
import struct

import numpy as np
import simplejpeg
from PIL import Image

from .capture import STANDARD, Quality, Region

HEADER = struct.Struct("!6H")


def encode_jpeg(pixels: np.ndarray, quality: int) -> bytes:
    """JPEG (4:2:0) of a BGRA (4 channels) or RGB (3 channels) array."""
    space = "BGRA" if pixels.shape[2] == 4 else "RGB"
    return simplejpeg.encode_jpeg(np.ascontiguousarray(pixels), quality, colorspace=space, colorsubsampling="420")


def decode(body: bytes) -> tuple[tuple[int, int, int, int, int, int], Image.Image]:
    """(x, y, w, h, full_w, full_h), RGB image — for viewers and tests."""
    head = HEADER.unpack_from(body)
    return head, Image.open(io.BytesIO(body[HEADER.size:])).convert("RGB")


class FrameEncoder:
    def __init__(self, quality: Quality = STANDARD) -> None:
        self.quality = quality
        self._full = True

    def want_full(self) -> None:
        self._full = True

    def take_full(self) -> bool:
        full, self._full = self._full, False
        return full

    def bodies(self, img: np.ndarray, regions: list[Region]) -> list[bytes]:
        """One body per region of ``img`` (BGRA, the whole captured area)."""
        h, w = img.shape[:2]
        s = self.quality.scale
        fw, fh = max(1, round(w * s)), max(1, round(h * s))
        out = []
        for r in regions:
            crop = img[r.y:r.y + r.h, r.x:r.x + r.w]
            x, y = int(r.x * s), int(r.y * s)
            cw, ch = max(1, min(fw - x, round(r.w * s))), max(1, min(fh - y, round(r.h * s)))
            if s != 1.0:
                small = Image.frombytes("RGB", (r.w, r.h), np.ascontiguousarray(crop).tobytes(), "raw", "BGRX")
                crop = np.asarray(small.resize((cw, ch), Image.BILINEAR))
            out.append(HEADER.pack(x, y, cw, ch, fw, fh) + encode_jpeg(crop, self.quality.jpeg_quality))
        return out
