"""The help conversation as most Python teams would build it on Telegram: the baseline of
`bench/telegram_webhook.py`.

Why it exists: a Telegram rate on its own says little. This is the same five-step conversation (the
same buttons, one message with an inline keyboard per step) written the customary way, with
python-telegram-bot's `Application` (its default `HTTPXRequest`, no rate limiter), a persistent
`ConversationHandler` with one `CallbackQueryHandler` per state, and `PicklePersistence`. It is
served as a webhook by a small aiohttp application, like PTB's own "custom webhook" example:

* `POST /telegram/webhook` checks `X-Telegram-Bot-Api-Secret-Token` (403 when wrong), turns the body
  into an `Update` and processes it under one `asyncio.Lock`, because a `ConversationHandler` keeps
  its state in memory and only works when updates are processed one after another.
* Before answering 200 it calls `application.update_persistence()`, so the new conversation state and
  the person's data are in the pickle file before Telegram is told the update was taken. That is the
  same durability point as the project's own SQLite commit per step: a step is stored before it is
  acknowledged, and a crash after the 200 loses nothing. (PicklePersistence rewrites the whole file
  without fsync, so a power cut can still lose it; if anything, that favours the baseline.)

Command line: `python bench/telegram_baseline.py --port P --api-base URL --token T --secret S
--state FILE`, where URL is the Bot API base without the token (`http://127.0.0.1:N/bot`). Listens on
127.0.0.1 only; stops cleanly on SIGTERM or Ctrl+C, writing the pickle file one last time.
"""

import argparse
import asyncio
import hmac
import logging
import warnings
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    PicklePersistence,
)
from telegram.warnings import PTBUserWarning

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
START = "start"
MENU = "menu"
GUIDE = ("guide_1", "guide_2", "guide_3", "guide_4", "guide_4_number", "guide_4_confirm", "guide_5")
PREREQUISITES = ("pre_app", "pre_level2", "pre_card")
YES_NO = (("Có", "yes"), ("Chưa", "no"))
DONE = (("Xong", "next"),)

#: Each step's question and its buttons (label, choice); a button's callback data is "step:choice".
QUESTIONS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "consent": (
        "Xin chào! Trợ lý của xã hướng dẫn tích hợp thẻ BHYT vào VNeID.\n"
        "Ông/bà có đồng ý để trợ lý lưu thôn và các bước đã làm không?",
        (("Đồng ý", "agree"), ("Không đồng ý", "decline")),
    ),
    "village_confirm": ("Ông/bà ở {village}, đúng không?", (("Có, đúng rồi", "yes"), ("Không", "no"))),
    MENU: ("Ông/bà cần giúp việc gì?", (("Hướng dẫn 5 bước", "guide"),)),
    "pre_app": ("Điện thoại đã cài ứng dụng VNeID chưa?", YES_NO),
    "pre_level2": ("Ông/bà đã có tài khoản định danh mức 2 chưa?", YES_NO),
    "pre_card": ("Ông/bà có thẻ BHYT ở bên cạnh không?", YES_NO),
    "guide_1": ("Bước 1: Mở ứng dụng VNeID và đăng nhập.", DONE),
    "guide_2": ("Bước 2: Chọn mục Ví giấy tờ.", DONE),
    "guide_3": ("Bước 3: Chọn Tích hợp thông tin, rồi Tạo mới yêu cầu.", DONE),
    "guide_4": ("Bước 4: Chọn loại giấy tờ Thẻ BHYT.", DONE),
    "guide_4_number": ("Bước 4: Nhập số thẻ BHYT đúng như in trên thẻ.", DONE),
    "guide_4_confirm": ("Bước 4: Tích vào ô Tôi xác nhận, rồi bấm Gửi yêu cầu.", DONE),
    "guide_5": ("Bước 5: Chờ thông báo Gửi yêu cầu thành công.", DONE),
}
GOODBYE = "Cảm ơn ông/bà, thẻ BHYT sẽ hiện trong Ví giấy tờ sau khi được duyệt. Chúc ông/bà sức khỏe!"
HINT = "Không sao, cán bộ xã sẽ giúp việc này. Ông/bà cứ xem tiếp hướng dẫn."

