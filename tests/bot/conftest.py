"""The real application on 127.0.0.1 with a random port and a fresh database in a temporary folder,
on the frozen content (tests/fixtures/)."""

from collections.abc import AsyncIterator, Iterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app, open_store
from bot.settings import Settings, load_settings
from bot.store import Store
from flows import Content
from tests.conftest import frozen_content


@pytest.fixture
def settings(tmp_path) -> Settings:
    return load_settings(
        {
            "BOT_DB_PATH": str(tmp_path / "helper.sqlite3"),
            "WEB_RATE_PER_MINUTE": "100000",
            "WEB_RATE_PER_MINUTE_PER_ADDRESS": "100000",
        },
        env_file=None,
    )


@pytest.fixture
def opened(settings) -> Iterator[tuple[Store, Content]]:
    store, content = open_store(settings, frozen_content())
    yield store, content
    store.close()


@pytest.fixture
async def server(settings, opened) -> AsyncIterator[TestServer]:
    store, content = opened
    server = TestServer(build_app(settings, content, store), host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


@pytest.fixture
async def client(server) -> AsyncIterator[TestClient]:
    client = TestClient(server)
    await client.start_server()
    yield client
    await client.close()
