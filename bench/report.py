"""Speed of the weekly report over a campaign's events, and of the chat while a report runs.

Why a benchmark: a report is SQL over every event of the weeks it shows, and a campaign only
grows; the tests check the numbers by hand counts on a few events, not what a report costs after
twenty weeks of a commune, or of a province. Every figure is measured next to a baseline taken in
the same run (the machine's speed varies during the day): the same per-village counts as a plain
`SELECT` over `events` with no index (`NOT INDEXED`) and nothing kept, so the table shows what the
covering index `idx_events_report` and the kept spans of settled weeks buy.

* Data: a database made by `Store(path, villages).open()` (the real schema and migrations), then
  filled with `executemany` in one transaction (`synchronous=OFF`, `journal_mode=OFF`, for the
  generation only): help sessions as the flow writes them (the kinds and keys of
  `flows/events.py`, about 70 % of events with a consenting person's random reference), spread
  evenly over the 20 reporting weeks of a campaign up to the week that closed on Wednesday
  2026-12-02 07:00. Cached under `/tmp` by its parameters, so a second run starts at once; every
  run works on a copy in a temporary folder.
* Reports: the Wednesday push's report (the week just ended, half an hour after the cut-off)
  through `ReportDesk.report` (read on a reader thread, settled weeks kept with one write), then
  each form of `FORMATS` present at run time written, timed end to end. The first report (nothing
  kept yet) counts every week and keeps the 19 settled ones; a Wednesday's also counts the week
  before (not settled at the last push); the next one reads 19 back and counts the week just ended.
* Chat: `ConversationService.handle` on web-chat messages (the transcripts' person side), one
  after another, with no report running and while reports run on the reader threads.

Targets, held to every one of those reports: 60 villages and 1,000,000 events, text/CSV/JSON
within 300 ms and the other forms (XLSX, PNG) within 2 s; 1,000 villages and 10,000,000 events,
text/CSV/JSON within 3 s; a chat message within 50 ms (p99) during a report. `--quick` for a smoke
run on 100,000 and 1,000,000 events. Local files only; the exit status is 1 when a target is missed.
"""

import argparse
import asyncio
import json
import random
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from load import script
from run import machine

from bot import transcript
from bot.channels.web import CHANNEL as WEB
from bot.conversation import ConversationService
from bot.reports.counts import COLUMNS, Column, Span, count_span, span_of
from bot.reports.desk import ReportDesk
from bot.reports.formats import FORMATS
from bot.reports.report import Report, Scope, build_report
from bot.reports.week import Week, previous, week_of
from bot.settings import load_settings
from bot.store import Store, Tx, timestamp
from flows import Content, Inbound, load_content
from flows.card_number import REASONS
from flows.outcome import REJECT_CAUSES
from flows.places import Village

SETTINGS = load_settings({}, env_file=None)
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
SCOPE = Scope(ZONE, SETTINGS.cutoff)
#: The week the Wednesday push of 2026-12-02 reports, and when it runs.
NOW = datetime(2026, 12, 2, 7, 30, tzinfo=ZONE)
REPORT_WEEK = previous(week_of(NOW, ZONE, SCOPE.cutoff), ZONE, SCOPE.cutoff)
CAMPAIGN_WEEKS = 20
SEED = 20261202
#: Part of the cache key: a change to the generator must not reuse old files.
GENERATOR = 1
CACHE = Path(tempfile.gettempdir()) / "vneid-bench-report"
#: The forms the issue times against the report's own target; the others are files (2 s).
TABLE_FORMS = frozenset({"text", "csv", "json"})
FILE_TARGET = 2.0
CHAT_P99_TARGET = 0.050
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INSERT = "INSERT INTO events (at, channel, kind, village, person, data) VALUES (?, ?, ?, ?, ?, ?)"
#: Someone counted once in the plain query: the consenting person's reference, else the event itself.
_WHO = "COALESCE(person, 'event:' || id)"


