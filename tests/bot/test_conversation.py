"""The conversation service: one transaction per message, duplicates answered once, poison
messages dead-lettered, replies surviving a crash, expiry kept in the database, erasure, and no
reply text kept once delivered."""

import asyncio
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import bot.conversation
from bot.conversation import RECENT_FOR, ConversationService, RecentAnswers
from bot.reports.chat import ChatReports
from bot.reports.desk import ReportDesk
from bot.reports.report import Scope
from bot.reports.week import Cutoff
from bot.requests import Requests, invite_hash
from bot.sender import Sender
from bot.store import OutboxRow, Store, timestamp
from flows import Inbound, Reply
from flows import handle as real_handle

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
DAY = timedelta(days=1)
TO_MENU = ("xin chào", "Đồng ý", "Đồng Tâm", "Tổ dân phố 3")
TO_GUIDE = (*TO_MENU, "Hướng dẫn 5 bước tích hợp thẻ BHYT", "có", "có", "có")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def message(text: str, chat: str = "c1", channel: str = "test") -> Inbound:
    return Inbound(channel, chat, chat, text=text)


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


async def kinds(store: Store) -> list[str]:
    return [r["kind"] for r in await rows(store, "SELECT kind FROM events ORDER BY id")]


async def test_a_duplicate_gets_the_same_replies_and_is_handled_once(service):
    first = await service.handle(message("xin chào"), "m1", inline=True)
    again = await service.handle(message("xin chào"), "m1", inline=True)
    assert again.duplicate
    assert again.replies == first.replies
    assert await kinds(service.store) == ["session_started"]


async def test_concurrent_duplicates_step_the_conversation_once(service):
    await say(service, "xin chào")
    answers = await asyncio.gather(*(service.handle(message("1"), "same", inline=True) for _ in range(5)))
    assert sum(not a.duplicate for a in answers) == 1
    assert len({tuple(a.replies) for a in answers}) == 1
    assert await kinds(service.store) == ["session_started", "consent_given"]


async def test_a_retry_after_the_short_window_gets_the_current_question_not_the_old_text(opened):
    store, content = opened
    clock = Clock()
    service = ConversationService(store, content, clock)
    await say(service, *TO_MENU)
    first = await service.handle(message("Kiểm tra số thẻ BHYT"), "m-card", inline=True)
    first = await service.handle(message("0123456789"), "m-number", inline=True)
    assert "viết đúng" in first.replies[0].text
    clock.now += RECENT_FOR + timedelta(seconds=1)
    later = await service.handle(message("0123456789"), "m-number", inline=True)
    assert later.duplicate
    assert "viết đúng" not in " ".join(r.text for r in later.replies), "the old answer's text is gone"
    assert later.replies[-1].text == content.text("card.done"), "the question the person is at"
    assert (await kinds(store)).count("card_checked") == 1, "nothing was handled twice"


def test_recent_answers_are_forgotten_after_their_time_and_beyond_their_number():
    recent = RecentAnswers(keep_for=timedelta(minutes=10), most=2)
    answer = bot.conversation.Answer([Reply("x")])
    recent.remember(("web", "c", "1"), answer, T0)
    assert recent.recall(("web", "c", "1"), T0 + timedelta(minutes=9)) is answer
    assert recent.recall(("web", "c", "1"), T0 + timedelta(minutes=10)) is None
    for i in range(5):
        recent.remember(("web", "c", str(i)), answer, T0)
    assert len(recent) == 2
    assert recent.recall(("web", "c", "4"), T0) is answer
    assert recent.recall(("web", "c", "0"), T0) is None


async def test_one_chats_messages_keep_their_order_under_concurrency(service):
    await say(service, *TO_GUIDE)
    await asyncio.gather(*(service.handle(message("xong"), inline=True) for _ in range(6)))
    steps = [
        r["data"]
        for r in await rows(service.store, "SELECT data FROM events WHERE kind = 'step_reached' ORDER BY id")
    ]
    assert steps == ['{"step":1}', '{"step":2}', '{"step":3}', '{"step":4}', '{"step":5}']
    assert len(service.locks) == 0, "locks are dropped when nobody waits"


