"""The Zalo channel end to end: the real application and its Zalo client against a fake Zalo Bot
Platform on 127.0.0.1 (tests/fakes/zalo.py), by webhook and by polling, with the platform's own
sample payloads (zalo-bot-platform.md §5)."""

import asyncio
import contextlib
import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from bot.app import open_store
from bot.channels import ChannelError
from bot.channels.web import COOKIE
from bot.channels.zalo import CHAT_GAP, QUOTA_WAIT, SECRET_HEADER, TEXT_LIMIT, WEBHOOK_PATH, ZaloChannel
from bot.conversation import ConversationService
from bot.redact import setup_logging
from bot.requests import invite_hash
from bot.settings import Settings, load_settings
from bot.store import OutboxRow, Store, timestamp
from flows import Content
from tests.bot.channels.push import Clock, serving, settle
from tests.conftest import frozen_content
from tests.fakes.zalo import TOKEN, Call, FakeZalo, message_event, text_update

SECRET = "zalo-webhook-secret_123"
PUBLIC = "https://xa.example.vn"
CARD = "DN4010123456789"
_chats = itertools.count(1)

#: The reference's sample payloads, verbatim (B1 wrapped, B2 flat).
B1 = {
    "ok": True,
    "result": {
        "message": {
            "from": {"id": "6ede9afa66b88fe6d6a9", "display_name": "Ted", "is_bot": False},
            "chat": {"id": "6ede9afa66b88fe6d6a9", "chat_type": "PRIVATE"},
            "text": "Xin chào",
            "message_id": "2d758cb5e222177a4e35",
            "date": 1750316131602,
        },
        "event_name": "message.text.received",
    },
}
B2 = {
    "event_name": "message.text.received",
    "message": {
        "message_id": "2d758cb5e222177a4e36",
        "text": "Xin chào",
        "chat": {"id": "7ede9afa66b88fe6d6a9", "chat_type": "PRIVATE"},
        "from": {"id": "7ede9afa66b88fe6d6a9", "display_name": "Nguyen Van A", "is_bot": False},
        "date": 1750316131602,
    },
}
B4 = {"ok": True, "result": {"event_name": "message.unsupported.received"}}


def new_chat() -> str:
    return f"z{next(_chats):018x}"


@dataclass
class Helper:
    server: TestServer
    store: Store
    content: Content
    fake: FakeZalo
    clock: Clock

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> int:
        async with ClientSession() as session:
            return await self.fake.post_update(
                session, str(self.server.make_url(WEBHOOK_PATH)), update, secret
            )

    async def settle(self, timeout: float = 10.0) -> None:
        await settle(self.store, timeout)

    def said(self, chat: str) -> list[str]:
        return [_text(call) for call in self.fake.sent_to(chat)]

    async def say(self, chat: str, text: str, **options: Any) -> list[str]:
        before = len(self.said(chat))
        assert await self.post(text_update(chat, text, **options)) == 200
        await self.settle()
        return self.said(chat)[before:]

    async def rows(self, sql: str) -> list[dict[str, Any]]:
        return await self.store.run(lambda tx: list(tx.db.query(sql)))


def _text(call: Call) -> str:
    return str(call.params.get("text") or call.params.get("caption") or "")


def option(text: str, label: str) -> str:
    """The number a person types for the option `label` of a Zalo message."""
    found = re.search(rf"^(\d+)\. {re.escape(label)}$", text, re.MULTILINE)
    assert found, f"no option {label!r} in {text!r}"
    return found.group(1)


def settings_for(tmp_path, fake: FakeZalo, **extra: str) -> Settings:
    values = {
        "BOT_DB_PATH": str(tmp_path / "helper.sqlite3"),
        "PUBLIC_URL": PUBLIC,
        "ZALO_BOT_TOKEN": TOKEN,
        "ZALO_API_BASE": fake.base_url,
        "ZALO_WEBHOOK_SECRET": SECRET,
        "ZALO_PACING": "off",
        # the reference's photo addresses are on zdn.vn: never fetched from a test
        "ZALO_PHOTO_HOSTS": "127.0.0.1",
    }
    return load_settings(values | extra, env_file=None)


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    platform = FakeZalo()
    await platform.start()
    yield platform
    await platform.stop()


