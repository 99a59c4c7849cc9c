"""Made-up BHYT cards photographed the way phones photograph them, for the card-photo tests and
the benchmark: never a real person's card.

A card is drawn with Pillow at 300 dpi (85.6 x 54 mm) with a QR made with `qrcode` whose text
follows the reference's field layout (../shared/reference/card-photo-qr.md): the card number,
then a made-up name and address (hex-encoded UTF-8, as integrators report), birth date, gender,
clinic, validity dates. A "photo" then puts the card on a table and varies it as phones do:
rotation, perspective, size from 0.5 to 12 megapixels, JPEG quality, blur, noise, light.
"""

import io
import random
from dataclasses import dataclass
from functools import lru_cache

import numpy
import qrcode
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

from bot.posters import BOLD, REGULAR, font_dir

#: The made-up person on every card; the privacy tests look for each of these.
NAME = "Nguyễn Thị Thử Nghiệm"
BIRTH = "02/09/1951"
ADDRESS = "Thôn Mẫu Đơn, Xã Ví Dụ, Tỉnh Giả Định"
CARD_NUMBERS = ("GD4010123456789", "DN4010123456789", "CA5980123456789", "HT2790123456123", "0123456789")
#: A made-up identity (CCCD) number and its QR text (`[0]` number, `[2]` name, `[3]` birth date).
IDENTITY_NUMBER = "001090012345"
CARD_SIZE = (1011, 638)


def card_qr_text(number: str) -> str:
    fields = [
        number, NAME.encode().hex(), BIRTH, "2", ADDRESS.encode().hex(), "01 - 013",
        "01/01/2026", "31/12/2026", "15/12/2025", "01001", "", "K1", "01/01/2030",
    ]  # fmt: skip
    return "|".join(fields)


def identity_qr_text() -> str:
    return "|".join([IDENTITY_NUMBER, "", NAME, BIRTH.replace("/", ""), "Nữ", ADDRESS, "10082021"])


#: A VietQR payment code (EMVCo layout) and a link: QR codes that are not a card.
PAYMENT_QR = "00020101021138570010A000000727012700069704220113VQRQ0001234560208QRIBFTTA53037045802VN6304ABCD"
LINK_QR = "https://example.vn/khuyen-mai"


@lru_cache(maxsize=8)
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_dir() / name), size)


def qr(text: str, box: int = 4) -> Image.Image:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box, border=2)
    code.add_data(text)
    code.make(fit=True)
    return code.make_image().get_image().convert("L")


def card(qr_text: str | None, number: str = CARD_NUMBERS[0]) -> tuple[Image.Image, int]:
    """A card-like picture (RGB) with the QR at its top left, and the QR's modules across
    (None: a card without a QR)."""
    image = Image.new("RGB", CARD_SIZE, (236, 246, 238))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, CARD_SIZE[0], 90), fill=(30, 110, 60))
    draw.text((330, 22), "THẺ BẢO HIỂM Y TẾ", font=_font(BOLD, 44), fill="white")
    lines = [
        f"Mã số: {number}",
        f"Họ và tên: {NAME}",
        f"Ngày sinh: {BIRTH}   Giới tính: Nữ",
        ADDRESS,
        "Nơi ĐKKCB ban đầu: 01 - 013",
    ]
    for row, line in enumerate(lines):
        draw.text((330, 130 + row * 62), line, font=_font(REGULAR, 34 if row else 40), fill=(20, 20, 20))
    modules = 0
    if qr_text is not None:
        code = qr(qr_text)
        modules = code.size[0] // 4
        side = 290
        image.paste(code.resize((side, side), Image.Resampling.NEAREST), (20, 120))
    return image, modules


@dataclass(frozen=True)
class Shot:
    """How a phone took the photo."""

    megapixels: float = 3.0
    fill: float = 0.7  # the card's width as a share of the photo's width
    angle: float = 0.0  # degrees
    tilt: float = 0.0  # perspective: how much the far edge shrinks (0 to 0.25)
    quality: int = 85
    blur: float = 0.0  # Gaussian radius at 1 megapixel; scaled with the photo
    noise: float = 0.0  # standard deviation, 0-255
    light: float = 1.0  # brightness factor