def _plain_column(column: Column) -> str:
    """A column as one SQL expression over a village's events (how the report was first written)."""
    where = f"kind = '{column.kind}'"
    if column.field is not None:
        value = f"'{column.value}'" if isinstance(column.value, str) else column.value
        where += f" AND json_extract(data, '$.{column.field}') = {value}"
    return f"COUNT(DISTINCT CASE WHEN {where} THEN {_WHO} END)" if column.once else f"SUM({where})"


#: The report's counts as a plain SELECT over `events`, with no index, each column one expression.
_PLAIN = (
    "SELECT village, COUNT(DISTINCT person) + SUM(person IS NULL AND kind = 'session_started'), "
    + ", ".join(f"COALESCE({_plain_column(c)}, 0)" for c in COLUMNS)
    + " FROM events NOT INDEXED WHERE at >= ? AND at < ? GROUP BY village"
)


@dataclass(frozen=True)
class Case:
    """A deployment's events: how many, over how many villages (in communes of areas), over how
    many reporting weeks, and the target of a report as text, CSV or JSON (None: context)."""

    name: str
    events: int
    communes: int
    areas: int
    villages: int
    weeks: int
    target: float | None
    file_target: float | None

    @property
    def key(self) -> str:
        return (
            f"events{self.events}-c{self.communes}-a{self.areas}-v{self.villages}-w{self.weeks}"
            f"-s{SEED}-g{GENERATOR}"
        )


FULL = (
    Case("60 villages", 1_000_000, 1, 6, 60, CAMPAIGN_WEEKS, 0.3, FILE_TARGET),
    Case("1,000 villages", 10_000_000, 10, 10, 1_000, CAMPAIGN_WEEKS, 3.0, None),
    Case("60 villages, all in one week", 1_000_000, 1, 6, 60, 1, None, None),
)
QUICK = (
    Case("60 villages", 100_000, 1, 6, 60, CAMPAIGN_WEEKS, 0.3, FILE_TARGET),
    Case("1,000 villages", 1_000_000, 10, 10, 1_000, CAMPAIGN_WEEKS, 3.0, None),
    Case("60 villages, all in one week", 100_000, 1, 6, 60, 1, None, None),
)


# --- the data ---------------------------------------------------------------------------------


def villages_of(case: Case) -> list[Village]:
    """Villages of equal number per area; a goal (level-2 accounts) for nine in ten."""
    rng = random.Random(SEED)
    per_area = case.villages // (case.communes * case.areas)
    found = []
    for c in range(1, case.communes + 1):
        commune = "xã Chợ Mới" if case.communes == 1 else f"xã Bench {c:02d}"
        for a in range(1, case.areas + 1):
            for v in range(1, per_area + 1):
                population = rng.randint(300, 2_500)
                found.append(
                    Village(
                        f"x{c:02d}-k{a:02d}-t{v:02d}", f"Thôn {v}", f"Khu {a}", commune, "Thái Nguyên",
                        (f"T{v}",), population, None if rng.random() < 0.1 else population,
                    )
                )  # fmt: skip
    return found


def _data(**values: object) -> str:
    """As `Tx.record_events` writes an event's keys."""
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


#: Weights of the invalid-card reasons (the common typing mistakes first).
_BAD_REASONS = [r for r in REASONS if r != "ok"]
_BAD_WEIGHTS = [max(1, 12 - 2 * i) for i in range(len(_BAD_REASONS))]
_STEP = [_data(step=n) for n in range(6)]
_EMPTY = _data()
#: What VNeID may answer instead of "sent" (`flows.guide`).
_FAILURES = ("failed_too_many", "failed_duplicate", "already_approved", "failed_other")
#: (at in µs, channel, kind, village, person, data)
Row = tuple[int, str, str, str | None, str | None, str]


