"""What the webhook benchmarks of every platform share: start each target server in its own
process on its own core, drive simulated chats at it in closed loops through a fake platform
running in this process, and print one table (updates/s, reply latency, API calls per update,
the CPU of the target and of this process) with the verdicts.

A platform (`bench/telegram_webhook.py`, `bench/zalo_webhook.py`) says which fake it uses, how
an update is posted, which of the bot's sends is the next question, the targets, and one
conversation. Everything runs on 127.0.0.1 and stops by itself.
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
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from run import machine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `tests` is not an installed package; the fakes live there

from tests.fakes.platform import Call, FakePlatform  # noqa: E402

#: Run in this order when present: the HTTP alone, the customary way, the helper.
ORDER = ("floor", "baseline", "helper")
LEVELS = (1, 50, 200)
#: Conversations each chat slot runs one after another, per level.
ROUNDS = {1: 20, 50: 2, 200: 2}
TARGET_LEVEL = 200
TARGET_RATE = 1_500
REPLY_TIMEOUT = 5.0
POST_TIMEOUT = 10.0
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
LOG_TAIL = 15


class Failed(Exception):
    """One update that was not answered, or a target that did not start; the message says why."""


@dataclass(frozen=True)
class Sent:
    at: float  # time.monotonic() when the send reached the fake
    ref: str  # the platform's id of the message
    question: bool  # it asks something (the next update answers it)


class Observer:
    """What a load generator needs that the fake's `Call` records lack: each chat's sends with
    the ids the fake gave them, and a wake-up per chat when one arrives (scanning every call and
    polling, as tests do, would cost this process more than the fake itself)."""

    def __init__(
        self, fake: FakePlatform, is_send: Callable[[Call], bool], is_question: Callable[[Call], bool]
    ) -> None:
        self.fake = fake
        self.is_send = is_send
        self.is_question = is_question
        self.sends: defaultdict[str, list[Sent]] = defaultdict(list)
        self._arrived: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        fake.listeners.append(self._record)

    def _record(self, call: Call) -> None:
        if not self.is_send(call):
            return
        chat = str(call.params["chat_id"])
        self.sends[chat].append(Sent(call.at, str(call.result["message_id"]), self.is_question(call)))
        self._arrived[chat].set()

    async def next_question(self, chat: str, seen: int) -> tuple[float, Sent]:
        """Waits for a question sent to `chat` after its first `seen` sends; returns when the first
        of those new sends arrived and the latest question."""
        sends, arrived = self.sends[chat], self._arrived[chat]
        try:
            async with asyncio.timeout(REPLY_TIMEOUT):
                while True:
                    question = next((s for s in reversed(sends[seen:]) if s.question), None)
                    if question is not None:
                        return sends[seen].at, question
                    arrived.clear()
                    await arrived.wait()
        except TimeoutError:
            got = f"{len(sends) - seen} send(s) that ask nothing" if len(sends) > seen else "nothing"
            raise Failed(f"no question within {REPLY_TIMEOUT:g} s ({got})") from None


@dataclass(frozen=True)
class Target:
    name: str
    command: tuple[str, ...]
    env: dict[str, str]
    calls_get_me: bool  # also wait for its getMe before sending updates


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
    platform: "Platform",
    session: aiohttp.ClientSession,
) -> None:
    """Until the webhook refuses a wrong secret (and, for a target that checks its token first,
    getMe was called); raises `Failed` when the process exits, the route is missing, a wrong
    secret is taken, or time runs out."""
    get_me_before = len(platform.fake.calls_of("getMe"))
    deadline, status = time.perf_counter() + START_TIMEOUT, None
    while time.perf_counter() < deadline:
        if process.returncode is not None:
            raise Failed(f"exited with status {process.returncode}")
        with contextlib.suppress(aiohttp.ClientConnectionError):
            async with session.post(
                url, json={}, headers={platform.secret_header: "wrong-secret"}
            ) as response:
                status = response.status
        if status in (404, 405):
            raise Failed(f"no webhook at POST {platform.webhook_path} (HTTP {status})")
        if status is not None and 200 <= status < 300:
            raise Failed(f"POST {platform.webhook_path} accepted a wrong secret (HTTP {status})")
        started = status in (401, 403)
        if started and (not target.calls_get_me or len(platform.fake.calls_of("getMe")) > get_me_before):
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
    platform: "Platform",
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
        url = f"http://127.0.0.1:{port}{platform.webhook_path}"
        await wait_started(process, target, url, platform, session)
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
    driver_cpu: float = 0.0  # the same for this process: load generator and fake platform
    api_calls: int = 0  # API calls the fake received meanwhile (a webhook answer's included)
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
    """Posts a target's updates as the platform would and waits for its answers at the fake."""

    def __init__(self, platform: "Platform", session: aiohttp.ClientSession, secret: str) -> None:
        self.platform = platform
        self.session = session
        self.secret = secret
        self.chat_ids = itertools.count(1_000_001)

    async def post(self, url: str, chat: str, update: dict[str, Any]) -> tuple[float, Sent]:
        """One update, closed loop: returns the reply latency and the new question."""
        observer = self.platform.observer
        seen = len(observer.sends[chat])
        # The fake stamps arrivals with time.monotonic(), so the latency's start uses the same clock.
        posted = time.monotonic()
        try:
            status = await self.platform.fake.post_update(self.session, url, update, self.secret)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise Failed(f"POST failed: {type(error).__name__}") from None
        if status != 200:
            raise Failed(f"HTTP {status}")
        first, question = await observer.next_question(chat, seen)
        return first - posted, question

    async def slot(self, url: str, rounds: int, level: "Level") -> None:
        """One simulated chat at a time, `rounds` conversations in a row; stops at its first error."""
        for _ in range(rounds):
            try:
                await self.platform.conversation(self, url, str(next(self.chat_ids)), level.latencies)
            except Failed as error:
                level.errors.append(str(error))
                return

    async def level(self, target: Running, concurrency: int, rounds: int) -> "Level":
        """`concurrency` chats at once; also how busy the target and this process were, which tells
        whether the target or the load generator was the limit."""
        level = Level(concurrency, concurrency * rounds)
        fake = self.platform.fake
        target_cpu, driver_cpu, calls = target.cpu_seconds(), time.process_time(), len(fake.calls)
        started = time.perf_counter()
        await asyncio.gather(*(self.slot(target.url, rounds, level) for _ in range(concurrency)))
        level.seconds = time.perf_counter() - started
        level.target_cpu = target.cpu_seconds() - target_cpu
        level.driver_cpu = time.process_time() - driver_cpu
        level.api_calls = len(fake.calls) - calls
        return level


