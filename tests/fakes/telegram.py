"""A fake Telegram Bot API server on 127.0.0.1, for tests and benchmarks.

The real python-telegram-bot `Bot` talks to it over HTTP (`Bot(TOKEN, base_url=fake.base_url)`), so a
test goes through the same request encoding, response parsing and error mapping (`RetryAfter`,
`Forbidden`, `TimedOut`, ...) as production, without reaching the network. The fake records every
request as a `Call` for assertions, answers the methods the helper uses with Bot API-shaped objects,
and injects faults (error codes, flood limits, slow or hung answers) per method and per chat.
"""

import asyncio
import contextlib
import itertools
import time
from json import JSONDecodeError, dumps, loads
from typing import Any

from aiohttp import ClientSession, web

from tests.fakes.platform import ApiError, Call, FakePlatform, Fault, Method

TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"
USERNAME = "xa_test_bot"
BOT_ID = 123456
BOT_NAME = "Trợ lý"
#: The sender of group messages built without an explicit `user_id`.
GROUP_MEMBER_ID = 1001
GROUP_TITLE = "Nhóm thử"

#: The header Telegram sends a webhook's secret in.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

#: Fields python-telegram-bot sends JSON-encoded inside a form; decoded so tests can compare objects.
JSON_FIELDS = frozenset({"reply_markup", "commands", "allowed_updates", "scope", "parameters"})

#: getUpdates never holds a request longer than this, so stopping a polling bot stays quick.
LONG_POLL_CAP = 2.0

_DESCRIPTIONS = {
    400: "Bad Request",
    403: "Forbidden: bot was blocked by the user",
    500: "Internal Server Error",
}
_PHOTO = {"file_id": "p1", "file_unique_id": "u1", "width": 200, "height": 200}

# Module-level so that messages built by tests and messages sent by the bot never share an id, and
# update ids keep increasing across fakes, as on the real platform.
_message_ids = itertools.count(1)
_update_ids = itertools.count(1)
_callback_ids = itertools.count(1)