class Sessions:
    """Help sessions as the flow records them: `session_started` before consent (anonymous), then
    `consent_given` or `consent_declined` (a person who declines stays anonymous and has no
    village), `village_set`, the five steps (some screens seen twice), card checks at step 4,
    stuck and handoffs where people stop, the request sent, the video, FAQ, signature interest;
    a person who consented may come back (`source` "return") and report the office's answer."""

    def __init__(self, rng: random.Random, villages: Sequence[Village], faq: Sequence[str]) -> None:
        self.rng = rng
        self.codes = [v.code for v in villages]
        self.weights = [v.population or 1 for v in villages]
        self.faq = [_data(entry=entry) for entry in faq]
        self.returning: list[tuple[str, str]] = []

    def session(self, start: int) -> list[Row]:
        rng = self.rng
        at = start
        channel = rng.choices(("zalo", "telegram", "web"), (5, 3, 2))[0]
        rows: list[Row] = []

        def log(kind: str, village: str | None, person: str | None, data: str = _EMPTY) -> None:
            nonlocal at
            at += rng.randint(5_000_000, 120_000_000)
            rows.append((at, channel, kind, village, person, data))

        if self.returning and rng.random() < 0.3:
            person, village = rng.choice(self.returning)
            log("session_started", village, person, _data(source="return"))
            if rng.random() < 0.5:
                if rng.random() < 0.9:
                    log("outcome", village, person, _data(outcome="approved"))
                else:
                    log(
                        "outcome", village, person, _data(outcome="rejected", cause=rng.choice(REJECT_CAUSES))
                    )
                return rows
        else:
            log("session_started", None, None, _data(source=rng.choices(("direct", "link"), (3, 1))[0]))
            answer = rng.random()
            if answer < 0.62:
                person, village = f"{rng.getrandbits(64):016x}", rng.choices(self.codes, self.weights)[0]
                log("consent_given", None, person)
                log("village_set", village, person)
                if len(self.returning) < 50_000:
                    self.returning.append((person, village))
                else:
                    self.returning[rng.randrange(50_000)] = (person, village)
            elif answer < 0.85:
                person = village = None
                log("consent_declined", None, None)
            else:
                return rows
        self._help(log, village, person)
        return rows

    def _help(self, log: Callable[..., None], village: str | None, person: str | None) -> None:
        rng = self.rng
        if rng.random() < 0.2:
            log("video_shown", village, person)
        if rng.random() < 0.25:
            log("faq_viewed", village, person, rng.choice(self.faq))
        if rng.random() < 0.75:
            self._guide(log, village, person)
        if rng.random() < 0.08:
            log("signature_interest", village, person)

    def _guide(self, log: Callable[..., None], village: str | None, person: str | None) -> None:
        rng = self.rng
        for step in range(1, 6):
            for _ in range(2 if rng.random() < 0.1 else 1):
                log("step_reached", village, person, _STEP[step])
            if step == 4:
                while rng.random() < 0.35:
                    reason = rng.choices(_BAD_REASONS, _BAD_WEIGHTS)[0]
                    log("card_checked", village, person, _data(valid=False, reason=reason))
                log("card_checked", village, person, _data(valid=True, reason="ok"))
            if rng.random() < 0.12:
                if rng.random() < 0.6:
                    log("stuck", village, person, _STEP[step])
                if rng.random() < 0.25:
                    log("handoff_requested", village, person, _STEP[step])
                return
        failed = rng.random() < 0.1
        outcome = rng.choice(_FAILURES) if failed else "submitted"
        log("outcome", village, person, _data(outcome=outcome))


def campaign(case: Case) -> list[Week]:
    """The reporting weeks of the campaign, the last one the week reported."""
    weeks = [REPORT_WEEK]
    while len(weeks) < case.weeks:
        weeks.insert(0, previous(weeks[0], ZONE, SCOPE.cutoff))
    return weeks


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _at(micros: int) -> str:
    """`bot.store.timestamp`'s text, from µs since the epoch."""
    return (EPOCH + timedelta(microseconds=micros)).isoformat(timespec="microseconds")


def week_rows(sessions: Sessions, week: Week, budget: int) -> list[tuple[Any, ...]]:
    """`budget` events of sessions started at random in the week (none runs past its end), in time
    order, as the helper would have written them."""
    start, end = _micros(week.start), _micros(week.end) - 3_600_000_000
    rows: list[Row] = []
    while len(rows) < budget:
        rows.extend(sessions.session(sessions.rng.randrange(start, end)))
    del rows[budget:]
    rows.sort()
    return [(_at(at), *rest) for at, *rest in rows]