#: One whole conversation of a new chat: posts its updates through the driver, appending each
#: reply latency.
Conversation = Callable[[Driver, str, str, list[float]], Awaitable[None]]


@dataclass
class Platform:
    """What a platform's benchmark supplies."""

    name: str
    fake: Any  # a started FakePlatform with `post_update`
    observer: Observer
    webhook_path: str
    secret_header: str
    pacing_setting: str
    updates_per_conversation: int
    conversation: Conversation
    targets: Callable[[str, Path, int], dict[str, Target]]


async def bench_target(
    target: Target, port: int, core: int | None, folder: Path, driver: Driver
) -> list[Level]:
    log = folder / f"{target.name}.log"
    try:
        async with running(target, port, core, log, driver.platform, driver.session) as target_process:
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


async def bench(platform: Platform, wanted: Sequence[str]) -> int:
    """Runs the wanted targets against the platform's fake (already started); exit status 0
    when the target holds."""
    core, pinning = pin_driver()
    print(f"machine: {machine(pinning)}")
    print(
        f"workload: {platform.updates_per_conversation} updates per conversation, a new private chat each; "
        + "chats at once x conversations each: "
        + ", ".join(f"{n} x {ROUNDS[n]}" for n in LEVELS)
        + f"; webhook POSTs over 127.0.0.1 to a fake {platform.name} in this process"
    )
    if "helper" in wanted:
        print(
            f"helper: {platform.pacing_setting}=off ({platform.name}'s send pacing lifted for the benchmark)"
        )
    secret = secrets.token_urlsafe(24)
    results: dict[str, list[Level]] = {}
    failed: set[str] = set()
    connector = aiohttp.TCPConnector(limit=max(LEVELS))
    timeout = aiohttp.ClientTimeout(total=POST_TIMEOUT)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        driver = Driver(platform, session, secret)
        with tempfile.TemporaryDirectory(prefix=f"vneid-{platform.name.lower()}-bench-") as folder:
            for name in wanted:
                port = free_port()
                target = platform.targets(secret, Path(folder), port)[name]
                try:
                    results[name] = await bench_target(target, port, core, Path(folder), driver)
                except Failed as error:
                    failed.add(name)
                    print(f"\n{name}: FAILED TO START: {error}", flush=True)
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


def main(
    fake: FakePlatform, platform: Callable[[FakePlatform], Platform], names: Sequence[str], doc: str | None
) -> int:
    """A platform benchmark's command line: `--only NAME` runs one of `names`, else all; the fake
    runs for the whole run."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--only", choices=names, help="run one target")
    args = parser.parse_args()

    async def run() -> int:
        await fake.start()
        try:
            return await bench(platform(fake), [args.only] if args.only else list(names))
        finally:
            await fake.stop()

    return asyncio.run(run())
