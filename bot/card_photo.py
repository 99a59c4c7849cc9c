"""Reading the card number from a photo of a BHYT card's QR code, in memory only.

Many elderly residents cannot read the small 15-character code on their card; their phone's
camera can. The card's QR holds one line of `|`-separated fields whose first is the card number
(see ../shared/reference/card-photo-qr.md); an identity card's (CCCD) and VNeID's QR hold the
12-digit personal number first. Only that first field is ever looked at: the name, birth date
and address in the other fields are dropped with the decoded text as soon as the kind of QR is
known, and the image bytes live only in this call (no temporary file, no log line, no error
text carries them).

Decoding uses zxing-cpp: its wheels carry the compiled library (no system package, unlike
pyzbar's libzbar), it reads a Pillow image directly and finds QR codes rotated, tilted and
small. Phone photos are large, so a JPEG is decoded at a reduced scale by libjpeg itself
(`Image.draft`), which makes a 12-megapixel photo about as cheap as a small one; only when
nothing is found there is the photo tried again, larger and sharpened (`ATTEMPTS`). A file
whose header declares more pixels than any phone photo is refused before it is decoded (a
decompression bomb).

Decoding takes a CPU for up to a few tenths of a second, so `read_photo` runs on its own small
pool of threads, never on the event loop, and at most `WORKERS` photos are open at once (memory
stays bounded however many arrive together).
"""

import asyncio
import io
import re
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import zxingcpp
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from flows.card_number import check_card_number
from flows.model import PhotoReading

#: The largest photo accepted, in bytes (a phone's photo is 2-8 MB; the web chat's cap too).
MAX_BYTES = 10 * 1024 * 1024
#: The most pixels a photo may declare: 50 MP, above any phone camera's default size.
MAX_PIXELS = 50_000_000
#: Photos decoded at once (each on its own thread; this machine has 2 cores).
WORKERS = 2
#: The card-number field may carry more than the number (HIS keeps its first 15 characters).
CARD_FIELD = 15
_IDENTITY = re.compile(r"\d{12}")
#: A QR holding nothing but a card number (10 digits, or 2 letters, a digit and 12 digits).
_BARE_CARD = re.compile(r"\d{10}|[A-Za-z]{2}\d{13}")

_pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="card-photo")


@dataclass(frozen=True, slots=True)
class PhotoRead:
    """What a photo showed; `number` only for a card (its card-number field, nothing else)."""

    reading: PhotoReading
    number: str = ""

    def __repr__(self) -> str:  # never a number in a log line or an error text
        return f"PhotoRead({self.reading!r})"


UNREADABLE = PhotoRead("unreadable")
TOO_BIG = PhotoRead("too_big")
NOT_FETCHED = PhotoRead("not_fetched")


def kind_of(text: str) -> PhotoRead:
    """What one QR's text is: a BHYT card (with its number), an identity card, or another code."""
    fields = text.split("|")
    first = fields[0].strip()
    if len(fields) > 1 and _IDENTITY.fullmatch(first):
        return PhotoRead("identity")
    if len(fields) > 1:
        candidate = first[:CARD_FIELD]
        if check_card_number(candidate).card_like:
            return PhotoRead("card", candidate)
    if len(fields) == 1 and _BARE_CARD.fullmatch(first):
        return PhotoRead("card", first)
    return PhotoRead("other_code")


#: Which reading wins when a photo holds several QR codes (a card beside a phone screen).
_RANK: dict[PhotoReading, int] = {"card": 0, "identity": 1, "other_code": 2}


def _found(image: Image.Image) -> PhotoRead | None:
    codes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    kinds = [kind_of(code.text) for code in codes if code.valid]
    return min(kinds, key=lambda read: _RANK[read.reading]) if kinds else None


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


class _Refused(Exception):
    """A photo that must not or cannot be read: the reading to answer with."""

    def __init__(self, read: PhotoRead) -> None:
        super().__init__(read.reading)
        self.read = read


def _load(data: bytes, side: int) -> Image.Image:
    """The photo in grey at most `side` pixels long (a JPEG decoded at about that size by libjpeg
    itself); `_Refused` when it cannot or must not be read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                if opened.size[0] * opened.size[1] > MAX_PIXELS:
                    raise _Refused(TOO_BIG)
                wanted = _fit(opened.size, side)
                opened.draft("L", wanted)
                image = ImageOps.grayscale(opened)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _Refused(TOO_BIG) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise _Refused(UNREADABLE) from None  # not an image, or a broken one
    if max(image.size) > side:
        image.thumbnail(wanted, Image.Resampling.BILINEAR)
    return image


def _sharpened(radius: int, percent: int) -> Callable[[Image.Image], Image.Image]:
    return lambda image: image.filter(ImageFilter.UnsharpMask(radius, percent, 0))


#: The tries, in order, until one finds a QR: (longest side, what is done to the grey photo).
#: Measured on generated photos (bench/card_photo.py): the plain small copy finds most; a
#: sharpened larger copy rescues blurred and small QR codes, a contrast stretch dark photos.
ATTEMPTS: tuple[tuple[int, Callable[[Image.Image], Image.Image]], ...] = (
    (1600, lambda image: image),
    (2400, _sharpened(2, 350)),
    (1600, _sharpened(3, 200)),
    (1600, lambda image: ImageOps.autocontrast(image, cutoff=2)),
)


def decode(data: bytes) -> PhotoRead:
    """The reading of one photo (blocking, CPU-bound: see `read_photo`)."""
    if not data:
        return UNREADABLE
    if len(data) > MAX_BYTES:
        return TOO_BIG
    loaded: dict[int, Image.Image] = {}
    try:
        for side, prepare in ATTEMPTS:
            if side not in loaded:
                loaded[side] = _load(data, side)
            found = _found(prepare(loaded[side]))
            if found is not None:
                return found
    except _Refused as refused:
        return refused.read
    return PhotoRead("no_code")


async def read_photo(data: bytes) -> PhotoRead:
    """The reading of one photo, decoded on the photo threads (the event loop stays free)."""
    return await asyncio.get_running_loop().run_in_executor(_pool, decode, data)
