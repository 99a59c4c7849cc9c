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

#: Where the channel tests' clock starts: a Saturday morning in Vietnam, days away from the weekly
#: report's cut-off, so the Wednesday push never joins a test that is not about it.
START = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


class Clock:
    """Time running at the real pace from `start`, plus what a test skipped (a ban or a backoff
    is not waited out for real)."""

    def __init__(self, start: datetime = START) -> None:
        self.skipped = timedelta()
        self._offset = start - datetime.now(UTC)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self._offset + self.skipped


async def settle(store: Store, timeout: float = 10.0) -> None:
    """Until nothing is left to deliver."""
    query = "SELECT count(*) FROM outbox WHERE status = 'pending'"
    deadline = time.monotonic() + timeout
    while await store.run(lambda tx: tx.db.execute(query).fetchone()[0]):
        if time.monotonic() > deadline:
            raise AssertionError("replies still waiting in the outbox")
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def serving(
    settings: Settings, clock: Clock | None = None
) -> AsyncIterator[tuple[TestServer, Store, Content, Clock]]:
    """The application as `python -m bot serve` builds it, on the frozen content."""
    store, content = open_store(settings, frozen_content())
    clock = clock or Clock()
    server = TestServer(build_app(settings, content, store, clock), host="127.0.0.1")
    await server.start_server()
    try:
        yield server, store, content, clock
    finally:
        await server.close()
        store.close()
