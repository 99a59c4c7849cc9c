"""HTTP to the Bot API on the channel's own aiohttp session, two ways.

* `AiohttpRequest` is python-telegram-bot's `BaseRequest` for the calls made through PTB's typed
  `Bot`: the token check (getMe), the commands, the webhook, long polling. Why not PTB's default
  (httpx): under concurrency its pool is the wall (450-550 updates/s at 50 users against
  2,400-2,970 on aiohttp, telegram-notes.md §13), and the helper already runs on aiohttp.
* `BotApi` makes the calls that happen for every message (send, edit, delete, answer a press)
  directly: a JSON body out, the `result` back as a dict. PTB's typed methods build a
  `RequestParameter` per argument and a whole `Message` object from each answer; measured on the
  benchmark machine, a `send_message` cost 1,149 µs of CPU against 368 µs for the same call
  posted directly, which is most of what limits a busy helper.

Both raise the same errors: the Bot API's HTTP `status`, `description` and `retry_after`, exactly,
as `TelegramHTTPError` (PTB drops the status of a 5xx and builds `RetryAfter` with a deprecation
warning), and PTB's `NetworkError` / `TimedOut` when Telegram cannot be reached. No exception
raised here carries the request URL, which holds the bot's token.
"""

import json
from typing import Any

import aiohttp
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.channels import read_at_most

#: Seconds to wait for Telegram's answer unless the call says otherwise (getUpdates adds its
#: long-poll time to this).
READ_TIMEOUT = 10.0
CONNECT_TIMEOUT = 5.0
#: Seconds a whole file download may take (a photo a resident sent).
DOWNLOAD_TIMEOUT = 30.0

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_JSON = {"Content-Type": "application/json"}
_Body = aiohttp.FormData | bytes | None


class TelegramHTTPError(TelegramError):
    """Telegram answered with an error: its HTTP `status`, its `description`, and `retry_after`
    seconds when it asked to wait (429)."""

    def __init__(self, status: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"{status} {description}")
        self.status = status
        self.description = description
        self.retry_after = retry_after


async def _post(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    body: _Body,
    headers: dict[str, str] | None,
    timeout: aiohttp.ClientTimeout,
) -> bytes:
    """One exchange; the answer's body when Telegram accepted the call."""
    try:
        async with session.request(method, url, data=body, headers=headers, timeout=timeout) as response:
            status, payload = response.status, await response.read()
    except TimeoutError:
        raise TimedOut("Telegram did not answer in time") from None
    except aiohttp.ClientError as error:
        raise NetworkError(f"cannot reach Telegram: {type(error).__name__}") from None
    if 200 <= status < 300:
        return payload
    raise _error(status, payload)


class BotApi:
    """The per-message Bot API calls: `await api.call("sendMessage", chat_id=..., text=...)`."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str) -> None:
        self._session = session
        self._url = f"{base_url}{token}/"
        # files are served beside the methods: https://api.telegram.org/file/bot<token>/<path>
        self._files = f"{base_url.removesuffix('bot')}file/bot{token}/"
        self._timeout = aiohttp.ClientTimeout(sock_connect=CONNECT_TIMEOUT, sock_read=READ_TIMEOUT)

    async def download(self, file_path: str, limit: int) -> bytes | None:
        """A file the bot received (`file_path` from getFile), in memory; None when it is larger
        than `limit` bytes (reading stops there)."""
        timeout = aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT, sock_connect=CONNECT_TIMEOUT)
        try:
            async with self._session.get(self._files + file_path, timeout=timeout) as response:
                if response.status != 200:
                    raise TelegramHTTPError(response.status, "the file could not be downloaded")
                return await read_at_most(response, limit)
        except TimeoutError:
            raise TimedOut("Telegram did not send the file in time") from None
        except aiohttp.ClientError as error:
            raise NetworkError(f"cannot reach Telegram: {type(error).__name__}") from None

    async def call(
        self, method: str, files: dict[str, tuple[str, bytes]] | None = None, **params: Any
    ) -> Any:
        """The call's `result`. With `files` (field -> (file name, bytes): an upload) the fields
        go as multipart, nested objects as JSON text, as the Bot API reads them."""
        body: _Body
        if files:
            body, headers = aiohttp.FormData(), None
            for name, value in params.items():
                body.add_field(name, value if isinstance(value, str) else json.dumps(value))
            for name, (filename, content) in files.items():
                body.add_field(name, content, filename=filename)
        else:
            body, headers = json.dumps(params).encode(), _JSON
        payload = await _post(self._session, "POST", self._url + method, body, headers, self._timeout)
        return json.loads(payload)["result"]


def _seconds(value: Any, default: float | None) -> float | None:
    """PTB passes `DEFAULT_NONE` when a call has no timeout of its own."""
    return default if value is BaseRequest.DEFAULT_NONE else value


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` on a session the channel owns (it opens and closes it)."""

    def __init__(self, session: aiohttp.ClientSession, read_timeout: float = READ_TIMEOUT) -> None:
        self.session = session
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        """The session is the channel's: nothing to open here."""

    async def shutdown(self) -> None:
        """The session is the channel's: nothing to close here."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        timeout = aiohttp.ClientTimeout(
            sock_connect=_seconds(connect_timeout, CONNECT_TIMEOUT),
            sock_read=_seconds(read_timeout, self._read_timeout),
        )
        body, headers = _body(request_data)
        return 200, await _post(self.session, method, url, body, headers, timeout)


def _body(request_data: RequestData | None) -> tuple[_Body, dict[str, str] | None]:
    """Form fields as PTB encodes them (nested objects as JSON); multipart when uploading. The
    plain form is encoded here: given a dict, aiohttp builds a multipart writer (and a random
    boundary) for every call before it decides on a plain form."""
    if request_data is None:
        return None, None
    if not request_data.contains_files:
        return request_data.url_encoded_parameters().encode(), _FORM
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename or name, content_type=mimetype)
    return form, None


def _error(status: int, payload: bytes) -> TelegramHTTPError:
    try:
        answer = json.loads(payload)
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    description = str(answer.get("description") or f"HTTP {status}")
    parameters = answer.get("parameters") if isinstance(answer.get("parameters"), dict) else {}
    retry_after = parameters.get("retry_after") if parameters else None
    return TelegramHTTPError(status, description, float(retry_after) if retry_after else None)
