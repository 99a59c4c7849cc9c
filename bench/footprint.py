"""The helper's footprint on a small machine: how fast it is ready after a start, and how much
memory it holds after 100,000 distinct conversations.

Why a benchmark: a commune's machine restarts the helper (an update, a crash under systemd), and
platforms resend what was not acknowledged meanwhile, so the time to ready is time the residents
wait; and the conversations' state lives in SQLite, not in memory, which only a measurement after
many conversations shows.

* Cold start: `python -m bot serve` started as a new process on a fresh database (created and
  migrated, villages loaded) and on the same database again, timed until `/healthz` answers 200.
  Baseline, same run: `python -c "import aiohttp"` started and ended (what any Python web process
  pays before it does anything).
* Memory: `ConversationService.handle` for 100,000 distinct web-chat browsers, each sending its
  first message (a welcome and a consent question, the state saved), on a temporary database with
  `synchronous=FULL`; resident size (`VmRSS`) before and after. Baseline: the resident size of the
  process with the helper loaded and its store open, before the first message.

Targets: ready within 2 s; at most 150 MB resident after 100,000 conversations. `--quick`: 10,000
conversations. Local only; exit status 1 when a target is missed.
"""

import argparse
import asyncio
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from run import machine

# the frozen content is the tests', which are not an installed package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import open_store
from bot.conversation import ConversationService
from bot.settings import load_settings
from flows import Inbound
from tests.conftest import frozen_content

READY_TARGET = 2.0
RSS_TARGET_MB = 150.0
MESSAGES_AT_ONCE = 200


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ready_after(database: Path) -> float:
    """Seconds from starting `python -m bot serve` to its first 200 on /healthz."""
    port = free_port()
    env = {**os.environ, "BOT_PORT": str(port), "BOT_DB_PATH": str(database)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while time.perf_counter() - started < 30:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.01)
        raise RuntimeError("the helper was not ready within 30 s")
    finally:
        process.terminate()
        process.wait(10)


def python_start() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import aiohttp"], check=True)
    return time.perf_counter() - started


async def conversations(count: int, folder: Path) -> tuple[float, float, float]:
    """(resident MB with the store open, resident MB after `count` first messages, seconds)."""
    settings = load_settings({"BOT_DB_PATH": str(folder / "memory.sqlite3")}, env_file=None)
    store, content = open_store(settings, frozen_content())
    try:
        service = ConversationService(store, content)
        await service.handle(Inbound("web", "warm", "warm", text="xin chào", push=False), None, inline=True)
        before = rss_mb()
        started = time.perf_counter()

        async def one(n: int) -> None:
            browser = secrets.token_urlsafe(18)
            inbound = Inbound("web", browser, browser, text="xin chào", push=False)
            await service.handle(inbound, f"m{n}", inline=True)

        for first in range(0, count, MESSAGES_AT_ONCE):
            await asyncio.gather(*(one(n) for n in range(first, min(count, first + MESSAGES_AT_ONCE))))
        took = time.perf_counter() - started
        stored = await store.read(lambda tx: tx.count("conversations"))
        assert stored >= count, f"{stored} conversations stored"
        return before, rss_mb(), took
    finally:
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 conversations")
    args = parser.parse_args(argv)
    count = 10_000 if args.quick else 100_000
    with tempfile.TemporaryDirectory(prefix="bench-footprint-") as name:
        folder = Path(name)
        fresh = ready_after(folder / "start.sqlite3")
        again = ready_after(folder / "start.sqlite3")
        baseline = min(python_start() for _ in range(3))
        before, after, took = asyncio.run(conversations(count, folder))
    print(f"machine: {machine('not pinned')}")
    print(f"conversations: {count:,} distinct web-chat browsers, one first message each, "
          f"{MESSAGES_AT_ONCE} at a time, every one committed (synchronous=FULL)\n")  # fmt: skip
    ready = f"<= {READY_TARGET:g} s"
    rows = [
        ("cold start to ready, fresh database", f"{fresh:.2f} s", ready, fresh <= READY_TARGET),
        ("cold start to ready, existing database", f"{again:.2f} s", ready, again <= READY_TARGET),
        ("baseline: python -c 'import aiohttp'", f"{baseline:.2f} s", "-", None),
        ("resident, store open, before", f"{before:.0f} MB", "-", None),
        (f"resident after {count:,} conversations ({count / took:,.0f}/s)", f"{after:.0f} MB",
         f"<= {RSS_TARGET_MB:g} MB", after <= RSS_TARGET_MB),
    ]  # fmt: skip
    width = max(len(row[0]) for row in rows)
    print(f"{'measure'.ljust(width)}   {'value':>8}   {'target':>10}   status")
    for what, value, target, ok in rows:
        status = "baseline" if ok is None else ("ok" if ok else "MISSED")
        print(f"{what.ljust(width)}   {value:>8}   {target:>10}   {status}")
    return 0 if all(ok is not False for *_, ok in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
