"""Reading card numbers from photos: how many generated card photos are read, how many wrongly, how
long each takes, and what the chat's answer time is while photos are being read.

Why a benchmark: the tests check that each kind of photo is read, not the rate over the ways
phones vary nor the time a 12-megapixel photo costs on this machine.

* Photos: made-up cards of `tests/cards.py` (five card numbers, 10 and 15 characters), each
  photographed as `random_shot` varies phones: 0.5 to 12 megapixels, rotated up to 20°, tilted,
  JPEG quality 40-90, blur, noise, dark and bright. A photo counts as readable when one QR module
  spans at least 2.5 of its pixels and its blur is at most 0.4 of a module (`tests.cards.readable`);
  the others are reported apart. Generated before timing; only the reading is timed.
* Helper: `bot.card_photo.decode` on each photo's bytes (opening, downscaling, every attempt).
* Baseline, same photos, same run: the plain way, Pillow opening the whole photo and zxing-cpp
  reading it at full size, once.
* Chat: `ConversationService.handle` on web-chat messages one after another (the report
  benchmark's loop), alone and while photos are read back to back through `read_photo` (the photo
  threads), as a channel reads them.

Targets: at least 95 % of readable photos read, no wrong number (a number read that differs from the
card's) in any photo, p50 at most 150 ms and p99 at most 500 ms per photo, and the chat's p99 at
most 50 ms while photos are read. `--quick`: 60 photos. Local only; exit status 1 when a target is
missed.
"""

import argparse
import asyncio
import io
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import zxingcpp
from PIL import Image
from report import Chat, chat, chat_during, ms, table
from run import machine

# the photo generator is shared with the tests, which are not an installed package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import open_store
from bot.card_photo import PhotoRead, decode, kind_of, read_photo
from bot.conversation import ConversationService
from bot.settings import load_settings
from tests.cards import CARD_NUMBERS, card, card_qr_text, photo, random_shot, readable
from tests.conftest import frozen_content

READ_TARGET = 0.95
P50_TARGET, P99_TARGET = 0.150, 0.500
CHAT_P99_TARGET = 0.050


@dataclass(frozen=True)
class Sample:
    data: bytes
    number: str
    megapixels: float
    readable: bool


@dataclass
class Run:
    """One reader over every sample: what it read and how long each took."""

    name: str
    reads: list[PhotoRead]
    seconds: list[float]

    def percentile(self, p: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def samples(count: int, seed: int = 2026) -> list[Sample]:
    rng = random.Random(seed)
    pictures = {number: card(card_qr_text(number), number) for number in CARD_NUMBERS}
    made = []
    for index in range(count):
        number = CARD_NUMBERS[index % len(CARD_NUMBERS)]
        picture, modules = pictures[number]
        shot = random_shot(rng)
        made.append(Sample(photo(picture, shot, index), number, shot.megapixels, readable(modules, shot)))
    return made


def plain(data: bytes) -> PhotoRead:
    """The baseline: the whole photo, read once at full size."""
    with Image.open(io.BytesIO(data)) as image:
        codes = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    kinds = [kind_of(code.text) for code in codes if code.valid]
    return next(
        (read for read in kinds if read.reading == "card"), kinds[0] if kinds else PhotoRead("no_code")
    )


def measure(name: str, reader: Callable[[bytes], PhotoRead], photos: Sequence[Sample]) -> Run:
    reader(photos[0].data)  # warm-up (fonts, the reader's tables)
    run = Run(name, [], [])
    for sample in photos:
        started = time.perf_counter()
        run.reads.append(reader(sample.data))
        run.seconds.append(time.perf_counter() - started)
    return run


def rates(run: Run, photos: Sequence[Sample], which: Callable[[Sample], bool]) -> tuple[int, int, int]:
    """(read right, read wrong, photos) among the photos `which` picks."""
    pairs = [(read, sample) for read, sample in zip(run.reads, photos, strict=True) if which(sample)]
    right = sum(1 for read, sample in pairs if read.reading == "card" and read.number == sample.number)
    wrong = sum(1 for read, sample in pairs if read.reading == "card" and read.number != sample.number)
    return right, wrong, len(pairs)


def share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.1%})" if whole else "-"


