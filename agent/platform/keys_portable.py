"""Keys through pynput: SendInput on Windows, Quartz events on macOS (and
synthetic events on X, where the x11 backend's XTEST is the better choice)."""

from __future__ import annotations

# DOM KeyboardEvent.key -> pynput Key member
SPECIAL = {
    "Enter": "enter", "Tab": "tab", "Backspace": "backspace", "Escape": "esc", "Esc": "esc",
    "Delete": "delete", "Insert": "insert", "Home": "home", "End": "end",
    "PageUp": "page_up", "PageDown": "page_down", "ArrowLeft": "left", "ArrowRight": "right",
    "ArrowUp": "up", "ArrowDown": "down", "Left": "left", "Right": "right", "Up": "up", "Down": "down",
    "Shift": "shift", "Control": "ctrl", "Alt": "alt", "AltGraph": "alt_gr",
    "Meta": "cmd", "OS": "cmd", "CapsLock": "caps_lock", "NumLock": "num_lock",
    "ScrollLock": "scroll_lock", "ContextMenu": "menu", "PrintScreen": "print_screen", "Pause": "pause",
    " ": "space", "Spacebar": "space",
}
SPECIAL.update({f"F{i}": f"f{i}" for i in range(1, 21)})


class Keyboard:
    def __init__(self) -> None:
        from pynput import keyboard  # needs a display on X
        self._Key = keyboard.Key
        self._kb = keyboard.Controller()

    def key(self, name: str):
        """The pynput key for a DOM ``KeyboardEvent.key``, None if it has none."""
        member = SPECIAL.get(name)
        if member is not None:
            return getattr(self._Key, member, None)
        if len(name) == 1:
            return name
        return None

    def press(self, key) -> None:
        self._kb.press(key)

    def release(self, key) -> None:
        self._kb.release(key)

    def type(self, text: str) -> None:
        for ch in text:
            key = self._Key.enter if ch == "\n" else ch
            self._kb.press(key)
            self._kb.release(key)
