"""Card photos on Telegram, through the real application and the fake Bot API on 127.0.0.1: the
largest size is fetched with getFile over the channel's session, read, answered as the typed
number would be, and deleted from the chat; a failed or too big download is a kind answer; a
group's photo is never fetched."""

from collections.abc import AsyncIterator

import pytest

from tests.bot.channels.test_telegram import Helper, new_chat, running, settings_for
from tests.cards import CARD_NUMBERS, Shot, card, card_qr_text, identity_qr_text, photo
from tests.fakes.telegram import USERNAME, FakeTelegram, message_update, photo_update

CARD = CARD_NUMBERS[1]


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


async def at_card_question(helper: Helper) -> int:
    chat = new_chat()
    for text in ("/start", "Đồng ý", "Đồng Tâm", "Tổ dân phố 3", "Kiểm tra số thẻ BHYT"):
        await helper.say(chat, text)
    return chat


async def send_photo(helper: Helper, chat: int, data: bytes, **options) -> list[str]:
    file_id = helper.fake.add_file(data)
    before = len(helper.delivered(chat))
    assert await helper.post(photo_update(chat, file_id, **options)) == 200
    await helper.settle()
    return [
        str(c.params.get("text") or c.params.get("caption") or "") for c in helper.delivered(chat)[before:]
    ]


async def test_a_card_photo_is_answered_as_its_number_typed_and_deleted_from_the_chat(helper):
    chat = await at_card_question(helper)
    said = await send_photo(helper, chat, photo(card(card_qr_text(CARD), CARD)[0], Shot(angle=12)))
    assert said[0].startswith(f"Trợ lý đọc được số thẻ trong mã QR trên ảnh: {'•' * 11}{CARD[-4:]}")
    assert "Số thẻ viết đúng." in said[0]
    getfile = helper.fake.calls_of("getFile")
    assert [call.params["file_id"] for call in getfile] == ["f1"], "the largest size, not the thumbnail"
    assert helper.fake.downloads == {"f1": 1}
    photo_message = next(c for c in helper.fake.calls_of("deleteMessage"))
    assert photo_message.params["chat_id"] == str(chat)
    (event,) = await helper.rows("SELECT data FROM events WHERE kind = 'card_checked'")
    assert event["data"] == '{"valid":true,"reason":"ok","source":"photo"}'
    typed_chat = await at_card_question(helper)
    typed = await helper.say(typed_chat, CARD)
    assert said[0].partition("\n")[2] == typed[0], "the same verdict as the number typed"


async def test_an_identity_cards_photo_is_not_read_and_nothing_of_it_is_said(helper):
    chat = await at_card_question(helper)
    said = await send_photo(helper, chat, photo(card(identity_qr_text())[0], Shot()))
    assert "thẻ căn cước" in said[0]
    assert "001090012345" not in " ".join(said)
    assert "gõ lại số thẻ" in said[-1]


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        ({"method": "getFile", "status": 500}, "chưa tải được ảnh"),
        (
            {"method": "getFile", "status": 400, "description": "Bad Request: file is too big"},
            "chưa tải được ảnh",
        ),
    ],
)
async def test_a_failed_download_is_a_kind_answer_and_nothing_is_lost(helper, fault, says):
    chat = await at_card_question(helper)
    helper.fake.add_fault(**fault)
    said = await send_photo(helper, chat, b"\xff\xd8 not read")
    assert says in said[0]
    helper.fake.clear_faults()
    assert "Số thẻ viết đúng." in " ".join(await helper.say(chat, CARD)), "the chat goes on"


async def test_a_photo_telegram_says_is_too_big_is_not_downloaded(helper):
    chat = await at_card_question(helper)
    said = await send_photo(helper, chat, b"x", size=25 * 1024 * 1024)
    assert "quá lớn" in said[0]
    assert helper.fake.calls_of("getFile") == []


async def test_a_download_bigger_than_the_cap_stops_and_is_too_big(helper):
    chat = await at_card_question(helper)
    said = await send_photo(helper, chat, b"\xff\xd8\xff" + b"\0" * (11 * 1024 * 1024))
    assert "quá lớn" in said[0]


async def test_an_image_sent_as_a_file_is_read_too(helper):
    chat = await at_card_question(helper)
    file_id = helper.fake.add_file(photo(card(card_qr_text(CARD), CARD)[0], Shot()))
    update = message_update(chat, "x")
    message = update["message"]
    del message["text"]
    message["document"] = {"file_id": file_id, "file_unique_id": file_id, "mime_type": "image/jpeg"}
    assert await helper.post(update) == 200
    await helper.settle()
    assert "Số thẻ viết đúng." in " ".join(str(c.params.get("text")) for c in helper.delivered(chat)[-3:])


async def test_a_photo_in_a_group_is_never_fetched_and_the_sender_is_asked_to_delete_it(helper):
    group = -new_chat()
    file_id = helper.fake.add_file(photo(card(card_qr_text(CARD), CARD)[0], Shot()))
    assert (
        await helper.post(photo_update(group, file_id, chat_type="group", caption=f"@{USERNAME} xem giúp"))
        == 200
    )
    await helper.settle()
    assert helper.fake.calls_of("getFile") == []
    assert helper.fake.downloads == {}
    (said,) = [str(c.params.get("text")) for c in helper.delivered(group)]
    assert "xoá ảnh" in said
    unaddressed = helper.fake.add_file(b"holiday photo")
    assert await helper.post(photo_update(group, unaddressed, chat_type="group")) == 200
    await helper.settle()
    assert len(helper.delivered(group)) == 1, "a photo not addressed to the helper is left alone"
