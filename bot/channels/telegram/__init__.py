"""The Telegram channel: python-telegram-bot as the transport only; the conversation is the flow.

Updates arrive by webhook (`POST /telegram/webhook`, with `PUBLIC_URL` and a webhook secret set)
or by long polling (development: no public address needed). Either way each update goes through
the conversation service and is committed before it is acknowledged; replies leave through the
outbox and the shared sender, paced to Telegram's limits (30 messages/s, 1/s per private chat,
20/min per group).

Rendering: options become inline keyboards (callback data = the flow's button id); a press is
answered at once (by webhook, in the answer to Telegram's POST itself, which saves a call) and
the keyboard it came from is removed, so old buttons cannot be pressed twice;
QR codes go out as uploaded photos; long text is split at paragraph breaks. A message that held
a card or identity number is deleted after the check (bots may delete incoming messages in
private chats, and in groups where they are admins), and so is a photo read in a private chat:
its largest size is fetched into memory (`getFile`), read (`bot.card_photo`) and dropped.
"""

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable
from dataclasses import replace
from typing import Any

import aiohttp
from aiohttp import web
from telegram import Bot, BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from telegram.constants import MessageLimit
from telegram.error import NetworkError, TelegramError

from bot.card_photo import MAX_BYTES, NOT_FETCHED, TOO_BIG, read_photo
from bot.channels import Channel, ChannelError
from bot.channels.telegram.transport import READ_TIMEOUT, AiohttpRequest, BotApi, TelegramHTTPError
from bot.channels.telegram.updates import CHANNEL, Received, received
from bot.conversation import ConversationService, reply_from_dict
from bot.rendering import command_menu, image_png, split_text, telegram_link
from bot.sender import BlockedError, DeliveryError, Pacing, PermanentError, RateLimited, TransientError
from bot.settings import TelegramSettings
from bot.store import OutboxRow
from flows import Button, Content, Inbound, Reply

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Updates are small (a message is at most 4,096 characters); anything bigger is not Telegram.
MAX_BODY = 256 * 1024
#: The update kinds the flow reads; Telegram sends nothing else.
ALLOWED_UPDATES = ["message", "callback_query"]
#: Seconds one long poll waits for updates.
POLL_SECONDS = 25
#: Image names of printable posters, sent as files.
POSTER = "poster:"
#: Seconds the command line waits for `getMe` before printing an invite without its deep link.
USERNAME_TIMEOUT = 5.0
#: Seconds between failed polls, doubling up to the last.
POLL_BACKOFF = (1.0, 2.0, 5.0, 15.0, 30.0)
#: Telegram's limits: messages per second overall, seconds between messages to one private chat
#: and to one group (20 a minute).
PER_SECOND, PRIVATE_GAP, GROUP_GAP = 30.0, 1.0, 3.0
#: Telegram's 400 answers that only mean there is nothing left to do.
_NOTHING_TO_DO = (
    "message is not modified",
    "message to delete not found",
    "message can't be deleted",
    "message to edit not found",
    "query is too old",
)


def interval(row: OutboxRow) -> float:
    """Seconds before the chat's next message: none after an action on a message."""
    if "action" in row.reply:
        return 0.0
    return GROUP_GAP if row.chat_key.startswith("-") else PRIVATE_GAP


def delivery_error(error: TelegramError) -> DeliveryError | None:
    """What the sender should do about a failed call; None when there is nothing to do."""
    if isinstance(error, TelegramHTTPError):
        status, description = error.status, error.description
        if status == 429:
            return RateLimited(description, error.retry_after or 1.0)
        if status == 403:
            return BlockedError(description, status)
        if status == 400 and any(words in description.lower() for words in _NOTHING_TO_DO):
            return None
        if status < 500:
            return PermanentError(description, status)
        return TransientError(description, status)
    if isinstance(error, NetworkError):  # TimedOut is one
        return TransientError(str(error))
    return PermanentError(type(error).__name__)


async def telegram_username(settings: TelegramSettings) -> str | None:
    """The bot's username (for a deep link printed by the command line), or None when Telegram
    cannot be reached now."""
    async with aiohttp.ClientSession() as session:
        api = BotApi(session, settings.api_base, settings.bot_token.get_secret_value())
        try:
            return str((await asyncio.wait_for(api.call("getMe"), USERNAME_TIMEOUT))["username"])
        except (TelegramError, TimeoutError, aiohttp.ClientError, KeyError):
            return None


