"""The sweeper of the flow's timers, through the real service and database: the follow-up goes
out a day after a request, once, also across a restart, and leaves the retention clock alone."""

import json
from datetime import UTC, datetime, timedelta

from bot.app import open_store
from bot.conversation import ConversationService
from bot.sender import WITHHELD, Sender
from bot.timers import sweep
from flows import Inbound
from tests.conftest import frozen_content

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 08:00 in Vietnam
SUBMITTED = (
    "xin chào", "Đồng ý", "Đồng Tâm", "Tổ dân phố 3", "Hướng dẫn 5 bước tích hợp thẻ BHYT", "có", "có", "có",
    *["xong"] * 6, "1",
)  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def replies(store, chat: str) -> list[dict]:
    rows = store.call(
        lambda tx: tx.db.execute(f"SELECT reply FROM outbox WHERE chat_key = '{chat}'").fetchall()
    )
    return [json.loads(reply) for (reply,) in rows]


def conversation(store, chat: str) -> dict:
    query = f"SELECT updated_at, expires_at, wake_at FROM conversations WHERE chat_key = '{chat}'"
    return store.call(lambda tx: next(iter(tx.db.query(query))))


async def test_the_follow_up_goes_once_a_day_later_also_after_a_restart(settings):
    clock = Clock()
    store, content = open_store(settings, frozen_content())
    service = ConversationService(store, content, clock)
    for text in SUBMITTED:
        await service.handle(Inbound("telegram", "p1", "p1", text=text))
    before = conversation(store, "p1")
    sent = len(replies(store, "p1"))
    assert await sweep(service, {"telegram"}, T0 + timedelta(hours=23)) == 0, "not yet"
    clock.now = T0 + timedelta(hours=24)
    assert await sweep(service, {"telegram"}, clock.now) == 1
    followup = replies(store, "p1")[sent:]
    assert "đã được duyệt chưa" in followup[0]["text"]
    after = conversation(store, "p1")
    assert (after["updated_at"], after["expires_at"]) == (before["updated_at"], before["expires_at"]), (
        "a nudge keeps nobody's data alive"
    )
    assert after["wake_at"] is None
    assert await sweep(service, {"telegram"}, clock.now) == 0, "once"
    store.close()
    store, content = open_store(settings, frozen_content())
    restarted = ConversationService(store, content, clock)
    assert await sweep(restarted, {"telegram"}, clock.now + timedelta(minutes=1)) == 0, (
        "once across a restart"
    )
    assert len(replies(store, "p1")) == sent + len(followup)
    store.close()


async def test_a_wake_seen_before_is_refused_by_the_inbox(settings):
    """A crash after the wake committed but before the sweep moved on: the same wake again."""
    clock = Clock()
    store, content = open_store(settings, frozen_content())
    service = ConversationService(store, content, clock)
    for text in SUBMITTED:
        await service.handle(Inbound("telegram", "p2", "p2", text=text))
    wake_at = conversation(store, "p2")["wake_at"]
    clock.now = T0 + timedelta(hours=24)
    first = await service.handle(Inbound("telegram", "p2", "p2", kind="wake"), f"wake:{wake_at}")
    again = await service.handle(Inbound("telegram", "p2", "p2", kind="wake"), f"wake:{wake_at}")
    assert first.replies
    assert again.duplicate
    store.close()


async def test_no_wake_after_dung_a_block_or_an_erase_and_none_on_other_channels(settings):
    clock = Clock()
    store, content = open_store(settings, frozen_content())
    service = ConversationService(store, content, clock)
    for chat in ("stops", "blocks", "erases", "zalo-one"):
        channel = "zalo" if chat == "zalo-one" else "telegram"
        for text in SUBMITTED:
            await service.handle(Inbound(channel, chat, chat, text=text))
    await service.handle(Inbound("telegram", "stops", "stops", text="dừng"))
    store.call(lambda tx: tx.opt_out("telegram", "blocks", "blocked: 403"))
    await service.handle(Inbound("telegram", "erases", "erases", text="xoá dữ liệu"))
    await service.handle(Inbound("telegram", "erases", "erases", text="1"))
    assert store.call(lambda tx: tx.load_state("telegram", "erases")) is None
    clock.now = T0 + timedelta(days=2)
    assert await sweep(service, {"telegram"}, clock.now) == 0
    assert await sweep(service, {"telegram", "zalo"}, clock.now) == 1, "only the Zalo person is due"
    store.close()


async def test_a_follow_up_still_queued_when_the_person_says_dung_is_never_sent(settings):
    """The sweeper queued the follow-up, the sender had not sent it yet (night, a 429) and the
    person said "dừng": the sender reads the same opt-out and withholds it; "dừng" is answered."""
    clock = Clock()
    store, content = open_store(settings, frozen_content())
    service = ConversationService(store, content, clock)
    for text in SUBMITTED:
        await service.handle(Inbound("telegram", "p4", "p4", text=text))
    store.call(lambda tx: tx.db.execute("UPDATE outbox SET status = 'sent', reply = NULL"))
    clock.now = T0 + timedelta(hours=24)
    assert await sweep(service, {"telegram"}, clock.now) == 1
    queued = store.call(
        lambda tx: tx.db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0]
    )
    await service.handle(Inbound("telegram", "p4", "p4", text="dừng"))
    delivered = []

    async def deliver(row):
        delivered.append(row.reply["text"])

    await Sender(store, "telegram", deliver, clock=clock).drain()
    assert delivered, '"dừng" is answered'
    assert not any("đã được duyệt chưa" in text for text in delivered)
    errors = store.call(
        lambda tx: [row[0] for row in tx.db.execute("SELECT error FROM outbox WHERE status = 'failed'")]
    )
    assert queued
    assert errors == [WITHHELD] * queued, "the follow-up's rows, and only those, withheld"
    store.close()