@contextlib.asynccontextmanager
async def running(settings: Settings, fake: FakeZalo) -> AsyncIterator[Helper]:
    async with serving(settings) as (server, store, content, clock):
        yield Helper(server, store, content, fake, clock)


@pytest.fixture
async def helper(tmp_path, fake) -> AsyncIterator[Helper]:
    async with running(settings_for(tmp_path, fake), fake) as started:
        yield started


GUIDE = ["Hướng dẫn 5 bước tích hợp thẻ BHYT", "Có, đã cài VNeID", "Có, đã có mức 2", "Có, đã có số thẻ"]
NEXT = "Xong, sang bước tiếp"


async def walk_to_the_guide(helper: Helper, chat: str) -> list[str]:
    said = await helper.say(chat, "xin chào")
    said += await helper.say(chat, option(said[-1], "Đồng ý"))
    said += await helper.say(chat, "Đồng Tâm")
    said += await helper.say(chat, option(said[-1], "Tổ dân phố 3"))
    for label in GUIDE:
        said += await helper.say(chat, option(said[-1], label))
    return said


async def test_the_whole_five_steps_by_webhook_answered_by_number(helper):
    chat = new_chat()
    said = await walk_to_the_guide(helper, chat)
    assert "trợ lý tự động" in said[0], "the first message says it is automated software"
    assert "Trả lời bằng số (ví dụ: 1) hoặc gõ câu trả lời:\n1. Đồng ý\n2. Không đồng ý" in said[1]
    for _ in range(6):
        said += await helper.say(chat, option(said[-1], NEXT))
    assert said[-1].startswith("Bước 5"), said[-1]
    (state,) = await helper.rows("SELECT state FROM conversations")
    assert '"step": "guide_5"' in state["state"]
    assert all(len(text) <= TEXT_LIMIT for text in said)


@pytest.mark.parametrize("answer", ["2", "số 2", "khong dong y"])
async def test_an_option_is_answered_by_its_number_or_its_label_without_diacritics(helper, answer):
    chat = new_chat()
    await helper.say(chat, "xin chào")
    said = await helper.say(chat, answer)
    assert "Không sao" in said[0] or "không lưu" in " ".join(said).lower(), said
    (state,) = await helper.rows("SELECT state FROM conversations")
    assert '"consent": false' in state["state"]


async def test_the_wrapped_and_the_flat_payload_are_both_read(helper):
    assert await helper.post(B1) == 200
    assert await helper.post(B2) == 200
    await helper.settle()
    for chat in ("6ede9afa66b88fe6d6a9", "7ede9afa66b88fe6d6a9"):
        assert "trợ lý tự động" in helper.said(chat)[0]
    inbox = await helper.rows("SELECT received_at FROM inbox ORDER BY id")
    assert [row["received_at"][:10] for row in inbox] == ["2025-06-19", "2025-06-19"], "Zalo's time, in ms"


async def test_an_image_a_sticker_and_an_unsupported_event_get_a_text_answer(helper):
    chat = new_chat()
    await helper.say(chat, "xin chào")
    events = [
        (
            message_event("message.image.received", chat, photo_url="https://f21-zpc.zdn.vn/jpg/1/a.jpg"),
            "ảnh",
        ),
        (message_event("message.sticker.received", chat, sticker="sticker-123"), "chỉ đọc được chữ"),
        (message_event("message.unsupported.received", chat), "chỉ đọc được chữ"),
    ]
    for event, says in events:
        before = len(helper.said(chat))
        assert await helper.post(event) == 200
        await helper.settle()
        answer = helper.said(chat)[before:]
        assert answer, event["event_name"]
        assert says in answer[0], answer
    assert await helper.post(B4) == 200, "an unsupported event without its message is acknowledged"
    assert len(await helper.rows("SELECT * FROM inbox")) == 4


async def test_a_photo_or_unsupported_message_at_the_card_question_asks_for_the_number_typed(helper):
    chat = new_chat()
    said = await walk_to_the_guide(helper, chat)
    said += await helper.say(chat, "menu")
    said += await helper.say(chat, option(said[-1], "Kiểm tra số thẻ BHYT"))
    assert "Gõ số thẻ BHYT" in said[-1]
    answers = {
        "message.unsupported.received": "Xin gõ câu trả lời bằng chữ hoặc số",
        "message.image.received": "ảnh",
    }
    for event, says in answers.items():
        before = len(helper.said(chat))
        photo = {"photo_url": "https://f21-zpc.zdn.vn/a.jpg"} if event == "message.image.received" else {}
        assert await helper.post(message_event(event, chat, **photo)) == 200
        await helper.settle()
        answer = " ".join(helper.said(chat)[before:])
        assert says in answer
        assert "số thẻ vào đây" in answer, "the card question is asked again"