#: The step each linear step leads to, whatever the choice.
NEXT = dict(zip((*PREREQUISITES, *GUIDE[:-1]), (*PREREQUISITES[1:], *GUIDE), strict=True))


def keyboard(step: str) -> InlineKeyboardMarkup:
    _, buttons = QUESTIONS[step]
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"{step}:{choice}")] for label, choice in buttons]
    )


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE, step: str, before: str = "") -> str:
    """Sends `step`'s question (after `before`, in the same message) and returns it as the state."""
    text = QUESTIONS[step][0].format(village=context.user_data.get("village", ""))
    await context.bot.send_message(
        update.effective_chat.id, f"{before}\n\n{text}" if before else text, reply_markup=keyboard(step)
    )
    return step


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """`/start v_<village>` (a village's link) starts over: a fresh person, asked for consent."""
    context.user_data.clear()
    link = context.args[0] if context.args else ""
    if link.startswith("v_"):
        context.user_data["village"] = link.removeprefix("v_")
    return await ask(update, context, "consent")


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """Any button of the conversation: acknowledges the press, then asks the next step's question
    as a new message, the way the project's own helper answers."""
    query = update.callback_query
    await query.answer()
    step, _, choice = query.data.partition(":")
    data = context.user_data
    if step == "consent":
        data["consent"] = choice == "agree"
        if data["consent"] and "village" in data:
            return await ask(update, context, "village_confirm")
        return await ask(update, context, MENU)
    if step == "village_confirm":
        if choice != "yes":
            data.pop("village", None)
        return await ask(update, context, MENU)
    if step == MENU:
        return await ask(update, context, PREREQUISITES[0])
    if step == GUIDE[-1]:
        return await ask(update, context, MENU, before=GOODBYE)
    return await ask(update, context, NEXT[step], before=HINT if choice == "no" else "")


def conversation() -> ConversationHandler:
    """One persistent conversation per person in a chat; /start re-enters it from any state."""
    states = {step: [CallbackQueryHandler(pressed, pattern=f"^{step}:")] for step in QUESTIONS}
    with warnings.catch_warnings():
        # With per_message=False PTB warns that a CallbackQueryHandler is "not tracked for every
        # message". That is the intent: the state belongs to the person, not to one message (every
        # step is a new message), and per_message=True would need the /start CommandHandler gone. The
        # filter covers this one construction only, so the script stays clean under `-W error`.
        warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[CommandHandler(START, start)],
            states=states,
            fallbacks=[],
            allow_reentry=True,
            per_chat=True,
            per_user=True,
            per_message=False,
            name="help",
            persistent=True,
        )


def build(args: argparse.Namespace) -> web.Application:
    application = (
        Application.builder()
        .token(args.token)
        .base_url(args.api_base)
        .updater(None)
        .persistence(PicklePersistence(filepath=args.state))
        .build()
    )
    application.add_handler(conversation())
    lock = asyncio.Lock()
    secret = args.secret.encode()

    async def webhook(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, secret):
            return web.Response(status=403)
        update = Update.de_json(await request.json(), application.bot)
        async with lock:
            await application.process_update(update)
            await application.update_persistence()
        return web.Response()

    async def bot_running(_: web.Application) -> AsyncIterator[None]:
        """`initialize` calls getMe and loads the pickle file; `shutdown` writes it a last time."""
        async with application:
            yield

    app = web.Application()
    app.add_routes([web.post(WEBHOOK_PATH, webhook)])
    app.cleanup_ctx.append(bot_running)
    return app


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1")
    parser.add_argument("--api-base", required=True, help="Bot API base URL, without the token")
    parser.add_argument("--token", required=True, help="the bot's token")
    parser.add_argument("--secret", required=True, help="the webhook's secret token")
    parser.add_argument("--state", type=Path, required=True, help="the pickle file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    web.run_app(build(args), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
