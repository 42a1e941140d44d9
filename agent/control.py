"""Remote input: CONTROL (kind 2) bodies applied with pynput.

Bodies are JSON objects:
  {"t":"move","x","y"} | {"t":"down"|"up"|"click","x","y","b":"left|right|middle"}
  {"t":"wheel","x","y","dx","dy"}      dx/dy in notches, DOM sign (dy > 0 scrolls down)
  {"t":"key","key": DOM KeyboardEvent.key, "down": bool}
  {"t":"text","text": str}
x, y are fractions in [0, 1] of the shared area (a monitor, or a window).
When an application is shared (``confine``), pointer events outside the
window are dropped, and so are keys while the last pointer event was outside.
`release_all()` lets go of every key and button this controller pressed: call
it the moment control ends. The mouse goes through pynput (imported lazily: it
needs DISPLAY), keys through XTEST (see `XTestKeyboard`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

log = logging.getLogger("agent.control")

# DOM KeyboardEvent.key -> X keysym name
SPECIAL = {
    "Enter": "Return", "Tab": "Tab", "Backspace": "BackSpace", "Escape": "Escape", "Esc": "Escape",
    "Delete": "Delete", "Insert": "Insert", "Home": "Home", "End": "End",
    "PageUp": "Prior", "PageDown": "Next", "ArrowLeft": "Left", "ArrowRight": "Right",
    "ArrowUp": "Up", "ArrowDown": "Down", "Left": "Left", "Right": "Right", "Up": "Up", "Down": "Down",
    "Shift": "Shift_L", "Control": "Control_L", "Alt": "Alt_L", "AltGraph": "ISO_Level3_Shift",
    "Meta": "Super_L", "OS": "Super_L", "CapsLock": "Caps_Lock", "NumLock": "Num_Lock",
    "ScrollLock": "Scroll_Lock", "ContextMenu": "Menu", "PrintScreen": "Print", "Pause": "Pause",
    " ": "space", "Spacebar": "space",
}
SPECIAL.update({f"F{i}": f"F{i}" for i in range(1, 25)})
BUTTONS = ("left", "right", "middle")
TEXT_MAX = 1000


class Controller:
    def __init__(self, area: Callable[[], tuple[int, int, int, int] | None], confine: bool) -> None:
        from pynput import mouse  # needs DISPLAY
        self._mouse_mod = mouse
        self.kb = XTestKeyboard()
        self.mouse = mouse.Controller()
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

    def key(self, name: str) -> int | None:
        return self.kb.keysym(name)

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
                self.mouse.position = pt
                if t == "move":
                    return True
                if t == "wheel":
                    dx, dy = _notches(ev.get("dx", 0)), _notches(ev.get("dy", 0))
                    if dx or dy:
                        self.mouse.scroll(dx, -dy)
                    return True
                name = ev.get("b", "left")
                if name not in BUTTONS:
                    return False
                button = getattr(self._mouse_mod.Button, name)
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


class XTestKeyboard:
    """Keys through the XTEST extension. (pynput's X11 keyboard sends synthetic
    XSendEvent events to the focused window, which Xt/Athena applications such
    as xcalc ignore and which fail when focus is PointerRoot; XTEST input is
    indistinguishable from the real keyboard.) Characters that need Shift get it."""

    def __init__(self) -> None:
        import os

        from Xlib import XK, display
        from Xlib.ext import xtest
        self._XK, self._xtest = XK, xtest
        self.d = display.Display(os.environ.get("DISPLAY"))
        self.shift = self.d.keysym_to_keycode(XK.string_to_keysym("Shift_L"))

    def keysym(self, name: str) -> int | None:
        XK = self._XK
        if name in SPECIAL:
            sym = XK.string_to_keysym(SPECIAL[name])
        elif len(name) == 1:
            o = ord(name)
            sym = o if 0x20 <= o <= 0xFF else 0x01000000 + o
        else:
            sym = XK.string_to_keysym(name)
        return sym or None

    def _code(self, sym: int) -> tuple[int, bool] | None:
        for code, index in self.d.keysym_to_keycodes(sym):
            if index in (0, 1):
                return code, index == 1
        code = self.d.keysym_to_keycode(sym)
        return (code, False) if code else None

    def _fake(self, code: int, down: bool) -> None:
        X = __import__("Xlib.X", fromlist=["KeyPress"])
        self._xtest.fake_input(self.d, X.KeyPress if down else X.KeyRelease, code)
        self.d.sync()

    def press(self, sym: int) -> None:
        found = self._code(sym)
        if found:
            code, shifted = found
            if shifted:
                self._fake(self.shift, True)
            self._fake(code, True)
            if shifted:
                self._fake(self.shift, False)

    def release(self, sym: int) -> None:
        found = self._code(sym)
        if found:
            self._fake(found[0], False)

    def type(self, text: str) -> None:
        for ch in text:
            sym = self.keysym("Enter" if ch == "\n" else ch)
            if sym:
                self.press(sym)
                self.release(sym)
