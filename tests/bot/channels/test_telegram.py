"""The Telegram channel end to end: the real application and the real python-telegram-bot client
against a fake Bot API on 127.0.0.1 (tests/fakes/telegram.py), by webhook and by polling."""

import asyncio
import contextlib
import io
import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import zxingcpp
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from PIL import Image

from bot.app import open_store
from bot.channels import ChannelError
from bot.channels.telegram import PER_SECOND, SECRET_HEADER, WEBHOOK_PATH, TelegramChannel, interval
from bot.conversation import ConversationService
from bot.redact import setup_logging
from bot.sender import Pacing, Retry, Sender
from bot.settings import Settings, load_settings
from bot.store import Store
from flows import Content
from tests.bot.channels.push import Clock, serving, settle
from tests.conftest import frozen_content
from tests.fakes.telegram import TOKEN, USERNAME, Call, FakeTelegram, callback_update, message_update

SECRET = "webhook-secret_123"
OFFICER = 777
CARD = "DN4010123456789"  # a well-formed old card number of the frozen content's province
_chats = itertools.count(5001)


def new_chat() -> int:
    return next(_chats)


@dataclass
class Helper:
    """The running application, its database and the fake platform."""

    server: TestServer
    store: Store
    content: Content
    fake: FakeTelegram
    clock: Clock

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> int:
        async with ClientSession() as session:
            url = str(self.server.make_url(WEBHOOK_PATH))
            return await self.fake.post_update(session, url, update, secret)

    async def settle(self, timeout: float = 10.0) -> None:
        await settle(self.store, timeout)

    def delivered(self, chat: int) -> list[Call]:
        return [call for call in self.fake.sent_to(chat) if call.result is not None]

    async def say(self, chat: int, text: str, **options: Any) -> list[str]:
        before = len(self.delivered(chat))
        assert await self.post(message_update(chat, text, **options)) == 200
        await self.settle()
        return [_text(call) for call in self.delivered(chat)[before:]]

    async def press(self, chat: int, label_or_id: str) -> list[str]:
        """Presses a button of the newest message that has it, as a person does."""
        message = next(c for c in reversed(self.delivered(chat)) if _button(c, label_or_id))
        data = _button(message, label_or_id)
        before = len(self.delivered(chat))
        update = callback_update(chat, data, message_id=message.result["message_id"])
        assert await self.post(update) == 200
        await self.settle()
        return [_text(call) for call in self.delivered(chat)[before:]]

    async def rows(self, sql: str) -> list[dict[str, Any]]:
        return await self.store.run(lambda tx: list(tx.db.query(sql)))


def _text(call: Call) -> str:
    return str(call.params.get("text") or call.params.get("caption") or "")


def _buttons(call: Call) -> list[dict[str, Any]]:
    markup = call.params.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def _button(call: Call, label_or_id: str) -> str | None:
    for button in _buttons(call):
        if label_or_id in (button["text"], button.get("callback_data")):
            return button.get("callback_data")
    return None


def settings_for(tmp_path, fake: FakeTelegram, **extra: str) -> Settings:
    values = {
        "BOT_DB_PATH": str(tmp_path / "helper.sqlite3"),
        "PUBLIC_URL": "https://xa.example.vn",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": fake.base_url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_PACING": "off",
        "OFFICER_IDS": f"telegram:{OFFICER}",
    }
    return load_settings(values | extra, env_file=None)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    platform = FakeTelegram()
    await platform.start()
    yield platform
    await platform.stop()


@contextlib.asynccontextmanager
async def running(
    settings: Settings, fake: FakeTelegram, clock: Clock | None = None
) -> AsyncIterator[Helper]:
    async with serving(settings, clock) as (server, store, content, started_clock):
        yield Helper(server, store, content, fake, started_clock)


@pytest.fixture
async def helper(tmp_path, fake) -> AsyncIterator[Helper]:
    async with running(settings_for(tmp_path, fake), fake) as started:
        yield started


