"""The relay's database and broker, checked once before it starts serving.

`python -m server` calls `check(settings)` before anything listens: a
PostgreSQL or Redis that cannot be reached (or a database that cannot be
opened or upgraded) ends the start with one line naming the URL, its password
masked, instead of a traceback from the middle of the web server's start.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

from .config import Settings


def shown(url: str) -> str:
    """`url` as it may be printed or logged: any password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + parts.netloc.rpartition("@")[2]))


def _reason(exc: BaseException) -> str:
    # the driver's own words (connection refused, password authentication
    # failed, database "x" does not exist), not SQLAlchemy's wrapping
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, "orig", None) or exc.__cause__
        if not isinstance(inner, BaseException):
            break
        exc = inner
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


async def _check(settings: Settings) -> str | None:
    from .broker import Unreachable, open_broker
    from .store import open_store

    try:
        store = open_store(settings.database_url)
    except ValueError as exc:
        return str(exc)
    try:
        await store.open()  # connects and brings the schema up to date
    except Exception as exc:
        return f"cannot open the database at {shown(settings.database_url)}: {_reason(exc)}"
    finally:
        await store.close()
    try:
        broker = open_broker(settings.broker_url)
    except ValueError as exc:
        return str(exc)
    try:
        await broker.connect()
    except Unreachable as exc:
        return str(exc)
    except Exception as exc:
        return f"cannot use the broker at {shown(settings.broker_url)}: {_reason(exc)}"
    finally:
        await broker.disconnect()
    return None


def check(settings: Settings) -> str | None:
    """What keeps the relay from using its database or broker, in one line;
    None when both answer."""
    return asyncio.run(_check(settings))
