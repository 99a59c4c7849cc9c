"""The fake Zalo Bot Platform answers as the reference says the real one does."""

import time

import pytest
from aiohttp import ClientSession

from tests.fakes.zalo import LONG_POLL_CAP, TOKEN, FakeZalo, text_update


@pytest.fixture
async def fake():
    platform = FakeZalo()
    await platform.start()
    yield platform
    await platform.stop()


async def call(fake: FakeZalo, method: str, token: str = TOKEN, **params) -> tuple[int, dict]:
    async with (
        ClientSession() as session,
        session.post(f"{fake.base_url}{token}/{method}", json=params) as answer,
    ):
        return answer.status, await answer.json()


async def test_an_empty_poll_is_held_then_answered_408(fake):
    started = time.monotonic()
    status, body = await call(fake, "getUpdates", timeout="30")
    assert time.monotonic() - started >= LONG_POLL_CAP * 0.9
    assert (status, body) == (408, {"ok": False, "error_code": 408, "description": "Request timeout"})


async def test_updates_come_one_per_poll_and_a_replay_comes_again(fake):
    update = text_update("c1", "xin chào")
    fake.queue_update(update)
    fake.queue_update(update)
    first = await call(fake, "getUpdates")
    second = await call(fake, "getUpdates")
    assert first == second == (200, {"ok": True, "result": update})


async def test_webhook_and_polling_exclude_each_other_and_info_is_404_without_one(fake):
    assert (await call(fake, "getWebhookInfo"))[0] == 404
    assert (await call(fake, "setWebhook", url="http://plain", secret_token="12345678"))[0] == 400
    assert (await call(fake, "setWebhook", url="https://x.vn/hook", secret_token="short"))[0] == 400
    assert (await call(fake, "setWebhook", url="https://x.vn/hook", secret_token="12345678"))[0] == 200
    assert (await call(fake, "getUpdates"))[0] == 400
    status, body = await call(fake, "getWebhookInfo")
    assert (status, body["result"]["url"]) == (200, "https://x.vn/hook")


async def test_sends_keep_the_platforms_limits(fake):
    assert (await call(fake, "sendMessage", chat_id="c", text="x" * 2000))[0] == 200
    assert (await call(fake, "sendMessage", chat_id="c", text="x" * 2001))[0] == 400
    assert (await call(fake, "sendMessage", chat_id="c", text=""))[0] == 400
    assert (await call(fake, "sendPhoto", chat_id="c", photo="https://x.vn/a.png"))[0] == 200
    assert (await call(fake, "sendPhoto", chat_id="c", photo="a.png"))[0] == 400
    assert [len(c.params["text"]) for c in fake.sent_to("c") if c.method == "sendMessage"] == [2000]


async def test_method_names_are_case_sensitive_and_the_token_is_checked(fake):
    assert (await call(fake, "getme"))[0] == 404
    assert (await call(fake, "getMe", token="1:wrong"))[0] == 401
    status, body = await call(fake, "getMe")
    assert (status, body["result"]["account_type"]) == (200, "BASIC")


async def test_a_quota_fault_answers_429_then_is_used_up(fake):
    fake.add_fault("sendMessage", status=429, times=1)
    assert await call(fake, "sendMessage", chat_id="c", text="a") == (
        429,
        {"ok": False, "error_code": 429, "description": "Quota exceeded"},
    )
    assert (await call(fake, "sendMessage", chat_id="c", text="a"))[0] == 200