NEXT = "Xong, sang bước tiếp"
GUIDE = ["Hướng dẫn 5 bước tích hợp thẻ BHYT", "Có, đã cài VNeID", "Có, đã có mức 2", "Có, đã có số thẻ"]


async def test_the_whole_five_steps_by_webhook_with_real_buttons(helper):
    chat = new_chat()
    said = await helper.say(chat, "/start")
    assert "trợ lý tự động" in said[0]
    assert [b["text"] for b in _buttons(helper.delivered(chat)[-1])] == [
        "Đồng ý",
        "Không đồng ý",
        "Xem chi tiết",
    ]
    await helper.press(chat, "Đồng ý")
    await helper.say(chat, "Đồng Tâm")
    await helper.press(chat, "Tổ dân phố 3")
    for label in GUIDE:
        await helper.press(chat, label)
    seen = []
    for _ in range(6):
        seen += await helper.press(chat, NEXT)
    assert seen[-1].startswith("Bước 5"), seen
    (state,) = await helper.rows("SELECT state FROM conversations")
    assert '"step": "guide_5"' in state["state"]
    pressed = helper.fake.calls_of("answerCallbackQuery")
    assert len(pressed) == 2 + len(GUIDE) + 6, "every press is answered at once"
    unbuttoned = {call.params["message_id"] for call in helper.fake.calls_of("editMessageReplyMarkup")}
    assert len(unbuttoned) == len(pressed), "the keyboard of each pressed message is removed"


async def test_a_deep_link_names_the_village_and_the_flow_confirms_it(helper):
    chat = new_chat()
    village = helper.content.places.villages[0]
    await helper.say(chat, f"/start v_{village.code}")
    said = await helper.press(chat, "Đồng ý")
    assert f"{village.name}, đúng không?" in said[-1]


async def test_a_stale_press_is_answered_kindly_and_changes_nothing(helper):
    chat = new_chat()
    await helper.say(chat, "/start")
    consent = next(c for c in helper.delivered(chat) if _buttons(c))
    await helper.press(chat, "Đồng ý")
    (before,) = await helper.rows("SELECT state FROM conversations")
    again = callback_update(chat, "consent:agree", message_id=consent.result["message_id"])
    assert await helper.post(again) == 200
    await helper.settle()
    said = _text(helper.delivered(chat)[-2])
    assert "câu hỏi trước" in said
    (after,) = await helper.rows("SELECT state FROM conversations")
    assert '"consent": true' in after["state"]
    assert '"step": "area"' in before["state"]
    assert '"step": "area"' in after["state"], "nothing advanced twice"


async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_stored(helper):
    update = message_update(new_chat(), "xin chào")
    assert await helper.post(update, secret="wrong") == 403
    assert await helper.post(update, secret=None) == 403
    assert await helper.rows("SELECT * FROM inbox") == []
    assert helper.fake.calls_of("sendMessage") == []


async def test_malformed_json_is_a_400_and_unknown_updates_are_acknowledged(helper):
    async with ClientSession() as session:
        url = str(helper.server.make_url(WEBHOOK_PATH))
        async with session.post(url, data=b"{not json", headers={SECRET_HEADER: SECRET}) as response:
            assert response.status == 400
    assert await helper.post({"update_id": 1, "my_chat_member": {}}) == 200
    assert await helper.post({"no": "update"}) == 200
    assert await helper.rows("SELECT * FROM inbox") == []


async def test_a_duplicate_update_is_acknowledged_and_ignored(helper):
    chat = new_chat()
    update = message_update(chat, "xin chào")
    assert await asyncio.gather(helper.post(update), helper.post(update)) == [200, 200]
    assert await helper.post(update) == 200
    await helper.settle()
    assert len(await helper.rows("SELECT * FROM inbox")) == 1
    assert len(helper.delivered(chat)) == 2, "one welcome, one consent question: once"


