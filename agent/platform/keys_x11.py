"""Keys on X11 through the XTEST extension.

pynput's X11 keyboard sends synthetic events (XSendEvent) to the focused
window, which Xt/Athena applications such as xcalc ignore and which go
nowhere when focus is PointerRoot; XTEST input cannot be told from the real
keyboard. Characters that need Shift get it.
"""

from __future__ import annotations

import os

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


class Keyboard:
    def __init__(self) -> None:
        from Xlib import XK, X, display
        from Xlib.ext import xtest
        self._XK, self._X, self._xtest = XK, X, xtest
        self.d = display.Display(os.environ.get("DISPLAY"))
        self.shift = self.d.keysym_to_keycode(XK.string_to_keysym("Shift_L"))

    def key(self, name: str) -> int | None:
        """The keysym for a DOM ``KeyboardEvent.key``, None if X has none."""
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
        self._xtest.fake_input(self.d, self._X.KeyPress if down else self._X.KeyRelease, code)
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
            sym = self.key("Enter" if ch == "\n" else ch)
            if sym:
                self.press(sym)
                self.release(sym)
