"""Images the web server serves: QR codes made with `qrcode`, the villages' printable posters,
and the office's screenshots.

The flow only names an image ("qr:video", "content:buoc1.png", "poster:<village code>");
`bot.rendering` turns the name into a path and this module serves the bytes. QR codes are PNGs
made once and kept in memory; a village's printable poster is drawn on each request, off the event
loop, and never written to disk.
Names are checked against a pattern and resolved inside their folder, so no request can read a
file elsewhere.
"""

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from bot.rendering import IMAGES_DIR, qr_png, village_link, village_poster
from flows import Content

_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}\.(?:png|jpg|jpeg|webp)$")
_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
_CACHE = "public, max-age=3600"


class Media:
    """The /media routes for one deployment (its content and its public address)."""

    def __init__(
        self,
        content: Content,
        base_url: str,
        images_dir: Path = IMAGES_DIR,
        telegram_bot: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.content = content
        self.base_url = base_url.rstrip("/")
        self.images_dir = images_dir.resolve()
        #: The Telegram bot's username once that channel has started, for the posters' QR.
        self.telegram_bot = telegram_bot

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/media/qr/video.png", self.video_qr),
            web.get("/media/qr/village/{code}.png", self.village_qr),
            web.get("/media/poster/{code}.png", self.poster),
            web.get("/media/content/{name}", self.content_image),
        ]

    async def video_qr(self, _: web.Request) -> web.Response:
        return web.Response(
            body=qr_png(self.content.video_url), content_type="image/png", headers={"Cache-Control": _CACHE}
        )

    async def village_qr(self, request: web.Request) -> web.Response:
        code = request.match_info["code"]
        if code not in self.content.places.by_code:
            raise web.HTTPNotFound(text=self.content.text("web.not_found"))
        png = qr_png(village_link(self.base_url, code))
        return web.Response(body=png, content_type="image/png", headers={"Cache-Control": _CACHE})

    async def poster(self, request: web.Request) -> web.Response:
        """The code is only ever a key of the village list: it never reaches a path."""
        code = request.match_info["code"]
        if code not in self.content.places.by_code:
            raise web.HTTPNotFound(text=self.content.text("web.not_found"))
        png = await asyncio.to_thread(village_poster, self.content, code, self.base_url, self.telegram_bot())
        return web.Response(body=png, content_type="image/png", headers={"Cache-Control": _CACHE})

    async def content_image(self, request: web.Request) -> web.FileResponse:
        name = request.match_info["name"]
        path = (self.images_dir / name).resolve()
        if not _FILE_NAME.match(name) or path.parent != self.images_dir or not path.is_file():
            raise web.HTTPNotFound(text=self.content.text("web.not_found"))
        return web.FileResponse(path, headers={"Content-Type": _TYPES[name.rsplit(".", 1)[1].lower()]})