async def test_a_429_for_one_chat_pauses_it_while_another_chat_is_answered(helper):
    slow, other = new_chat(), new_chat()
    helper.fake.add_fault("sendMessage", chat_id=slow, status=429, retry_after=2, times=1)
    started = time.monotonic()
    assert await helper.post(message_update(slow, "xin chào")) == 200
    await helper.fake.wait_for(lambda: helper.fake.sent_to(slow))
    assert await helper.say(other, "xin chào"), "the other chat is answered meanwhile"
    answered_other = helper.delivered(other)[0].at
    await helper.settle()
    first_delivery = helper.delivered(slow)[0].at
    assert answered_other < first_delivery
    assert first_delivery - started >= 2.0, "the limited chat waited its retry_after"
    rows = await helper.rows(f"SELECT status, attempts FROM outbox WHERE chat_key = '{slow}'")
    assert {(r["status"], r["attempts"]) for r in rows} == {("sent", 1)}, "the 429 was not an attempt"


async def test_a_429_storm_pauses_the_channel_and_loses_nothing(helper):
    chats = [new_chat() for _ in range(5)]
    helper.fake.add_fault("sendMessage", status=429, retry_after=25)
    for chat in chats:
        assert await helper.post(message_update(chat, "xin chào")) == 200
    await helper.fake.wait_for(lambda: len(helper.fake.calls_of("sendMessage")) >= 3)
    await asyncio.sleep(0.3)
    tried = len(helper.fake.calls_of("sendMessage"))
    assert tried <= 5, "no call goes into the ban once the channel paused"
    await asyncio.sleep(0.5)
    assert len(helper.fake.calls_of("sendMessage")) == tried, "paused: nothing is tried"
    helper.fake.clear_faults()
    helper.clock.skipped = timedelta(seconds=26)  # the ban is over
    late = new_chat()
    assert await helper.post(message_update(late, "xin chào")) == 200  # wakes the sender
    await helper.settle()
    for chat in [*chats, late]:
        assert len(helper.delivered(chat)) == 2, chat
    rows = await helper.rows("SELECT status, attempts FROM outbox")
    assert {(r["status"], r["attempts"]) for r in rows} == {("sent", 1)}, "no attempt counted, none lost"


async def test_a_hung_send_times_out_and_is_retried(tmp_path, fake):
    settings = settings_for(tmp_path, fake)
    store, content = open_store(settings, frozen_content())
    service = ConversationService(store, content)
    channel = TelegramChannel(service, settings.telegram, content, "https://xa.example.vn", "")
    sender = Sender(store, channel.name, channel.deliver, retry=Retry(backoff=(0.2,), timeout=0.3))
    await channel.start()
    try:
        chat = new_chat()
        fake.add_fault("sendMessage", chat_id=chat, delay=5.0, times=1)
        await channel.receive(message_update(chat, "xin chào"))
        assert await sender.drain() == 0, "the hung call timed out; the chat's next reply waits for it"
        await asyncio.sleep(0.25)
        assert await sender.drain() >= 1
        rows = await store.run(lambda tx: list(tx.db.query("SELECT status, attempts, error FROM outbox")))
        assert [r["status"] for r in rows] == ["sent", "sent"]
        assert rows[0]["attempts"] == 2
        assert rows[0]["error"] == "no answer within 0.3 s"
    finally:
        await channel.stop()
        store.close()


async def test_a_person_who_blocked_the_helper_is_opted_out_without_noise(helper, caplog):
    chat = new_chat()
    await helper.say(chat, "/start")
    await helper.press(chat, "Đồng ý")
    helper.fake.add_fault("sendMessage", chat_id=chat, status=403)
    assert await helper.post(message_update(chat, "Đồng Tâm")) == 200
    await helper.settle()
    (conversation,) = await helper.rows("SELECT opted_out, wake_at FROM conversations")
    assert conversation == {"opted_out": 1, "wake_at": None}, "nothing is sent unprompted any more"
    failed = await helper.rows("SELECT error FROM outbox WHERE status = 'failed'")
    assert failed
    assert all(r["error"].startswith("blocked: 403 Forbidden") for r in failed)
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


