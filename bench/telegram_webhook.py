"""Telegram webhook benchmark: the helper next to a python-telegram-bot baseline and the HTTP floor.

Why: on Telegram a person waits for the whole round trip: the webhook POST, the conversation step
made durable, then the bot's own calls back to the Bot API (remove the old keyboard, send the next
question; a press is answered in the webhook's answer). This measures that loop end to end against
a fake Bot API (`tests/fakes/telegram.py`), run in this process on 127.0.0.1, so nothing reaches
the network.

* Targets, each a subprocess on a free 127.0.0.1 port, pinned to its own core when there are two:
  `floor` is `bench/telegram_floor.py` (the same HTTP per update and nothing else: no flow, no
  database; the ceiling for this machine); `baseline` is `bench/telegram_baseline.py` (the same
  conversation written the customary way: ConversationHandler, PicklePersistence, one update at a
  time); `helper` is `python -m bot serve` with a temporary database and Telegram's per-chat
  pacing switched off (`TELEGRAM_PACING=off`), so the figure is the server's speed, not the
  platform's send limits. A target counts as started when its webhook refuses a wrong secret (401
  or 403), and, for the baseline, once it called getMe.
* Workload: for each concurrency level (1, 50, 200), that many simulated private chats at once, each
  in a closed loop over one conversation of 14 updates: `/start v_<village>` and 13 button presses
  that walk consent, the village, the prerequisites and the five steps to the end. A press carries
  the id of the message whose button it is (the last question the fake received for that chat). A
  method in the webhook's answer is run at the fake, as Telegram runs it. After each POST the chat
  waits until the fake has received the next question (a send with an inline keyboard) for it.
  Every conversation uses a chat never seen before: the helper remembers a person (a second /start
  after consent skips consent and the prerequisites), so a reused chat would not walk the same 14
  steps.
* Measured per level: updates/s (answered updates / wall time), reply latency from starting the
  POST to the arrival at the fake of the first new send for that chat (p50, p99), and Bot API calls
  per update. An update counts as an error when it is not answered 200 or its question does not
  arrive within 5 s; that chat then stops. One unmeasured conversation warms each target up. Each
  row also shows the CPU the target and this process (load generator and fake together) used, as a
  share of one core: near 100 % for this process, the load generator, not the target, is the limit.

Target: the helper handles >= 1,500 updates/s at 200 concurrent chats without an error; the exit
status is 1 when it does not (or when a target fails to start). `--only floor|baseline|helper`
runs one target. About two minutes for all three.
"""

import argparse
import asyncio
import contextlib
import itertools
import math
import os
import secrets
import socket
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from run import machine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `tests` is not an installed package; the fake lives there

from tests.fakes.telegram import SECRET_HEADER, TOKEN, Call, FakeTelegram, callback_update, message_update  # noqa: E402

#: Run in this order: the HTTP alone, the customary way, the helper.
TARGETS = ("floor", "baseline", "helper")
LEVELS = (1, 50, 200)
#: Conversations each chat slot runs one after another, per level: 280, 1,400 and 5,600 updates.
ROUNDS = {1: 20, 50: 2, 200: 2}
TARGET_LEVEL = 200
TARGET_RATE = 1_500
VILLAGE = "ttcm-to-3"
PRESSES = (
    "consent:agree",
    "village_confirm:yes",
    "menu:guide",
    "pre_app:yes",
    "pre_level2:yes",
    "pre_card:yes",
    "guide_1:next",
    "guide_2:next",
    "guide_3:next",
    "guide_4:next",
    "guide_4_number:next",
    "guide_4_confirm:next",
    "guide_5:yes",
)
UPDATES_PER_CONVERSATION = 1 + len(PRESSES)
WEBHOOK_PATH = "/telegram/webhook"
REPLY_TIMEOUT = 5.0
POST_TIMEOUT = 10.0
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
LOG_TAIL = 15


