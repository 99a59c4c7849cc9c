"""The database failing under a platform's update (reliability.md §6, item 4): a locked file or a
full disk is a clear log line and a 503 for the platform to retry, with nothing half-written; the
platform's retry, once the fault is gone, is answered once, as if nothing had happened."""

import logging
import sqlite3
from collections.abc import AsyncIterator

import pytest

from bot.store import Tx
from tests.bot.channels.test_telegram import Helper, new_chat, running, settings_for
from tests.fakes.telegram import FakeTelegram, message_update


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    platform = FakeTelegram()
    await platform.start()
    yield platform
    await platform.stop()


@pytest.fixture
async def helper(tmp_path, fake) -> AsyncIterator[Helper]:
    async with running(settings_for(tmp_path, fake), fake) as started:
        yield started


async def counts(helper: Helper) -> tuple[int, int, int]:
    return await helper.store.read(
        lambda tx: (tx.count("inbox"), tx.count("conversations"), tx.count("outbox"))
    )


async def test_a_locked_database_is_a_503_then_the_retry_is_answered_once(helper, tmp_path, caplog):
    chat = new_chat()
    update = message_update(chat, "/start")
    before = await counts(helper)
    other = sqlite3.connect(tmp_path / "helper.sqlite3", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the file past the busy timeout
    try:
        with caplog.at_level(logging.ERROR):
            assert await helper.post(update) == 503
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert "database is locked" in caplog.text
    assert "answered 503" in caplog.text
    assert await counts(helper) == before, "nothing of the update was kept"
    assert await helper.post(update) == 200, "Telegram's retry"
    await helper.settle()
    assert await helper.post(update) == 200, "and a duplicate after it"
    await helper.settle()
    inbox, conversations, _ = await counts(helper)
    assert (inbox, conversations) == (before[0] + 1, before[1] + 1)
    assert len([c for c in helper.delivered(chat) if "trợ lý tự động" in str(c.params.get("text"))]) == 1


async def test_a_full_disk_is_a_503_then_the_retry_is_answered_once(helper, caplog, monkeypatch):
    """SQLite's SQLITE_FULL, raised where the update's first row is written (a real full disk
    cannot be made reliably inside a test: rows fit in pages already there). The transaction it
    was in is rolled back, so the inbox, the state and the outbox stay as they were."""
    chat = new_chat()
    update = message_update(chat, "/start")
    claim = Tx.record_events

    def disk_full(self, *args):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Tx, "record_events", disk_full)  # after the inbox row: a half-done update
    before = await counts(helper)
    with caplog.at_level(logging.ERROR):
        status = await helper.post(update)
    assert status == 503
    assert "database or disk is full" in caplog.text
    assert await counts(helper) == before, "nothing half-written: the inbox row went too"
    monkeypatch.setattr(Tx, "record_events", claim)
    assert await helper.post(update) == 200
    await helper.settle()
    assert (await counts(helper))[:2] == (before[0] + 1, before[1] + 1)
    assert any("trợ lý tự động" in str(c.params.get("text")) for c in helper.delivered(chat))
