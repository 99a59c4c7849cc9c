"""The fake Telegram server speaks the Bot API as the real python-telegram-bot `Bot` expects: the same
answers, the same errors turned into the same exceptions, and faults that behave as promised."""

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import aiohttp.test_utils
import aiohttp.web
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict, InvalidToken, RetryAfter, TimedOut

from tests.fakes.telegram import TOKEN, USERNAME, FakeTelegram, callback_update, message_update


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=fake.base_url) as opened:
        yield opened


async def test_get_me_describes_the_bot(fake, bot):
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot, me.first_name) == (123456, USERNAME, True, "Trợ lý")
    assert [call.method for call in fake.calls] == ["getMe", "getMe"]  # the first one by initialize()


async def test_a_wrong_token_is_refused_as_invalid(fake):
    with pytest.raises(InvalidToken):
        async with Bot("654321:wrong-token", base_url=fake.base_url):
            pass
    assert [call.method for call in fake.calls] == ["getMe"]


async def test_a_flood_limit_raises_retry_after_then_is_used_up(fake, bot, monkeypatch):
    # Without the opt-in, python-telegram-bot 22 warns while building RetryAfter, an error here.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    fake.add_fault("sendMessage", chat_id=42, status=429, retry_after=3, times=1)
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(42, "một")
    assert raised.value.retry_after == timedelta(seconds=3)
    await bot.send_message(43, "khác chat, không bị giới hạn")
    await bot.send_message(42, "hai")
    assert [call.params["text"] for call in fake.sent_to(42)] == ["một", "hai"]


async def test_sent_messages_get_increasing_ids_and_are_recorded(fake, bot):
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Có", callback_data="yes")]])
    first = await bot.send_message(42, "xin chào", reply_markup=keyboard)
    second = await bot.send_message(42, "bước 1")
    assert second.message_id == first.message_id + 1
    assert (first.chat.id, first.chat.type, first.text, first.from_user.username) == (
        42,
        "private",
        "xin chào",
        USERNAME,
    )
    sent = fake.sent_to(42)
    assert sent == fake.calls_of("sendMessage")
    assert sent[0].params == {
        "chat_id": "42",
        "text": "xin chào",
        "reply_markup": {"inline_keyboard": [[{"text": "Có", "callback_data": "yes"}]]},
    }


async def test_a_photo_upload_records_its_size_and_caption(fake, bot):
    message = await bot.send_photo(-100, b"\x89PNG" + bytes(690), caption="Mã QR")
    assert (message.chat.type, message.caption, message.photo[0].file_id) == ("group", "Mã QR", "p1")
    (call,) = fake.sent_to(-100)
    assert (call.method, call.files, call.params["caption"]) == ("sendPhoto", {"photo": 694}, "Mã QR")


async def test_get_updates_returns_the_queue_and_forgets_below_offset(fake, bot):
    first = fake.queue_update(message_update(42, "/start@xa_test_bot"))
    second = fake.queue_update(callback_update(42, "yes", message_id=7))
    updates = await bot.get_updates()
    assert [update.update_id for update in updates] == [first, second]
    assert updates[0].message.parse_entities() == {updates[0].message.entities[0]: "/start@xa_test_bot"}
    assert updates[1].callback_query.data == "yes"
    assert [update.update_id for update in await bot.get_updates(offset=second)] == [second]
    assert await bot.get_updates(offset=second + 1) == ()


async def test_a_long_poll_wakes_up_when_an_update_is_queued(fake, bot):
    started = time.monotonic()
    asyncio.get_running_loop().call_later(0.05, fake.queue_update, message_update(42, "xong rồi"))
    updates = await bot.get_updates(timeout=10)
    assert [update.message.text for update in updates] == ["xong rồi"]
    assert time.monotonic() - started < 1.0


async def test_polling_conflicts_with_a_webhook(fake, bot):
    await bot.set_webhook("https://example.invalid/tg")
    assert fake.webhook == {"url": "https://example.invalid/tg"}
    with pytest.raises(Conflict):
        await bot.get_updates()
    await bot.delete_webhook()
    assert fake.webhook is None
    assert await bot.get_updates() == ()


async def test_messages_are_deleted_only_where_the_bot_may(fake, bot):
    assert await bot.delete_message(42, 1)
    with pytest.raises(BadRequest, match="can't be deleted"):
        await bot.delete_message(-100, 1)
    fake.admin_chats.add("-100")
    assert await bot.delete_message(-100, 1)


async def test_a_delay_fault_delays_the_answer_but_not_the_record(fake, bot):
    fake.add_fault("sendMessage", delay=0.2)
    started = time.monotonic()
    await bot.send_message(42, "chậm")
    assert time.monotonic() - started >= 0.2
    assert fake.sent_to(42)[0].at - started < 0.1


async def test_a_hung_answer_times_out_and_stop_stays_quick(fake, bot):
    fake.add_fault(delay=60)
    with pytest.raises(TimedOut):
        await bot.send_message(42, "treo", read_timeout=0.1)
    started = time.monotonic()
    await fake.stop()
    assert time.monotonic() - started < 0.5


async def test_plain_clients_get_json_answers(fake):
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{fake.base_url}{TOKEN}/sendMessage", json={"chat_id": 42, "text": "hi"}
        ) as reply:
            assert (await reply.json())["result"]["chat"] == {"id": 42, "type": "private"}
        async with session.get(f"{fake.base_url}{TOKEN}/noSuchMethod") as reply:
            assert reply.status == 404
            assert await reply.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
    assert fake.calls[0].params == {"chat_id": "42", "text": "hi"}


async def test_wait_for_says_what_it_waited_for(fake):
    def nothing_sent() -> bool:
        return bool(fake.sent_to(42))

    with pytest.raises(AssertionError, match=r"nothing_sent still false after 0\.05 s; last calls: none"):
        await fake.wait_for(nothing_sent, timeout=0.05)


async def test_a_method_in_a_webhook_answer_is_run_and_recorded(fake):
    """Telegram runs the method a webhook answers with; the fake records it as a call."""
    answers = iter([{"method": "answerCallbackQuery", "callback_query_id": "77"}, None])

    async def webhook(request: aiohttp.web.Request) -> aiohttp.web.Response:
        assert request.headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cret"
        answer = next(answers)
        return aiohttp.web.json_response(answer) if answer else aiohttp.web.Response(text="ok")

    app = aiohttp.web.Application()
    app.router.add_post("/hook", webhook)
    server = aiohttp.test_utils.TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            url = str(server.make_url("/hook"))
            press, text = callback_update(9, "x", message_id=1), message_update(9, "hi")
            assert await fake.post_update(session, url, press, "s3cret") == 200
            assert await fake.post_update(session, url, text, "s3cret") == 200
    finally:
        await server.close()
    ran = fake.calls_of("answerCallbackQuery")
    assert [call.params for call in ran] == [{"callback_query_id": "77"}]
    assert ran[0].result is True
