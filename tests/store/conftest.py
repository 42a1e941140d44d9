import pytest

from server.store import open_store


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def db_url(database_url):
    """An empty database on each engine in turn: a SQLite file in a folder the
    store has to create, then a database on the session's PostgreSQL server."""
    return database_url


@pytest.fixture
async def store(db_url):
    store = open_store(db_url)
    await store.open()
    try:
        yield store
    finally:
        await store.close()
