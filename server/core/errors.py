"""Readable refusals. The endpoint turns each into a typed `error` message and
keeps the connection open."""


class CoreError(Exception):
    code = "invalid"


class NotAllowed(CoreError):
    """The actor may not do this now (role, grant or session state)."""

    code = "not_allowed"


class NotFound(CoreError):
    code = "not_found"


class Invalid(CoreError):
    code = "invalid"


class Conflict(CoreError):
    code = "conflict"


class RateLimited(CoreError):
    """Too many tries of something that is limited (assisting by number)."""

    code = "rate_limited"


class ChatOff(NotAllowed):
    """Chat with customers is turned off by policy (reps may still chat among themselves)."""

    code = "chat_off"
