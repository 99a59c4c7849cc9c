"""Tickets through the service: a village without volunteers goes to the officers, an unanswered
one is escalated to them after two hours (fixed clock), once, and with nobody to ask the
resident is told where to go instead."""

import json
from datetime import UTC, datetime, timedelta

from bot.app import open_store
from bot.conversation import ConversationService
from bot.requests import Requests
from bot.timers import sweep
from flows import Inbound
from flows.handoff import masked
from tests.conftest import frozen_content

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
ASK = ("xin chào", "Đồng ý", "Đồng Tâm", "Tổ dân phố 3", "nhờ cán bộ", "Không cần nhắn thêm")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def texts(store, channel: str, chat: str) -> list[str]:
    sql = "SELECT reply FROM outbox WHERE channel = ? AND chat_key = ? ORDER BY id"
    rows = store.call(lambda tx: tx.db.execute(sql, [channel, chat]).fetchall())
    return [json.loads(reply).get("text", "") for (reply,) in rows]


async def test_an_unanswered_ticket_reaches_the_officers_after_two_hours_once(settings):
    clock = Clock()
    store, content = open_store(settings, frozen_content())
    requests = Requests(content, frozenset({"telegram:boss"}), {"telegram", "zalo"})
    service = ConversationService(store, content, clock, requests=requests)
    store.call(
        lambda tx: tx.db.execute("INSERT INTO roles VALUES ('zalo', 'vol', 'volunteer', 'ttcm-to-3', '')")
    )
    for text in ASK:
        await service.handle(Inbound("telegram", "r1", "r1", text=text))
    assert texts(store, "zalo", "vol")[0].startswith("Lời nhờ số 1"), "the village's volunteer, on Zalo"
    assert texts(store, "telegram", "boss") == []
    clock.now = T0 + timedelta(hours=1, minutes=59)
    await sweep(service, {"telegram", "zalo"}, clock.now)
    assert texts(store, "telegram", "boss") == [], "not yet"
    clock.now = T0 + timedelta(hours=2, minutes=1)
    await sweep(service, {"telegram", "zalo"}, clock.now)
    (escalated,) = texts(store, "telegram", "boss")
    assert "đã 2 giờ chưa ai trả lời" in escalated
    await sweep(service, {"telegram", "zalo"}, clock.now + timedelta(minutes=1))
    assert len(texts(store, "telegram", "boss")) == 1, "once"
    store.close()


async def test_an_answered_ticket_is_not_escalated(settings):
    clock = Clock()
    store, content = open_store(settings, frozen_content())
    service = ConversationService(
        store, content, clock, requests=Requests(content, frozenset({"telegram:boss"}), {"telegram"})
    )
    for text in ASK:
        await service.handle(Inbound("telegram", "r1", "r1", text=text))
    assert texts(store, "telegram", "boss")[0].startswith("Lời nhờ số 1"), "no volunteer: the officer"
    await service.handle(Inbound("telegram", "boss", "boss", text="/traloi 1 Em gọi lại ngay"))
    assert "Em gọi lại ngay" in texts(store, "telegram", "r1")[-1]
    clock.now = T0 + timedelta(hours=3)
    await sweep(service, {"telegram"}, clock.now)
    assert not any("2 giờ" in text for text in texts(store, "telegram", "boss"))
    store.close()


async def test_with_nobody_to_ask_the_resident_is_told_where_to_go(settings):
    store, content = open_store(settings, frozen_content())
    service = ConversationService(store, content, Clock())
    for text in ASK:
        await service.handle(Inbound("telegram", "r1", "r1", text=text))
    said = "\n".join(texts(store, "telegram", "r1"))
    assert "chưa chuyển được lời nhờ" in said
    assert "Để được cán bộ giúp trực tiếp" in said
    assert store.call(lambda tx: tx.count("tickets")) == 0
    store.close()


def test_numbers_in_a_ticket_are_masked():
    assert masked("số thẻ DN4010123456789 và căn cước 001090012345, gọi 0912 345 678") == (
        "số thẻ *** và căn cước ***, gọi ***"
    )
    assert masked("nhà số 12, tổ 3") == "nhà số 12, tổ 3", "short numbers stay"
    assert len(masked("a " * 400)) == 300
