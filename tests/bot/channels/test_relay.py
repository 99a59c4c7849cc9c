"""A resident's request for a person, across platforms, through the real application and both
fake platforms on 127.0.0.1: asked on Zalo, answered by the village's volunteer on Telegram (by
command and by replying to the ticket), the answer delivered on Zalo."""

import contextlib
import io
from collections.abc import AsyncIterator

import zxingcpp
from aiohttp import ClientSession
from PIL import Image

from bot.channels.telegram import WEBHOOK_PATH as TELEGRAM_PATH
from bot.channels.zalo import WEBHOOK_PATH as ZALO_PATH
from bot.settings import load_settings
from tests.bot.channels.push import serving, settle
from tests.fakes.telegram import TOKEN as TELEGRAM_TOKEN
from tests.fakes.telegram import USERNAME as TELEGRAM_USERNAME
from tests.fakes.telegram import FakeTelegram, message_update
from tests.fakes.zalo import TOKEN as ZALO_TOKEN
from tests.fakes.zalo import FakeZalo, text_update

TELEGRAM_SECRET, ZALO_SECRET = "relay-telegram-secret", "relay-zalo-secret"
VOLUNTEER, OTHER_VOLUNTEER, OFFICER = 4101, 4102, 4103
RESIDENT = "zresident0001"
TO_MENU = ("xin chào", "1", "1", "3")  # agree, Đồng Tâm, Tổ dân phố 3: Zalo's numbered options


@contextlib.asynccontextmanager
async def running(tmp_path) -> AsyncIterator[tuple]:
    telegram, zalo = FakeTelegram(), FakeZalo()
    await telegram.start()
    await zalo.start()
    settings = load_settings(
        {
            "BOT_DB_PATH": str(tmp_path / "relay.sqlite3"),
            "PUBLIC_URL": "https://xa.example.vn",
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_API_BASE": telegram.base_url,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET, "TELEGRAM_PACING": "off",
            "ZALO_BOT_TOKEN": ZALO_TOKEN, "ZALO_API_BASE": zalo.base_url,
            "ZALO_WEBHOOK_SECRET": ZALO_SECRET, "ZALO_PACING": "off",
            "OFFICER_IDS": f"telegram:{OFFICER}",
        },
        env_file=None,
    )  # fmt: skip
    try:
        async with serving(settings) as (server, store, _content, _clock):
            roles = [
                ("telegram", str(VOLUNTEER), "ttcm-to-3"),
                ("telegram", str(OTHER_VOLUNTEER), "ttcm-to-1"),
            ]
            for channel, user, village in roles:
                store.call(
                    lambda tx, c=channel, u=user, v=village: tx.db.execute(
                        "INSERT INTO roles (channel, user_key, role, villages, granted_at) "
                        "VALUES (?, ?, 'volunteer', ?, '2026')",
                        [c, u, v],
                    )
                )
            yield server, store, telegram, zalo
    finally:
        await telegram.stop()
        await zalo.stop()


async def post(server, fake, path: str, update: dict, secret: str, store) -> None:
    async with ClientSession() as session:
        assert await fake.post_update(session, str(server.make_url(path)), update, secret) == 200
    await settle(store)


def texts(fake, chat) -> list[str]:
    return [str(call.params.get("text") or call.params.get("caption") or "") for call in fake.sent_to(chat)]


async def test_a_zalo_residents_request_is_answered_by_the_telegram_volunteer_and_reaches_zalo(tmp_path):
    async with running(tmp_path) as (server, store, telegram, zalo):

        async def resident(text: str) -> None:
            await post(server, zalo, ZALO_PATH, text_update(RESIDENT, text), ZALO_SECRET, store)

        async def volunteer(text: str, user: int = VOLUNTEER, **extra) -> str:
            """What the helper answered, all messages of the turn in one text."""
            before = len(texts(telegram, user))
            update = message_update(user, text)
            update["message"].update(extra)
            await post(server, telegram, TELEGRAM_PATH, update, TELEGRAM_SECRET, store)
            return "\n".join(texts(telegram, user)[before:])

        for text in (*TO_MENU, "nhờ cán bộ"):
            await resident(text)
        await resident("bác không vào được, số thẻ DN4010123456789")
        assert any("đã chuyển lời nhờ" in text.lower() for text in texts(zalo, RESIDENT))
        (ticket,) = texts(telegram, VOLUNTEER)
        assert ticket.startswith("Lời nhờ số 1 (Tổ dân phố 3")
        assert "***" in ticket
        assert "0123456789" not in ticket, "a card number is masked before it leaves"
        assert texts(telegram, OTHER_VOLUNTEER) == [], "only the village's own volunteer"
        (stored,) = await store.run(lambda tx: list(tx.db.query("SELECT message FROM tickets")))
        assert "0123456789" not in stored["message"]

        assert "thuộc thôn khác" in await volunteer("/traloi 1 Chiều nay em qua nhà", user=OTHER_VOLUNTEER)
        assert "Đã gửi trả lời" in await volunteer("/traloi 1 Chiều nay em qua nhà giúp bác ạ")
        answer = texts(zalo, RESIDENT)[-1]
        assert answer.startswith("Trả lời từ tình nguyện viên thôn (lời nhờ số 1):")
        assert "Chiều nay em qua nhà giúp bác ạ" in answer

        quoted = {"reply_to_message": {"message_id": 1, "text": ticket, "from": {"id": 1, "is_bot": True}}}
        await volunteer("Bác nhớ mang thẻ căn cước nhé", **quoted)
        assert "Bác nhớ mang thẻ căn cước nhé" in texts(zalo, RESIDENT)[-1], (
            "a reply to the ticket answers it"
        )

        assert "Đã đóng lời nhờ số 1" in await volunteer("/xong 1")
        (closed,) = await store.run(lambda tx: list(tx.db.query("SELECT message, closed_at FROM tickets")))
        assert closed["message"] is None, "the resident's message is not kept once closed"
        assert closed["closed_at"]
        assert "Không có lời nhờ số 1 đang mở" in await volunteer("/traloi 1 còn gì nữa không")


async def test_the_poster_a_zalo_volunteer_forwards_carries_the_telegram_bots_link_too(tmp_path):
    """Zalo takes the poster by URL from this helper's /media; with Telegram running beside it the
    page has both QR codes, so a village can pick either app."""
    async with running(tmp_path) as (server, store, _telegram, zalo):
        await store.run(
            lambda tx: tx.db.execute(
                "INSERT INTO roles (channel, user_key, role, villages, granted_at) "
                "VALUES ('zalo', 'zvolunteer01', 'volunteer', 'ttcm-to-1', '2026')"
            )
        )
        await post(server, zalo, ZALO_PATH, text_update("zvolunteer01", "/tailieu"), ZALO_SECRET, store)
        photos = [call.params["photo"] for call in zalo.sent_to("zvolunteer01") if call.method == "sendPhoto"]
        (poster,) = [url for url in photos if "/media/poster/" in url]
        assert poster == "https://xa.example.vn/media/poster/ttcm-to-1.png"
        async with ClientSession() as session:
            response = await session.get(server.make_url(poster.removeprefix("https://xa.example.vn")))
            png = await response.read()
        links = {code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))}
        assert f"https://t.me/{TELEGRAM_USERNAME}?start=v_ttcm-to-1" in links
        assert "https://xa.example.vn/?village=ttcm-to-1" in links
