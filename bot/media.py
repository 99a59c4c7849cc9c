"""Images the web server serves: QR codes made with `qrcode`, and the office's screenshots.

The flow only names an image ("qr:video", "content:buoc1.png"); this module turns the name into a
URL and serves the bytes. QR codes are PNGs made once and kept in memory. Names are checked
against a pattern and resolved inside their folder, so no request can read a file elsewhere.
"""

import io
import logging
import re
from functools import lru_cache
from pathlib import Path

import qrcode
from aiohttp import web
from qrcode.image.pure import PyPNGImage

from flows import Content
from flows.content import CONTENT_DIR

log = logging.getLogger(__name__)
IMAGES_DIR = CONTENT_DIR / "images"
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}\.(?:png|jpg|jpeg|webp)$")
_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
_CACHE = "public, max-age=3600"


def image_url(name: str | None) -> str | None:
    """The path a browser loads for an image the flow named."""
    if not name:
        return None
    kind, _, rest = name.partition(":")
    if kind == "qr":
        return f"/media/qr/{rest}.png"
    if kind == "content":
        return f"/media/content/{rest}"
    return None


@lru_cache(maxsize=256)
def qr_png(data: str) -> bytes:
    """A QR code as PNG bytes; large modules so cheap phone cameras read it from a screen."""
    image = qrcode.make(data, image_factory=PyPNGImage, box_size=10, border=2)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


class Media:
    """The /media routes for one deployment (its content and its public address)."""

    def __init__(self, content: Content, base_url: str, images_dir: Path = IMAGES_DIR) -> None:
        self.content = content
        self.base_url = base_url.rstrip("/")
        self.images_dir = images_dir.resolve()

    def village_link(self, code: str) -> str:
        return f"{self.base_url}/?village={code}"

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/media/qr/video.png", self.video_qr),
            web.get("/media/qr/village/{code}.png", self.village_qr),
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
        png = qr_png(self.village_link(code))
        return web.Response(body=png, content_type="image/png", headers={"Cache-Control": _CACHE})

    async def content_image(self, request: web.Request) -> web.FileResponse:
        name = request.match_info["name"]
        path = (self.images_dir / name).resolve()
        if not _FILE_NAME.match(name) or path.parent != self.images_dir or not path.is_file():
            raise web.HTTPNotFound(text=self.content.text("web.not_found"))
        return web.FileResponse(path, headers={"Content-Type": _TYPES[name.rsplit(".", 1)[1].lower()]})
