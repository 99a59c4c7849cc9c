"""Forged and broken requests on every route of the whole application (web chat, photo, both
webhooks, media, dashboard), as an attacker or a broken client sends them: each is refused with a
4xx, never a 500; nothing is stored and no secret or stack trace comes back."""

import io
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession

from bot.settings import load_settings
from tests.bot.channels.push import serving
from tests.fakes.telegram import TOKEN as TELEGRAM_TOKEN
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import TOKEN as ZALO_TOKEN
from tests.fakes.zalo import FakeZalo

TELEGRAM_SECRET, ZALO_SECRET, PASSWORD = (
    "forged-telegram-secret",
    "forged-zalo-secret",
    "a-long-dashboard-pass",
)
INJECTIONS = ["'; DROP TABLE events; --", '=HYPERLINK("http://x.example","bấm")', "\x00\ud800", "A" * 100_000]
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TG = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
ZL = {"X-Bot-Api-Secret-Token": ZALO_SECRET}
WRONG_TG = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}

#: (method, path, body, headers, why): each must be a 4xx.
FORGED = [
    ("POST", "/telegram/webhook", b'{"update_id": 1}', JSON, "no secret"),
    ("POST", "/telegram/webhook", b'{"update_id": 1}', WRONG_TG, "wrong secret"),
    ("POST", "/telegram/webhook", b"\xff\xfe not json", TG, "invalid UTF-8"),
    ("POST", "/telegram/webhook", b"[" * 300_000, TG, "oversized"),
    ("POST", "/zalo/webhook", b"{}", JSON, "no secret"),
    ("POST", "/zalo/webhook", b"{}", {**JSON, "X-Bot-Api-Secret-Token": "wrong-secret"}, "wrong secret"),
    ("POST", "/zalo/webhook", b"\xc3\x28", ZL, "invalid UTF-8"),
    ("POST", "/zalo/webhook", b"x" * (2 * 1024 * 1024), ZL, "oversized"),
    ("POST", "/api/chat", b"\xff\xfe", JSON, "invalid UTF-8"),
    ("POST", "/api/chat", b"text=xin+chao", FORM, "wrong type"),
    ("POST", "/api/chat", b'{"choice": "\\u00e9\\u00e9"}', JSON, "a choice that is no button id"),
    ("POST", "/api/chat", b'{"start": "../../etc"}', JSON, "a start payload with a path"),
    ("POST", "/api/chat", b'{"text": "xin chao", "id": "0912345678"}', JSON, "a message id holding a number"),
    ("POST", "/api/chat", b"{" * 20_000, JSON, "oversized"),
    ("POST", "/api/photo", b"\xff\xd8\xff", {"Content-Type": "image/jpeg"}, "a photo not in a form"),
    ("GET", "/media/content/..%2f..%2fpyproject.toml", b"", {}, "path traversal"),
    ("GET", "/media/content/%2e%2e/%2e%2e/bot/settings.py", b"", {}, "path traversal, dots encoded"),
    ("GET", "/media/poster/..%2F..%2Fetc%2Fpasswd.png", b"", {}, "a poster of no village"),
    ("GET", "/media/qr/village/%00.png", b"", {}, "a village code with a NUL"),
    ("GET", "/dashboard/download/xlsx", b"", {}, "a download without logging in"),
    ("POST", "/dashboard/login", b"password=wrong", FORM, "a wrong password"),
    ("POST", "/dashboard/logout", b"", {}, "a logout without a session"),
    ("GET", "/dashboard/download/..%2f..%2fdata", b"", {}, "a download of no form"),
]  # fmt: skip


@pytest.fixture
async def app(tmp_path) -> AsyncIterator[tuple]:
    telegram, zalo = FakeTelegram(), FakeZalo()
    await telegram.start()
    await zalo.start()
    settings = load_settings(
        {
            "BOT_DB_PATH": str(tmp_path / "forged.sqlite3"), "PUBLIC_URL": "https://xa.example.vn",
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_API_BASE": telegram.base_url,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET, "ZALO_BOT_TOKEN": ZALO_TOKEN,
            "ZALO_API_BASE": zalo.base_url, "ZALO_WEBHOOK_SECRET": ZALO_SECRET,
            "DASHBOARD_PASSWORD": PASSWORD,
        },
        env_file=None,
    )  # fmt: skip
    try:
        async with serving(settings) as (server, store, _content, _clock):
            yield server, store
    finally:
        await telegram.stop()
        await zalo.stop()


async def stored(store) -> tuple[int, int, int, int]:
    return await store.read(
        lambda tx: (tx.count("inbox"), tx.count("outbox"), tx.count("conversations"), tx.count("events"))
    )


async def test_forged_and_broken_requests_are_refused_and_nothing_is_stored(app):
    server, store = app
    before = await stored(store)
    async with ClientSession() as session:
        for method, path, body, headers, why in FORGED:
            url = str(server.make_url("")) + path  # as sent: no client-side normalising of the path
            data = io.BytesIO(body) if body else None
            async with session.request(
                method, url, data=data, headers=headers, allow_redirects=False
            ) as answer:
                text = await answer.text(errors="replace")
                assert 400 <= answer.status < 500 or answer.status in (302, 303), (why, answer.status)
                assert "Traceback" not in text, why
                for secret in (TELEGRAM_TOKEN, ZALO_TOKEN, PASSWORD, TELEGRAM_SECRET, ZALO_SECRET):
                    assert secret not in text, why
    assert await stored(store) == before, "nothing of any forged request was kept"


@pytest.mark.parametrize(
    "text", INJECTIONS, ids=["sql", "csv formula", "nul and lone surrogate", "100,000 characters"]
)
async def test_injection_strings_in_the_chat_are_text_or_a_4xx_never_a_500(app, text):
    server, store = app
    async with ClientSession() as session:
        async with session.post(server.make_url("/api/chat"), json={"text": text}) as answer:
            assert answer.status in (200, 400, 413), answer.status
        async with session.post(server.make_url("/api/chat"), json={"text": "xin chào"}) as answer:
            assert answer.status == 200
    tables = await store.read(
        lambda tx: [row[0] for row in tx.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    )
    assert "events" in tables
    rows = await store.read(lambda tx: [row[0] for row in tx.db.execute("SELECT data FROM events")])
    assert not any(text[:20] in row for row in rows), "a typed text is never an event"