class Failed(Exception):
    """One update that was not answered, or a target that did not start; the message says why."""


# --- the fake Bot API, observed --------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    at: float  # time.monotonic() when the send reached the fake
    message_id: int
    question: bool  # it carries an inline keyboard


class ObservedTelegram(FakeTelegram):
    """The fake Bot API plus two things a load generator needs that its `Call` records lack: the
    message id it answered each send with (a button press must name its message), and a wake-up per
    chat when a send arrives. `sent_to` and `wait_for` scan every call and poll every 10 ms, which at
    thousands of sends per second would cost this process more than the fake itself."""

    def __init__(self) -> None:
        super().__init__()
        self.sends: defaultdict[str, list[Sent]] = defaultdict(list)
        self._arrived: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.listeners.append(self._record)

    def _record(self, call: Call) -> None:
        if call.method.lower() not in {"sendmessage", "sendphoto"}:
            return
        chat, markup = call.params["chat_id"], call.params.get("reply_markup")
        question = isinstance(markup, dict) and "inline_keyboard" in markup
        self.sends[chat].append(Sent(call.at, call.result["message_id"], question))
        self._arrived[chat].set()

    async def next_question(self, chat: str, seen: int) -> tuple[float, int]:
        """Waits for a question sent to `chat` after its first `seen` sends; returns when the first
        of those new sends arrived and the id of the latest question (the buttons to press next)."""
        sends, arrived = self.sends[chat], self._arrived[chat]
        try:
            async with asyncio.timeout(REPLY_TIMEOUT):
                while True:
                    question = next((s for s in reversed(sends[seen:]) if s.question), None)
                    if question is not None:
                        return sends[seen].at, question.message_id
                    arrived.clear()
                    await arrived.wait()
        except TimeoutError:
            got = f"{len(sends) - seen} send(s) without buttons" if len(sends) > seen else "nothing"
            raise Failed(f"no question within {REPLY_TIMEOUT:g} s ({got})") from None

    def count(self, method: str) -> int:
        return len(self.calls_of(method))


# --- targets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    command: tuple[str, ...]
    env: dict[str, str]
    calls_get_me: bool  # also wait for its getMe before sending updates


def targets(fake: FakeTelegram, secret: str, folder: Path, port: int) -> dict[str, Target]:
    baseline = (
        sys.executable,
        str(ROOT / "bench" / "telegram_baseline.py"),
        *("--port", str(port), "--api-base", fake.base_url, "--token", TOKEN),
        *("--secret", secret, "--state", str(folder / "baseline.pickle")),
    )
    floor = (
        sys.executable,
        str(ROOT / "bench" / "telegram_floor.py"),
        *("--port", str(port), "--api-base", fake.base_url, "--token", TOKEN, "--secret", secret),
    )
    helper_env = {
        "BOT_HOST": "127.0.0.1",
        "BOT_PORT": str(port),
        "BOT_DB_PATH": str(folder / "helper.sqlite3"),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": fake.base_url,
        "TELEGRAM_WEBHOOK_SECRET": secret,
        "TELEGRAM_PACING": "off",
        "LOG_LEVEL": "WARNING",
    }
    return {
        "floor": Target("floor", floor, {}, calls_get_me=False),
        "baseline": Target("baseline", baseline, {}, calls_get_me=True),
        "helper": Target("helper", (sys.executable, "-m", "bot", "serve"), helper_env, calls_get_me=False),
    }