def generate(case: Case, path: Path, content: Content) -> None:
    """The case's database at `path`: schema and villages by the store, events written fast."""
    Store(path, villages_of(case)).open().close()
    rng = random.Random(SEED)
    sessions = Sessions(rng, villages_of(case), content.ids("faq"))
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -500000"):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute("BEGIN")
        weeks = campaign(case)
        for n, week in enumerate(weeks):
            budget = case.events // len(weeks) + (case.events % len(weeks) if n == len(weeks) - 1 else 0)
            conn.executemany(_INSERT, week_rows(sessions, week, budget))
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode = DELETE")
    finally:
        conn.close()


def cached(case: Case, content: Content, cache: Path) -> tuple[Path, float | None]:
    """The case's database file, generated once per parameters (and the seconds it took then)."""
    path = cache / f"report-{case.key}.sqlite3"
    if path.exists():
        return path, None
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    generate(case, partial, content)
    partial.rename(path)
    return path, time.perf_counter() - started


# --- the reports ------------------------------------------------------------------------------


@dataclass
class Timing:
    """One row of the table: what was timed, its runs in seconds, its target (None: none)."""

    case: Case
    what: str
    form: str
    times: list[float]
    target: float | None
    baseline: bool = False

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def status(self) -> str:
        if self.baseline:
            return "baseline"
        if self.target is None:
            return "-"
        return "ok" if self.median <= self.target else "MISSED"


Job = Callable[[], Awaitable[object]]


async def timed(job: Job, budget: float, most: int, before: Job | None = None) -> list[float]:
    """`job`'s seconds, run until `most` runs or `budget` seconds (at least once); `before`, if
    given, runs untimed before each run."""
    times: list[float] = []
    while not times or (len(times) < most and sum(times) < budget):
        if before is not None:
            await before()
        started = time.perf_counter()
        await job()
        times.append(time.perf_counter() - started)
    return times


def plain_count(tx: Tx, span: Span) -> list[tuple[Any, ...]]:
    return tx.db.execute(_PLAIN, span).fetchall()


async def measure_case(case: Case, store: Store, budget: float, most: int) -> list[Timing]:
    """The counts of the week and of every week, plain and by `count_span`; then each form's
    report, first (nothing kept), on a Wednesday (the week before not kept yet) and next."""
    spans = [span_of(w.start, w.end) for w in campaign(case)]
    desk = ReportDesk(store, SCOPE, clock=lambda: NOW)
    week_before = timestamp(previous(REPORT_WEEK, ZONE, SCOPE.cutoff).start)

    def counting(count: Callable[[Tx, Span], object], chosen: list[Span]) -> Job:
        return lambda: store.read(lambda tx: [count(tx, span) for span in chosen])

    async def forget_all() -> None:
        await store.run(lambda tx: tx.db.execute("DELETE FROM report_spans"))

    async def forget_week_before() -> None:
        await store.run(lambda tx: tx.db.execute("DELETE FROM report_spans WHERE start = ?", [week_before]))

    chosen = {"the week": spans[-1:]} | ({f"all {len(spans)} weeks": spans} if len(spans) > 1 else {})
    rows: list[Timing] = []
    for name, part in chosen.items():
        rows.append(
            Timing(
                case,
                f"plain SELECT, no index: {name}",
                "-",
                await timed(counting(plain_count, part), budget, most),
                None,
                baseline=True,
            )
        )
        rows.append(Timing(case, f"count_span (index): {name}", "-",
                           await timed(counting(count_span, part), budget, most), None))  # fmt: skip
    kept = len(spans) - 1
    if len(spans) > 1:
        phases = (
            (f"first report: nothing kept, {len(spans)} weeks counted", forget_all),
            (f"Wednesday: {kept - 1} weeks kept, 2 counted", forget_week_before),
            (f"next report: {kept} weeks kept, 1 counted", None),
        )
        forms = list(FORMATS)
    else:
        phases, forms = (("report: the week counted live", None),), ["text"]
    for form in forms:
        target = case.target if form in TABLE_FORMS else case.file_target
        write = FORMATS[form].write

        async def job(write: Callable[[Report], bytes] = write) -> None:
            report = await desk.report(REPORT_WEEK)
            await asyncio.to_thread(write, report)

        for what, before in phases:
            rows.append(Timing(case, what, form, await timed(job, budget, most, before), target))
        if len(spans) > 1:
            report = await desk.report(REPORT_WEEK)
            alone = await timed(
                lambda write=write, report=report: asyncio.to_thread(write, report), budget, most
            )
            rows.append(Timing(case, "the form written alone", form, alone, None))
    return rows