class TelegramChannel(Channel):
    name = CHANNEL
    max_body = MAX_BODY

    def __init__(
        self,
        service: ConversationService,
        settings: TelegramSettings,
        content: Content,
        base_url: str,
        public_url: str,
    ) -> None:
        self.service = service
        self.settings = settings
        self.content = content
        self.base_url = base_url
        self.secret = settings.webhook_secret.get_secret_value()
        self.webhook_url = f"{public_url}{WEBHOOK_PATH}" if public_url and self.secret else None
        self.pacing = Pacing(PER_SECOND, interval) if settings.pacing else Pacing()
        self.username = ""
        self._session: aiohttp.ClientSession | None = None
        self._bot: Bot | None = None
        self._api: BotApi | None = None
        self._chores: set[asyncio.Task[Any]] = set()

    @property
    def bot(self) -> Bot:
        if self._bot is None:
            raise RuntimeError("the Telegram channel has not started")
        return self._bot

    @property
    def api(self) -> BotApi:
        if self._api is None:
            raise RuntimeError("the Telegram channel has not started")
        return self._api

    def setup(self, app: web.Application) -> None:
        if self.webhook_url:
            app.add_routes([web.post(WEBHOOK_PATH, self.webhook)])

    # --- start and stop ------------------------------------------------------------------------

    async def start(self) -> None:
        """Checks the token (getMe), registers the commands, then the webhook or polling."""
        self._session = aiohttp.ClientSession()
        token = self.settings.bot_token.get_secret_value()
        self._bot = Bot(
            token,
            base_url=self.settings.api_base,
            request=AiohttpRequest(self._session),
            get_updates_request=AiohttpRequest(self._session, READ_TIMEOUT + POLL_SECONDS),
        )
        self._api = BotApi(self._session, self.settings.api_base, token)
        try:
            await self._bot.initialize()
        except TelegramHTTPError as error:
            await self.stop()
            raise ChannelError(
                f"TELEGRAM_BOT_TOKEN: Telegram từ chối mã bot ({error.status} {error.description}). "
                "Kiểm tra lại mã lấy từ @BotFather."
            ) from None
        except TelegramError as error:
            await self.stop()
            raise ChannelError(
                f"TELEGRAM_API_BASE: không kết nối được tới Telegram ({error}). Kiểm tra mạng của máy."
            ) from None
        self.username = self._bot.username
        await self._register_commands()
        try:
            if self.webhook_url:
                await self._bot.set_webhook(
                    self.webhook_url, secret_token=self.secret, allowed_updates=ALLOWED_UPDATES
                )
                log.info("telegram: webhook set to %s", self.webhook_url)
            else:
                log.info("telegram: no PUBLIC_URL and webhook secret; deleting any webhook and polling")
                await self._bot.delete_webhook()
        except TelegramError as error:
            await self.stop()
            raise ChannelError(
                f"TELEGRAM_WEBHOOK_SECRET / PUBLIC_URL: Telegram không nhận ({error})."
            ) from None

    async def _register_commands(self) -> None:
        """The slash commands in the platform's menu, in Vietnamese: the flow's commands that the
        content describes (private chats), and the guide in groups."""
        private = [BotCommand(name, description) for name, description in command_menu(self.content)]
        groups = [command for command in private if command.command == "huongdan"]
        try:
            await self.bot.set_my_commands(
                private, scope=BotCommandScopeAllPrivateChats(), language_code="vi"
            )
            await self.bot.set_my_commands(private, scope=BotCommandScopeAllPrivateChats())
            if groups:
                await self.bot.set_my_commands(groups, scope=BotCommandScopeAllGroupChats())
        except TelegramError as error:  # the helper works without the menu
            log.warning("telegram: could not register the commands: %s", error)

    async def stop(self) -> None:
        for chore in list(self._chores):
            chore.cancel()
        if self._bot is not None:
            await self._bot.shutdown()
        if self._session is not None:
            await self._session.close()
        self._bot = self._session = self._api = None

    # --- receiving -----------------------------------------------------------------------------

    async def webhook(self, request: web.Request) -> web.Response:
        """Only Telegram knows the secret: anything else is refused before it is read."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("telegram webhook: request without the right secret refused")
            return web.Response(status=403, text="forbidden")
        raw = await request.read()
        if len(raw) > MAX_BODY:
            return web.Response(status=413, text="too large")
        try:
            update = json.loads(raw)
        except ValueError:
            return web.Response(status=400, text="not JSON")
        got = await self.receive(update)
        if got is not None and got.callback_id:
            # Telegram runs a method given in the answer to its POST: the press is answered
            # without a call of our own (its outcome is not reported, and none is needed).
            return web.json_response({"method": "answerCallbackQuery", "callback_query_id": got.callback_id})
        return web.Response(text="ok")

    async def receive(self, update: Any) -> Received | None:
        """One update through the service, committed when this returns; what it was for the
        flow, or None when it was nothing to answer."""
        got = received(update, self.username)
        if got is not None:
            inbound = await self._photo(got) if got.photo_file else got.inbound
            await self.service.handle(inbound, f"u{got.update_id}")
        return got

    async def _photo(self, got: Received) -> Inbound:
        """The photo's reading, from its largest size fetched into memory over the channel's own
        session (`getFile`, then the file); the bytes are gone when this returns."""
        read = NOT_FETCHED
        try:
            if got.photo_size is not None and got.photo_size > MAX_BYTES:
                read = TOO_BIG
            else:
                found = await self.api.call("getFile", file_id=got.photo_file)
                data = await self.api.download(str(found["file_path"]), MAX_BYTES)
                read = TOO_BIG if data is None else await read_photo(data)
        except (TelegramError, KeyError, TypeError) as error:
            log.warning("telegram: a photo could not be fetched: %s", type(error).__name__)
        return replace(got.inbound, photo=read.reading, text=read.number)

    def _chore(self, call: Awaitable[Any]) -> None:
        """A call whose failure changes nothing for the conversation (answering a press)."""

        async def run() -> None:
            try:
                await asyncio.wait_for(call, READ_TIMEOUT)
            except (TelegramError, TimeoutError) as error:
                log.info("telegram: answering a press failed: %s", error)

        task = asyncio.create_task(run())
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    async def run(self) -> None:
        """Long polling, when there is no webhook: each update is committed before the next
        offset acknowledges it, so a crash re-reads what was not handled."""
        if self.webhook_url:
            return
        offset, failures = 0, 0
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=POLL_SECONDS, allowed_updates=ALLOWED_UPDATES
                )
                for update in updates:
                    got = await self.receive(update.to_dict())
                    if got is not None and got.callback_id:
                        self._chore(self.api.call("answerCallbackQuery", callback_query_id=got.callback_id))
                    offset = update.update_id + 1
                failures = 0
            except TelegramHTTPError as error:
                if error.status in (401, 404):
                    log.critical("telegram: the token was rejected (%s); polling stops", error)
                    return
                failures += 1
                log.warning("telegram: polling failed (%s); trying again", error)
            except Exception:  # a network error, or the database: never stop polling for it
                failures += 1
                log.exception("telegram: polling failed; trying again")
            if failures:
                await asyncio.sleep(POLL_BACKOFF[min(failures, len(POLL_BACKOFF)) - 1])

    # --- delivering ----------------------------------------------------------------------------

    async def deliver(self, row: OutboxRow) -> str | None:
        chat = row.chat_key
        try:
            if "action" in row.reply:
                await self._act(chat, row.reply)
                return None
            if "report" in row.reply:
                sent = await self._report(chat, row.reply["report"])
            else:
                sent = await self._send(chat, reply_from_dict(row.reply))
        except TelegramError as error:
            mapped = delivery_error(error)
            if mapped is None:
                return None
            raise mapped from None
        return str(sent["message_id"])

    async def _act(self, chat: str, action: dict[str, Any]) -> None:
        message = int(action["message"])
        if action["action"] == "delete":
            await self.api.call("deleteMessage", chat_id=chat, message_id=message)
        elif action["action"] == "unbutton":
            await self.api.call("editMessageReplyMarkup", chat_id=chat, message_id=message)

    async def _report(self, chat: str, week: str) -> dict[str, Any]:
        """The report's text, then the spreadsheet as a file."""
        reports = self.service.reports
        if reports is None:
            return await self._send(chat, Reply(self.content.text("staff.report_failed")))
        made = await reports.make(week, with_file=True)
        sent = await self._send(chat, Reply(made.text))
        if made.file is None:
            return sent
        caption = self.content.text("staff.report_file", week=week)
        return await self.api.call("sendDocument", {"document": made.file}, chat_id=chat, caption=caption)

    async def _send(self, chat: str, reply: Reply) -> dict[str, Any]:
        """The reply's messages; the last one (which carries the buttons) is returned."""
        markup = self._keyboard(reply.buttons)
        # a poster takes a few tenths of a second to draw: never on the event loop
        png = await asyncio.to_thread(
            image_png, reply.image, self.content, self.base_url, telegram_bot=self.username or None
        )
        if png is not None and reply.image and reply.image.startswith(POSTER):
            # a file, not a photo: Telegram would recompress a photo below print quality
            name = f"ap-phich-{reply.image.removeprefix(POSTER)}.png"
            return await self.api.call(
                "sendDocument", {"document": (name, png)}, chat_id=chat, caption=reply.text, **markup
            )
        if png is not None and len(reply.text) <= MessageLimit.CAPTION_LENGTH:
            return await self.api.call(
                "sendPhoto", {"photo": ("photo", png)}, chat_id=chat, caption=reply.text, **markup
            )
        if png is not None:
            await self.api.call("sendPhoto", {"photo": ("photo", png)}, chat_id=chat)
        *first, last = split_text(reply.text, MessageLimit.MAX_TEXT_LENGTH)
        for piece in first:
            await self.api.call("sendMessage", chat_id=chat, text=piece)
        return await self.api.call("sendMessage", chat_id=chat, text=last, **markup)

    def _keyboard(self, buttons: tuple[Button, ...]) -> dict[str, Any]:
        """One button per row: long Vietnamese labels stay readable on a small phone."""
        if not buttons:
            return {}
        return {"reply_markup": {"inline_keyboard": [[self._button(button)] for button in buttons]}}

    def _button(self, button: Button) -> dict[str, str]:
        url = self.link(button.link) if button.link else None
        if url:
            return {"text": button.label, "url": url}
        return {"text": button.label, "callback_data": button.id}

    def link(self, link: str) -> str | None:
        """ "start:<payload>" -> the deep link that opens a private chat with the helper."""
        if link.startswith("start:"):
            return telegram_link(self.username, link.removeprefix("start:"))
        return None
