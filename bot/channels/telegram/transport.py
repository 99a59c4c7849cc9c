"""python-telegram-bot's HTTP calls made on the channel's own aiohttp session.

Why not PTB's default (httpx): under concurrency httpx's pool is the wall (measured 450-550
updates/s at 50 users against 2,400-2,970 with an aiohttp transport, telegram-notes.md §13), and
the helper already runs on aiohttp. Why errors are raised here: PTB turns a failed answer into
exception types that drop the HTTP status (every 5xx becomes a `NetworkError` with words only)
and builds `RetryAfter` with a deprecation warning; the sender needs the status, the platform's
description and `retry_after`, exactly. And no exception raised here carries the request URL,
which holds the bot's token.
"""

import json
from typing import Any

import aiohttp
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

#: Seconds to wait for Telegram's answer unless the call says otherwise (getUpdates adds its
#: long-poll time to this).
READ_TIMEOUT = 10.0
CONNECT_TIMEOUT = 5.0


class TelegramHTTPError(TelegramError):
    """Telegram answered with an error: its HTTP `status`, its `description`, and `retry_after`
    seconds when it asked to wait (429)."""

    def __init__(self, status: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"{status} {description}")
        self.status = status
        self.description = description
        self.retry_after = retry_after


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
        try:
            async with self.session.request(
                method, url, data=_body(request_data), timeout=timeout
            ) as response:
                status, payload = response.status, await response.read()
        except TimeoutError:
            raise TimedOut("Telegram did not answer in time") from None
        except aiohttp.ClientError as error:
            raise NetworkError(f"cannot reach Telegram: {type(error).__name__}") from None
        if 200 <= status < 300:
            return status, payload
        raise _error(status, payload)


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """Form fields as PTB encodes them (nested objects as JSON); multipart when uploading."""
    if request_data is None:
        return None
    if not request_data.contains_files:
        return request_data.json_parameters
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename or name, content_type=mimetype)
    return form


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
