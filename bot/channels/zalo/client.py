"""A thin client for the Zalo Bot Platform on the channel's aiohttp session.

Why our own: no PyPI package for it is a safe dependency (zalo-bot-platform.md §3: two are broken,
none handles the envelope, 408 and 404 correctly), and the API is a handful of JSON POSTs to
`<base><token>/<method>`, answered `{"ok": bool, "result": ..., "description", "error_code"}`.

Two answers that look like errors are normal and come back as None: an empty long poll (HTTP 408
"Request timeout") and `getWebhookInfo` on a bot without a webhook (404). The token is in the URL
path, so no exception raised here carries the URL, and aiohttp's own errors are replaced by their
type name.
"""

import json
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.channels import read_at_most

#: Seconds to wait for Zalo's answer to an ordinary call.
READ_TIMEOUT = 15.0
CONNECT_TIMEOUT = 5.0
#: Seconds a long poll asks Zalo to hold the request; the HTTP wait is longer by READ_TIMEOUT.
POLL_SECONDS = 30
#: Seconds a whole photo download may take.
DOWNLOAD_TIMEOUT = 20.0
#: Hosts a test may serve photos from over plain http.
_LOOPBACK = frozenset({"127.0.0.1", "localhost"})
_JSON = {"Content-Type": "application/json"}


class ZaloError(Exception):
    """Zalo answered with an error: its HTTP `status` (or `error_code` when the HTTP status said
    200) and its `description`."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(f"{status} {description}")
        self.status = status
        self.description = description


class ZaloUnreachable(Exception):
    """No answer: a network error or a timeout (the message names which, never the URL)."""


class ZaloApi:
    """`await api.call("sendMessage", chat_id=..., text=...)` returns the call's `result`."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str) -> None:
        self._session = session
        self._url = f"{base_url}{token}/"

    async def call(self, method: str, *, wait: float = READ_TIMEOUT, **params: Any) -> Any:
        timeout = aiohttp.ClientTimeout(sock_connect=CONNECT_TIMEOUT, sock_read=wait)
        body = json.dumps(params).encode()
        try:
            async with self._session.post(
                self._url + method, data=body, headers=_JSON, timeout=timeout
            ) as answer:
                status, payload = answer.status, await answer.read()
        except TimeoutError:
            raise ZaloUnreachable("Zalo did not answer in time") from None
        except aiohttp.ClientError as error:
            raise ZaloUnreachable(f"cannot reach Zalo: {type(error).__name__}") from None
        try:
            decoded = json.loads(payload)
        except ValueError:
            decoded = None
        answer = decoded if isinstance(decoded, dict) else {}
        if 200 <= status < 300 and answer.get("ok") is True:
            return answer.get("result")
        code = status if not 200 <= status < 300 else int(answer.get("error_code") or 500)
        raise ZaloError(code, str(answer.get("description") or f"HTTP {status}"))

    async def get_updates(self) -> dict[str, Any] | None:
        """The next update (Zalo hands out one per call), or None when none came in time."""
        try:
            result = await self.call(
                "getUpdates", wait=POLL_SECONDS + READ_TIMEOUT, timeout=str(POLL_SECONDS)
            )
        except ZaloError as error:
            if error.status == 408 or "timeout" in error.description.lower():
                return None
            raise
        return result if isinstance(result, dict) else None

    async def webhook_url(self) -> str | None:
        """The webhook set for the bot, if any."""
        try:
            result = await self.call("getWebhookInfo")
        except ZaloError as error:
            if error.status == 404:
                return None
            raise
        url = result.get("url") if isinstance(result, dict) else None
        return url or None


def photo_allowed(url: str, hosts: str) -> bool:
    """Whether a photo's address is on one of `hosts` (comma-separated; a subdomain counts) and
    https: the address comes in an update, so it must not make the helper fetch anything else
    (its own network, another site). Loopback hosts, listed for tests, may use http."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    allowed = [name for name in hosts.split(",") if name]
    if not any(host == name or host.endswith(f".{name}") for name in allowed):
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and host in _LOOPBACK)


async def fetch_photo(session: aiohttp.ClientSession, url: str, limit: int) -> bytes | None:
    """The photo at `url`, in memory; None when it is larger than `limit` bytes (reading stops
    there). Redirects are not followed: they could lead off Zalo's hosts."""
    timeout = aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT, sock_connect=CONNECT_TIMEOUT)
    try:
        async with session.get(url, timeout=timeout, allow_redirects=False) as answer:
            if answer.status != 200:
                raise ZaloError(answer.status, "the photo could not be downloaded")
            return await read_at_most(answer, limit)
    except TimeoutError:
        raise ZaloUnreachable("the photo did not arrive in time") from None
    except aiohttp.ClientError as error:
        raise ZaloUnreachable(f"cannot fetch the photo: {type(error).__name__}") from None