def _perspective(image: Image.Image, tilt: float) -> Image.Image:
    """The card seen at an angle: its top edge `tilt` narrower than its bottom."""
    if not tilt:
        return image
    width, height = image.size
    inset = width * tilt / 2
    source = [(0, 0), (width, 0), (width, height), (0, height)]
    target = [(inset, 0), (width - inset, 0), (width, height), (0, height)]
    matrix = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        matrix.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        matrix.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    coefficients = numpy.linalg.solve(numpy.array(matrix), numpy.array(source).reshape(8))
    return image.transform(
        image.size, Image.Transform.PERSPECTIVE, tuple(coefficients), Image.Resampling.BICUBIC
    )


def photo(picture: Image.Image, shot: Shot, seed: int = 0, fmt: str = "JPEG") -> bytes:
    """`picture` on a table, taken as `shot` says, as the file a phone sends."""
    rng = numpy.random.default_rng(seed)
    width = round((shot.megapixels * 1e6 * 4 / 3) ** 0.5)
    height = round(width * 3 / 4)
    shade = numpy.linspace(90, 150, width).astype("uint8")
    rows = numpy.ascontiguousarray(numpy.broadcast_to(shade, (height, width)))
    table = Image.fromarray(rows).convert("RGB")
    scale = width * shot.fill / picture.size[0]
    size = (max(1, round(picture.size[0] * scale)), max(1, round(picture.size[1] * scale)))
    placed = _perspective(picture.resize(size, Image.Resampling.BICUBIC).convert("RGBA"), shot.tilt)
    placed = placed.rotate(shot.angle, Image.Resampling.BICUBIC, expand=True)
    at = ((width - placed.size[0]) // 2, (height - placed.size[1]) // 2)
    table.paste(placed, at, placed)
    if shot.blur:
        table = table.filter(ImageFilter.GaussianBlur(shot.blur * (shot.megapixels**0.5)))
    if shot.noise:  # sensor noise, the same on the three colours (a phone's is mostly in brightness)
        grain = rng.standard_normal((height, width), dtype=numpy.float32) * shot.noise
        noisy = numpy.asarray(table, dtype=numpy.int16) + grain.astype(numpy.int16)[:, :, None]
        table = Image.fromarray(noisy.clip(0, 255).astype("uint8"))
    if shot.light != 1.0:
        table = ImageEnhance.Brightness(table).enhance(shot.light)
    out = io.BytesIO()
    table.save(out, fmt, **({"quality": shot.quality} if fmt == "JPEG" else {}))
    return out.getvalue()


def module_pixels(modules: int, shot: Shot) -> float:
    """How many of the photo's pixels one QR module spans (under 2 no reader can resolve it)."""
    width = (shot.megapixels * 1e6 * 4 / 3) ** 0.5
    qr_side = width * shot.fill * 290 / CARD_SIZE[0]
    return qr_side / modules * (1 - shot.tilt / 2)


#: The most blur (its Gaussian radius, as a share of one QR module) a photo may have and still
#: count as readable. At this blur a lone module keeps 79 % of its contrast (erf(1 / (2√2·0.4)));
#: JPEG and noise take more. A blurrier photo is one to take again (the helper says "chụp
#: lại"); the benchmark prints the decode rate of those separately, not as readable ones.
READABLE_BLUR = 0.4
#: The fewest photo pixels per QR module that count as readable.
READABLE_MODULE = 2.5


def readable(modules: int, shot: Shot) -> bool:
    """Whether a reader can be expected to decode this photo (see `READABLE_BLUR`)."""
    module = module_pixels(modules, shot)
    return module >= READABLE_MODULE and shot.blur * shot.megapixels**0.5 <= READABLE_BLUR * module


def random_shot(rng: random.Random) -> Shot:
    """One of the ways phones vary, across the whole ranges the issue names."""
    megapixels = rng.choice((0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0))
    return Shot(
        megapixels=megapixels,
        fill=rng.uniform(0.45, 0.9) if megapixels >= 1 else rng.uniform(0.75, 0.95),
        angle=rng.uniform(-20, 20),
        tilt=rng.uniform(0, 0.2),
        quality=rng.randint(40, 90),
        blur=rng.uniform(0, 1.5),
        noise=rng.uniform(0, 16),
        light=rng.uniform(0.45, 1.5),
    )