# --- the chat during a report -----------------------------------------------------------------


@dataclass
class Chat:
    """The chat's answer times while something else ran, and how many reports it saw finish."""

    what: str
    latencies: list[float]
    reports: int
    baseline: bool = False

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    @property
    def status(self) -> str:
        if self.baseline:
            return "baseline"
        return "ok" if self.percentile(99) <= CHAT_P99_TARGET else "MISSED"


def web_conversations() -> list[list[dict[str, str]]]:
    """The person's side of every transcript, as the chat page posts it."""
    return [[json.loads(body) for body in script(path)] for path in transcript.files()]


def web_inbound(body: dict[str, str], browser: str) -> Inbound:
    """What `bot.channels.web` makes of a posted body."""
    start, choice = body.get("start"), body.get("choice")
    text = body.get("text") or ("/start" if start is not None and choice is None else "")
    kind = "choice" if choice is not None else "text"
    return Inbound(
        WEB, browser, browser, text=text, choice=choice, kind=kind, payload=start or None, push=False
    )


async def chat(service: ConversationService, seconds: float) -> list[float]:
    """Seconds per answer, one message after another, each conversation a fresh browser."""
    workload = web_conversations()
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        browser = secrets.token_urlsafe(18)
        for body in workload[n % len(workload)]:
            started = time.perf_counter()
            await service.handle(web_inbound(body, browser), secrets.token_hex(8), inline=True)
            latencies.append(time.perf_counter() - started)
        n += 1
    return latencies


async def chat_during(service: ConversationService, seconds: float, load: Job) -> tuple[list[float], int]:
    """The chat's latencies while `load` runs again and again; and how many times it finished."""
    stop, done = asyncio.Event(), 0

    async def again() -> None:
        nonlocal done
        while not stop.is_set():
            await load()
            done += 1

    task = asyncio.create_task(again())
    await asyncio.sleep(0)  # the first report is on its reader thread before the first message
    try:
        latencies = await chat(service, seconds)
    finally:
        stop.set()
        await task
    return latencies, done


async def measure_chat(store: Store, content: Content, seconds: float) -> list[Chat]:
    """The chat alone; during reports counted afresh (the first report's work, nothing kept, on
    a reader thread); during reports as an officer asks for them, with every form's file written
    off the event loop as the chat and the dashboard do."""
    service = ConversationService(store, content)
    desk = ReportDesk(store, SCOPE, clock=lambda: NOW)
    await chat(service, seconds / 5)  # warm-up

    async def afresh() -> None:
        await store.read(lambda tx: build_report(tx, REPORT_WEEK, SCOPE, NOW))

    async def with_files() -> None:
        report = await desk.report(REPORT_WEEK)
        for form in FORMATS.values():
            await asyncio.to_thread(form.write, report)

    await store.run(lambda tx: tx.db.execute("DELETE FROM report_spans"))
    idle = Chat("no report running", await chat(service, seconds), 0, baseline=True)
    counted = Chat("during reports counting every week", *await chat_during(service, seconds, afresh))
    files = Chat(
        f"during reports and their files ({', '.join(FORMATS)})",
        *await chat_during(service, seconds, with_files),
    )
    return [idle, counted, files]


# --- the output ---------------------------------------------------------------------------------


