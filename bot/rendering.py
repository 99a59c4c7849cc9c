"""One way to turn a `Reply` into what a platform shows, shared by every channel.

The flow names its images ("qr:video", "content:buoc1.png", "poster:<village code>") and its
links ("start:v_tdp-1", a private chat with the helper opened with that start payload); it never
knows a URL. A channel needs some of: the reply as plain text with its options numbered (the
terminal, Zalo, a button that cannot be shown), an image's absolute URL (Zalo only takes photos by
URL), or its PNG bytes (Telegram uploads them). Written once here, so that every channel shows
the same thing.
"""

import io
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import qrcode
from qrcode.image.pure import PyPNGImage

from bot.posters import poster_png
from flows import Content, Reply
from flows.content import CONTENT_DIR
from flows.group import private_payload
from flows.matching import SLASH_COMMANDS

IMAGES_DIR = CONTENT_DIR / "images"
#: Content keys of the platform's command menu: `[bot_commands]` in content/messages.toml.
BOT_COMMANDS = "bot_commands."
#: How a symbolic link ("start:<payload>") becomes a URL on one channel; None: it has none.
LinkResolver = Callable[[str], str | None]


def numbered(reply: Reply, links: LinkResolver = lambda _: None, indent: str = "  ") -> str:
    """The text, then each option on its own line as "1. label", so that typing "1" answers it
    (the flow reads numbers, labels and everyday words the same way on every channel). A link
    option shows its address, since a plain-text platform cannot open it by a number."""
    lines = [reply.text]
    for number, button in enumerate(reply.buttons, 1):
        url = links(button.link) if button.link else None
        lines.append(f"{indent}{number}. {button.label}" + (f": {url}" if url else ""))
    return "\n".join(lines)


def command_menu(content: Content) -> list[tuple[str, str]]:
    """The slash commands a platform lists in its menu, with their descriptions: those the office
    described (in its order) that the flow knows."""
    return [
        (key.removeprefix(BOT_COMMANDS), text)
        for key, text in content.texts.items()
        if key.startswith(BOT_COMMANDS) and "/" + key.removeprefix(BOT_COMMANDS) in SLASH_COMMANDS
    ]


def split_text(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at paragraph breaks, then at line
    breaks, then at spaces, so that no instruction is cut in the middle of a sentence unless a
    single word is longer than the limit."""
    if len(text) <= limit:
        return [text]
    for separator in ("\n\n", "\n", " "):
        cut = text.rfind(separator, 0, limit + 1)
        if cut > 0:
            head, tail = text[:cut].rstrip(), text[cut + len(separator) :].lstrip()
            return [head, *split_text(tail, limit)] if tail else [head]
    return [text[:limit], *split_text(text[limit:], limit)]


def qr_data(name: str | None, content: Content, base_url: str) -> str | None:
    """What a QR image encodes: "qr:video" the guide video, "qr:village/<code>" the helper's
    address with that village chosen; None for anything that is not a known QR."""
    if name == "qr:video":
        return content.video_url
    if name and name.startswith("qr:village/"):
        code = name.removeprefix("qr:village/")
        return village_link(base_url, code) if code in content.places.by_code else None
    return None


def village_link(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/?village={code}"


def telegram_link(bot_username: str, payload: str) -> str:
    """The deep link that opens a private chat with the Telegram bot, started with `payload`."""
    return f"https://t.me/{bot_username}?start={payload}"


def village_poster(content: Content, code: str, base_url: str, telegram_bot: str | None = None) -> bytes:
    """A village's poster with its web link, and its Telegram deep link when the bot's username
    is known (Telegram configured and answering)."""
    telegram = telegram_link(telegram_bot, private_payload(code)) if telegram_bot else None
    return poster_png(content, code, village_link(base_url, code), telegram)


def image_path(name: str | None) -> str | None:
    """The path this helper's web server serves an image at (see `bot.media`)."""
    if not name:
        return None
    kind, _, rest = name.partition(":")
    if kind == "qr":
        return f"/media/qr/{rest}.png"
    if kind == "content":
        return f"/media/content/{rest}"
    if kind == "poster":
        return f"/media/poster/{rest}.png"
    return None


def image_url(name: str | None, base_url: str) -> str | None:
    """The absolute URL of an image, for platforms that fetch photos themselves."""
    path = image_path(name)
    return f"{base_url.rstrip('/')}{path}" if path else None


@lru_cache(maxsize=256)
def qr_png(data: str) -> bytes:
    """A QR code as PNG bytes; large modules so cheap phone cameras read it from a screen. Made
    once per text and kept in memory."""
    image = qrcode.make(data, image_factory=PyPNGImage, box_size=10, border=2)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def image_png(
    name: str | None,
    content: Content,
    base_url: str,
    images_dir: Path = IMAGES_DIR,
    telegram_bot: str | None = None,
) -> bytes | None:
    """The bytes of an image, for platforms that take uploads; None when the name is unknown or
    the office's screenshot is missing (the text alone still helps). A village's poster is drawn
    each time (a fraction of a second, and rarely asked for) rather than kept; it carries the
    Telegram QR when `telegram_bot` (the bot's username) is given."""
    data = qr_data(name, content, base_url)
    if data is not None:
        return qr_png(data)
    if name and name.startswith("poster:"):
        code = name.removeprefix("poster:")
        known = code in content.places.by_code
        return village_poster(content, code, base_url, telegram_bot) if known else None
    if name and name.startswith("content:"):
        path = (images_dir / name.removeprefix("content:")).resolve()
        if path.parent == images_dir.resolve() and path.is_file():
            return path.read_bytes()
    return None
