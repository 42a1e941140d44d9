"""Durable data: `open_store(url)` returns the `Store` for a database URL.

    store = open_store(settings.database_url)
    await store.open()          # creates or upgrades the schema
    ...
    await store.close()

Backends are chosen by URL scheme and imported only when used, so a relay on
SQLite never imports another database's driver.
"""

from __future__ import annotations

import importlib

from server.store.base import (
    Account,
    CannedReply,
    Conflict,
    NotFound,
    Queue,
    Store,
    StoreError,
)

__all__ = ["Account", "BACKENDS", "CannedReply", "Conflict", "NotFound", "Queue", "Store", "StoreError", "open_store"]

BACKENDS: dict[str, str] = {
    "sqlite+aiosqlite": "server.store.sql:SqlStore",
    "postgresql+asyncpg": "server.store.sql:SqlStore",
}
"""URL scheme -> ``module:class`` of the backend serving it."""


def open_store(url: str) -> Store:
    """Build the store for `url` (e.g. ``sqlite+aiosqlite:///var/tandem.db``).
    Nothing is connected yet: call ``await store.open()`` next."""
    scheme = url.partition("://")[0]
    if scheme not in BACKENDS:
        raise ValueError(f"no store for {scheme!r} URLs; supported: {', '.join(sorted(BACKENDS))}")
    module, _, name = BACKENDS[scheme].partition(":")
    return getattr(importlib.import_module(module), name)(url)