@dataclass(frozen=True)
class Running:
    """A started target: where to post updates, and its process (for its CPU time)."""

    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system time of the whole process (every thread), from /proc; 0 once it is gone."""
        try:
            stat = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def log_tail(log: Path) -> str:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()[-LOG_TAIL:]
    return "\n".join(f"    | {line}" for line in lines) or "    | (no output)"


async def wait_started(
    process: asyncio.subprocess.Process,
    target: Target,
    url: str,
    fake: ObservedTelegram,
    session: aiohttp.ClientSession,
) -> None:
    """Until the webhook refuses a wrong secret (and, for the baseline, getMe was called); raises
    `Failed` when the process exits, the route is missing, a wrong secret is taken, or time runs out."""
    get_me_before = fake.count("getMe")
    deadline, status = time.perf_counter() + START_TIMEOUT, None
    while time.perf_counter() < deadline:
        if process.returncode is not None:
            raise Failed(f"exited with status {process.returncode}")
        with contextlib.suppress(aiohttp.ClientConnectionError):
            async with session.post(url, json={}, headers={SECRET_HEADER: "wrong"}) as response:
                status = response.status
        if status in (404, 405):
            raise Failed(f"no webhook at POST {WEBHOOK_PATH} (HTTP {status})")
        if status is not None and 200 <= status < 300:
            raise Failed(f"POST {WEBHOOK_PATH} accepted a wrong secret (HTTP {status})")
        started = status in (401, 403)
        if started and (not target.calls_get_me or fake.count("getMe") > get_me_before):
            return
        await asyncio.sleep(0.05)
    waited = "getMe" if status in (401, 403) else f"a 401/403 from the webhook (last: {status})"
    raise Failed(f"not started within {START_TIMEOUT:g} s: still waiting for {waited}")


async def stop(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, then SIGKILL after STOP_TIMEOUT; always reaps the process."""
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            process.kill()
    await process.wait()


@contextlib.asynccontextmanager
async def running(
    target: Target,
    port: int,
    core: int | None,
    log: Path,
    fake: ObservedTelegram,
    session: aiohttp.ClientSession,
) -> AsyncIterator[Running]:
    """The target's process for the duration, once it has started."""
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            *target.command,
            cwd=ROOT,
            env={**os.environ, **target.env},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:
        if core is not None:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(process.pid, {core})
        url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
        await wait_started(process, target, url, fake, session)
        yield Running(url, process.pid)
    finally:
        await stop(process)


# --- load ------------------------------------------------------------------------------------


