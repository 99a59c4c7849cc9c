"""Reading the card number from a photo: generated cards photographed the ways phones vary are
read back as exactly their number; identity cards, other codes, photos without a code and broken
or hostile files each get their own reading, never an exception; decoding runs off the loop."""

import asyncio
import io
import struct
import threading
import tracemalloc
import zlib

import pytest
from PIL import Image

from bot import card_photo
from bot.card_photo import MAX_BYTES, PhotoRead, decode, kind_of, read_photo
from tests.cards import (
    CARD_NUMBERS,
    IDENTITY_NUMBER,
    LINK_QR,
    NAME,
    PAYMENT_QR,
    Shot,
    card,
    card_qr_text,
    identity_qr_text,
    photo,
    qr,
)

SHOTS = {
    "straight, 3 MP": Shot(),
    "rotated 20°": Shot(angle=20),
    "rotated -20° and tilted": Shot(angle=-20, tilt=0.2),
    "0.5 MP close up": Shot(megapixels=0.5, fill=0.9),
    "12 MP": Shot(megapixels=12, fill=0.6),
    "JPEG quality 40": Shot(quality=40),
    "blurred": Shot(blur=0.6),
    "noisy": Shot(noise=14),
    "dark": Shot(light=0.45),
    "bright": Shot(light=1.5),
}


@pytest.fixture(scope="module")
def cards() -> dict[str, Image.Image]:
    return {number: card(card_qr_text(number), number)[0] for number in CARD_NUMBERS}


@pytest.mark.parametrize("name", SHOTS)
def test_a_cards_photo_is_read_as_exactly_its_number(cards, name):
    for seed, number in enumerate(CARD_NUMBERS):
        read = decode(photo(cards[number], SHOTS[name], seed))
        assert (read.reading, read.number) == ("card", number), (name, number)


def test_a_vssid_screenshot_png_is_read_too():
    screenshot = Image.new("L", (720, 1280), 255)
    screenshot.paste(qr(card_qr_text(CARD_NUMBERS[1]), box=6).resize((500, 500)), (110, 300))
    out = io.BytesIO()
    screenshot.save(out, "PNG")
    assert decode(out.getvalue()) == PhotoRead("card", CARD_NUMBERS[1])


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        (identity_qr_text(), "identity"),
        (f"{IDENTITY_NUMBER}|123456789|{NAME}", "identity"),
        (PAYMENT_QR, "other_code"),
        (LINK_QR, "other_code"),
        ("xin chào|bà con", "other_code"),
        (IDENTITY_NUMBER, "other_code"),
    ],
)
def test_a_qr_that_is_not_a_cards_says_what_it_is_and_nothing_of_it(text, reading):
    read = decode(photo(card(text)[0], Shot()))
    assert read == PhotoRead(reading), "no field of it is kept"
    assert read.number == ""


def test_only_the_first_field_is_taken_and_at_most_15_characters_of_it():
    assert kind_of(f"{CARD_NUMBERS[0]}0099|{NAME}|01/01/1950") == PhotoRead("card", CARD_NUMBERS[0])
    assert kind_of(f" {CARD_NUMBERS[4]} |x") == PhotoRead("card", CARD_NUMBERS[4])
    assert kind_of(CARD_NUMBERS[0]) == PhotoRead("card", CARD_NUMBERS[0]), "a QR of the bare number"
    assert kind_of("abc|" + CARD_NUMBERS[0]) == PhotoRead("other_code"), "the number must be first"


def test_a_card_beside_another_code_is_read_as_the_card():
    picture = Image.new("RGB", (2000, 800), "white")
    picture.paste(card(PAYMENT_QR)[0], (0, 80))
    picture.paste(card(card_qr_text(CARD_NUMBERS[2]), CARD_NUMBERS[2])[0], (1000, 80))
    assert decode(photo(picture, Shot(fill=0.95))) == PhotoRead("card", CARD_NUMBERS[2])


def test_a_photo_without_a_code_is_no_code():
    assert decode(photo(card(None)[0], Shot())).reading == "no_code"
    assert decode(photo(Image.new("RGB", (400, 300), "grey"), Shot(fill=0.5))).reading == "no_code"


def _png_declaring(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("name", "data", "reading"),
    [
        ("empty", b"", "unreadable"),
        ("not an image, named .jpg", b"%PDF-1.7\n" + b"x" * 5000, "unreadable"),
        ("a truncated JPEG", photo(card(card_qr_text(CARD_NUMBERS[0]))[0], Shot())[:4000], "unreadable"),
        ("30 MB", b"\xff\xd8\xff" + b"\0" * (30 * 1024 * 1024), "too_big"),
        ("just over the cap", b"\xff\xd8\xff" + b"\0" * MAX_BYTES, "too_big"),
        ("a PNG declaring 60,000 x 60,000 pixels", _png_declaring(60_000, 60_000), "too_big"),
        ("a PNG declaring 8,000 x 8,000 pixels", _png_declaring(8_000, 8_000), "too_big"),
    ],
)
def test_broken_and_hostile_files_get_a_reading_and_bounded_memory(name, data, reading):
    tracemalloc.start()
    try:
        read = decode(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read.reading == reading, name
    assert peak < 64 * 1024 * 1024, f"{name}: {peak / 1e6:.0f} MB"


def test_a_reading_never_shows_the_number():
    read = PhotoRead("card", CARD_NUMBERS[0])
    assert CARD_NUMBERS[0] not in repr(read)
    assert CARD_NUMBERS[0] not in str(read)


async def test_photos_are_decoded_on_their_own_threads_not_the_event_loop(monkeypatch):
    seen: list[str] = []

    def decoding(data: bytes) -> PhotoRead:
        seen.append(threading.current_thread().name)
        return PhotoRead("no_code")

    monkeypatch.setattr(card_photo, "decode", decoding)
    reads = await asyncio.gather(*(read_photo(b"x") for _ in range(4)))
    assert reads == [PhotoRead("no_code")] * 4
    assert all(name.startswith("card-photo") for name in seen), seen
    assert threading.main_thread().name not in seen
