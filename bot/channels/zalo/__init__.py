"""The Zalo channel (Zalo Bot Platform): a thin aiohttp client; the conversation is the flow.

Updates arrive by webhook (`POST /zalo/webhook`, with `PUBLIC_URL` and a webhook secret set) or
by polling `getUpdates` (development: no public address needed; webhook and polling exclude each
other, so a webhook left behind is deleted first). Each update is committed through the service
before it is acknowledged, deduplicated by Zalo's `message_id` (the platform may deliver an
update more than once); replies leave through the outbox and the shared sender.

Zalo has no buttons, no edits and no uploads (zalo-bot-platform.md §1.8): options become a
numbered list under the text (the flow reads "2", "số 2" and labels, with or without diacritics);
photos go by URL, so QR codes are served by this app under `PUBLIC_URL/media/...`, and without a
public address the video's link is sent as text instead; text is split at 2,000 characters on
paragraph breaks. In a group (beta; the helper sees only mentions) it answers with one short
message pointing to the private chat and never checks a card there. A photo in a private chat
is fetched from Zalo's image hosts into memory and read (`bot.card_photo`); Zalo lets a bot
delete nothing, so the photo stays in the person's chat.
"""

import asyncio
import hmac
import json
import logging
import time
from dataclasses import replace
from typing import Any

import aiohttp
from aiohttp import web

from bot.card_photo import MAX_BYTES, NOT_FETCHED, TOO_BIG, read_photo
from bot.channels import Channel, ChannelError
from bot.channels.zalo.client import ZaloApi, ZaloError, ZaloUnreachable, fetch_photo, photo_allowed
from bot.channels.zalo.updates import CHANNEL, received
from bot.conversation import ConversationService, reply_from_dict
from bot.rendering import image_url, numbered, split_text
from bot.sender import DeliveryError, Pacing, PermanentError, RateLimited, TransientError
from bot.settings import ZaloSettings
from bot.store import OutboxRow
from flows import Content, Inbound, Reply

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/zalo/webhook"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
#: The platform's own cap on a webhook body is not published; 1 MiB is far above any update.
MAX_BODY = 1024 * 1024
#: Characters in one message or caption.
TEXT_LIMIT = 2000
#: Seconds between two polls at least (Zalo answers at once while updates are queued).
POLL_GAP = 1.0
#: Seconds between failed polls, growing up to the last.
POLL_BACKOFF = (1.0, 2.0, 5.0, 15.0, 30.0, 60.0)
#: Zalo publishes no send rate; these keep it gentle: messages per second in all, and seconds
#: between messages to one chat.
PER_SECOND, CHAT_GAP = 20.0, 1.0
#: Seconds to wait after a 429 "quota exceeded" (Zalo gives no retry-after).
QUOTA_WAIT = 60.0
#: Seconds sending waits after Zalo rejected the token (it was reset in Bot Creator): until the
#: helper is restarted with the new one, nothing could be sent anyway, and nothing is lost.
TOKEN_WAIT = 3600.0


def delivery_error(error: ZaloError | ZaloUnreachable) -> DeliveryError:
    """What the sender should do about a failed call."""
    if isinstance(error, ZaloUnreachable):
        return TransientError(str(error))
    if error.status == 429:
        return RateLimited(error.description, QUOTA_WAIT)
    if error.status == 401:
        log.critical("zalo: the token was rejected (%s); sending waits: set the new ZALO_BOT_TOKEN", error)
        return RateLimited(error.description, TOKEN_WAIT, error.status)
    if error.status >= 500 or error.status == 408:
        return TransientError(error.description, error.status)
    return PermanentError(error.description, error.status)