async def test_a_duplicate_message_id_is_answered_once(helper):
    chat = new_chat()
    update = text_update(chat, "xin chào", message_id="dup-1")
    assert await asyncio.gather(helper.post(update), helper.post(update)) == [200, 200]
    assert await helper.post(update) == 200
    await helper.settle()
    assert len(await helper.rows("SELECT * FROM inbox")) == 1
    assert len(helper.said(chat)) == 2, "one welcome, one consent question: once"


async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_stored(helper):
    update = text_update(new_chat(), "xin chào")
    assert await helper.post(update, secret="wrong-secret") == 403
    assert await helper.post(update, secret=None) == 403
    async with ClientSession() as session:
        url = str(helper.server.make_url(WEBHOOK_PATH))
        async with session.post(url, data=b"{not json", headers={SECRET_HEADER: SECRET}) as response:
            assert response.status == 400
    assert await helper.rows("SELECT * FROM inbox") == []
    assert helper.fake.calls_of("sendMessage") == []


async def test_the_webhook_is_registered_with_its_secret(helper):
    assert helper.fake.webhook == {"url": PUBLIC + WEBHOOK_PATH, "secret_token": SECRET}


async def test_a_long_answer_is_split_on_paragraphs_under_the_limit(helper, tmp_path):
    service = ConversationService(helper.store, helper.content)
    channel = ZaloChannel(service, settings_for(tmp_path, helper.fake).zalo, helper.content, PUBLIC)
    await channel.start()
    paragraphs = [f"Đoạn {n}: " + " ".join(["chữ"] * 120) for n in range(5)]  # about 2,500 characters
    text = "\n\n".join(paragraphs)
    assert 2400 < len(text) < 2600
    chat = new_chat()
    row = OutboxRow(1, "zalo", chat, {"text": text, "buttons": [], "image": None}, 0)
    try:
        assert await channel.deliver(row)
    finally:
        await channel.stop()
    first, second = helper.said(chat)
    assert len(first) <= TEXT_LIMIT
    assert first == "\n\n".join(paragraphs[:4]), "cut at the last paragraph break that fits"
    assert second == paragraphs[4]
    assert [call.params["action"] for call in helper.fake.calls_of("sendChatAction")] == ["typing"]


async def test_the_video_qr_goes_as_a_hosted_url_that_serves_the_png(helper):
    chat = new_chat()
    await helper.say(chat, "xin chào")
    said = await helper.say(chat, "video")
    (photo,) = [call for call in helper.fake.sent_to(chat) if call.method == "sendPhoto"]
    assert photo.params["photo"] == PUBLIC + "/media/qr/video.png"
    assert _text(photo) in said
    assert helper.fake.calls_of("sendChatAction"), "typing while Zalo fetches the photo"
    url = str(helper.server.make_url("/media/qr/video.png"))
    async with ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        assert (await response.read()).startswith(b"\x89PNG")


async def test_without_a_public_address_polling_is_used_and_the_video_goes_as_its_link(tmp_path, fake):
    fake.webhook = {"url": "https://old.example/hook", "secret_token": "left-behind"}
    settings = settings_for(tmp_path, fake, PUBLIC_URL="", ZALO_WEBHOOK_SECRET="")
    async with running(settings, fake) as helper:
        assert fake.webhook is None, "a webhook left behind would starve polling"
        chat = new_chat()
        fake.queue_update(text_update(chat, "xin chào"))
        await fake.wait_for(lambda: len(helper.said(chat)) == 2)
        fake.queue_update(text_update(chat, "video"))
        await fake.wait_for(lambda: len(helper.said(chat)) >= 3)
        await helper.settle()
        assert not fake.calls_of("sendPhoto")
        assert any(helper.content.video_url in text for text in helper.said(chat)[2:])
        gaps = [b.at - a.at for a, b in itertools.pairwise(fake.calls_of("getUpdates"))]
        assert gaps
        assert min(gaps) >= 0.95, "at least a second between polls"


