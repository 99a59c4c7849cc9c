"""A fake Zalo Bot Platform on 127.0.0.1, for tests and benchmarks.

It answers as the platform does, by the reference (zalo-bot-platform.md): method names matched
exactly; `getUpdates` hands out one update per call, holds an empty poll (briefly) and then
answers HTTP 408, and refuses while a webhook is set; `getWebhookInfo` is a 404 without one;
`sendMessage` takes 1-2,000 characters; `sendPhoto` takes a photo only as an http(s) URL. An
update can be replayed (Zalo may deliver one more than once). Faults come from `FakePlatform`.
"""

import asyncio
import contextlib
import itertools
import time
from typing import Any, ClassVar

from aiohttp import ClientSession, web

from tests.fakes.platform import ApiError, Call, FakePlatform, Method

TOKEN = "12345689:abc-xyz-TEST-secret"
BOT_ID = "1459232241454765289"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
#: An empty getUpdates is held this long at most before its 408, so stopping stays quick.
LONG_POLL_CAP = 1.0
TEXT_LIMIT = 2000

_message_ids = itertools.count(1)


class FakeZalo(FakePlatform):
    case_sensitive = True
    descriptions: ClassVar[dict[int, str]] = {
        400: "Bad Request",
        401: "Unauthorized",
        404: "Not Found",
        408: "Request timeout",
        429: "Quota exceeded",
        500: "Internal Server Error",
    }

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__(token)
        self.webhook: dict[str, Any] | None = None
        self._updates: list[dict[str, Any]] = []
        self._update_queued = asyncio.Event()
        #: Photos people sent, served as Zalo's image servers serve them (name -> bytes).
        self.photos: dict[str, bytes] = {}
        #: How often each photo was downloaded.
        self.downloads: dict[str, int] = {}

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/photos/{name}.jpg", self._photo),
            web.get("/moved/{name}.jpg", self._moved),
        ]

    def add_photo(self, data: bytes) -> str:
        """A photo a person sent; the `photo_url` its update carries."""
        name = f"p{len(self.photos) + 1}"
        self.photos[name] = data
        return f"http://127.0.0.1:{self.port}/photos/{name}.jpg"

    async def _photo(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.downloads[name] = self.downloads.get(name, 0) + 1
        if name not in self.photos:
            return web.Response(status=404)
        return web.Response(body=self.photos[name], content_type="image/jpeg")

    async def _moved(self, request: web.Request) -> web.Response:
        """A redirect (to another host): never to be followed."""
        raise web.HTTPFound("http://localhost:9/elsewhere.jpg")

    def methods(self) -> dict[str, Method]:
        return {
            "getMe": self._get_me,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendChatAction": self._send_chat_action,
        }

    async def read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, int]]:
        """Query, JSON or form fields; Zalo takes no uploads, so files are only counted."""
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, int] = {}
        if request.content_type == "application/json":
            if request.body_exists:
                with contextlib.suppress(ValueError):
                    body = await request.json()
                    raw.update(body if isinstance(body, dict) else {})
        else:
            for name, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[name] = len(value.file.read())
                else:
                    raw[name] = value
        return raw, files

    def sent_to(self, chat_id: str) -> list[Call]:
        """What the bot sent to one chat that Zalo accepted (texts and photos), in order."""
        return [
            call
            for call in self.calls
            if call.method in {"sendMessage", "sendPhoto"}
            and call.params.get("chat_id") == chat_id
            and call.result is not None
        ]

    def queue_update(self, update: dict[str, Any]) -> None:
        """Hand an update to the next getUpdates (waking a waiting poll)."""
        self._updates.append(update)
        self._update_queued.set()

    async def post_update(
        self, session: ClientSession, url: str, update: dict[str, Any], secret: str | None
    ) -> int:
        """Delivers `update` to a webhook as Zalo does; the answer's status."""
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        async with session.post(url, json=update, headers=headers) as response:
            await response.read()
            return response.status

    async def _get_me(self, call: Call) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "account_name": "bot.VDKyGxQvc",
            "account_type": "BASIC",
            "can_join_groups": False,
        }

    async def _set_webhook(self, call: Call) -> dict[str, Any]:
        url, secret = call.params.get("url", ""), call.params.get("secret_token", "")
        if not str(url).startswith("https://") or not 8 <= len(str(secret)) <= 256:
            raise ApiError(400, "Bad Request")
        self.webhook = {"url": url, "secret_token": secret}
        return {"url": url, "updated_at": _now_ms()}

    async def _delete_webhook(self, call: Call) -> dict[str, Any]:
        self.webhook = None
        return {"url": "", "updated_at": _now_ms()}

    async def _get_webhook_info(self, call: Call) -> dict[str, Any]:
        if self.webhook is None:
            raise ApiError(404, "Not Found")
        return {"url": self.webhook["url"], "updated_at": _now_ms()}

    async def _get_updates(self, call: Call) -> dict[str, Any]:
        if self.webhook is not None:
            raise ApiError(400, "Bad Request")  # webhook and polling exclude each other
        if not self._updates:
            self._update_queued.clear()
            timeout = min(float(call.params.get("timeout") or 0), LONG_POLL_CAP)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_queued.wait(), timeout)
        if not self._updates:
            raise ApiError(408, "Request timeout")
        return self._updates.pop(0)

    async def _send_message(self, call: Call) -> dict[str, Any]:
        text = call.params.get("text")
        if not call.params.get("chat_id") or not isinstance(text, str) or not 1 <= len(text) <= TEXT_LIMIT:
            raise ApiError(400, "Bad Request")
        return {"message_id": _message_id(), "date": _now_ms()}

    async def _send_photo(self, call: Call) -> dict[str, Any]:
        photo, caption = call.params.get("photo"), call.params.get("caption")
        if call.files or not isinstance(photo, str) or not photo.startswith(("https://", "http://")):
            raise ApiError(400, "Bad Request")
        if caption is not None and not (isinstance(caption, str) and 1 <= len(caption) <= TEXT_LIMIT):
            raise ApiError(400, "Bad Request")
        return {"message_id": _message_id(), "date": _now_ms()}

    async def _send_chat_action(self, call: Call) -> bool:
        if call.params.get("action") != "typing":
            raise ApiError(400, "Bad Request")
        return True


def text_update(
    chat_id: str,
    text: str,
    *,
    wrapped: bool = False,
    message_id: str | None = None,
    chat_type: str = "PRIVATE",
    date: int | None = None,
) -> dict[str, Any]:
    """A person's text message, flat as live traffic is, or in the documented wrapper."""
    return message_event(
        "message.text.received",
        chat_id,
        wrapped=wrapped,
        message_id=message_id,
        chat_type=chat_type,
        date=date,
        text=text,
    )


def message_event(
    event_name: str,
    chat_id: str,
    *,
    wrapped: bool = False,
    message_id: str | None = None,
    chat_type: str = "PRIVATE",
    date: int | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Any event with a message (an image: `photo_url=...`; a sticker: `sticker=...`)."""
    message = {
        "message_id": message_id or f"in{next(_message_ids):012x}",
        "from": {"id": chat_id, "display_name": "Người dân", "is_bot": False},
        "chat": {"id": chat_id, "chat_type": chat_type},
        "date": _now_ms() if date is None else date,
        **fields,
    }
    update = {"event_name": event_name, "message": message}
    return {"ok": True, "result": update} if wrapped else update


def _message_id() -> str:
    return f"{next(_message_ids):020x}"


def _now_ms() -> int:
    return int(time.time() * 1000)