async def test_a_message_that_breaks_the_flow_is_dead_lettered_and_the_next_one_works(service, monkeypatch):
    await say(service, "xin chào", "Đồng ý")

    def broken(state, inbound, content, now, **kwargs):
        if "boom" in inbound.text:
            raise ValueError(f"cannot handle {inbound.text}")
        return real_handle(state, inbound, content, now, **kwargs)

    monkeypatch.setattr(bot.conversation, "handle", broken)
    replies = await say(service, "boom DN4O10123456789")
    assert [r.text for r in replies] == [service.content.text("misc.error")]
    (letter,) = await rows(service.store, "SELECT error, payload FROM dead_letters")
    assert "10123456789" not in letter["error"] + letter["payload"]
    assert "DN4" not in letter["error"] + letter["payload"], "not even the card's group code"
    assert "boom" in letter["payload"]
    replies = await say(service, "dong tam")
    assert "khu vực Đồng Tâm" in replies[-1].text, "the state was untouched and the next message works"


async def test_a_reply_committed_before_a_crash_is_sent_once_after_restart(opened, settings):
    store, content = opened
    await ConversationService(store, content).handle(message("xin chào"))  # a push channel: outbox
    store.close()  # the process dies before any sender ran
    delivered: list[tuple[str, str]] = []

    async def deliver(row: OutboxRow) -> None:
        delivered.append((row.chat_key, row.reply["text"][:20]))

    with Store(settings.bot_db_path) as restarted:
        sender = Sender(restarted, "test", deliver)
        assert await sender.drain() == 2
        assert await sender.drain() == 0
        texts = restarted.call(lambda tx: [r["reply"] for r in tx.db.query("SELECT reply FROM outbox")])
    assert [chat for chat, _ in delivered] == ["c1"] * 2
    assert texts == [None, None], "a delivered reply's text is not kept"
    store.open()  # the fixture closes it again


async def test_an_inline_channel_writes_no_reply_text_at_all(service):
    await say(service, *TO_MENU, "Kiểm tra số thẻ BHYT", "CA5980123456789")
    assert await rows(service.store, "SELECT * FROM outbox") == []


async def test_a_day_idle_starts_over_at_the_menu_from_the_stored_state(opened):
    store, content = opened
    clock = Clock()
    service = ConversationService(store, content, clock)
    await say(service, *TO_MENU, "Hướng dẫn 5 bước tích hợp thẻ BHYT", "có")
    (row,) = await rows(store, "SELECT state, updated_at FROM conversations")
    assert '"last_at"' in row["state"], "the time of the last message is stored, not kept in memory"
    assert datetime.fromisoformat(row["updated_at"]) == clock.now
    restarted = ConversationService(store, content, clock)  # a new process: nothing in memory
    clock.now += timedelta(hours=25)
    replies = await say(restarted, "xong")
    assert "quay lại" in replies[0].text
    assert replies[-1].text == content.text("menu.question")


async def test_a_conversation_without_consent_expires_a_day_after_its_last_message(opened):
    store, content = opened
    clock = Clock()
    service = ConversationService(store, content, clock, retention=timedelta(days=30))
    await say(service, "xin chào", "Không đồng ý", chat="declined")
    await say(service, "xin chào", chat="undecided")
    await say(service, *TO_MENU, chat="agreed")
    expiry = {
        r["chat_key"]: datetime.fromisoformat(r["expires_at"]) - datetime.fromisoformat(r["updated_at"])
        for r in await rows(store, "SELECT chat_key, updated_at, expires_at FROM conversations")
    }
    assert expiry == {
        "declined": timedelta(hours=24),
        "undecided": timedelta(hours=24),
        "agreed": timedelta(days=30),
    }


async def test_erasing_removes_the_person_and_keeps_anonymous_events(service):
    await say(service, *TO_MENU, "xoá dữ liệu")
    assert len(await rows(service.store, "SELECT * FROM people")) == 1
    answer = await service.handle(message("Có, xoá dữ liệu"), inline=True)
    assert answer.erased
    assert "Đã xoá" in answer.replies[0].text
    for table in ("conversations", "people"):
        assert await rows(service.store, f"SELECT * FROM {table}") == []
    assert (await kinds(service.store))[-1] == "data_erased"
    assert "Đồng ý" in (await say(service, "chào"))[-1].buttons[0].label, "the next message starts afresh"


async def test_people_rows_exist_only_with_consent(service):
    await say(service, "hi", "Không đồng ý", "Câu hỏi thường gặp", chat="declined")
    await say(service, *TO_MENU, chat="agreed")
    people = await rows(service.store, "SELECT user_key, village, consent FROM people")
    assert people == [{"user_key": "agreed", "village": "ttcm-to-3", "consent": 1}]