class FakeTelegram(FakePlatform):
    """The Bot API for one bot: start it, point a `Bot` at `base_url`, then inspect `calls`.
    Method names are matched without regard to case, as the Bot API does."""

    descriptions = _DESCRIPTIONS

    def __init__(self, token: str = TOKEN, username: str = USERNAME) -> None:
        super().__init__(token)
        self.username = username
        self.webhook: dict[str, Any] | None = None
        self.commands: list[dict] | None = None
        self.admin_chats: set[str] = set()
        #: Documents the bot sent: (chat id, file name, bytes), to open them as a person would.
        self.documents: list[tuple[int, str, bytes]] = []
        #: Files people sent (file id -> bytes), served by getFile and /file/bot<token>/<path>.
        self.files: dict[str, bytes] = {}
        #: How often each file was downloaded.
        self.downloads: dict[str, int] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_queued = asyncio.Event()

    def methods(self) -> dict[str, Method]:
        return {
            "getme": self._get_me,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "deletemessage": self._delete_message,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "getupdates": self._get_updates,
            "setmycommands": self._set_my_commands,
            "answercallbackquery": self._true,
            "editmessagereplymarkup": self._true,
            "sendchataction": self._true,
            "getfile": self._get_file,
        }

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/file/bot{token}/photos/{file_id}.jpg", self._download)]

    def add_file(self, data: bytes) -> str:
        """A file a person sent; its file id."""
        file_id = f"f{len(self.files) + 1}"
        self.files[file_id] = data
        return file_id

    async def _get_file(self, call: Call) -> dict[str, Any]:
        file_id = str(call.params.get("file_id"))
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        size = len(self.files[file_id])
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_size": size,
            "file_path": f"photos/{file_id}.jpg",
        }

    async def _download(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        self.downloads[file_id] = self.downloads.get(file_id, 0) + 1
        if request.match_info["token"] != self.token or file_id not in self.files:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=self.files[file_id], content_type="image/jpeg")

    def error(self, status: int, description: str, retry_after: int | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=status)

    def add_fault(self, method: str | None = None, **how: Any) -> Fault:
        """As `FakePlatform.add_fault`; a 429 says how long to wait in its description too."""
        if how.get("status") == 429 and not how.get("description") and how.get("retry_after") is not None:
            how["description"] = f"Too Many Requests: retry after {how['retry_after']}"
        return super().add_fault(method, **how)

    async def read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, int]]:
        params, files, uploaded = await _read_params(request)
        if "document" in uploaded:
            name, data = uploaded["document"]
            params["_document"] = (name, data)
        return params, files

    def sent_to(self, chat_id: str | int) -> list[Call]:
        """What the bot sent to one chat (texts and photos), in arrival order."""
        return [
            call
            for call in self.calls
            if call.method.lower() in {"sendmessage", "sendphoto"}
            and call.params.get("chat_id") == str(chat_id)
        ]

    async def post_update(
        self, session: ClientSession, url: str, update: dict[str, Any], secret: str | None
    ) -> int:
        """Delivers `update` to a webhook as Telegram does and returns the answer's status. A
        method named in a 200 answer (`{"method": "answerCallbackQuery", ...}`) is then run and
        recorded as if the bot had called it, as Telegram runs it (no request of its own)."""
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        async with session.post(url, json=update, headers=headers) as response:
            status = response.status
            answer = await response.json() if response.content_type == "application/json" else None
        if status == 200 and isinstance(answer, dict) and isinstance(answer.get("method"), str):
            params = {name: _normalise(name, value) for name, value in answer.items() if name != "method"}
            call = Call(method=answer["method"], params=params, at=time.monotonic(), files={})
            await self.answer(call, self.token)
        return status

    def queue_update(self, update: dict[str, Any]) -> int:
        """Hand an update to the next getUpdates (waking a waiting long poll); returns its id."""
        update.setdefault("update_id", next(_update_ids))
        self._updates.append(update)
        self._update_queued.set()
        return update["update_id"]

    def _message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(_message_ids),
            "date": int(time.time()),
            "chat": _chat(chat_id),
            "from": _bot_user(self.username),
            **content,
        }

    async def _get_me(self, call: Call) -> dict[str, Any]:
        return {
            **_bot_user(self.username),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _send_message(self, call: Call) -> dict[str, Any]:
        chat_id = _chat_id(call.params)
        text = call.params.get("text", "")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        return self._message(chat_id, text=text)

    async def _send_photo(self, call: Call) -> dict[str, Any]:
        chat_id = _chat_id(call.params)
        if "photo" not in call.files and not call.params.get("photo"):
            raise ApiError(400, "Bad Request: there is no photo in the request")
        content: dict[str, Any] = {"photo": [dict(_PHOTO)]}
        if call.params.get("caption"):
            content["caption"] = call.params["caption"]
        return self._message(chat_id, **content)

    async def _send_document(self, call: Call) -> dict[str, Any]:
        chat_id = _chat_id(call.params)
        if "_document" not in call.params:
            raise ApiError(400, "Bad Request: there is no document in the request")
        name, data = call.params.pop("_document")
        self.documents.append((chat_id, name, data))
        content: dict[str, Any] = {"document": {"file_name": name, "file_size": len(data)}}
        if call.params.get("caption"):
            content["caption"] = call.params["caption"]
        return self._message(chat_id, **content)

    async def _delete_message(self, call: Call) -> bool:
        chat_id = _chat_id(call.params)
        if chat_id > 0 or str(chat_id) in self.admin_chats:
            return True
        raise ApiError(400, "Bad Request: message can't be deleted")

    async def _set_webhook(self, call: Call) -> bool:
        self.webhook = dict(call.params)
        self._drop_pending_if_asked(call)
        return True

    async def _delete_webhook(self, call: Call) -> bool:
        self.webhook = None
        self._drop_pending_if_asked(call)
        return True

    def _drop_pending_if_asked(self, call: Call) -> None:
        if str(call.params.get("drop_pending_updates", "")).lower() in {"true", "1"}:
            self._updates.clear()

    async def _get_webhook_info(self, call: Call) -> dict[str, Any]:
        return {
            "url": self.webhook.get("url", "") if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _get_updates(self, call: Call) -> list[dict[str, Any]]:
        """Confirm updates below `offset`, then long-poll (capped) until one is queued."""
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active;"
                " use deleteWebhook to delete the webhook first",
            )
        offset = int(call.params.get("offset", 0))
        limit = int(call.params.get("limit", 100))
        timeout = min(float(call.params.get("timeout", 0)), LONG_POLL_CAP)
        self._forget_below(offset)
        if not self._updates:
            self._update_queued.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_queued.wait(), timeout)
            self._forget_below(offset)
        return self._updates[:limit]

    def _forget_below(self, offset: int) -> None:
        self._updates = [update for update in self._updates if update["update_id"] >= offset]

    async def _set_my_commands(self, call: Call) -> bool:
        self.commands = call.params.get("commands")
        return True

    async def _true(self, call: Call) -> bool:
        return True


def message_update(
    chat_id: int,
    text: str,
    *,
    user_id: int | None = None,
    chat_type: str = "private",
    message_id: int | None = None,
    date: int | None = None,
    update_id: int | None = None,
    username: str = USERNAME,
) -> dict[str, Any]:
    """A text message from a person, with the entities Telegram would mark (command, mention)."""
    user, chat = _user_and_chat(chat_id, chat_type, user_id)
    message: dict[str, Any] = {
        "message_id": next(_message_ids) if message_id is None else message_id,
        "date": int(time.time()) if date is None else date,
        "chat": chat,
        "from": user,
        "text": text,
    }
    entities = _entities(text, username)
    if entities:
        message["entities"] = entities
    return {"update_id": next(_update_ids) if update_id is None else update_id, "message": message}