@dataclass
class Level:
    """What one concurrency level of one target measured."""

    concurrency: int
    conversations: int
    seconds: float = 0.0
    target_cpu: float = 0.0  # seconds of CPU the target used meanwhile
    driver_cpu: float = 0.0  # the same for this process: load generator and fake Bot API
    api_calls: int = 0  # Bot API calls the fake received meanwhile (a webhook answer's included)
    latencies: list[float] = field(default_factory=list)  # seconds, one per answered update
    errors: list[str] = field(default_factory=list)

    @property
    def updates(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    def percentile_ms(self, p: float) -> float:
        """Nearest-rank percentile of the reply latency."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return 1000 * ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class Driver:
    """Posts a target's updates as Telegram would and waits for its answers at the fake."""

    def __init__(self, fake: ObservedTelegram, session: aiohttp.ClientSession, secret: str) -> None:
        self.fake = fake
        self.session = session
        self.secret = secret
        self.chat_ids = itertools.count(1_000_001)

    async def post(self, url: str, chat: int, update: dict[str, Any]) -> tuple[float, int]:
        """One update, closed loop: returns the reply latency and the new question's message id.
        A method in the webhook's answer is run at the fake, as Telegram would."""
        key = str(chat)
        seen = len(self.fake.sends[key])
        # The fake stamps arrivals with time.monotonic(), so the latency's start uses the same clock.
        posted = time.monotonic()
        try:
            status = await self.fake.post_update(self.session, url, update, self.secret)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise Failed(f"POST failed: {type(error).__name__}") from None
        if status != 200:
            raise Failed(f"HTTP {status}")
        first, message_id = await self.fake.next_question(key, seen)
        return first - posted, message_id

    async def conversation(self, url: str, latencies: list[float]) -> None:
        """The 14 updates of one person, in a chat never used before."""
        chat = next(self.chat_ids)
        latency, message_id = await self.post(url, chat, message_update(chat, f"/start v_{VILLAGE}"))
        latencies.append(latency)
        for data in PRESSES:
            update = callback_update(chat, data, message_id=message_id)
            try:
                latency, message_id = await self.post(url, chat, update)
            except Failed as error:
                raise Failed(f"{data}: {error}") from None
            latencies.append(latency)

    async def slot(self, url: str, rounds: int, level: Level) -> None:
        """One simulated chat at a time, `rounds` conversations in a row; stops at its first error."""
        for _ in range(rounds):
            try:
                await self.conversation(url, level.latencies)
            except Failed as error:
                level.errors.append(str(error))
                return

    async def level(self, target: Running, concurrency: int, rounds: int) -> Level:
        """`concurrency` chats at once; also how busy the target and this process were, which tells
        whether the target or the load generator was the limit."""
        level = Level(concurrency, concurrency * rounds)
        target_cpu, driver_cpu, calls = target.cpu_seconds(), time.process_time(), len(self.fake.calls)
        started = time.perf_counter()
        await asyncio.gather(*(self.slot(target.url, rounds, level) for _ in range(concurrency)))
        level.seconds = time.perf_counter() - started
        level.target_cpu = target.cpu_seconds() - target_cpu
        level.driver_cpu = time.process_time() - driver_cpu
        level.api_calls = len(self.fake.calls) - calls
        return level


async def bench_target(
    target: Target, port: int, core: int | None, folder: Path, driver: Driver
) -> list[Level]:
    log = folder / f"{target.name}.log"
    try:
        async with running(target, port, core, log, driver.fake, driver.session) as target_process:
            warmup = await driver.level(target_process, 1, 1)
            if warmup.errors:
                raise Failed(f"the warm-up conversation failed: {warmup.errors[0]}")
            return [await driver.level(target_process, n, ROUNDS[n]) for n in LEVELS]
    except Failed as error:
        raise Failed(f"{error}\n  its output ({log.name}, last lines):\n{log_tail(log)}") from None


# --- report ----------------------------------------------------------------------------------


def table(results: dict[str, list[Level]]) -> str:
    header = ("target", "chats at once", "conversations", "updates", "seconds", "updates/s")
    header += ("p50 ms", "p99 ms", "errors", "API calls/update", "target CPU", "driver CPU")
    cells = [
        (
            name,
            str(level.concurrency),
            f"{level.conversations:,}",
            f"{level.updates:,}",
            f"{level.seconds:.2f}",
            f"{level.rate:,.0f}",
            f"{level.percentile_ms(50):.1f}",
            f"{level.percentile_ms(99):.1f}",
            str(len(level.errors)),
            f"{level.api_calls / level.updates:.2f}" if level.updates else "-",
            f"{100 * level.target_cpu / level.seconds:.0f} %",
            f"{100 * level.driver_cpu / level.seconds:.0f} %",
        )
        for name, levels in results.items()
        for level in levels
    ]
    widths = [max(len(row[i]) for row in (header, *cells)) for i in range(len(header))]
    return "\n".join(
        "   ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in (header, *cells)
    )


def at_target_level(levels: list[Level]) -> Level:
    return next(level for level in levels if level.concurrency == TARGET_LEVEL)


def verdict(
    results: dict[str, list[Level]], failed: set[str], wanted: Sequence[str]
) -> tuple[list[str], bool]:
    """The ratio and target lines, and whether the target holds (a target not run is not checked)."""
    lines = []
    if "helper" in results and "baseline" in results:
        helper, baseline = at_target_level(results["helper"]), at_target_level(results["baseline"])
        ratio = helper.rate / baseline.rate if baseline.rate else math.inf
        lines.append(f"helper / baseline at {TARGET_LEVEL} chats at once: {ratio:.2f}x")
    if "helper" in results and "floor" in results:
        helper, floor = at_target_level(results["helper"]), at_target_level(results["floor"])
        share = 100 * helper.rate / floor.rate if floor.rate else math.nan
        lines.append(
            f"helper / floor at {TARGET_LEVEL} chats at once: {share:.0f} % "
            f"(the floor's {floor.rate:,.0f} updates/s is this machine's ceiling for the HTTP alone)"
        )
    lines += [f"{name}: MISSED (did not start)" for name in wanted if name in failed]
    if "helper" not in wanted:
        return [*lines, "target: not checked (the helper was not run)"], not failed
    goal = f"helper at {TARGET_LEVEL} chats at once: >= {TARGET_RATE:,} updates/s, no error"
    if "helper" in failed:
        return [*lines, f"target {goal}: not measured"], False
    level = at_target_level(results["helper"])
    problems = []
    if level.rate < TARGET_RATE:
        short = TARGET_RATE - level.rate
        problems.append(
            f"{level.rate:,.0f} updates/s, {short:,.0f} short ({100 * short / TARGET_RATE:.0f} %)"
        )
    if level.errors:
        problems.append(f"{len(level.errors)} error(s)")
    status = f"MISSED: {'; '.join(problems)}" if problems else f"ok ({level.rate:,.0f} updates/s)"
    return [*lines, f"target {goal}: {status}"], not problems


def pin_driver() -> tuple[int | None, str]:
    """Pins this process (load generator and fake Bot API) to the second core; returns the first,
    for the targets, and how it went."""
    try:
        available = sorted(os.sched_getaffinity(0))
        if len(available) < 2:
            return None, f"not pinned: only core {available[0]}"
        target, driver = available[:2]
        os.sched_setaffinity(0, {driver})
    except (AttributeError, OSError) as error:
        return None, f"not pinned: {error}"
    return target, f"target on core {target}, driver and fake Bot API on core {driver}"


async def bench(wanted: Sequence[str]) -> int:
    core, pinning = pin_driver()
    print(f"machine: {machine(pinning)}")
    print(
        f"workload: {UPDATES_PER_CONVERSATION} updates per conversation, a new private chat each; "
        + "chats at once x conversations each: "
        + ", ".join(f"{n} x {ROUNDS[n]}" for n in LEVELS)
        + "; webhook POSTs over 127.0.0.1 to a fake Bot API in this process"
    )
    if "helper" in wanted:
        print("helper: TELEGRAM_PACING=off (Telegram's send pacing lifted for the benchmark)")
    fake, secret = ObservedTelegram(), secrets.token_urlsafe(24)
    results: dict[str, list[Level]] = {}
    failed: set[str] = set()
    await fake.start()
    try:
        connector = aiohttp.TCPConnector(limit=max(LEVELS))
        timeout = aiohttp.ClientTimeout(total=POST_TIMEOUT)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            driver = Driver(fake, session, secret)
            with tempfile.TemporaryDirectory(prefix="vneid-telegram-bench-") as folder:
                for name in wanted:
                    port = free_port()
                    target = targets(fake, secret, Path(folder), port)[name]
                    try:
                        results[name] = await bench_target(target, port, core, Path(folder), driver)
                    except Failed as error:
                        failed.add(name)
                        print(f"\n{name}: FAILED TO START: {error}", flush=True)
    finally:
        await fake.stop()
    print()
    print(table(results) if results else "(no target ran)")
    for name, levels in results.items():
        for level in levels:
            if level.errors:
                print(f"{name} at {level.concurrency}: first error: {level.errors[0]}")
    lines, ok = verdict(results, failed, wanted)
    print()
    print("\n".join(lines))
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", choices=TARGETS, help="run one target")
    args = parser.parse_args(argv)
    return asyncio.run(bench([args.only] if args.only else list(TARGETS)))


if __name__ == "__main__":
    sys.exit(main())
