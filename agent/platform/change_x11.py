"""Change detection on X11: the DAMAGE extension says whether anything was
drawn since the last look, so a still screen costs no grab, no compare and no
encoding."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

IDLE_POLL = 0.1
"""Seconds between looks at a still screen: a look is a check of X events, no grab."""


class Watch:
    """Whether anything was drawn on the screen since the last `changed()`: an
    X DAMAGE object on the root window (its inferiors included) reporting
    non-empty damage. Without the extension (another X server) it always
    answers True, and callers grab and compare as the portable backend does.

    ``exact``: True when a False from `changed` can be trusted (nothing was
    drawn), so callers need not compare grabs."""

    idle_poll = 0.33  # without DAMAGE every look is a grab: as the portable backend

    def __init__(self) -> None:
        self._display = None
        self._more = False
        try:
            from Xlib import display
            from Xlib.ext import damage
            d = display.Display()
            if not d.has_extension("DAMAGE"):
                d.close()
                return
            d.damage_query_version()
            self._id = d.screen().root.damage_create(damage.DamageReportNonEmpty)
            d.sync()
            self._display = d
        except Exception as exc:  # no X connection for Xlib: compare every grab
            log.info("no X DAMAGE (%s): every poll grabs the screen", exc)

    @property
    def exact(self) -> bool:
        return self._display is not None

    @property
    def queued(self) -> bool:
        """A report already read off the socket (`changed` will say True)."""
        return self._more

    def fileno(self) -> int | None:
        """The X connection's socket, readable when something was drawn (wait
        on it, then call `changed`); None without DAMAGE."""
        return None if self._display is None else self._display.fileno()

    def changed(self) -> bool:
        d = self._display
        if d is None:
            return True
        hit, self._more = self._more, False
        while d.pending_events():
            d.next_event()
            hit = True
        if hit:
            # Empty the damage before the grab that follows, and wait until the
            # server did (the grab goes over mss's own connection): drawing
            # after this point reports again, none is lost between.
            d.damage_subtract(self._id)
            d.sync()
            # A report read during the round trip is queued, not on the socket:
            # keep it for the next call.
            self._more = d.pending_events() > 0
        return hit

    def close(self) -> None:
        if self._display is not None:
            self._display.close()
            self._display = None
