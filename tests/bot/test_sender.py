"""The outbox sender: sent only once confirmed, retried with backoff (honouring retry_after),
failed with a reason, opted out when blocked, one chat's replies kept in order, and no reply text
kept once a row is sent or given up."""

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import pytest

from bot.conversation import timestamp
from bot.sender import BlockedError, PermanentError, Sender, TransientError
from bot.store import Store
from flows import Reply

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


class Platform:
    """A fake channel: fails as told, records what it delivered."""

    def __init__(self) -> None:
        self.delivered: list[tuple[str, str]] = []
        self.failures: dict[str, list[Exception]] = {}

    async def deliver(self, chat: str, reply: Reply) -> None:
        pending = self.failures.get(reply.text, [])
        if pending:
            raise pending.pop(0)
        self.delivered.append((chat, reply.text))


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "s.sqlite3") as opened:
        yield opened


def queue(store: Store, chat: str, *texts: str) -> None:
    replies = [{"text": text, "buttons": [], "image": None} for text in texts]
    store.call(lambda tx: tx.queue_replies("tg", chat, None, replies, timestamp(T0)))


def outbox(store: Store) -> list[dict]:
    return store.call(
        lambda tx: list(tx.db.query("SELECT reply, status, attempts, next_attempt_at, error FROM outbox"))
    )


def sender(store: Store, platform: Platform, now: datetime = T0) -> Sender:
    return Sender(store, "tg", platform.deliver, clock=lambda: now, backoff=(5.0, 60.0), max_attempts=3)


async def test_sent_rows_are_marked_and_not_sent_again(store):
    platform = Platform()
    queue(store, "a", "một", "hai")
    assert await sender(store, platform).drain() == 2
    assert await sender(store, platform).drain() == 0
    assert platform.delivered == [("a", "một"), ("a", "hai")]
    assert [(row["status"], row["reply"]) for row in outbox(store)] == [("sent", None), ("sent", None)], (
        "the text is gone once delivered"
    )


async def test_a_transient_failure_is_retried_after_the_platforms_retry_after(store):
    platform = Platform()
    platform.failures["một"] = [TransientError("429 too many requests", retry_after=30)]
    queue(store, "a", "một")
    assert await sender(store, platform).drain() == 0
    (row,) = outbox(store)
    assert (row["status"], row["attempts"], row["error"]) == ("pending", 1, "429 too many requests")
    assert datetime.fromisoformat(row["next_attempt_at"]) == T0 + timedelta(seconds=30)
    assert await sender(store, platform, T0 + timedelta(seconds=29)).drain() == 0, "not due yet"
    assert await sender(store, platform, T0 + timedelta(seconds=31)).drain() == 1


async def test_backoff_grows_then_the_reply_fails_with_the_reason(store):
    platform = Platform()
    platform.failures["một"] = [TransientError("timeout")] * 3
    queue(store, "a", "một")
    now = T0
    for expected_delay in (5, 60):
        await sender(store, platform, now).drain()
        (row,) = outbox(store)
        assert datetime.fromisoformat(row["next_attempt_at"]) == now + timedelta(seconds=expected_delay)
        now += timedelta(seconds=expected_delay)
    await sender(store, platform, now).drain()
    (row,) = outbox(store)
    assert row["status"] == "failed"
    assert row["error"] == "gave up after 3 attempts: timeout"
    assert row["reply"] is None, "a reply given up keeps only why"


async def test_a_permanent_failure_is_not_retried(store):
    platform = Platform()
    platform.failures["một"] = [PermanentError("400 chat not found")]
    queue(store, "a", "một")
    await sender(store, platform).drain()
    (row,) = outbox(store)
    assert (row["status"], row["error"], row["reply"]) == ("failed", "permanent: 400 chat not found", None)


async def test_a_block_is_an_opt_out_for_every_pending_reply_of_that_chat(store):
    store.call(lambda tx: tx.save_state("tg", "a", "user-a", "{}", timestamp(T0), timestamp(T0)))
    store.call(lambda tx: tx.remember_person("tg", "user-a", "ref", None, timestamp(T0)))
    platform = Platform()
    platform.failures["một"] = [BlockedError("403 bot was blocked by the user")]
    queue(store, "a", "một", "hai")
    queue(store, "b", "ba")
    assert await sender(store, platform).drain() == 1
    assert platform.delivered == [("b", "ba")]
    rows = outbox(store)
    assert sorted(row["status"] for row in rows) == ["failed", "failed", "sent"]
    assert all(row["reply"] is None for row in rows)
    assert store.call(lambda tx: tx.db.execute("SELECT opted_out FROM people").fetchone()[0]) == 1


async def test_a_failure_holds_back_that_chats_later_replies_only(store):
    platform = Platform()
    platform.failures["một"] = [TransientError("timeout")]
    queue(store, "a", "một", "hai")
    queue(store, "b", "ba")
    await sender(store, platform).drain()
    assert platform.delivered == [("b", "ba")], "'hai' must not overtake 'một'"
    await sender(store, platform, T0 + timedelta(seconds=6)).drain()
    assert platform.delivered == [("b", "ba"), ("a", "một"), ("a", "hai")]


async def test_the_running_sender_wakes_when_told(store):
    platform = Platform()
    arrived = asyncio.Event()

    async def deliver(chat: str, reply: Reply) -> None:
        await platform.deliver(chat, reply)
        arrived.set()

    running = Sender(store, "tg", deliver, clock=lambda: T0 + timedelta(days=1))
    task = asyncio.create_task(running.run())
    await asyncio.sleep(0.05)  # the sender is asleep: nothing was due
    queue(store, "a", "một")
    running.wake()
    try:
        await asyncio.wait_for(arrived.wait(), timeout=10)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert platform.delivered == [("a", "một")]


async def test_a_held_reply_keeps_its_chat_waiting_however_often_the_sender_drains(store):
    platform = Platform()
    platform.failures["một"] = [TransientError("timeout")]
    queue(store, "a", "một", "hai")
    await sender(store, platform).drain()
    await sender(store, platform).drain()
    assert platform.delivered == [], "'hai' never overtakes 'một'"
    due = store.call(lambda tx: tx.next_due("tg"))
    assert datetime.fromisoformat(due) == T0 + timedelta(seconds=5), (
        "the sender sleeps until then, no spinning"
    )


async def test_an_unexpected_delivery_error_is_retried_and_the_sender_goes_on(store):
    platform = Platform()
    platform.failures["một"] = [OSError("connection reset")]
    queue(store, "a", "một")
    queue(store, "b", "ba")
    assert await sender(store, platform).drain() == 1
    row = next(r for r in outbox(store) if "một" in r["reply"])
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert "connection reset" in row["error"]