async def test_a_replayed_update_by_polling_is_answered_once(tmp_path, fake):
    settings = settings_for(tmp_path, fake, PUBLIC_URL="", ZALO_WEBHOOK_SECRET="")
    async with running(settings, fake) as helper:
        chat = new_chat()
        update = text_update(chat, "xin chào")
        fake.queue_update(update)
        fake.queue_update(update)  # Zalo may hand the same update out again
        await fake.wait_for(lambda: len(fake.calls_of("getUpdates")) >= 3, timeout=8)
        await helper.settle()
        assert len(helper.said(chat)) == 2


async def test_a_rejected_token_is_one_plain_start_error_without_the_token(tmp_path, fake):
    settings = settings_for(tmp_path, fake, ZALO_BOT_TOKEN="999999:WRONG-token-xyz")
    store, content = open_store(settings, frozen_content())
    channel = ZaloChannel(ConversationService(store, content), settings.zalo, content, "")
    try:
        with pytest.raises(ChannelError) as caught:
            await channel.start()
    finally:
        store.close()
    assert str(caught.value).startswith("ZALO_BOT_TOKEN: Zalo từ chối mã bot (401")
    assert "WRONG-token" not in str(caught.value)


async def test_a_quota_429_waits_then_the_reply_goes_without_an_attempt_counted(helper):
    chat = new_chat()
    helper.fake.add_fault("sendMessage", chat_id=chat, status=429, times=1)
    assert await helper.post(text_update(chat, "xin chào")) == 200
    await helper.fake.wait_for(lambda: helper.fake.calls_of("sendMessage"))
    await asyncio.sleep(0.3)
    assert helper.said(chat) == [], "the chat waits after the quota answer"
    helper.clock.skipped = timedelta(seconds=QUOTA_WAIT + 1)
    assert await helper.post(text_update(new_chat(), "xin chào")) == 200  # wakes the sender
    await helper.settle()
    assert len(helper.said(chat)) == 2
    rows = await helper.rows(f"SELECT status, attempts FROM outbox WHERE chat_key = '{chat}'")
    assert {(r["status"], r["attempts"]) for r in rows} == {("sent", 1)}, "the 429 was not an attempt"


async def test_a_5xx_is_retried_and_a_400_is_not(helper):
    flaky, broken = new_chat(), new_chat()
    helper.fake.add_fault("sendMessage", chat_id=flaky, status=500, times=1)
    helper.fake.add_fault("sendMessage", chat_id=broken, status=400)
    for chat in (flaky, broken):
        assert await helper.post(text_update(chat, "xin chào")) == 200
    await helper.fake.wait_for(lambda: helper.fake.calls_of("sendMessage"))
    helper.clock.skipped = timedelta(minutes=5)  # past the backoff
    assert await helper.post(text_update(new_chat(), "xin chào")) == 200
    await helper.settle()
    assert len(helper.said(flaky)) == 2
    failed = await helper.rows(f"SELECT status, error FROM outbox WHERE chat_key = '{broken}'")
    assert failed[0] == {"status": "failed", "error": "permanent: 400 Bad Request"}


async def test_a_rejected_token_while_sending_pauses_loudly_and_loses_nothing(helper, caplog):
    chats = [new_chat() for _ in range(3)]
    helper.fake.add_fault("sendMessage", status=401)
    for chat in chats:
        assert await helper.post(text_update(chat, "xin chào")) == 200
    await helper.fake.wait_for(lambda: len(helper.fake.calls_of("sendMessage")) >= 3)
    await asyncio.sleep(0.3)
    tried = len(helper.fake.calls_of("sendMessage"))
    await asyncio.sleep(0.5)
    assert len(helper.fake.calls_of("sendMessage")) == tried, "sending waits"
    assert "the token was rejected" in caplog.text
    rows = await helper.rows("SELECT status, attempts FROM outbox")
    assert {(r["status"], r["attempts"]) for r in rows} == {("pending", 0)}, "nothing lost or counted"