async def test_an_unreadable_stored_state_starts_the_chat_over(service):
    await say(service, "xin chào", "Đồng ý")
    await service.store.run(lambda tx: tx.db.execute('UPDATE conversations SET state = \'{"step": "gone"}\''))
    replies = await say(service, "1")
    assert "Đồng ý" in [b.label for b in replies[-1].buttons], "a fresh welcome, not an error"
    (letter,) = await rows(service.store, "SELECT error FROM dead_letters")
    assert "unreadable state" in letter["error"]
    assert "khu vực" in (await say(service, "Đồng ý"))[-1].text, "and the chat goes on"


async def test_erasing_on_the_web_leaves_no_row_for_that_chat(service):
    await say(service, *TO_MENU, "xoá dữ liệu", "Có, xoá dữ liệu")
    for table in ("conversations", "people", "inbox", "outbox", "dead_letters"):
        assert await rows(service.store, f"SELECT * FROM {table}") == [], table


async def test_the_platforms_time_counts_but_never_later_than_now(opened):
    store, content = opened
    clock = Clock()
    service = ConversationService(store, content, clock)
    earlier, later = T0 - timedelta(hours=5), T0 + timedelta(days=3)
    await service.handle(replace(message("xin chào", "a"), received_at=earlier))
    await service.handle(replace(message("xin chào", "b"), received_at=later))
    at = [datetime.fromisoformat(r["at"]) for r in await rows(store, "SELECT at FROM events ORDER BY id")]
    assert at[0] == earlier, "a backlog lands in the week it was sent"
    assert T0 < at[1] < T0 + timedelta(minutes=1), "a platform clock ahead of ours is capped"


async def test_the_role_comes_from_the_officer_list_never_from_the_channel(opened, monkeypatch):
    store, content = opened
    seen: list[str] = []

    def spy(state, inbound, content, now):
        seen.append(inbound.role)
        return real_handle(state, inbound, content, now)

    monkeypatch.setattr(bot.conversation, "handle", spy)
    service = ConversationService(
        store, content, Clock(), requests=Requests(content, frozenset({"test:boss"}))
    )
    await service.handle(message("xin chào", "boss"))
    await service.handle(replace(message("xin chào", "someone"), role="officer"))
    assert seen == ["officer", "resident"]


async def test_a_pressed_message_loses_its_buttons_and_a_number_is_deleted_first(opened):
    store, content = opened
    service = ConversationService(store, content, Clock())
    await service.handle(Inbound("test", "u", "c", choice="consent:agree", kind="choice", message_ref="41"))
    await service.handle(Inbound("test", "u", "c", text="DN4010123456789", message_ref="42"))
    replies = [json.loads(r["reply"]) for r in await rows(store, "SELECT reply FROM outbox ORDER BY id")]
    actions = [r for r in replies if "action" in r]
    assert actions == [{"action": "unbutton", "message": "41"}, {"action": "delete", "message": "42"}]
    assert "action" in replies[0], "the action goes before that turn's replies"


def officer_service(store, content, clock=None, officers=frozenset()) -> ConversationService:
    clock = clock or Clock()
    desk = ReportDesk(store, Scope(ZoneInfo("Asia/Ho_Chi_Minh"), Cutoff.parse("WED 07:00")), clock)
    requests = Requests(content, officers, ("test",), ChatReports(desk, content))
    return ConversationService(store, content, clock, requests=requests)


async def outbox(store: Store, chat: str) -> list[dict]:
    sql = f"SELECT reply FROM outbox WHERE chat_key = '{chat}' ORDER BY id"
    return [json.loads(r["reply"]) for r in await rows(store, sql)]


async def test_an_invite_makes_one_person_an_officer_and_is_used_up(opened):
    store, content = opened
    service = officer_service(store, content)
    until = timestamp(T0 + timedelta(days=7))
    await store.run(lambda tx: tx.add_invite(invite_hash("c0de"), "officer", "", timestamp(T0), until))
    first = await service.handle(Inbound("test", "a", "a", payload="moi_c0de"), inline=True)
    assert "anh/chị là cán bộ xã" in first.replies[0].text
    assert await store.run(lambda tx: tx.role_of("test", "a")) == "officer"
    await service.handle(message("/baocao", "a"))
    assert {"report": "2026-W48"} in await outbox(store, "a"), "the week of T0, pinned by name"
    second = await service.handle(Inbound("test", "b", "b", text="/start moi_c0de"), inline=True)
    assert "đã được dùng hoặc đã hết hạn" in second.replies[0].text
    await service.handle(message("/baocao", "b"))
    assert not any("report" in row for row in await outbox(store, "b")), "the second person is refused"
    refused = await rows(store, "SELECT data FROM events WHERE kind = 'refused' ORDER BY id")
    assert [r["data"] for r in refused] == ['{"command":"invite"}', '{"command":"baocao"}']
    (invite,) = await rows(store, "SELECT * FROM invites")
    assert "c0de" not in json.dumps(invite), "only the hash is kept"