def table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int) -> str:
    """Aligned columns: the first `left` ones to the left, the numbers to the right."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return "\n".join(
        "   ".join(
            cell.ljust(w) if i < left else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in (header, *rows)
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}" if seconds >= 0.01 else f"{seconds * 1000:.1f}"


def report_table(timings: Sequence[Timing]) -> str:
    header = ("case", "timed", "form", "runs", "median ms", "max ms", "target ms", "status")
    rows = [
        (
            f"{t.case.name}, {t.case.events:,} events", t.what, t.form, str(len(t.times)), ms(t.median),
            ms(max(t.times)), "-" if t.target is None else f"{t.target * 1000:,.0f}", t.status,
        )
        for t in timings
    ]  # fmt: skip
    return table(header, rows, 3)


def chat_table(case: Case, chats: Sequence[Chat]) -> str:
    header = (f"chat message (web; {case.name}, {case.events:,} events)", "messages", "reports done",
              "p50 ms", "p99 ms", "max ms", "target ms", "status")  # fmt: skip
    rows = [
        (c.what, f"{len(c.latencies):,}", str(c.reports), ms(c.percentile(50)), ms(c.percentile(99)),
         ms(max(c.latencies)), "-" if c.baseline else f"p99 <= {CHAT_P99_TARGET * 1000:.0f}", c.status)
        for c in chats
    ]  # fmt: skip
    return table(header, rows, 1)


def describe(store: Store, case: Case) -> str:
    total, named, sessions = store.call(
        lambda tx: tx.db.execute(
            "SELECT COUNT(*), COUNT(person), SUM(kind = 'session_started') FROM events"
        ).fetchone()
    )
    weeks = campaign(case)
    spread = (
        f"spread evenly over {len(weeks)} reporting weeks ({weeks[0].name} to {weeks[-1].name})"
        if len(weeks) > 1
        else f"all in {weeks[0].name}"
    )
    return (
        f"{case.name}: {total:,} events of {sessions:,} sessions, {spread}; {case.villages:,} villages "
        f"in {case.communes * case.areas} areas of {case.communes} commune(s); {named / total:.0%} of "
        "events with a person's reference"
    )


async def run_case(
    case: Case, path: Path, content: Content, budget: float, most: int, chat_seconds: float | None
) -> tuple[str, list[Timing], list[Chat]]:
    store = Store(path).open()
    try:
        text = describe(store, case)
        timings = await measure_case(case, store, budget, most)
        chats = await measure_chat(store, content, chat_seconds) if chat_seconds else []
    finally:
        store.close()
    return text, timings, chats


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 and 1,000,000 events, short runs")
    parser.add_argument("--cache", type=Path, default=CACHE, help=f"generated databases (default {CACHE})")
    parser.add_argument("--dir", type=Path, help="where each run's copy goes (default: a temporary folder)")
    args = parser.parse_args(argv)
    cases = QUICK if args.quick else FULL
    budget, most, chat_seconds = (1.0, 3, 1.5) if args.quick else (4.0, 5, 5.0)
    content = load_content(transcript.FROZEN_CONTENT, transcript.FROZEN_DATA).configure(zone=ZONE)
    timings: list[Timing] = []
    chats: list[Chat] = []
    described = []
    for case in cases:
        source, took = cached(case, content, args.cache)
        made = "cached" if took is None else f"generated in {took:.0f} s"
        print(f"{case.name}: {source} ({made}, {source.stat().st_size / 1e6:,.0f} MB)", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="bench-report-", dir=args.dir) as folder:
            copy = Path(folder) / "events.sqlite3"
            shutil.copyfile(source, copy)
            talk = chat_seconds if case is cases[0] else None
            text, rows, answers = asyncio.run(run_case(case, copy, content, budget, most, talk))
        described.append(text)
        timings += rows
        chats += answers
    print(f"machine: {machine('not pinned')}, SQLite {sqlite3.sqlite_version}")
    print(
        f"report: {REPORT_WEEK.name}, as the Wednesday push makes it at {NOW:%Y-%m-%d %H:%M} (+07), "
        "through ReportDesk"
    )
    print("data: " + "\n      ".join(described))
    print(
        f"timing: median of up to {most} runs (at least one, then until {budget:g} s), each report "
        "built and written end to end\n"
    )
    print(report_table(timings))
    print()
    print(chat_table(cases[0], chats))
    missed = [t.what for t in timings if t.status == "MISSED"] + [
        c.what for c in chats if c.status == "MISSED"
    ]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
