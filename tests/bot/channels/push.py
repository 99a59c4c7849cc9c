"""What the tests of every push channel share: a clock a test can move on, waiting until the
outbox is empty, and the real application served on 127.0.0.1 with a test's settings."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from aiohttp.test_utils import TestServer

from bot.app import build_app, open_store
from bot.settings import Settings
from bot.store import Store
from flows import Content
from tests.conftest import frozen_content


class Clock:
    """The real time, plus what a test skipped (a ban or a backoff is not waited out for real)."""

    def __init__(self) -> None:
        self.skipped = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.skipped


async def settle(store: Store, timeout: float = 10.0) -> None:
    """Until nothing is left to deliver."""
    query = "SELECT count(*) FROM outbox WHERE status = 'pending'"
    deadline = time.monotonic() + timeout
    while await store.run(lambda tx: tx.db.execute(query).fetchone()[0]):
        if time.monotonic() > deadline:
            raise AssertionError("replies still waiting in the outbox")
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[TestServer, Store, Content, Clock]]:
    """The application as `python -m bot serve` builds it, on the frozen content."""
    store, content = open_store(settings, frozen_content())
    clock = Clock()
    server = TestServer(build_app(settings, content, store, clock), host="127.0.0.1")
    await server.start_server()
    try:
        yield server, store, content, clock
    finally:
        await server.close()
        store.close()
