"""The Telegram webhook with nothing but its HTTP: the ceiling of `bench/telegram_webhook.py`.

Why it exists: on Telegram every update costs HTTP work that no conversation code can avoid. The
webhook POST comes in; a press is answered in the webhook's own answer (`answerCallbackQuery`, run
by Telegram); the keyboard of the pressed message is removed (`editMessageReplyMarkup`); the next
question goes out (`sendMessage` with an inline keyboard). This server does exactly that and
nothing else: no flow, no database, no outbox, one fixed question. It is written the fast way
(plain aiohttp on both sides, JSON bodies, one session, a task per update), so its rate is what
this machine allows for that HTTP alone; the helper, which also commits every step and every
delivery to SQLite, cannot go faster than this.

Command line: `python bench/telegram_floor.py --port P --api-base URL --token T --secret S`, where
URL is the Bot API base without the token (`http://127.0.0.1:N/bot`). Listens on 127.0.0.1 only;
stops on SIGTERM or Ctrl+C.
"""

import argparse
import asyncio
import hmac
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import aiohttp
from aiohttp import web

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
QUESTION = "Bước tiếp theo: ông/bà đã làm xong chưa?"
KEYBOARD = {"inline_keyboard": [[{"text": "Xong, sang bước tiếp", "callback_data": "next"}]]}
JSON = {"Content-Type": "application/json"}
SESSION = web.AppKey("session", aiohttp.ClientSession)


def build(args: argparse.Namespace) -> web.Application:
    api = f"{args.api_base}{args.token}/"
    secret = args.secret.encode()
    pending: set[asyncio.Task[None]] = set()

    async def call(session: aiohttp.ClientSession, method: str, params: dict[str, Any]) -> None:
        async with session.post(api + method, data=json.dumps(params).encode(), headers=JSON) as answer:
            await answer.read()

    async def reply(session: aiohttp.ClientSession, chat: int, pressed: int | None) -> None:
        if pressed is not None:
            await call(session, "editMessageReplyMarkup", {"chat_id": chat, "message_id": pressed})
        await call(session, "sendMessage", {"chat_id": chat, "text": QUESTION, "reply_markup": KEYBOARD})

    async def webhook(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret):
            return web.Response(status=403)
        update = json.loads(await request.read())
        press = update.get("callback_query")
        message = press["message"] if press else update["message"]
        pressed = message["message_id"] if press else None
        task = asyncio.create_task(reply(request.app[SESSION], message["chat"]["id"], pressed))
        pending.add(task)
        task.add_done_callback(pending.discard)
        if press:
            return web.json_response({"method": "answerCallbackQuery", "callback_query_id": press["id"]})
        return web.Response(text="ok")

    async def session(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as opened:
            app[SESSION] = opened
            yield

    app = web.Application()
    app.add_routes([web.post(WEBHOOK_PATH, webhook)])
    app.cleanup_ctx.append(session)
    return app


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1")
    parser.add_argument("--api-base", required=True, help="Bot API base URL, without the token")
    parser.add_argument("--token", required=True, help="the bot's token")
    parser.add_argument("--secret", required=True, help="the webhook's secret token")
    args = parser.parse_args(argv)
    web.run_app(build(args), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
