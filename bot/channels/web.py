"""The web chat: a page any phone browser can open, and the small JSON API behind it.

The zero-configuration channel: `make run` serves it on http://127.0.0.1:8080, and a commune links
to it from its website or a poster (`/?village=CODE` attributes the visit to a village). A person is
a random HttpOnly cookie, nothing else: no login, no name. The API changes nothing but the caller's
own conversation, so it needs no CSRF token. Replies come back in the HTTP answer after the
transition has been committed; a retried tap with the same client id gets the same replies (for
a short while: the server keeps no reply text). The page keeps the conversation itself, in the
tab's `sessionStorage`, and asks to `resume` (the current question) when it has none.

A photo of the card (`POST /api/photo`, multipart, the file in the field `photo`) is read from the
request into memory part by part, never spooled to a file, then read by `bot.card_photo` and
answered exactly as a chat message (the same cookie, the same JSON answer).
"""

import html
import json
import re
import secrets
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from pydantic import BaseModel, ValidationError, field_validator

from bot.card_photo import MAX_BYTES as MAX_PHOTO
from bot.card_photo import read_photo
from bot.channels import Channel
from bot.conversation import Answer, ConversationService
from bot.rate_limit import RateLimiter, client_address
from bot.rendering import image_path
from bot.settings import Settings
from flows import Content, Inbound, Reply
from flows.places import CODE_PATTERN

CHANNEL = "web"
COOKIE = "vneid_helper"
MAX_TEXT = 1000
MAX_BODY = 16 * 1024
#: A photo's request: the photo itself and the multipart framing around it.
MAX_PHOTO_BODY = MAX_PHOTO + 64 * 1024
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
_COOKIE_VALUE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{0,64}$")
#: A client message id is stored (to answer a retried tap once): it may not hold a number.
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_DIGIT_RUN = re.compile(r"\d{5,}")
_dumps = partial(json.dumps, ensure_ascii=False)
_PAGE = "web.page."
_MARKER = re.compile(r"\{\{(web\.page\.[a-z_]+)\}\}")


class ChatRequest(BaseModel):
    """What the page posts: typed `text`, a pressed `choice`, a start payload, or `resume` (show
    the question the person is at: the page lost its copy of the chat); and a client message id
    (a retried tap reuses it)."""

    text: str | None = None
    choice: str | None = None
    start: str | None = None
    resume: bool = False
    id: str | None = None

    @field_validator("choice")
    @classmethod
    def _choice(cls, value: str | None) -> str | None:
        if value is not None and (len(value.encode()) > 64 or not value.isascii()):
            raise ValueError("choice")
        return value

    @field_validator("start")
    @classmethod
    def _start(cls, value: str | None) -> str | None:
        if value is not None and not _PAYLOAD.match(value):
            raise ValueError("start")
        return value

    @field_validator("id")
    @classmethod
    def _id(cls, value: str | None) -> str | None:
        if value is not None and (not _CLIENT_ID.match(value) or _DIGIT_RUN.search(value)):
            raise ValueError("id")
        return value


def _kind(body: ChatRequest) -> str:
    if body.choice is not None:
        return "choice"
    return "resume" if body.resume and body.text is None and body.start is None else "text"


def reply_json(reply: Reply) -> dict[str, Any]:
    return {
        "text": reply.text,
        "buttons": [{"id": b.id, "label": b.label} for b in reply.buttons],
        "image_url": image_path(reply.image),
        "wants_text": reply.wants_text,
    }


async def _read_capped(part: BodyPartReader, too_big: Callable[[], web.HTTPException]) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(64 * 1024):
        data += chunk
        if len(data) > MAX_PHOTO:
            raise too_big()
    return bytes(data)


def render_page(template: str, content: Content) -> str:
    """The page with its `{{web.page.*}}` words from the content (HTML-escaped), and every
    `web.page` text as JSON for the script (`</` escaped so it cannot close the script tag)."""
    page_keys = [key for key in content.texts if key.startswith(_PAGE)]
    texts = {key.removeprefix(_PAGE): content.text(key) for key in page_keys}
    filled = _MARKER.sub(lambda m: html.escape(content.text(m.group(1))), template)
    return filled.replace("{{texts}}", _dumps(texts).replace("</", "<\\/"))


async def _no_cache_for_static(request: web.Request, response: web.StreamResponse) -> None:
    """Phones must not keep an old chat.js after an update: revalidate (the ETag makes it cheap)."""
    if request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-cache"