async def test_the_guide_in_a_group_with_a_private_link_and_the_video_qr(helper):
    group = -1_000_001
    said = await helper.say(group, "/huongdan@" + USERNAME, chat_type="group")
    assert "5 bước" in said[0]
    (link,) = _buttons(helper.delivered(group)[0])
    assert link["url"] == f"https://t.me/{USERNAME}?start=nhom"
    photo = helper.delivered(group)[1]
    assert photo.method == "sendPhoto"
    assert photo.files["photo"] > 200, "the QR goes out as an uploaded PNG"
    assert await helper.rows("SELECT * FROM people") == [], "a group is not a person"


async def test_an_officer_links_a_group_and_its_button_then_carries_the_village(helper):
    group = -1_000_002
    village = helper.content.places.villages[0]
    said = await helper.say(group, f"/lienket_thon {village.name}", chat_type="group", user_id=OFFICER)
    assert village.name in said[0]
    await helper.say(group, "/huongdan", chat_type="group")
    (link,) = _buttons(helper.delivered(group)[-2])
    assert link["url"].endswith(f"?start=v_{village.code}")
    refused = await helper.say(group, f"/lienket_thon {village.name}", chat_type="group", user_id=42)
    assert "chỉ dành cho cán bộ" in refused[0]


async def test_an_officer_asks_for_the_report_and_gets_the_text_and_the_spreadsheet(helper):
    await helper.say(OFFICER, "xin chào")
    said = await helper.say(OFFICER, "/baocao")
    assert said[0].startswith("Báo cáo tuần 2026-W49 ("), "the week of the clock (Saturday 28 November)"
    assert "Người được hỗ trợ: 1 (+1 so với tuần trước)" in said[0], "the officer's own session"
    ((chat, name, data),) = helper.fake.documents
    assert (chat, name) == (OFFICER, "bao-cao-2026-W49.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet["A1"].value == "Khu vực"
    (document,) = helper.fake.calls_of("sendDocument")
    assert document.params["caption"] == "Tệp Excel báo cáo tuần 2026-W49"
    resident = new_chat()
    await helper.say(resident, "xin chào")
    refused = await helper.say(resident, "/baocao")
    assert "chỉ dành cho cán bộ" in refused[0]
    assert len(helper.fake.documents) == 1


async def test_the_weeks_report_reaches_the_officer_at_the_cutoff_unasked(tmp_path, fake):
    just_after = datetime(2026, 12, 2, 7, 0, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    async with running(settings_for(tmp_path, fake), fake, Clock(just_after)) as helper:
        await fake.wait_for(lambda: helper.fake.documents)
        await helper.settle()
        texts = [_text(call) for call in helper.delivered(OFFICER)]
        assert texts[0].startswith("Báo cáo tuần 2026-W49 (07:00 25/11 - 07:00 02/12/2026)")
        assert [name for _, name, _ in helper.fake.documents] == ["bao-cao-2026-W49.xlsx"]
        (push,) = await helper.rows("SELECT week FROM report_pushes")
        assert push["week"] == "2026-W49"


async def test_a_card_number_in_a_group_is_warned_about_and_deleted_where_allowed(helper):
    admin_group, plain_group = -1_000_003, -1_000_004
    helper.fake.admin_chats.add(str(admin_group))
    for group in (admin_group, plain_group):
        said = await helper.say(group, f"số thẻ của tôi {CARD}", chat_type="group")
        assert "Xin đừng gửi số thẻ" in said[0]
        assert CARD not in said[0]
    deleted = helper.fake.calls_of("deleteMessage")
    assert {call.params["chat_id"] for call in deleted} == {str(admin_group), str(plain_group)}
    assert [call.result for call in deleted if call.params["chat_id"] == str(admin_group)] == [True]
    rows = await helper.rows("SELECT status FROM outbox")
    assert {r["status"] for r in rows} == {"sent"}, "a message the helper may not delete is not an error"
    chatter = await helper.say(admin_group, "mai họp thôn nhé", chat_type="group")
    assert chatter == [], "group chatter not addressed to the helper is left alone"


async def test_a_card_number_in_a_private_chat_is_checked_then_deleted(helper):
    chat = new_chat()
    await helper.say(chat, "/start")
    await helper.press(chat, "Không đồng ý")
    await helper.press(chat, "Kiểm tra số thẻ BHYT")
    update = message_update(chat, CARD)
    assert await helper.post(update) == 200
    await helper.settle()
    (deleted,) = helper.fake.calls_of("deleteMessage")
    assert deleted.params == {"chat_id": str(chat), "message_id": str(update["message"]["message_id"])}
    replies = " ".join(_text(call) for call in helper.delivered(chat)[-3:])
    assert CARD not in replies
    assert CARD[-10:] not in replies


async def test_the_commands_are_registered_in_vietnamese(helper):
    calls = helper.fake.calls_of("setMyCommands")
    private = [c for c in calls if c.params["scope"]["type"] == "all_private_chats"]
    assert {c.params.get("language_code") for c in private} == {"vi", None}
    names = [command["command"] for command in private[0].params["commands"]]
    assert names[:3] == ["menu", "huongdan", "kiemtra"]
    assert "lienket_thon" not in names
    assert helper.fake.webhook["url"] == "https://xa.example.vn" + WEBHOOK_PATH
    assert helper.fake.webhook["secret_token"] == SECRET


async def test_the_platforms_time_is_the_events_time(helper):
    an_hour_ago = int(helper.clock().timestamp()) - 3600
    await helper.say(new_chat(), "xin chào", date=an_hour_ago)
    (event,) = await helper.rows("SELECT at FROM events")
    at = datetime.fromisoformat(event["at"])
    assert abs(at.timestamp() - an_hour_ago) < 1, "a backlog lands when it was sent, not when it arrived"


async def test_the_whole_conversation_by_polling(tmp_path, fake):
    settings = settings_for(tmp_path, fake, TELEGRAM_WEBHOOK_SECRET="")
    async with running(settings, fake) as helper:
        assert helper.fake.calls_of("deleteWebhook"), "a webhook left behind would starve polling"
        chat = new_chat()
        helper.fake.queue_update(message_update(chat, "/start"))
        await helper.fake.wait_for(lambda: len(helper.delivered(chat)) == 2)
        consent = helper.delivered(chat)[-1]
        data = _button(consent, "Đồng ý")
        helper.fake.queue_update(callback_update(chat, data, message_id=consent.result["message_id"]))
        await helper.fake.wait_for(lambda: len(helper.delivered(chat)) == 4)
        assert "khu vực" in _text(helper.delivered(chat)[-1])
        assert helper.fake.calls_of("answerCallbackQuery")


async def test_a_rejected_token_is_one_plain_start_error_without_the_token(tmp_path, fake):
    settings = settings_for(tmp_path, fake, TELEGRAM_BOT_TOKEN="999999:WRONG-token-abcdefghijklmnopqrst")
    store, content = open_store(settings, frozen_content())
    channel = TelegramChannel(ConversationService(store, content), settings.telegram, content, "", "")
    try:
        with pytest.raises(ChannelError) as caught:
            await channel.start()
    finally:
        store.close()
    assert str(caught.value).startswith("TELEGRAM_BOT_TOKEN: Telegram từ chối mã bot (401")
    assert "WRONG-token" not in str(caught.value)


async def test_each_private_chat_gets_at_most_one_message_a_second(tmp_path, fake):
    async with running(settings_for(tmp_path, fake, TELEGRAM_PACING="on"), fake) as helper:
        chat = new_chat()
        assert await helper.post(message_update(chat, "xin chào")) == 200
        await helper.settle()
        first, second = helper.delivered(chat)
        assert second.at - first.at >= 0.95


async def test_the_token_and_secret_never_reach_the_logs_or_the_database(tmp_path, fake, capfd):
    setup_logging("DEBUG")
    settings = settings_for(tmp_path, fake)
    async with running(settings, fake) as helper:
        failing, limited, fine = new_chat(), new_chat(), new_chat()
        helper.fake.add_fault("sendMessage", chat_id=failing, status=500, times=2)
        helper.fake.add_fault("sendMessage", chat_id=limited, status=429, retry_after=1, times=1)
        helper.fake.add_fault("deleteMessage", status=400, description="Bad Request: " + TOKEN)
        for chat in (failing, limited, fine):
            assert await helper.post(message_update(chat, f"xin chào {CARD}")) == 200
        assert await helper.post(message_update(fine, "x"), secret="wrong") == 403
        await helper.fake.wait_for(lambda: len(helper.delivered(limited)) == 3)
        errors = await helper.rows("SELECT error FROM outbox WHERE error IS NOT NULL")
    logged = capfd.readouterr().err
    assert "webhook set to" in logged, "the run did log"
    assert "500 Internal Server Error" in " ".join(r["error"] for r in errors), "failures were stored"
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("helper.sqlite3*"))
    for secret in (TOKEN, TOKEN.partition(":")[2], SECRET):
        assert secret not in logged
        assert secret.encode() not in stored


async def test_a_volunteer_gets_the_kit_and_the_villages_poster_as_a_printable_file(helper):
    await helper.store.run(
        lambda tx: tx.db.execute(
            "INSERT INTO roles VALUES ('telegram', '4201', 'volunteer', 'ttcm-to-1', '')"
        )
    )
    said = await helper.say(4201, "/tailieu")
    assert "chuyển tiếp từng tin" in said[0]
    assert any("5 bước" in text for text in said)
    ((chat, name, data),) = helper.fake.documents
    assert (chat, name) == (4201, "ap-phich-ttcm-to-1.png")
    assert data.startswith(b"\x89PNG")
    assert len(data) > 50_000, "a full A4 page, not a thumbnail"
    links = {code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))}
    assert f"https://t.me/{USERNAME}?start=v_ttcm-to-1" in links, "the bot's own deep link, village chosen"
    assert any(link.endswith("/?village=ttcm-to-1") for link in links)


