"""The conversation service: one transaction per message, duplicates answered once, poison
messages dead-lettered, replies surviving a crash, expiry kept in the database, erasure."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

import bot.conversation
from bot.conversation import ConversationService
from bot.sender import Sender
from bot.store import Store
from flows import Inbound, Reply, Step
from flows import handle as real_handle

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def message(text: str, chat: str = "c1") -> Inbound:
    return Inbound("test", chat, chat, text=text)


@pytest.fixture
def service(opened) -> ConversationService:
    store, content = opened
    return ConversationService(store, content, Clock())


async def say(service: ConversationService, *texts: str, chat: str = "c1") -> list[Reply]:
    replies: list[Reply] = []
    for text in texts:
        replies = (await service.handle(message(text, chat), inline=True)).replies
    return replies


async def rows(store: Store, sql: str) -> list[dict]:
    return await store.run(lambda tx: list(tx.db.query(sql)))


async def test_a_duplicate_gets_the_same_replies_and_is_handled_once(service):
    first = await service.handle(message("xin chào"), "m1", inline=True)
    again = await service.handle(message("xin chào"), "m1", inline=True)
    assert again.duplicate
    assert again.replies == first.replies
    assert [r["kind"] for r in await rows(service.store, "SELECT kind FROM events ORDER BY id")] == [
        "session_started"
    ]


async def test_concurrent_duplicates_step_the_conversation_once(service):
    await say(service, "xin chào")
    answers = await asyncio.gather(*(service.handle(message("1"), "same", inline=True) for _ in range(5)))
    assert sum(not a.duplicate for a in answers) == 1
    assert len({tuple(a.replies) for a in answers}) == 1
    assert [r["kind"] for r in await rows(service.store, "SELECT kind FROM events ORDER BY id")] == [
        "session_started",
        "consent_given",
    ]


async def test_one_chats_messages_keep_their_order_under_concurrency(service):
    await say(service, "xin chào", "1", "1", "3", "1", "1", "1", "1")
    await asyncio.gather(*(service.handle(message("xong"), inline=True) for _ in range(4)))
    steps = [
        r["data"]
        for r in await rows(service.store, "SELECT data FROM events WHERE kind = 'step_reached' ORDER BY id")
    ]
    assert steps == ['{"step":1}', '{"step":2}', '{"step":3}', '{"step":4}', '{"step":5}']
    assert len(service.locks) == 0, "locks are dropped when nobody waits"


async def test_a_message_that_breaks_the_flow_is_dead_lettered_and_the_next_one_works(service, monkeypatch):
    await say(service, "xin chào", "1")

    def broken(state, inbound, content, now, **kwargs):
        if "boom" in inbound.text:
            raise ValueError(f"cannot handle {inbound.text}")
        return real_handle(state, inbound, content, now, **kwargs)

    monkeypatch.setattr(bot.conversation, "handle", broken)
    replies = await say(service, "boom 0123456789")
    assert [r.text for r in replies] == [service.content.text("misc.error")]
    (letter,) = await rows(service.store, "SELECT error, payload FROM dead_letters")
    assert "0123456789" not in letter["error"] + letter["payload"]
    assert "boom" in letter["payload"]
    replies = await say(service, "dong tam")
    assert "khu vực Đồng Tâm" in replies[-1].text, "the state was untouched and the next message works"


async def test_a_reply_committed_before_a_crash_is_sent_once_after_restart(opened, settings):
    store, content = opened
    await ConversationService(store, content).handle(message("xin chào"))  # a push channel: outbox
    store.close()  # the process dies before any sender ran
    delivered: list[tuple[str, str]] = []

    async def deliver(chat: str, reply: Reply) -> None:
        delivered.append((chat, reply.text[:20]))

    with Store(settings.bot_db_path) as restarted:
        sender = Sender(restarted, "test", deliver)
        assert await sender.drain() == 3
        assert await sender.drain() == 0
    assert [chat for chat, _ in delivered] == ["c1"] * 3
    store.open()  # the fixture closes it again


async def test_a_day_idle_starts_over_at_the_menu_from_the_stored_state(opened):
    store, content = opened
    clock = Clock()
    service = ConversationService(store, content, clock)
    await say(service, "xin chào", "1", "1", "3", "1", "1")
    (row,) = await rows(store, "SELECT state, updated_at FROM conversations")
    assert '"last_at"' in row["state"], "the time of the last message is stored, not kept in memory"
    assert datetime.fromisoformat(row["updated_at"]) == clock.now
    restarted = ConversationService(store, content, clock)  # a new process: nothing in memory
    clock.now += timedelta(hours=25)
    replies = await say(restarted, "xong")
    assert "quay lại" in replies[0].text
    assert "Bạn cần giúp gì?" in replies[-1].text


async def test_erasing_removes_the_person_and_keeps_anonymous_events(service):
    await say(service, "xin chào", "1", "1", "3", "xoá dữ liệu")
    assert len(await rows(service.store, "SELECT * FROM people")) == 1
    replies = await say(service, "Có, xoá dữ liệu")
    assert "Đã xoá" in replies[0].text
    for table in ("conversations", "people"):
        assert await rows(service.store, f"SELECT * FROM {table}") == []
    kinds = [r["kind"] for r in await rows(service.store, "SELECT kind FROM events ORDER BY id")]
    assert kinds[-1] == "data_erased"
    assert "Đồng ý" in (await say(service, "chào"))[-1].buttons[0].label, "the next message starts afresh"


async def test_people_rows_exist_only_with_consent(service):
    await say(service, "hi", "2", "6", chat="declined")
    await say(service, "hi", "1", "1", "3", chat="agreed")
    people = await rows(service.store, "SELECT user_key, village, consent FROM people")
    assert people == [{"user_key": "agreed", "village": "ttcm-to-3", "consent": 1}]


async def test_history_is_the_replies_in_order(service):
    await say(service, "xin chào", "1")
    history = await service.history("test", "c1")
    assert history[0].text.startswith("Xin chào")
    assert history[-1].buttons[0].id == f"{Step.AREA}:dong-tam"


async def test_an_unreadable_stored_state_starts_the_chat_over(service):
    await say(service, "xin chào", "1")
    await service.store.run(lambda tx: tx.db.execute('UPDATE conversations SET state = \'{"step": "gone"}\''))
    replies = await say(service, "1")
    assert "Đồng ý" in [b.label for b in replies[-1].buttons], "a fresh welcome, not an error"
    (letter,) = await rows(service.store, "SELECT error FROM dead_letters")
    assert "unreadable state" in letter["error"]
    assert "khu vực" in (await say(service, "1"))[-1].text, "and the chat goes on"


async def test_erasing_on_the_web_leaves_no_row_for_that_chat(service):
    await say(service, "xin chào", "1", "1", "3", "xoá dữ liệu", "Có, xoá dữ liệu")
    for table in ("conversations", "people", "inbox", "outbox", "dead_letters"):
        assert await rows(service.store, f"SELECT * FROM {table}") == [], table