def photo_update(
    chat_id: int,
    file_id: str,
    *,
    user_id: int | None = None,
    chat_type: str = "private",
    caption: str | None = None,
    size: int | None = None,
) -> dict[str, Any]:
    """A photo from a person, as Telegram sends it: several sizes, the largest last (the same
    file id here stands for the largest; the thumbnail's id is not a file the fake knows)."""
    user, chat = _user_and_chat(chat_id, chat_type, user_id)
    largest = {"file_id": file_id, "file_unique_id": file_id, "width": 1280, "height": 960}
    if size is not None:
        largest["file_size"] = size
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": chat,
        "from": user,
        "photo": [{"file_id": "thumb", "file_unique_id": "thumb", "width": 90, "height": 67}, largest],
    }
    if caption is not None:
        message["caption"] = caption
    return {"update_id": next(_update_ids), "message": message}


def callback_update(
    chat_id: int,
    data: str,
    *,
    message_id: int,
    user_id: int | None = None,
    chat_type: str = "private",
    update_id: int | None = None,
) -> dict[str, Any]:
    """A button press on the bot's message `message_id`."""
    user, chat = _user_and_chat(chat_id, chat_type, user_id)
    return {
        "update_id": next(_update_ids) if update_id is None else update_id,
        "callback_query": {
            "id": str(next(_callback_ids)),
            "from": user,
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": chat,
                "from": _bot_user(USERNAME),
                "text": "...",
            },
        },
    }


def _user_and_chat(
    chat_id: int, chat_type: str, user_id: int | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Refuse an id whose sign contradicts the chat type, since the bot tells chats apart by it."""
    private = chat_type == "private"
    if private != (chat_id > 0):
        raise ValueError(f"a {chat_type} chat needs a {'positive' if private else 'negative'} id: {chat_id}")
    if user_id is None:
        user_id = chat_id if private else GROUP_MEMBER_ID
    user = {"id": user_id, "is_bot": False, "first_name": "Người dân", "language_code": "vi"}
    return user, _chat(chat_id, chat_type)


def _chat(chat_id: int, chat_type: str | None = None) -> dict[str, Any]:
    chat_type = chat_type or ("private" if chat_id > 0 else "group")
    if chat_type == "private":
        return {"id": chat_id, "type": chat_type}
    return {"id": chat_id, "type": chat_type, "title": GROUP_TITLE}


def _bot_user(username: str) -> dict[str, Any]:
    return {"id": BOT_ID, "is_bot": True, "first_name": BOT_NAME, "username": username}


def _entities(text: str, username: str) -> list[dict[str, Any]]:
    entities = []
    command_end = 0
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        command_end = len(command)
        entities.append({"type": "bot_command", "offset": 0, "length": _utf16_len(command)})
    mention = "@" + username
    at = text.find(mention, command_end)
    if at >= 0:
        entities.append({"type": "mention", "offset": _utf16_len(text[:at]), "length": _utf16_len(mention)})
    return entities


def _utf16_len(text: str) -> int:
    """Entity offsets count UTF-16 code units, so an emoji before a mention counts twice."""
    return len(text.encode("utf-16-le")) // 2


def _chat_id(params: dict[str, Any]) -> int:
    value = params.get("chat_id", "")
    if not value:
        raise ApiError(400, "Bad Request: chat_id is empty")
    try:
        return int(value)
    except ValueError:
        raise ApiError(400, "Bad Request: chat not found") from None


async def _read_params(
    request: web.Request,
) -> tuple[dict[str, Any], dict[str, int], dict[str, tuple[str, bytes]]]:
    """Query, form, multipart or JSON fields in one shape: strings, except the JSON_FIELDS objects;
    the sizes of the uploaded files, and the files themselves (name, bytes)."""
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, int] = {}
    uploaded: dict[str, tuple[str, bytes]] = {}
    if request.content_type == "application/json":
        if request.body_exists:
            raw.update(await request.json())
    else:
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                data = value.file.read()
                files[name] = len(data)
                uploaded[name] = (value.filename, data)
            else:
                raw[name] = value
    return {name: _normalise(name, value) for name, value in raw.items()}, files, uploaded


def _normalise(name: str, value: Any) -> Any:
    if name in JSON_FIELDS:
        if isinstance(value, str):
            with contextlib.suppress(JSONDecodeError):
                return loads(value)
        return value
    # A JSON body carries numbers and booleans; spell them as python-telegram-bot's form does.
    return value if isinstance(value, str) else dumps(value)
