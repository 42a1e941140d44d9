"""Change detection anywhere mss grabs the screen (Windows, macOS, any X
server): no system says what was drawn, so every look is a grab, and callers
compare it with the last one (tile by tile in `agent.capture`, whole
pictures in `agent.video`). `IDLE_POLL` paces those looks while the screen is
still."""

from __future__ import annotations

IDLE_POLL = 0.33
"""Seconds between looks at a screen that has been still for a while: a
1080p grab and compare costs a few ms, so a still screen stays near 2 % of a
core; a change of its own after a pause shows within this time (remote
input makes the agent look again at once)."""


class Watch:
    exact = False
    queued = False
    idle_poll = IDLE_POLL

    def fileno(self) -> None:
        return None

    def changed(self) -> bool:
        return True

    def close(self) -> None:
        pass
