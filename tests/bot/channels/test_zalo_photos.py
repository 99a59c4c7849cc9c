"""Card photos on Zalo, through the real application and the fake platform on 127.0.0.1: the
update's `photo_url` (or `photo`) is fetched only from the allowed hosts, with a size cap and
without following redirects, read in memory and answered as the typed number would be."""

from collections.abc import AsyncIterator

import pytest

from bot.channels.zalo.client import photo_allowed
from bot.channels.zalo.updates import received
from tests.bot.channels.test_zalo import Helper, running, settings_for
from tests.cards import CARD_NUMBERS, Shot, card, card_qr_text, photo
from tests.fakes.zalo import FakeZalo, message_event, text_update

CARD = CARD_NUMBERS[0]
_chats = iter(range(10**6))


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    platform = FakeZalo()
    await platform.start()
    yield platform
    await platform.stop()


@pytest.fixture
async def helper(tmp_path, fake) -> AsyncIterator[Helper]:
    async with running(settings_for(tmp_path, fake, ZALO_PHOTO_HOSTS="127.0.0.1"), fake) as started:
        yield started


async def at_card_question(helper: Helper) -> str:
    chat = f"zphoto{next(_chats):06d}"
    for text in ("xin chào", "1", "1", "3", "Kiểm tra số thẻ BHYT"):
        await helper.say(chat, text)
    return chat


async def send_photo(helper: Helper, chat: str, url: str, field: str = "photo_url") -> list[str]:
    before = len(helper.fake.sent_to(chat))
    await helper.post(
        message_event("message.image.received", chat, message_type="CHAT_PHOTO", **{field: url})
    )
    await helper.settle()
    return [
        str(call.params.get("text") or call.params.get("caption"))
        for call in helper.fake.sent_to(chat)[before:]
    ]


def card_jpeg() -> bytes:
    return photo(card(card_qr_text(CARD), CARD)[0], Shot(angle=-15, tilt=0.1))


@pytest.mark.parametrize("field", ["photo_url", "photo"])
async def test_a_card_photo_is_fetched_read_and_answered_as_the_typed_number(helper, field):
    chat = await at_card_question(helper)
    said = await send_photo(helper, chat, helper.fake.add_photo(card_jpeg()), field)
    assert said[0].startswith(f"Trợ lý đọc được số thẻ trong mã QR trên ảnh: {'•' * 11}{CARD[-4:]}")
    assert "Số thẻ viết đúng." in said[0]
    assert helper.fake.downloads == {"p1": 1}
    typed_chat = await at_card_question(helper)
    before = len(helper.fake.sent_to(typed_chat))
    await helper.post(text_update(typed_chat, CARD))
    await helper.settle()
    typed = [str(call.params.get("text")) for call in helper.fake.sent_to(typed_chat)[before:]]
    assert said[0].partition("\n")[2] == typed[0]
    (event, _) = await helper.rows("SELECT data FROM events WHERE kind = 'card_checked' ORDER BY id")
    assert event["data"] == '{"valid":true,"reason":"ok","source":"photo"}'


async def test_a_photo_on_another_host_is_never_fetched(helper):
    chat = await at_card_question(helper)
    url = helper.fake.add_photo(card_jpeg()).replace("127.0.0.1", "localhost")
    said = await send_photo(helper, chat, url)
    assert "chưa tải được ảnh" in said[0]
    assert helper.fake.downloads == {}


async def test_a_redirect_is_not_followed_and_a_missing_photo_is_a_kind_answer(helper):
    chat = await at_card_question(helper)
    moved = f"http://127.0.0.1:{helper.fake.port}/moved/p1.jpg"
    assert "chưa tải được ảnh" in (await send_photo(helper, chat, moved))[0]
    gone = f"http://127.0.0.1:{helper.fake.port}/photos/none.jpg"
    assert "chưa tải được ảnh" in (await send_photo(helper, chat, gone))[0]
    assert "gõ lại số thẻ" in (await send_photo(helper, chat, gone))[-1]


async def test_a_photo_over_the_cap_is_too_big(helper):
    chat = await at_card_question(helper)
    said = await send_photo(helper, chat, helper.fake.add_photo(b"\xff\xd8\xff" + b"\0" * (11 * 1024 * 1024)))
    assert "quá lớn" in said[0]


async def test_a_group_photo_is_never_fetched(helper):
    url = helper.fake.add_photo(card_jpeg())
    await helper.post(message_event("message.image.received", "zgroup01", chat_type="GROUP", photo_url=url))
    await helper.settle()
    assert helper.fake.downloads == {}
    (said,) = [str(call.params.get("text")) for call in helper.fake.sent_to("zgroup01")]
    assert "xoá ảnh" in said


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://f21-zpc.zdn.vn/jpg/8446421582866817655/1c8fa4c96701e95fb010.jpg", True),
        ("https://zdn.vn/a.jpg", True),
        ("https://s120.zadn.vn/x.jpg", True),
        ("http://f21-zpc.zdn.vn/a.jpg", False),
        ("https://zdn.vn.attacker.example/a.jpg", False),
        ("https://evilzdn.vn/a.jpg", False),
        ("https://127.0.0.1/a.jpg", False),
        ("file:///etc/passwd", False),
        ("https://user@[::1/a.jpg", False),
    ],
)
def test_only_zalos_image_hosts_over_https(url, allowed):
    assert photo_allowed(url, "zdn.vn,zadn.vn") is allowed


def test_the_reference_image_payload_carries_its_photo_url():
    got = received(
        {
            "event_name": "message.image.received",
            "message": {
                "message_id": "msg-1", "from": {"id": "user-1"}, "date": 1700000000,
                "chat": {"id": "chat-1", "chat_type": "PRIVATE"}, "message_type": "CHAT_PHOTO",
                "photo_url": "https://f21-zpc.zdn.vn/jpg/8446421582866817655/1c8fa4c96701e95fb010.jpg",
            },
        }
    )  # fmt: skip
    assert got is not None
    assert got.inbound.kind == "photo"
    assert got.photo_url == "https://f21-zpc.zdn.vn/jpg/8446421582866817655/1c8fa4c96701e95fb010.jpg"
