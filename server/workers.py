"""Several relay processes on one machine behind one port: ``tandem-relay --workers N``.

uvicorn's supervisor binds the port once and starts N worker processes that
accept connections on it; it starts a worker again when one dies, and stops
them all on Ctrl-C or SIGTERM. Each worker is a whole relay node that builds
its app from the environment (`app`), so what the starting process decided
(the public URL, the broker) reaches the workers as ``TANDEM_*`` variables.
The workers share the database and the broker: more than one needs a broker
every process reaches (Redis), as the default ``memory://`` lives inside one
process.

Before any worker runs, the starting process has brought the database schema
up to date (`server.backends.check`) and made the first admin account
(`prepare`), so neither happens N times at once.

Every relay process, one or N, tunes its garbage collector (`tune_gc`).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
from typing import Any
from urllib.parse import urlsplit

from . import logs
from .config import Settings
from .private_redis import die_with_parent


def needs_shared_broker(settings: Settings) -> bool:
    """True when the broker lives inside one process (``memory://``), so
    several workers could not share live sessions through it."""
    return urlsplit(settings.broker_url).scheme == "memory"


class _Starting:
    """What `ensure_admin` uses of a relay, before any relay runs: the store
    and the settings. The workers read accounts and queues when they start."""

    def __init__(self, store: Any, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    async def configure_rep(self, account: Any) -> None:
        pass

    async def reload_queues(self) -> None:
        pass


async def _prepare(settings: Settings) -> str | None:
    from .store import open_store
    from .web.app import ensure_admin

    store = open_store(settings.database_url)
    await store.open()
    try:
        return await ensure_admin(_Starting(store, settings))  # type: ignore[arg-type]
    finally:
        await store.close()


GC_THRESHOLDS = (10_000, 20, 100)
"""Python's defaults are (700, 10, 10). A relay under load allocates a few
objects per frame and keeps its live sessions' state for minutes: with the
defaults, full collections over that state came every few seconds and
paused the loop for tens of milliseconds (p99 at 1,600 sessions 209 ms, 41
ms with 50,000 / 20 / 100; BENCHMARKS.md, Capacity). A young collection's
pause is mostly the freeing of the cycles it finds (the store's SQL
statements leave some), so it grows with the threshold: 10-24 ms at 50,000
with 1,000 sessions, against a p99 target of 10 ms; 10,000 gives pauses a
fifth as long, for the same work. Cycles are still collected."""


def tune_gc() -> None:
    """What the process holds at start (modules, the app) is left out of
    every collection, and collections come less often (`GC_THRESHOLDS`)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def prepare(settings: Settings) -> str | None:
    """Make the first admin account on an empty database, once, before the
    workers start; returns its password when it was generated (to be shown
    once), else None."""
    return asyncio.run(_prepare(settings))


def run(settings: Settings, workers: int, **options: Any) -> bool:
    """Serve with `workers` processes until stopped; `options` are uvicorn's
    (host, port, logging, WebSocket limits), as for one process. Returns False
    when a worker could not start (uvicorn then stops them all: the next one
    would fail the same way)."""
    from uvicorn import Config
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    os.environ["TANDEM_PUBLIC_URL"] = settings.public_url
    os.environ["TANDEM_BROKER_URL"] = settings.broker_url
    # what uvicorn.run does for workers, keeping the supervisor to read its workers' exit
    config = Config("server.workers:app", factory=True, workers=workers, http="server.workers:HttpProtocol", **options)
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()
    return not any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes)


def app():
    """The app of one worker (uvicorn calls it in the worker process)."""
    from uvicorn.config import STARTUP_FAILURE

    from .web.app import create_app

    die_with_parent()  # a supervisor killed without a goodbye leaves no worker holding the port
    try:
        settings = Settings.from_env()
        # uvicorn has set its loggers up in this process from the supervisor's log_level
        logs.configure(logging.getLevelName(logging.getLogger("uvicorn.error").level), settings.log_format, pid=True)
        app = create_app(settings)
        tune_gc()
        return app
    except Exception:
        # the next worker would fail the same way: uvicorn stops them all on this exit status
        # (on any other it starts the worker again, forever)
        logging.getLogger(__name__).exception("relay process %d could not start", os.getpid())
        sys.exit(STARTUP_FAILURE)


def __getattr__(name: str) -> Any:
    # uvicorn imports the HTTP protocol by name in each worker: the class is
    # made for the header timeout of the worker's settings
    if name == "HttpProtocol":
        from .web.fastws import relay_protocol

        return relay_protocol(Settings.from_env().header_timeout)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
