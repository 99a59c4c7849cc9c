"""Printable A4 posters, one per village, for the village hall's notice board and the volunteers'
folders.

An elderly resident reads the five steps from the wall and scans a QR code that opens the helper
with the village already chosen, so the help is counted for the right village without asking.
The page is greyscale and saved with a 16-grey palette: communes print on black-and-white laser
printers, and a small file goes through Zalo and Telegram quickly. Every word comes from the
content (the steps are those of `group.guide`); a line that names an office field still to fill
in is left out, because a poster stays on the wall for months and must not show a guess.
"""

import io
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from flows import Content, ContentError

#: A4 portrait at 300 dpi.
DPI = 300
WIDTH, HEIGHT = 2480, 3508
#: DejaVu Sans ships with matplotlib (a dependency already) and has every Vietnamese letter.
REGULAR, BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
#: Keys of the in-person help lines, in print order.
HELP_LINES = ("poster.help_address", "poster.help_hours", "poster.help_phone")
_MARGIN = 150
_GREYS = 16
#: Type sizes are tried at these scales until the page holds everything (an office may lengthen
#: a step); the QR codes keep their size.
_SCALES = (1.1, 1.0, 0.92, 0.84, 0.76, 0.68)
_STEP = re.compile(r"^\s*\d+\.\s+(.+?)\s*$", re.MULTILINE)
_FIELD = re.compile(r"\{(\w+)\}")


class PosterError(RuntimeError):
    """The poster cannot be drawn on this machine; the message says what to do."""


@dataclass(frozen=True)
class Code:
    """A QR code and the line printed under it."""

    data: str
    caption: str


@dataclass(frozen=True)
class PosterText:
    """Everything a poster prints; an empty text is left out."""

    commune: str
    title: str
    village: str
    steps_title: str
    steps: tuple[str, ...]
    #: The village's own link first: it is the biggest.
    codes: tuple[Code, ...]
    help: tuple[str, ...]

    def lines(self) -> tuple[str, ...]:
        captions = tuple(code.caption for code in self.codes)
        return (self.commune, self.title, self.village, self.steps_title, *self.steps, *captions, *self.help)


def _line(content: Content, key: str, **fields: str) -> str:
    """The text at `key`, or "" when it names an office field still to fill in
    (`Content.unfilled`) or left empty."""
    names = set(_FIELD.findall(str(content.texts[key]))) - fields.keys()
    if any(name in content.unfilled() or content.fields.get(name) == "" for name in names):
        return ""
    return content.text(key, **fields)


def poster_text(
    content: Content, village_code: str, web_url: str, telegram_url: str | None = None
) -> PosterText:
    """The poster's words for a village (`KeyError` for a code that is not one)."""
    village = content.places.by_code[village_code]
    steps = tuple(_STEP.findall(content.text("group.guide")))
    if not steps:
        raise ContentError('group.guide: không có bước nào dạng "1. ..." để in lên áp phích')
    video = "poster.video_site_caption" if content.video_is_default else "poster.video_caption"
    codes = [Code(web_url, _line(content, "poster.web_caption"))]
    if telegram_url:
        codes.append(Code(telegram_url, _line(content, "poster.telegram_caption")))
    codes.append(Code(content.video_url, _line(content, video)))
    help_lines = tuple(line for line in (_line(content, key) for key in HELP_LINES) if line)
    return PosterText(
        commune="" if "commune" in content.unfilled() else content.fields["commune"].upper(),
        title=_line(content, "poster.title"),
        village=_line(content, "poster.village", village=village.name, area=village.area),
        steps_title=_line(content, "poster.steps"),
        steps=steps,
        codes=tuple(codes),
        help=(_line(content, "poster.help"), *help_lines) if help_lines else (),
    )


def font_dir() -> Path:
    """Where matplotlib keeps its fonts. matplotlib (with numpy) takes a quarter of a second to
    import, so it is loaded when a poster is first drawn, not when the helper starts."""
    import matplotlib  # noqa: PLC0415

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@lru_cache(maxsize=64)
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    path = font_dir() / name
    if not path.is_file():
        raise PosterError(
            f"Không tìm thấy phông chữ {path} (có sẵn trong gói matplotlib). Cài lại các gói: "
            ".venv/bin/pip install -e ."
        )
    return ImageFont.truetype(str(path), size)


