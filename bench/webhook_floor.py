"""A bot webhook with nothing but its HTTP: the ceiling of the webhook benchmarks.

Why it exists: every update costs HTTP work that no conversation code can avoid. The webhook POST
comes in, and the next question goes out. On Telegram (`--platform telegram`) a press is answered
in the webhook's own answer (`answerCallbackQuery`, run by Telegram) and the keyboard of the
pressed message is removed (`editMessageReplyMarkup`) before the question (`sendMessage` with an
inline keyboard); on Zalo (`--platform zalo`) the question is a `sendMessage` with numbered
options. This server does exactly that and nothing else: no flow, no database, no outbox, one
fixed question. It is written the fast way (plain aiohttp on both sides, JSON bodies, one
session, a task per update), so its rate is what this machine allows for that HTTP alone; the
helper, which also commits every step and every delivery to SQLite, cannot go faster.

Command line: `python bench/webhook_floor.py --platform telegram|zalo --port P --api-base URL
--token T --secret S`, where URL is the platform's API base without the token
(`http://127.0.0.1:N/bot`). Listens on 127.0.0.1 only; stops on SIGTERM or Ctrl+C.
"""

import argparse
import asyncio
import hmac
import json
from collections.abc import AsyncIterator, Coroutine, Sequence
from typing import Any

import aiohttp
from aiohttp import web

QUESTION = "Bước tiếp theo: ông/bà đã làm xong chưa?"
KEYBOARD = {"inline_keyboard": [[{"text": "Xong, sang bước tiếp", "callback_data": "next"}]]}
NUMBERED = f"{QUESTION}\n\nTrả lời bằng số (ví dụ: 1) hoặc gõ câu trả lời:\n1. Xong, sang bước tiếp"
#: Each platform's webhook path and secret header.
PLATFORMS = {
    "telegram": ("/telegram/webhook", "X-Telegram-Bot-Api-Secret-Token"),
    "zalo": ("/zalo/webhook", "X-Bot-Api-Secret-Token"),
}
JSON = {"Content-Type": "application/json"}
SESSION = web.AppKey("session", aiohttp.ClientSession)


def build(args: argparse.Namespace) -> web.Application:
    api = f"{args.api_base}{args.token}/"
    secret = args.secret.encode()
    pending: set[asyncio.Task[None]] = set()

    async def call(session: aiohttp.ClientSession, method: str, params: dict[str, Any]) -> None:
        async with session.post(api + method, data=json.dumps(params).encode(), headers=JSON) as answer:
            await answer.read()

    async def telegram(session: aiohttp.ClientSession, update: dict[str, Any]) -> dict[str, Any] | None:
        press = update.get("callback_query")
        message = press["message"] if press else update["message"]
        chat = message["chat"]["id"]

        async def reply() -> None:
            if press:
                await call(
                    session, "editMessageReplyMarkup", {"chat_id": chat, "message_id": message["message_id"]}
                )
            await call(session, "sendMessage", {"chat_id": chat, "text": QUESTION, "reply_markup": KEYBOARD})

        start(reply())
        return {"method": "answerCallbackQuery", "callback_query_id": press["id"]} if press else None

    async def zalo(session: aiohttp.ClientSession, update: dict[str, Any]) -> dict[str, Any] | None:
        update = update["result"] if update.get("ok") is True else update
        chat = update["message"]["chat"]["id"]
        start(call(session, "sendMessage", {"chat_id": chat, "text": NUMBERED}))
        return {"ok": True}

    def start(work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        pending.add(task)
        task.add_done_callback(pending.discard)

    handle = telegram if args.platform == "telegram" else zalo
    path, header = PLATFORMS[args.platform]

    async def webhook(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(header, "").encode(), secret):
            return web.Response(status=403)
        answer = await handle(request.app[SESSION], json.loads(await request.read()))
        return web.json_response(answer) if answer else web.Response(text="ok")

    async def session(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as opened:
            app[SESSION] = opened
            yield

    app = web.Application()
    app.add_routes([web.post(path, webhook)])
    app.cleanup_ctx.append(session)
    return app


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--platform", choices=sorted(PLATFORMS), required=True, help="whose webhook")
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1")
    parser.add_argument("--api-base", required=True, help="Bot API base URL, without the token")
    parser.add_argument("--token", required=True, help="the bot's token")
    parser.add_argument("--secret", required=True, help="the webhook's secret token")
    args = parser.parse_args(argv)
    web.run_app(build(args), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
