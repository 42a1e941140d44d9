import pytest

from server.store import open_store


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def db_url(tmp_path):
    # a real file, in a folder the store has to create
    return f"sqlite+aiosqlite:///{tmp_path}/var/tandem.db"


@pytest.fixture
async def store(db_url):
    store = open_store(db_url)
    await store.open()
    try:
        yield store
    finally:
        await store.close()