async def test_a_broadcast_to_30_groups_keeps_telegrams_group_and_overall_limits(tmp_path):
    """reliability.md §6 item 17: Telegram's pacing (`interval`, `PER_SECOND`) through the real
    sender: at most 20 messages a minute in each group, at most 30 a second in all."""
    groups = [f"-100{n:03d}" for n in range(30)]
    sent: list[tuple[str, datetime, float]] = []
    now = [datetime(2026, 11, 23, 1, 0, tzinfo=ZoneInfo("UTC"))]

    async def deliver(row) -> str:
        sent.append((row.chat_key, now[0], time.monotonic()))
        return str(len(sent))

    with Store(tmp_path / "pacing.sqlite3") as store:
        for group in groups:
            replies = [{"text": f"tin {i}", "buttons": [], "image": None} for i in range(5)]
            store.call(lambda tx, g=group, r=replies: tx.queue_replies("telegram", g, None, r, "2026"))
        sender = Sender(store, "telegram", deliver, lambda: now[0], pacing=Pacing(PER_SECOND, interval))
        for _ in range(7):  # seven virtual seconds
            await sender.drain()
            now[0] += timedelta(seconds=1)
    for group in groups:
        times = [at for chat, at, _ in sent if chat == group]
        assert len(times) == 3, "at 0, 3 and 6 s: 20 a minute"
        assert all((b - a).total_seconds() >= 3 for a, b in itertools.pairwise(times))
    real = sorted(moment for _, _, moment in sent)
    assert len(real) == 90
    assert real[-1] - real[0] >= (len(real) - 1) / PER_SECOND * 0.95, "no more than 30 a second in all"
