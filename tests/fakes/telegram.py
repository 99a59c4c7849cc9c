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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from json import JSONDecodeError, dumps, loads
from typing import Any

from aiohttp import ClientSession, web

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

#: The Bot API accepts multipart uploads up to 50 MB; aiohttp's default limit (1 MiB) would turn a
#: large photo into a 413 the real platform never sends.
MAX_UPLOAD = 50 * 1024 * 1024

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


@dataclass
class Call:
    """One request as the fake received it; tests assert on these rather than on logs."""

    method: str
    params: dict[str, Any]
    at: float
    files: dict[str, int]
    #: What the fake answered with ("result" of a successful call), None after an error.
    result: Any = None


@dataclass
class Fault:
    """How to misbehave for matching requests, until used up (`times`) or expired (`until`)."""

    method: str | None
    chat_id: str | None
    status: int
    description: str
    retry_after: int | None
    delay: float
    times: int | None
    until: float | None

    def matches(self, call: Call) -> bool:
        if self.times == 0 or (self.until is not None and time.monotonic() > self.until):
            return False
        if self.method is not None and self.method.lower() != call.method.lower():
            return False
        return self.chat_id is None or self.chat_id == call.params.get("chat_id")


class _ApiError(Exception):
    """A Bot API error answer (`ok: false`) raised by a method handler."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


class FakeTelegram:
    """The Bot API for one bot: start it, point a `Bot` at `base_url`, then inspect `calls`.

    Every request that reaches the server is recorded, including those refused for a wrong token or
    an unknown method, so a test can also check what the code tried. Method names are matched without
    regard to case, as the Bot API does.
    """

    def __init__(self, token: str = TOKEN, username: str = USERNAME) -> None:
        self.token = token
        self.username = username
        self.port = 0
        self.base_url = ""
        self.calls: list[Call] = []
        self.webhook: dict[str, Any] | None = None
        self.commands: list[dict] | None = None
        self.admin_chats: set[str] = set()
        #: Called with each call the fake answered successfully, once its `result` is set.
        self.listeners: list[Callable[[Call], None]] = []
        self._faults: list[Fault] = []
        self._updates: list[dict[str, Any]] = []
        self._update_queued = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, Callable[[Call], Awaitable[Any]]] = {
            "getme": self._get_me,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "deletemessage": self._delete_message,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "getupdates": self._get_updates,
            "setmycommands": self._set_my_commands,
            "answercallbackquery": self._true,
            "editmessagereplymarkup": self._true,
            "sendchataction": self._true,
        }

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_UPLOAD)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle, allow_head=False)
        # Cancelling handlers whose client went away lets a hung answer (a long `delay`) end with
        # the test; a short shutdown timeout keeps `stop` quick while a request is still held.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.1, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{self.port}/bot"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def calls_of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def sent_to(self, chat_id: str | int) -> list[Call]:
        """What the bot sent to one chat (texts and photos), in arrival order."""
        return [
            call
            for call in self.calls
            if call.method.lower() in {"sendmessage", "sendphoto"}
            and call.params.get("chat_id") == str(chat_id)
        ]

    def add_fault(
        self,
        method: str | None = None,
        *,
        chat_id: str | int | None = None,
        status: int = 0,
        description: str = "",
        retry_after: int | None = None,
        delay: float = 0.0,
        times: int | None = None,
        until: float | None = None,
    ) -> Fault:
        """Make matching requests fail or stall; the first matching fault added wins."""
        if status and not description:
            description = _default_description(status, retry_after)
        fault = Fault(
            method=method,
            chat_id=None if chat_id is None else str(chat_id),
            status=status,
            description=description,
            retry_after=retry_after,
            delay=delay,
            times=times,
            until=until,
        )
        self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self._faults.clear()

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
            await self._answer(call, self.token)
        return status

    def queue_update(self, update: dict[str, Any]) -> int:
        """Hand an update to the next getUpdates (waking a waiting long poll); returns its id."""
        update.setdefault("update_id", next(_update_ids))
        self._updates.append(update)
        self._update_queued.set()
        return update["update_id"]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until the code under test, running concurrently, has done something observable."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                recent = ", ".join(call.method for call in self.calls[-10:]) or "none"
                name = getattr(predicate, "__qualname__", repr(predicate))
                raise AssertionError(f"{name} still false after {timeout} s; last calls: {recent}")
            await asyncio.sleep(0.01)

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        params, files = await _read_params(request)
        call = Call(method=request.match_info["method"], params=params, at=arrived, files=files)
        return await self._answer(call, request.match_info["token"])

    async def _answer(self, call: Call, token: str) -> web.Response:
        """Records `call` and answers it, through its faults, as the Bot API would."""
        self.calls.append(call)
        if token != self.token:
            return _error(401, "Unauthorized")
        fault = next((fault for fault in self._faults if fault.matches(call)), None)
        if fault is not None:
            if fault.times is not None:
                fault.times -= 1
            await asyncio.sleep(fault.delay)
            if fault.status:
                return _error(fault.status, fault.description, fault.retry_after)
        handler = self._methods.get(call.method.lower())
        if handler is None:
            return _error(404, "Not Found: method not found")
        try:
            result = await handler(call)
        except _ApiError as error:
            return _error(error.status, error.description)
        call.result = result
        for listener in self.listeners:
            listener(call)
        return web.json_response({"ok": True, "result": result})

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
            raise _ApiError(400, "Bad Request: message text is empty")
        return self._message(chat_id, text=text)

    async def _send_photo(self, call: Call) -> dict[str, Any]:
        chat_id = _chat_id(call.params)
        if "photo" not in call.files and not call.params.get("photo"):
            raise _ApiError(400, "Bad Request: there is no photo in the request")
        content: dict[str, Any] = {"photo": [dict(_PHOTO)]}
        if call.params.get("caption"):
            content["caption"] = call.params["caption"]
        return self._message(chat_id, **content)

    async def _delete_message(self, call: Call) -> bool:
        chat_id = _chat_id(call.params)
        if chat_id > 0 or str(chat_id) in self.admin_chats:
            return True
        raise _ApiError(400, "Bad Request: message can't be deleted")

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
            raise _ApiError(
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
        raise _ApiError(400, "Bad Request: chat_id is empty")
    try:
        return int(value)
    except ValueError:
        raise _ApiError(400, "Bad Request: chat not found") from None


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, int]]:
    """Query, form, multipart or JSON fields in one shape: strings, except the JSON_FIELDS objects."""
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, int] = {}
    if request.content_type == "application/json":
        if request.body_exists:
            raw.update(await request.json())
    else:
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                files[name] = len(value.file.read())
            else:
                raw[name] = value
    return {name: _normalise(name, value) for name, value in raw.items()}, files


def _normalise(name: str, value: Any) -> Any:
    if name in JSON_FIELDS:
        if isinstance(value, str):
            with contextlib.suppress(JSONDecodeError):
                return loads(value)
        return value
    # A JSON body carries numbers and booleans; spell them as python-telegram-bot's form does.
    return value if isinstance(value, str) else dumps(value)


def _default_description(status: int, retry_after: int | None) -> str:
    if status == 429:
        return "Too Many Requests" if retry_after is None else f"Too Many Requests: retry after {retry_after}"
    return _DESCRIPTIONS.get(status) or HTTPStatus(status).phrase


def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)