class ZaloChannel(Channel):
    name = CHANNEL
    max_body = MAX_BODY

    def __init__(
        self, service: ConversationService, settings: ZaloSettings, content: Content, public_url: str
    ) -> None:
        self.service = service
        self.settings = settings
        self.content = content
        self.public_url = public_url
        self.secret = settings.webhook_secret.get_secret_value()
        self.webhook_url = f"{public_url}{WEBHOOK_PATH}" if public_url and self.secret else None
        self.pacing = Pacing(PER_SECOND, lambda _: CHAT_GAP) if settings.pacing else Pacing()
        self._session: aiohttp.ClientSession | None = None
        self._api: ZaloApi | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("the Zalo channel has not started")
        return self._session

    @property
    def api(self) -> ZaloApi:
        if self._api is None:
            raise RuntimeError("the Zalo channel has not started")
        return self._api

    def setup(self, app: web.Application) -> None:
        if self.webhook_url:
            app.add_routes([web.post(WEBHOOK_PATH, self.webhook)])

    # --- start and stop ------------------------------------------------------------------------

    async def start(self) -> None:
        """Checks the token (getMe), then sets the webhook, or clears one left behind for polling."""
        self._session = aiohttp.ClientSession()
        self._api = ZaloApi(self._session, self.settings.api_base, self.settings.bot_token.get_secret_value())
        try:
            await self._api.call("getMe")
        except ZaloError as error:
            await self.stop()
            raise ChannelError(
                f"ZALO_BOT_TOKEN: Zalo từ chối mã bot ({error.status} {error.description}). "
                "Kiểm tra lại mã Zalo Bot Creator đã gửi."
            ) from None
        except ZaloUnreachable as error:
            await self.stop()
            raise ChannelError(
                f"ZALO_API_BASE: không kết nối được tới Zalo ({error}). Kiểm tra mạng của máy."
            ) from None
        try:
            if self.webhook_url:
                await self._api.call("setWebhook", url=self.webhook_url, secret_token=self.secret)
                log.info("zalo: webhook set to %s", self.webhook_url)
            elif left := await self._api.webhook_url():
                log.warning("zalo: deleting the webhook %s left behind: it would starve polling", left)
                await self._api.call("deleteWebhook")
            else:
                log.info("zalo: no PUBLIC_URL and webhook secret; polling")
        except (ZaloError, ZaloUnreachable) as error:
            await self.stop()
            raise ChannelError(f"ZALO_WEBHOOK_SECRET / PUBLIC_URL: Zalo không nhận ({error}).") from None

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = self._api = None

    # --- receiving -----------------------------------------------------------------------------

    async def webhook(self, request: web.Request) -> web.Response:
        """Only Zalo knows the secret: anything else is refused before it is read."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("zalo webhook: request without the right secret refused")
            return web.Response(status=403, text="forbidden")
        raw = await request.read()
        if len(raw) > MAX_BODY:
            return web.Response(status=413, text="too large")
        try:
            body = json.loads(raw)
        except ValueError:
            return web.Response(status=400, text="not JSON")
        await self.receive(body)
        return web.json_response({"ok": True})

    async def receive(self, body: Any) -> None:
        """One update through the service; committed (or known as a duplicate) when this returns."""
        got = received(body)
        if got is None:
            return
        inbound = got.inbound if got.photo_url is None else await self._photo(got.inbound, got.photo_url)
        await self.service.handle(inbound, f"m{got.message_id}" if got.message_id else None)

    async def _photo(self, inbound: Inbound, url: str) -> Inbound:
        """The photo's reading, fetched into memory only from Zalo's image hosts (with a size cap
        and a timeout); the bytes are gone when this returns."""
        read = NOT_FETCHED
        if not photo_allowed(url, self.settings.photo_hosts):
            log.warning("zalo: a photo not on ZALO_PHOTO_HOSTS was not fetched")
        else:
            try:
                data = await fetch_photo(self.session, url, MAX_BYTES)
                read = TOO_BIG if data is None else await read_photo(data)
            except (ZaloError, ZaloUnreachable) as error:
                log.warning("zalo: a photo could not be fetched: %s", error)
        return replace(inbound, photo=read.reading, text=read.number)

    async def run(self) -> None:
        """Polling, when there is no webhook: at least `POLL_GAP` between polls, since Zalo hands
        queued (and replayed) updates out at once; a replay is a duplicate to the service."""
        if self.webhook_url:
            return
        failures = 0
        while True:
            started = time.monotonic()
            try:
                update = await self.api.get_updates()
                if update is not None:
                    await self.receive(update)
                failures = 0
            except ZaloError as error:
                if error.status == 401:
                    log.critical("zalo: the token was rejected (%s); polling stops", error)
                    return
                failures += 1
                log.warning("zalo: polling failed (%s); trying again", error)
            except Exception:  # a network error, or the database: never stop polling for it
                failures += 1
                log.exception("zalo: polling failed; trying again")
            pause = POLL_BACKOFF[min(failures, len(POLL_BACKOFF)) - 1] if failures else POLL_GAP
            await asyncio.sleep(max(0.0, started + pause - time.monotonic()))

    # --- delivering ----------------------------------------------------------------------------

    async def deliver(self, row: OutboxRow) -> str | None:
        try:
            if "report" in row.reply:
                return await self._send(row.chat_key, Reply(await self._report(row.reply["report"])))
            return await self._send(row.chat_key, reply_from_dict(row.reply))
        except (ZaloError, ZaloUnreachable) as error:
            raise delivery_error(error) from None

    async def _send(self, chat: str, reply: Reply) -> str | None:
        """The reply's messages; returns the id of the last one."""
        photo = image_url(reply.image, self.public_url) if self.public_url else None
        text = self.text(reply)
        if reply.image == "qr:video" and photo is None:
            link = self.content.text("zalo.video_link", url=self.content.video_url)
            text = f"{text}\n\n{link}"
        pieces = split_text(text, TEXT_LIMIT)
        sent: Any = None
        if photo or len(pieces) > 1:
            await self._typing(chat)
        if photo:
            caption = {"caption": pieces.pop(0)} if len(pieces) == 1 else {}
            sent = await self.api.call("sendPhoto", chat_id=chat, photo=photo, **caption)
        for piece in pieces:
            sent = await self.api.call("sendMessage", chat_id=chat, text=piece)
        return str(sent["message_id"]) if isinstance(sent, dict) and "message_id" in sent else None

    async def _report(self, week: str) -> str:
        """The report's text; the spreadsheet as a link to the dashboard (Zalo's bots send no
        files), when the dashboard is reachable."""
        reports = self.service.reports
        if reports is None:
            return self.content.text("staff.report_failed")
        text = (await reports.make(week, with_file=False)).text
        link = reports.link(week)
        return f"{text}\n\n{link}" if link else text

    def text(self, reply: Reply) -> str:
        """The text, then its options numbered under a line saying how to answer (the flow gives
        Zalo no button that opens a chat: `Inbound.links` is False here)."""
        if not reply.buttons:
            return reply.text
        listed = numbered(Reply(self.content.text("zalo.numbers"), reply.buttons), indent="")
        return f"{reply.text}\n\n{listed}"

    async def _typing(self, chat: str) -> None:
        """The typing dots while Zalo fetches a photo or a long answer arrives; best effort."""
        try:
            await self.api.call("sendChatAction", chat_id=chat, action="typing")
        except (ZaloError, ZaloUnreachable) as error:
            log.info("zalo: typing indicator failed: %s", error)
