"""Nothing of a card photo is kept: after photos of generated cards (and an identity card) sent
through Telegram, Zalo and the web chat, with the logs at DEBUG and a photo that breaks the flow, neither the
database with its WAL, nor the logs, nor the temporary folder holds the card number, the made-up
name, birth date or address on the card (as text or as the QR's hex), or any image bytes."""

import io
import logging
import tempfile
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession, FormData

import bot.conversation
from bot.channels.telegram import WEBHOOK_PATH as TELEGRAM_PATH
from bot.channels.zalo import WEBHOOK_PATH as ZALO_PATH
from bot.redact import setup_logging
from bot.settings import load_settings
from flows import handle as real_handle
from tests.bot.channels.push import serving, settle
from tests.cards import (
    ADDRESS,
    BIRTH,
    CARD_NUMBERS,
    IDENTITY_NUMBER,
    NAME,
    Shot,
    card,
    card_qr_text,
    identity_qr_text,
    photo,
)
from tests.fakes.telegram import TOKEN as TELEGRAM_TOKEN
from tests.fakes.telegram import FakeTelegram, message_update, photo_update
from tests.fakes.zalo import TOKEN as ZALO_TOKEN
from tests.fakes.zalo import FakeZalo, message_event, text_update

TELEGRAM_SECRET, ZALO_SECRET = "photo-telegram-secret", "photo-zalo-secret"
#: What must never be found: everything on the cards, in every form the QR carries it.
SECRETS = [
    *CARD_NUMBERS, IDENTITY_NUMBER, NAME, BIRTH, BIRTH.replace("/", ""), ADDRESS,
    NAME.encode().hex(), ADDRESS.encode().hex(), "Nguyễn Thị", "Mẫu Đơn",
]  # fmt: skip
IMAGE_SIGNATURES = (b"\xff\xd8\xff\xe0\x00\x10JFIF", b"\x89PNG\r\n\x1a\n")
SHOTS = (Shot(), Shot(angle=15, tilt=0.1, quality=50), Shot(megapixels=8, fill=0.6, light=0.6))


@pytest.fixture
async def platforms() -> AsyncIterator[tuple[FakeTelegram, FakeZalo]]:
    telegram, zalo = FakeTelegram(), FakeZalo()
    await telegram.start()
    await zalo.start()
    yield telegram, zalo
    await telegram.stop()
    await zalo.stop()


async def test_no_photo_or_anything_on_the_card_is_kept_anywhere(tmp_path, platforms, monkeypatch):
    telegram, zalo = platforms
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    monkeypatch.setenv("TMPDIR", str(temporary))
    logs = io.StringIO()
    setup_logging("DEBUG")
    logging.getLogger().handlers[0].setStream(logs)

    def breaks_on_a_police_card(state, inbound, content, now, **kwargs):
        if inbound.kind == "photo" and inbound.text == CARD_NUMBERS[2]:
            raise RuntimeError(f"could not read {inbound!r} {inbound.text}")
        return real_handle(state, inbound, content, now, **kwargs)

    monkeypatch.setattr(bot.conversation, "handle", breaks_on_a_police_card)
    settings = load_settings(
        {
            "BOT_DB_PATH": str(tmp_path / "photos.sqlite3"), "PUBLIC_URL": "https://xa.example.vn",
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_API_BASE": telegram.base_url,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET, "TELEGRAM_PACING": "off",
            "ZALO_BOT_TOKEN": ZALO_TOKEN, "ZALO_API_BASE": zalo.base_url,
            "ZALO_WEBHOOK_SECRET": ZALO_SECRET, "ZALO_PACING": "off", "ZALO_PHOTO_HOSTS": "127.0.0.1",
        },
        env_file=None,
    )  # fmt: skip
    pictures = [card(card_qr_text(number), number)[0] for number in CARD_NUMBERS] + [
        card(identity_qr_text())[0]
    ]
    try:
        async with serving(settings) as (server, store, _content, _clock), ClientSession() as session:

            async def post(fake, path: str, update: dict, secret: str) -> None:
                assert await fake.post_update(session, str(server.make_url(path)), update, secret) == 200
                await settle(store)

            for chat, picture in enumerate(pictures, 7001):
                for text in ("/start", "Đồng ý", "Đồng Tâm", "Tổ dân phố 3", "Kiểm tra số thẻ BHYT"):
                    await post(telegram, TELEGRAM_PATH, message_update(chat, text), TELEGRAM_SECRET)
                for seed, shot in enumerate(SHOTS):
                    file_id = telegram.add_file(photo(picture, shot, seed))
                    await post(telegram, TELEGRAM_PATH, photo_update(chat, file_id), TELEGRAM_SECRET)
                zalo_chat = f"zprivacy{chat}"
                for text in ("xin chào", "1", "1", "3", "Kiểm tra số thẻ BHYT"):
                    await post(zalo, ZALO_PATH, text_update(zalo_chat, text), ZALO_SECRET)
                for seed, shot in enumerate(SHOTS):
                    url = zalo.add_photo(photo(picture, shot, seed))
                    event = message_event("message.image.received", zalo_chat, photo_url=url)
                    await post(zalo, ZALO_PATH, event, ZALO_SECRET)
                async with ClientSession() as browser:  # the web chat: its own cookie
                    for text in ("xin chào", "Đồng ý", "Đồng Tâm", "Tổ dân phố 3", "Kiểm tra số thẻ BHYT"):
                        await browser.post(server.make_url("/api/chat"), json={"text": text})
                    for seed, shot in enumerate(SHOTS):
                        body = FormData()
                        body.add_field("photo", io.BytesIO(photo(picture, shot, seed)), filename="the.jpg")
                        assert (await browser.post(server.make_url("/api/photo"), data=body)).status == 200
            checked = await store.run(
                lambda tx: tx.db.execute(
                    "SELECT COUNT(*) FROM events WHERE kind = 'card_checked'"
                ).fetchone()[0]
            )
            dead = await store.run(
                lambda tx: tx.db.execute("SELECT COUNT(*) FROM dead_letters").fetchone()[0]
            )
            stored = b"".join(path.read_bytes() for path in tmp_path.glob("photos.sqlite3*"))
    finally:
        logging.getLogger().handlers.clear()
    assert checked == 3 * len(SHOTS) * (len(CARD_NUMBERS) - 1), "every card photo but the poison one was read"
    assert dead == 3 * len(SHOTS), "the photos that broke the flow were kept as dead letters"
    assert telegram.calls_of("deleteMessage"), "the photos were removed from the Telegram chats"
    logged = logs.getvalue()
    assert "could not read" in logged, "the poison photos were logged"
    for secret in SECRETS:
        assert secret not in logged, secret
        assert secret.encode() not in stored, secret
    for signature in IMAGE_SIGNATURES:
        assert signature not in stored
    assert list(temporary.iterdir()) == [], "nothing was written to the temporary folder"
