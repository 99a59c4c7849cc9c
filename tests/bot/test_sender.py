"""The outbox sender: sent only once confirmed, retried with backoff, failed with a reason, opted
out when blocked, one chat's replies kept in order, no reply text kept once a row is sent or given
up; 429s pause a chat (and, from several chats at once, the channel) without counting attempts;
per-chat pacing; a hung delivery times out."""

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import pytest

from bot.sender import (
    BlockedError,
    Pacing,
    PermanentError,
    RateLimited,
    Retry,
    Sender,
    TransientError,
)
from bot.store import OutboxRow, Saved, Store, timestamp

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


class Platform:
    """A fake channel: fails as told, records what it delivered."""

    def __init__(self) -> None:
        self.delivered: list[tuple[str, str]] = []
        self.failures: dict[str, list[Exception]] = {}

    async def deliver(self, row: OutboxRow) -> str:
        text = row.reply["text"]
        pending = self.failures.get(text, [])
        if pending:
            raise pending.pop(0)
        self.delivered.append((row.chat_key, text))
        return f"m{len(self.delivered)}"


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


def sender(store: Store, platform: Platform, now: datetime = T0, **options) -> Sender:
    retry = Retry(backoff=(5.0, 60.0), max_attempts=3)
    return Sender(store, "tg", platform.deliver, clock=lambda: now, retry=retry, **options)


async def test_sent_rows_are_marked_and_not_sent_again(store):
    platform = Platform()
    queue(store, "a", "một", "hai")
    assert await sender(store, platform).drain() == 2
    assert await sender(store, platform).drain() == 0
    assert platform.delivered == [("a", "một"), ("a", "hai")]
    assert [(row["status"], row["reply"]) for row in outbox(store)] == [("sent", None), ("sent", None)], (
        "the text is gone once delivered"
    )
    refs = store.call(lambda tx: [r[0] for r in tx.db.execute("SELECT platform_ref FROM outbox ORDER BY id")])
    assert refs == ["m1", "m2"], "the platform's message id is kept (to edit or delete it later)"


async def test_a_429_waits_its_retry_after_without_counting_an_attempt(store):
    platform = Platform()
    platform.failures["một"] = [RateLimited("Too Many Requests: retry after 30", 30)] * 10
    queue(store, "a", "một")
    assert await sender(store, platform).drain() == 0
    (row,) = outbox(store)
    assert (row["status"], row["attempts"]) == ("pending", 0)
    assert row["error"] == "429 Too Many Requests: retry after 30", "the platform's status and words only"
    assert datetime.fromisoformat(row["next_attempt_at"]) == T0 + timedelta(seconds=30)
    assert await sender(store, platform, T0 + timedelta(seconds=29)).drain() == 0, "not due yet"
    for ban in range(1, 10):  # a ban renewed nine times: still no attempt counted
        assert await sender(store, platform, T0 + timedelta(seconds=31 * ban)).drain() == 0
    (row,) = outbox(store)
    assert (row["status"], row["attempts"]) == ("pending", 0), "never given up for a 429"
    assert await sender(store, platform, T0 + timedelta(hours=1)).drain() == 1


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
    store.call(lambda tx: tx.save_state("tg", "a", "user-a", Saved("{}", timestamp(T0), timestamp(T0))))
    platform = Platform()
    platform.failures["một"] = [BlockedError("403 bot was blocked by the user")]
    queue(store, "a", "một", "hai")
    queue(store, "b", "ba")
    assert await sender(store, platform).drain() == 1
    assert platform.delivered == [("b", "ba")]
    rows = outbox(store)
    assert sorted(row["status"] for row in rows) == ["failed", "failed", "sent"]
    assert all(row["reply"] is None for row in rows)
    assert store.call(lambda tx: tx.db.execute("SELECT opted_out FROM conversations").fetchone()[0]) == 1


async def test_a_failure_holds_back_that_chats_later_replies_only(store):
    platform = Platform()
    platform.failures["một"] = [TransientError("timeout")]
    queue(store, "a", "một", "hai")
    queue(store, "b", "ba")
    await sender(store, platform).drain()
    assert platform.delivered == [("b", "ba")], "'hai' must not overtake 'một'"
    await sender(store, platform, T0 + timedelta(seconds=6)).drain()
    assert platform.delivered == [("b", "ba"), ("a", "một"), ("a", "hai")]


async def test_a_failure_in_the_middle_of_a_chats_replies_keeps_what_went_before(store):
    """A chat's due replies go out as one batch; one failing midway leaves the earlier ones
    marked sent (never sent twice) and itself, with the rest, waiting for its retry."""
    platform = Platform()
    platform.failures["hai"] = [TransientError("502 Bad Gateway")]
    queue(store, "a", "một", "hai", "ba")
    assert await sender(store, platform).drain() == 1
    assert [(row["status"], row["attempts"]) for row in outbox(store)] == [
        ("sent", 1),
        ("pending", 1),
        ("pending", 0),
    ]
    assert outbox(store)[1]["error"] == "502 Bad Gateway"
    assert await sender(store, platform, T0 + timedelta(seconds=6)).drain() == 2
    assert platform.delivered == [("a", "một"), ("a", "hai"), ("a", "ba")]