async def test_an_expired_invite_grants_nothing_and_erasing_drops_a_role(opened):
    store, content = opened
    service = officer_service(store, content)
    past = timestamp(T0 - timedelta(days=1))
    await store.run(lambda tx: tx.add_invite(invite_hash("old"), "officer", "", past, past))
    await service.handle(Inbound("test", "a", "a", payload="moi_old"))
    assert await store.run(lambda tx: tx.role_of("test", "a")) is None
    await store.run(lambda tx: tx.add_invite(invite_hash("new"), "officer", "", past, timestamp(T0 + DAY)))
    await service.handle(Inbound("test", "a", "a", payload="moi_new"))
    assert await store.run(lambda tx: tx.role_of("test", "a")) == "officer"
    await store.run(lambda tx: tx.erase("test", "a", "a"))
    assert await store.run(lambda tx: tx.role_of("test", "a")) is None, "a person's erase takes the role too"


async def test_the_week_an_officer_names_is_pinned_or_explained(opened):
    store, content = opened
    service = officer_service(store, content, officers=frozenset({"test:boss"}))
    for text in ("xin chào", "Không đồng ý", "/baocao tuantruoc", "/baocao 2025-W60", "/baocao 2025-W39"):
        await service.handle(message(text, "boss"))
    reports = [row["report"] for row in await outbox(store, "boss") if "report" in row]
    assert reports == ["2026-W47", "2025-W39"]
    texts = [row.get("text", "") for row in await outbox(store, "boss")]
    assert any('Không có tuần "2025-W60"' in text for text in texts)


async def test_a_channel_answering_inline_gets_the_reports_text(opened):
    store, content = opened
    service = officer_service(store, content, officers=frozenset({"test:boss"}))
    await service.handle(message("xin chào", "boss"), inline=True)
    answer = await service.handle(message("/baocao", "boss"), inline=True)
    assert answer.replies[0].text.startswith("Báo cáo tuần 2026-W48")
    assert answer.replies[-1].buttons, "then the question the officer is at"


async def test_an_invite_code_never_reaches_a_dead_letter(service, monkeypatch):
    def broken(state, inbound, content, now, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(bot.conversation, "handle", broken)
    await service.handle(Inbound("test", "a", "a", text="/start moi_Secret-Code1"), inline=True)
    (letter,) = await rows(service.store, "SELECT payload FROM dead_letters")
    assert "Secret" not in letter["payload"]
    assert "moi_***" in letter["payload"]


async def test_an_officers_volunteer_invite_makes_a_volunteer_of_that_village(opened):
    store, content = opened
    service = officer_service(store, content, officers=frozenset({"test:boss"}))
    for village in ("Tổ dân phố 1", "Tổ dân phố 2"):
        await service.handle(message(f"/moi_tnv {village}", "boss"))
    made = [row for row in await outbox(store, "boss") if "moi_" in row.get("text", "")]
    assert len(made) == 2
    codes = [re.search(r"/start moi_([A-Za-z0-9_-]+)", row["text"]).group(1) for row in made]
    assert made[0]["buttons"] == [["invite:open", "Mở trợ lý bằng mã mời", f"start:moi_{codes[0]}"]]
    for code in codes:
        await service.handle(Inbound("test", "v", "v", payload=f"moi_{code}"))
    assert await store.run(lambda tx: tx.staff("test", "v")) == ("volunteer", ("ttcm-to-1", "ttcm-to-2"))
    granted = [row["text"] for row in await outbox(store, "v") if "tình nguyện viên" in row.get("text", "")]
    assert "tình nguyện viên thôn Tổ dân phố 1" in granted[0]
    await service.handle(message("/ghinhan", "v"))
    village_question = (await outbox(store, "v"))[-1]
    assert [label for _, label in village_question["buttons"]] == ["Tổ dân phố 1", "Tổ dân phố 2"]
    await service.handle(message("/moi_tnv Tổ dân phố 3", "v"))
    assert not [row for row in await outbox(store, "v") if "/start moi_" in row.get("text", "")], (
        "a volunteer cannot invite"
    )
