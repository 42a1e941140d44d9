"""What every window backend reports about an application window."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Window:
    id: int
    title: str
    x: int
    y: int
    width: int
    height: int
    app: str = ""
    """The program's name, where the platform tells it (shown in the picker)."""
    icon: bytes | None = field(default=None, compare=False, repr=False)
    """The program's icon as a small PNG, where the platform gives one (shown in the picker)."""

    @property
    def rect(self) -> tuple[int, int, int, int]:
        return self.x, self.y, self.width, self.height


def pick(windows: list[Window], title_substring: str | None, active: int | None) -> Window | None:
    """By case-insensitive title substring; without one, the active window,
    else the topmost (``windows`` run bottom to top)."""
    if not title_substring:
        return next((w for w in windows if w.id == active), windows[-1] if windows else None)
    needle = title_substring.lower()
    return next((w for w in windows if needle in w.title.lower()), None)