class WebChannel(Channel):
    """Routes of the web chat for one deployment; it answers in the HTTP response, so it has no
    outbox and no sender."""

    name = CHANNEL
    # the application's cap for read()/post() (the dashboard's form, too): a photo is streamed
    # part by part, which that cap does not limit, so it stays small
    max_body = MAX_BODY

    def __init__(self, service: ConversationService, settings: Settings, content: Content) -> None:
        self.service = service
        self.content = content
        self.secure = settings.secure_cookies
        self.trusted_proxy = settings.trusted_proxy
        self.max_age = settings.retention_days * 86_400
        self.per_browser = RateLimiter(settings.web_rate_per_minute)
        self.per_address = RateLimiter(settings.web_rate_per_minute_per_address)
        self.html = render_page((STATIC_DIR / "index.html").read_text(encoding="utf-8"), content)

    def setup(self, app: web.Application) -> None:
        app.add_routes(self.routes())
        app.on_response_prepare.append(_no_cache_for_static)

    def routes(self) -> list[web.AbstractRouteDef]:
        return [
            web.get("/", self.page),
            web.get("/next", self.next_person),
            web.post("/api/chat", self.chat),
            web.post("/api/photo", self.photo),
            web.static("/static", STATIC_DIR),
        ]

    async def page(self, _: web.Request) -> web.Response:
        return web.Response(
            text=self.html, content_type="text/html", charset="utf-8", headers={"Cache-Control": "no-cache"}
        )

    async def next_person(self, request: web.Request) -> web.Response:
        """The "Người tiếp theo" link: a fresh conversation in the same browser (a volunteer
        helping several residents on one phone)."""
        village = request.query.get("village", "")
        redirect = web.HTTPSeeOther(f"/?village={village}" if CODE_PATTERN.match(village) else "/")
        self._set_cookie(redirect, secrets.token_urlsafe(18))
        raise redirect

    async def chat(self, request: web.Request) -> web.Response:
        browser, new_browser = self._browser(request)
        body = await self._body(request)
        inbound = Inbound(
            CHANNEL,
            browser,
            browser,
            text=body.text or ("/start" if body.start is not None and body.choice is None else ""),
            choice=body.choice,
            kind=_kind(body),
            payload=body.start or None,
            push=False,
        )
        return await self._answer(inbound, body.id, browser if new_browser else None)

    async def photo(self, request: web.Request) -> web.Response:
        """A photo of the card: read in memory, answered as the card number typed would be."""
        browser, new_browser = self._browser(request)
        data, message_id = await self._photo_form(request)
        read = await read_photo(data)
        inbound = Inbound(
            CHANNEL, browser, browser, text=read.number, kind="photo", photo=read.reading, push=False
        )
        return await self._answer(inbound, message_id, browser if new_browser else None)

    def _browser(self, request: web.Request) -> tuple[str, bool]:
        """The browser's cookie value (a new one for a new browser, `True`), within its rate."""
        browser = request.cookies.get(COOKIE, "")
        new_browser = not _COOKIE_VALUE.match(browser)
        if new_browser:
            browser = secrets.token_urlsafe(18)
        self._check_rate(request, browser)
        return browser, new_browser

    async def _answer(self, inbound: Inbound, message_id: str | None, new_cookie: str | None) -> web.Response:
        answer: Answer = await self.service.handle(inbound, message_id, inline=True)
        response = web.json_response(
            {"replies": [reply_json(r) for r in answer.replies], "erased": answer.erased}, dumps=_dumps
        )
        if new_cookie:
            self._set_cookie(response, new_cookie)
        return response

    async def _photo_form(self, request: web.Request) -> tuple[bytes, str | None]:
        """The `photo` field's bytes, read part by part up to the cap (a bigger one is a 413 at
        once, without reading the rest), and the client message id sent before it (`id`: a retried
        upload is answered once, as a retried tap); anything else than a form with a photo is a
        400."""
        if (request.content_length or 0) > MAX_PHOTO_BODY:
            raise self._photo_too_big()
        if request.content_type != "multipart/form-data":
            raise self._fail(web.HTTPBadRequest, "web.photo_missing")
        message_id = None
        try:
            parts = await request.multipart()
            while (part := await parts.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    continue
                if part.name == "id":
                    given = (await part.read_chunk(128)).decode("ascii", "replace")
                    message_id = given if _CLIENT_ID.match(given) and not _DIGIT_RUN.search(given) else None
                elif part.name == "photo":
                    return await _read_capped(part, self._photo_too_big), message_id
        except (HttpProcessingError, ValueError, KeyError, AssertionError):  # broken framing, no boundary
            pass
        raise self._fail(web.HTTPBadRequest, "web.photo_missing")

    def _photo_too_big(self) -> web.HTTPException:
        return web.HTTPRequestEntityTooLarge(
            max_size=MAX_PHOTO,
            actual_size=MAX_PHOTO + 1,
            text=_dumps({"error": self.content.text("web.photo_too_big")}),
            content_type="application/json",
        )

    def _fail(self, status: type[web.HTTPException], key: str, **headers: str) -> web.HTTPException:
        return status(
            text=_dumps({"error": self.content.text(key)}), content_type="application/json", headers=headers
        )

    def _check_rate(self, request: web.Request, browser: str) -> None:
        for limiter, key in (
            (self.per_address, client_address(request, self.trusted_proxy)),
            (self.per_browser, browser),
        ):
            if not limiter.allow(key):
                wait = str(limiter.retry_after(key))
                raise self._fail(web.HTTPTooManyRequests, "web.too_fast", **{"Retry-After": wait})

    async def _body(self, request: web.Request) -> ChatRequest:
        try:
            raw = await request.read()
            if len(raw) > MAX_BODY:  # the application allows more, for other channels' routes
                raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=len(raw))
        except web.HTTPRequestEntityTooLarge:
            error = _dumps({"error": self.content.text("web.too_big")})
            raise web.HTTPRequestEntityTooLarge(
                max_size=MAX_BODY,
                actual_size=request.content_length or 0,
                text=error,
                content_type="application/json",
            ) from None
        try:
            body = ChatRequest.model_validate_json(raw)
        except ValidationError:
            raise self._fail(web.HTTPBadRequest, "web.bad_request") from None
        if body.text is not None and len(body.text) > MAX_TEXT:
            raise self._fail(web.HTTPBadRequest, "web.too_long")
        if body.text is None and body.choice is None and body.start is None and not body.resume:
            raise self._fail(web.HTTPBadRequest, "web.bad_request")
        return body

    def _set_cookie(self, response: web.StreamResponse, value: str) -> None:
        response.set_cookie(
            COOKIE, value, max_age=self.max_age, httponly=True, samesite="Lax", secure=self.secure, path="/"
        )