def photo_table(runs: Sequence[Run], photos: Sequence[Sample]) -> tuple[str, list[str]]:
    header = ("reader", "readable read", "blurry/far read", "wrong", "p50 ms", "p99 ms", "max ms",
              "12 MP p50 ms", "status")  # fmt: skip
    rows, missed = [], []
    for run in runs:
        good, wrong_good, readable_count = rates(run, photos, lambda s: s.readable)
        hard, wrong_hard, hard_count = rates(run, photos, lambda s: not s.readable)
        big = [sec for sec, sample in zip(run.seconds, photos, strict=True) if sample.megapixels == 12]
        baseline = run.name.startswith("baseline")
        checks = {
            "readable read": good >= READ_TARGET * readable_count,
            "wrong": wrong_good + wrong_hard == 0,
            "p50": run.percentile(50) <= P50_TARGET,
            "p99": run.percentile(99) <= P99_TARGET,
        }
        failed = [what for what, ok in checks.items() if not ok]
        status = "baseline" if baseline else ("MISSED " + ", ".join(failed) if failed else "ok")
        if failed and not baseline:
            missed.append(run.name)
        rows.append((
            run.name, share(good, readable_count), share(hard, hard_count), str(wrong_good + wrong_hard),
            ms(run.percentile(50)), ms(run.percentile(99)), ms(max(run.seconds)),
            ms(statistics.median(big)) if big else "-", status,
        ))  # fmt: skip
    return table(header, rows, 1), missed


async def chat_while_reading(photos: Sequence[Sample], seconds: float) -> list[Chat]:
    """The chat alone, then while photos are read back to back on the photo threads (two at a
    time: as many as those threads take)."""
    with tempfile.TemporaryDirectory(prefix="bench-photo-") as folder:
        settings = load_settings({"BOT_DB_PATH": str(Path(folder) / "chat.sqlite3")}, env_file=None)
        store, content = open_store(settings, frozen_content())
        try:
            service = ConversationService(store, content)
            await chat(service, seconds / 5)  # warm-up
            alone = Chat("no photo being read", await chat(service, seconds), 0, baseline=True)
            turn = iter(range(10**9))

            async def two_photos() -> None:
                first, second = next(turn), next(turn)
                await asyncio.gather(*(read_photo(photos[i % len(photos)].data) for i in (first, second)))

            during = Chat(
                "while photos are read, two at a time", *await chat_during(service, seconds, two_photos)
            )
        finally:
            store.close()
    for row in (alone, during):
        row.reports *= 2  # photos read, not reports
    return [alone, during]


def chat_table(chats: Sequence[Chat]) -> str:
    header = (
        "chat message (web)",
        "messages",
        "photos read",
        "p50 ms",
        "p99 ms",
        "max ms",
        "target ms",
        "status",
    )
    rows = [
        (c.what, f"{len(c.latencies):,}", str(c.reports), ms(c.percentile(50)), ms(c.percentile(99)),
         ms(max(c.latencies)), "-" if c.baseline else f"p99 <= {CHAT_P99_TARGET * 1000:.0f}",
         "baseline" if c.baseline else ("ok" if c.percentile(99) <= CHAT_P99_TARGET else "MISSED"))
        for c in chats
    ]  # fmt: skip
    return table(header, rows, 1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 photos, short chat runs")
    args = parser.parse_args(argv)
    count, seconds = (60, 2.0) if args.quick else (250, 5.0)
    started = time.perf_counter()
    photos = samples(count)
    print(f"generated {count} photos in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    runs = [
        measure("helper: bot.card_photo.decode", decode, photos),
        measure("baseline: full size, once", plain, photos),
    ]
    chats = asyncio.run(chat_while_reading(photos, seconds))
    sizes = ", ".join(
        f"{mp:g} MP: {sum(1 for s in photos if s.megapixels == mp)}"
        for mp in sorted({s.megapixels for s in photos})
    )
    print(f"machine: {machine('not pinned')}")
    print(f"photos: {count} generated card photos ({sum(s.readable for s in photos)} readable); {sizes}")
    print("timing: one photo after another on one thread, from the file's bytes to the reading\n")
    text, missed = photo_table(runs, photos)
    print(text)
    print()
    print(chat_table(chats))
    missed += [c.what for c in chats if not c.baseline and c.percentile(99) > CHAT_P99_TARGET]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