async def test_in_a_group_a_mention_gets_one_short_pointer_and_a_number_is_never_checked(helper):
    group = new_chat()
    said = await helper.say(group, "@Bot Trợ lý giúp với", chat_type="GROUP")
    assert len(said) == 1, said
    assert 'chọn "Nhắn tin"' in said[0]
    assert "nút" not in said[0], "Zalo shows no button"
    said = await helper.say(group, f"@Bot Trợ lý số thẻ của tôi {CARD}", chat_type="GROUP")
    assert "đừng gửi số thẻ" in said[0]
    assert "hợp lệ" not in said[0], "no card check in a group"
    said = await helper.say(group, "@Bot Trợ lý /huongdan", chat_type="GROUP")
    assert "5 bước" in said[0]
    events = {row["kind"] for row in await helper.rows("SELECT kind FROM events")}
    assert "card_checked" not in events


async def test_the_same_conversation_reads_the_same_as_on_the_web(helper):
    """Parity: what the web chat shows and what Zalo sends differ only in how options look."""
    answers = ["Đồng ý", "Đồng Tâm", "Tổ dân phố 3", *GUIDE]
    chat = new_chat()
    zalo = await helper.say(chat, "xin chào")
    for answer in answers:
        zalo += await helper.say(chat, answer)
    web: list[str] = []
    async with ClientSession(base_url=helper.server.make_url("/")) as session:
        async with session.post("/api/chat", json={"start": ""}) as response:
            web += [reply["text"] for reply in (await response.json())["replies"]]
            browser = {"Cookie": f"{COOKIE}={response.cookies[COOKIE].value}"}  # a Secure cookie
        for answer in answers:
            async with session.post("/api/chat", json={"text": answer}, headers=browser) as response:
                web += [reply["text"] for reply in (await response.json())["replies"]]
    assert len(zalo) == len(web)
    for sent, shown in zip(zalo, web, strict=True):
        assert sent.split("\n\nTrả lời bằng số")[0] == shown


async def test_each_chat_gets_at_most_one_message_a_second_when_paced(tmp_path, fake):
    async with running(settings_for(tmp_path, fake, ZALO_PACING="on"), fake) as helper:
        chat = new_chat()
        assert await helper.post(text_update(chat, "xin chào")) == 200
        await helper.settle()
        first, second = helper.fake.sent_to(chat)
        assert second.at - first.at >= CHAT_GAP - 0.05


async def test_the_token_and_secret_never_reach_the_logs_or_the_database(tmp_path, fake, capfd):
    setup_logging("DEBUG")
    async with running(settings_for(tmp_path, fake), fake) as helper:
        failing = new_chat()
        helper.fake.add_fault(
            "sendMessage", chat_id=failing, status=500, description="boom " + TOKEN, times=1
        )
        assert await helper.post(text_update(failing, f"xin chào {CARD}")) == 200
        assert await helper.post(text_update(new_chat(), "x"), secret="wrong-secret") == 403
        await helper.fake.wait_for(lambda: helper.fake.calls_of("sendMessage"))
        await asyncio.sleep(0.2)
        errors = await helper.rows("SELECT error FROM outbox WHERE error IS NOT NULL")
        helper.clock.skipped = timedelta(minutes=5)  # past the backoff
        assert await helper.post(text_update(new_chat(), "xin chào")) == 200  # wakes the sender
        await helper.settle()
    logged = capfd.readouterr().err
    assert "webhook set to" in logged, "the run did log"
    assert errors, "the failure was stored"
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("helper.sqlite3*"))
    for secret in (TOKEN, TOKEN.partition(":")[2], SECRET):
        assert secret not in logged
        assert secret.encode() not in stored


async def test_an_invited_officer_gets_the_report_with_a_link_to_the_spreadsheet(tmp_path, fake):
    settings = settings_for(tmp_path, fake, DASHBOARD_PASSWORD="mat-khau-du-dai")
    async with running(settings, fake) as helper:
        until = timestamp(helper.clock() + timedelta(days=1))
        await helper.store.run(lambda tx: tx.add_invite(invite_hash("z1"), "officer", "", until, until))
        chat = new_chat()
        refused = await helper.say(chat, "/baocao")
        assert "chỉ dành cho cán bộ" in refused[0]
        granted = await helper.say(chat, "/start moi_z1")
        assert "anh/chị là cán bộ xã" in granted[0]
        (report,) = [text for text in await helper.say(chat, "/baocao tuantruoc") if "Báo cáo tuần" in text]
        assert report.startswith("Báo cáo tuần 2026-W48 (")
        assert f"{PUBLIC}/dashboard/download/xlsx?week=2026-W48" in report
        assert len(report) <= 2000, "one Zalo message"
