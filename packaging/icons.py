"""Draw Tandem's icon: the extension's PNGs and the relay's favicon.

Two linked rings, one behind the other, on the pages' accent colour: two
people working on one screen. Run after changing the drawing and commit what
it writes (the build does not need Pillow):

    .venv/bin/python packaging/icons.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
ACCENT = (31, 95, 191, 255)  # --accent of server/static/tandem.css
WHITE = (255, 255, 255, 255)
BIG = 512


def draw() -> Image.Image:
    img = Image.new("RGBA", (BIG, BIG), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((0, 0, BIG - 1, BIG - 1), radius=BIG // 5, fill=ACCENT)
    r, width, y = BIG * 0.22, BIG // 14, BIG / 2
    for cx in (BIG * 0.38, BIG * 0.62):
        d.ellipse((cx - r, y - r, cx + r, y + r), outline=WHITE, width=width)
    return img


def main() -> None:
    img = draw()
    icons = ROOT / "extension" / "static" / "icons"
    icons.mkdir(parents=True, exist_ok=True)
    for size in (16, 32, 48, 128):
        img.resize((size, size), Image.LANCZOS).save(icons / f"icon{size}.png", optimize=True)
    img.save(ROOT / "server" / "static" / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    img.resize((180, 180), Image.LANCZOS).save(ROOT / "server" / "static" / "icon-180.png", optimize=True)


if __name__ == "__main__":
    main()
