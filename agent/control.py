"""Remote input: CONTROL (kind 2) bodies applied to this machine's pointer and keys.

Bodies are JSON objects:
  {"t":"move","x","y"} | {"t":"down"|"up"|"click","x","y","b":"left|right|middle"}
  {"t":"wheel","x","y","dx","dy"}      dx/dy in notches, DOM sign (dy > 0 scrolls down)
  {"t":"key","key": DOM KeyboardEvent.key, "down": bool}
  {"t":"text","text": str}
x, y are fractions in [0, 1] of the shared area (a monitor, or a window).
When an application is shared (``confine``), pointer events outside the
window are dropped, and so are keys while the last pointer event was outside.
`release_all()` lets go of every key and button this controller pressed: call
it the moment control ends. The pointer and the keys come from the platform
layer (`agent.platform`: pynput, and XTEST keys on X11), opened on first use.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

log = logging.getLogger("agent.control")

TEXT_MAX = 1000


class Controller:
    def __init__(self, area: Callable[[], tuple[int, int, int, int] | None], confine: bool) -> None:
        from .platform import backend
        from .platform.pointer import Pointer
        self.kb = backend().keys.Keyboard()
        self.mouse = Pointer()
        self.area = area
        self.confine = confine
        self.inside = True
        self._keys: set = set()
        self._buttons: set = set()

    def point(self, fx: float, fy: float) -> tuple[int, int] | None:
        rect = self.area()
        if rect is None:
            return None
        x, y, w, h = rect
        if not (0.0 <= fx <= 1.0 and 0.0 <= fy <= 1.0):
            if self.confine:
                return None
            fx, fy = min(max(fx, 0.0), 1.0), min(max(fy, 0.0), 1.0)
        return x + min(int(fx * w), w - 1), y + min(int(fy * h), h - 1)

    def key(self, name: str):
        return self.kb.key(name)

    def apply(self, body: bytes) -> bool:
        """Apply one event; False when it was malformed or dropped."""
        try:
            ev = json.loads(body)
            t = ev["t"]
        except (ValueError, KeyError, TypeError):
            return False
        try:
            if t in ("move", "down", "up", "click", "wheel"):
                pt = self.point(float(ev["x"]), float(ev["y"]))
                self.inside = pt is not None
                if pt is None:
                    return False
                self.mouse.move(*pt)
                if t == "move":
                    return True
                if t == "wheel":
                    dx, dy = _notches(ev.get("dx", 0)), _notches(ev.get("dy", 0))
                    if dx or dy:
                        self.mouse.scroll(dx, -dy)
                    return True
                button = self.mouse.button(ev.get("b", "left"))
                if button is None:
                    return False
                if t == "click":
                    self.mouse.click(button)
                elif t == "down":
                    self.mouse.press(button)
                    self._buttons.add(button)
                else:
                    self.mouse.release(button)
                    self._buttons.discard(button)
                return True
            if self.confine and not self.inside:
                return False
            if t == "key":
                k = self.key(str(ev["key"]))
                if k is None:
                    return False
                if ev.get("down", True):
                    self.kb.press(k)
                    self._keys.add(k)
                else:
                    self.kb.release(k)
                    self._keys.discard(k)
                return True
            if t == "text":
                self.kb.type(str(ev["text"])[:TEXT_MAX])
                return True
        except (KeyError, TypeError, ValueError) as exc:
            log.debug("bad control event %r: %s", ev, exc)
        return False

    def release_all(self) -> None:
        for k in list(self._keys):
            try:
                self.kb.release(k)
            except Exception:
                pass
        for b in list(self._buttons):
            try:
                self.mouse.release(b)
            except Exception:
                pass
        self._keys.clear()
        self._buttons.clear()


def _notches(v) -> int:
    v = float(v)
    if v == 0:
        return 0
    n = int(round(v))
    return n if n else (1 if v > 0 else -1)
