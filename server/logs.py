"""How the relay writes its log: readable lines, or one JSON object per line
(``TANDEM_LOG_FORMAT=json``) for a log collector.

A JSON line holds ``time`` (UTC, ISO 8601 with milliseconds), ``level``,
``logger``, ``message`` and, when an exception is logged, ``exc`` (the
traceback as text). uvicorn's own loggers go through the same handler.

With several relay processes (``tandem-relay --workers N``) every line also
names the process that wrote it: ``[1234]`` in text, ``pid`` in JSON.
"""

from __future__ import annotations

import copy
import json
import logging
import sys
from datetime import UTC, datetime

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
PID = "[%(process)d] "


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (newlines inside are escaped);
    with `pid`, the writing process's id too."""

    def __init__(self, pid: bool = False) -> None:
        super().__init__()
        self.pid = pid

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if self.pid:
            out["pid"] = record.process
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exc"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def configure(level: str, fmt: str, *, pid: bool = False) -> dict | None:
    """Set up the root logger; returns the ``log_config`` to hand uvicorn
    (None: uvicorn's loggers propagate to the root logger, in this format).
    `pid`: every line names its process (several relay processes share one log)."""
    handler = logging.StreamHandler(sys.stderr)
    text = TEXT_FORMAT.replace("%(name)s", PID + "%(name)s") if pid else TEXT_FORMAT
    handler.setFormatter(JsonFormatter(pid) if fmt == "json" else logging.Formatter(text))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if fmt != "json":
        import uvicorn.config

        if not pid:
            return uvicorn.config.LOGGING_CONFIG
        config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
        for formatter in config["formatters"].values():
            formatter["fmt"] = formatter["fmt"].replace("%(levelprefix)s ", "%(levelprefix)s " + PID, 1)
        return config
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    return None
