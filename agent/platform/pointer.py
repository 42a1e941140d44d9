"""The mouse, through pynput on every platform (XTEST on X, SendInput on
Windows, Quartz on macOS): pynput's pointer is real input everywhere."""

from __future__ import annotations

BUTTONS = ("left", "right", "middle")


class Pointer:
    def __init__(self) -> None:
        from pynput import mouse  # needs a display on X
        self._Button = mouse.Button
        self._mouse = mouse.Controller()

    def button(self, name: str):
        return getattr(self._Button, name) if name in BUTTONS else None

    def move(self, x: int, y: int) -> None:
        self._mouse.position = (x, y)

    def press(self, button) -> None:
        self._mouse.press(button)

    def release(self, button) -> None:
        self._mouse.release(button)

    def click(self, button) -> None:
        self._mouse.click(button)

    def scroll(self, dx: int, dy: int) -> None:
        self._mouse.scroll(dx, dy)