def wrap(draw: ImageDraw.ImageDraw, text: str, face: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """`text` in lines no wider than `width`, cut at spaces (a single longer word stays whole)."""
    lines: list[str] = []
    for paragraph in text.splitlines():
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if line and draw.textlength(candidate, font=face) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        if line:
            lines.append(line)
    return lines


def qr_image(data: str, size: int) -> Image.Image:
    """A QR code at most `size` pixels wide, in whole pixels per module (sharp when printed),
    with a quiet zone of two modules."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    modules = Image.new("L", (len(matrix), len(matrix)), 255)
    modules.putdata([0 if dark else 255 for row in matrix for dark in row])
    side = size // len(matrix) * len(matrix)
    return modules.resize((side, side), Image.Resampling.NEAREST)


class _Page:
    """One attempt at laying the poster out at a type scale; `y` is where the next block goes."""

    def __init__(self, scale: float) -> None:
        self.image = Image.new("L", (WIDTH, HEIGHT), 255)
        self.draw = ImageDraw.Draw(self.image)
        self.scale = scale
        self.y = _MARGIN
        self.width = WIDTH - 2 * _MARGIN

    def face(self, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
        return font(BOLD if bold else REGULAR, round(size * self.scale))

    def gap(self, pixels: int) -> None:
        self.y += round(pixels * self.scale)

    def centered(self, text: str, face: ImageFont.FreeTypeFont, left: int, width: int, fill: int = 0) -> None:
        """Wrapped lines centred in [left, left + width], from `y` down."""
        for line in wrap(self.draw, text, face, width):
            self.draw.text((left + width / 2, self.y), line, font=face, fill=fill, anchor="ma")
            self.y += round(face.size * 1.22)

    def band(self, text: str, face: ImageFont.FreeTypeFont) -> None:
        """White on black across the page: the village name, seen first from across the room."""
        padding = round(40 * self.scale)
        lines = wrap(self.draw, text, face, self.width - 2 * padding)
        height = len(lines) * round(face.size * 1.22) + 2 * padding
        self.draw.rounded_rectangle(
            (_MARGIN, self.y, WIDTH - _MARGIN, self.y + height), radius=padding, fill=0
        )
        self.y += padding
        self.centered(text, face, _MARGIN + padding, self.width - 2 * padding, fill=255)
        self.y += padding

    def steps(self, steps: tuple[str, ...], size: int) -> None:
        """Each step beside its number in a black disc, the text wrapped beside it."""
        face, number_face = self.face(size), self.face(size, bold=True)
        line_height = round(size * self.scale * 1.22)
        disc = round(size * self.scale * 1.5)
        left = _MARGIN + disc + round(45 * self.scale)
        for number, step in enumerate(steps, 1):
            lines = wrap(self.draw, step, face, WIDTH - _MARGIN - left)
            middle = self.y + line_height / 2
            self.draw.ellipse((_MARGIN, middle - disc / 2, _MARGIN + disc, middle + disc / 2), fill=0)
            self.draw.text((_MARGIN + disc / 2, middle), str(number), font=number_face, fill=255, anchor="mm")
            for index, line in enumerate(lines):
                self.draw.text((left, self.y + index * line_height), line, font=face, fill=0)
            self.y += max(len(lines) * line_height, disc) + round(38 * self.scale)

    def codes(self, codes: tuple[Code, ...], caption: ImageFont.FreeTypeFont) -> None:
        """The QR codes in a row, the village's own the biggest, their bottoms aligned so that each
        caption sits right under its code."""
        sizes = [880, *[580 if len(codes) > 2 else 700] * (len(codes) - 1)]
        spacing = min((self.width - sum(sizes)) // max(len(codes) - 1, 1), 220)
        left = (WIDTH - sum(sizes) - spacing * (len(codes) - 1)) // 2
        top, bottom = self.y, self.y
        for code, size in zip(codes, sizes, strict=True):
            qr = qr_image(code.data, size)
            self.image.paste(qr, (left + (size - qr.width) // 2, top + sizes[0] - qr.height))
            self.y = top + sizes[0] + round(10 * self.scale)
            self.centered(code.caption, caption, left, size)
            bottom = max(bottom, self.y)
            left += size + spacing
        self.y = bottom

    def help_box(self, lines: tuple[str, ...], size: int) -> None:
        """Where to find a person: a grey box, heading in bold."""
        padding = round(45 * self.scale)
        heading, face = self.face(size, bold=True), self.face(size)
        line_height = round(size * self.scale * 1.25)
        item_gap = round(14 * self.scale)
        width = self.width - 2 * padding
        wrapped = [(heading, wrap(self.draw, lines[0], heading, width))]
        wrapped += [(face, wrap(self.draw, line, face, width)) for line in lines[1:]]
        height = sum(len(rows) for _, rows in wrapped) * line_height + (len(wrapped) - 1) * item_gap
        height += 2 * padding
        self.draw.rounded_rectangle(
            (_MARGIN, self.y, WIDTH - _MARGIN, self.y + height), radius=padding, fill=230
        )
        self.y += padding
        for kind, rows in wrapped:
            for row in rows:
                self.draw.text((_MARGIN + padding, self.y), row, font=kind, fill=0)
                self.y += line_height
            self.y += item_gap
        self.y += padding - item_gap


def _layout(text: PosterText, scale: float) -> _Page:
    page = _Page(scale)
    if text.commune:
        page.centered(text.commune, page.face(84, bold=True), _MARGIN, page.width, fill=70)
        page.gap(20)
    page.centered(text.title, page.face(150, bold=True), _MARGIN, page.width)
    page.gap(30)
    if text.village:
        page.band(text.village, page.face(96, bold=True))
        page.gap(60)
    if text.steps_title:
        page.centered(text.steps_title, page.face(80, bold=True), _MARGIN, page.width)
        page.gap(25)
    page.steps(text.steps, 92)
    page.gap(40)
    page.codes(text.codes, page.face(60, bold=True))
    if text.help:
        page.gap(50)
        page.help_box(text.help, 72)
    return page


def poster_png(content: Content, village_code: str, web_url: str, telegram_url: str | None = None) -> bytes:
    """The village's poster as a PNG: 2480 x 3508 pixels, 300 dpi, 16 greys."""
    text = poster_text(content, village_code, web_url, telegram_url)
    for scale in _SCALES:
        page = _layout(text, scale)
        if page.y <= HEIGHT - _MARGIN:
            break
    levels = 255 // (_GREYS - 1)
    indexed = Image.frombytes("P", page.image.size, page.image.point(lambda v: round(v / levels)).tobytes())
    indexed.putpalette([grey * levels for grey in range(_GREYS) for _ in range(3)])
    out = io.BytesIO()
    indexed.save(out, "PNG", optimize=True, dpi=(DPI, DPI))
    return out.getvalue()