async def test_the_running_sender_wakes_when_told(store):
    platform = Platform()
    arrived = asyncio.Event()

    async def deliver(row: OutboxRow) -> None:
        await platform.deliver(row)
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


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


async def test_a_429_in_one_chat_pauses_only_that_chat(store):
    platform = Platform()
    platform.failures["a1"] = [RateLimited("Too Many Requests: retry after 20", 20)]
    queue(store, "a", "a1", "a2")
    queue(store, "b", "b1", "b2")
    clock = Clock()
    running = Sender(store, "tg", platform.deliver, clock)
    assert await running.drain() == 2
    assert platform.delivered == [("b", "b1"), ("b", "b2")], "b flows while a waits"
    clock.advance(19)
    assert await running.drain() == 0
    clock.advance(2)
    assert await running.drain() == 2
    assert platform.delivered[2:] == [("a", "a1"), ("a", "a2")], "a's order kept"


async def test_429s_from_several_chats_pause_the_whole_channel_until_the_latest_retry_after(store):
    platform = Platform()
    for chat, wait in (("a", 20), ("b", 25), ("c", 22)):
        platform.failures[f"{chat}1"] = [RateLimited(f"retry after {wait}", wait)]
        queue(store, chat, f"{chat}1")
    clock = Clock()
    running = Sender(store, "tg", platform.deliver, clock)
    assert await running.drain() == 0
    assert running.paused_until == T0 + timedelta(seconds=25)
    queue(store, "d", "d1")
    assert await running.drain() == 0, "a fresh chat waits too: the limit is the bot's"
    clock.advance(24)
    assert await running.drain() == 0
    clock.advance(1)
    assert await running.drain() == 4
    assert {chat for chat, _ in platform.delivered} == {"a", "b", "c", "d"}
    assert [row["attempts"] for row in outbox(store)] == [1, 1, 1, 1], "only the successful send counted"


async def test_each_chat_is_paced_by_its_own_not_before_time(store):
    platform = Platform()
    queue(store, "a", "a1", "a2")
    queue(store, "-100", "g1", "g2")
    clock = Clock()
    pacing = Pacing(interval=lambda row: 3.0 if row.chat_key.startswith("-") else 1.0)
    running = Sender(store, "tg", platform.deliver, clock, pacing=pacing)
    assert await running.drain() == 2, "one each"
    assert running._next_wake(None, clock.now) == 1.0, "asleep until the private chat may go on"
    clock.advance(1)
    assert await running.drain() == 1
    assert platform.delivered[-1] == ("a", "a2")
    clock.advance(1)
    assert await running.drain() == 0, "the group waits 3 s between messages"
    clock.advance(1)
    assert await running.drain() == 1
    assert platform.delivered[-1] == ("-100", "g2")


async def test_a_hung_delivery_times_out_and_is_retried(store):
    calls = []

    async def hangs_once(row: OutboxRow) -> str:
        calls.append(row.id)
        if len(calls) == 1:
            await asyncio.sleep(3600)
        return "m1"

    queue(store, "a", "một")
    clock = Clock()
    running = Sender(store, "tg", hangs_once, clock, retry=Retry(backoff=(5.0,), timeout=0.05))
    assert await running.drain() == 0
    (row,) = outbox(store)
    assert (row["status"], row["attempts"], row["error"]) == ("pending", 1, "no answer within 0.05 s")
    clock.advance(5)
    assert await running.drain() == 1
    assert len(calls) == 2


async def test_the_overall_rate_spaces_sends_in_real_time(store):
    platform = Platform()
    for chat in "abcdef":
        queue(store, chat, chat)
    running = Sender(store, "tg", platform.deliver, pacing=Pacing(per_second=50))
    started = asyncio.get_running_loop().time()
    assert await running.drain() == 6
    assert asyncio.get_running_loop().time() - started >= 5 / 50, "six sends take at least five gaps"


async def test_what_nobody_asked_for_is_withheld_from_a_chat_that_opted_out(store):
    """The sweeper skips an opted-out chat's timer; a reminder or push queued before the opt-out
    landed (or racing it) is withheld by the sender, reading the same field. Answers to the
    person's own message still go."""
    opted = Saved("{}", timestamp(T0), timestamp(T0), opted_out=True)
    store.call(lambda tx: tx.save_state("tg", "a", "user-a", opted))
    queue(store, "a", "nhắc nhở")  # unprompted: no inbound message
    replies = [{"text": "trả lời", "buttons": [], "image": None}]
    store.call(lambda tx: tx.queue_replies("tg", "a", 7, replies, timestamp(T0)))
    queue(store, "b", "nhắc nhở b")
    platform = Platform()
    assert await sender(store, platform).drain() == 2
    assert sorted(platform.delivered) == [("a", "trả lời"), ("b", "nhắc nhở b")]
    rows = store.call(
        lambda tx: list(tx.db.query("SELECT chat_key, status, reply, error FROM outbox ORDER BY id"))
    )
    assert rows[0] == {
        "chat_key": "a",
        "status": "failed",
        "reply": None,
        "error": "withheld: the chat opted out",
    }
    assert [row["status"] for row in rows[1:]] == ["sent", "sent"]
