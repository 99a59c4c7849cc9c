"""Speed benchmark of the two hot paths: `flows.handle` and `check_card_number`.

Why a benchmark and not timed tests: a timing assertion inside the test suite is flaky on a busy laptop
or CI runner, and a single number without a reference says little. Here every workload is measured
next to a baseline taken in the same process on the same core, so a reader can tell "the machine is
slow today" (the baseline drops too) from "the code got slower" (only the workload drops).

Workloads (targets are for ONE core):

* `flows.handle` replays every `tests/transcripts/*.txt` conversation from no state, as the channels
  would: build an `Inbound`, call `handle`, keep the returned state. Baseline: the same loop with
  `handle` replaced by the cheapest stand-in that still returns a fresh state, i.e. the loop overhead.
  Without transcript files a small built-in walk through the conversation is used instead.
* `check_card_number` over every row of `tests/data/card_examples.csv`. Baseline:
  `str.strip().upper()` over the same inputs, the cheapest conceivable "check".

Run `.venv/bin/python bench/run.py` (or `make bench`); `--quick` for a smoke run, `--json` for
machine-readable output. Exit status 1 when a target is missed.
"""

import argparse
import csv
import gc
import json
import math
import os
import platform
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from pathlib import Path
from typing import Any, NamedTuple

from flows import Content, FlowState, Inbound, handle, load_content
from flows.card_number import check_card_number
from flows.model import KINDS

ROOT = Path(__file__).resolve().parents[1]
TRANSCRIPTS_DIR = ROOT / "tests" / "transcripts"
CARD_EXAMPLES = ROOT / "tests" / "data" / "card_examples.csv"

HANDLE_TARGET = 20_000
CARD_TARGET = 50_000
RUNS = 5
FULL_SECONDS = 0.5
QUICK_SECONDS = 0.3

CHANNEL = "bench"
USER = "bench-user"
START = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
NO_WAIT = timedelta(0)

#: Inputs that walk the conversation when there are no transcript files.
FALLBACK_WALK: tuple[str, ...] = (
    "xin chào",
    "1",
    "Đồng Tâm",
    "Tổ 1",
    "1",
    "ok",
    "ok",
    "ok",
    "xong",
    "xong",
    "xong",
    "xong",
    "xong",
    "DN4010123456789",
    "menu",
)

_BRACKET = re.compile(r"\[(\w+)(?:\s+(.*?))?\s*\]")
_WAIT_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([dhms])")
_WAIT_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
_NON_TEXT_KINDS = frozenset(KINDS) - {"text", "choice"}


# --- transcripts ---------------------------------------------------------------------------------


class Message(NamedTuple):
    """One thing the person does, with the time that passes before it (a `[wait]`)."""

    text: str
    choice: str | None
    kind: str
    wait: timedelta


@dataclass
class Workload:
    """The conversations to replay and where they came from."""

    conversations: list[list[Message]]
    source: str
    warnings: list[str]
    label: str = "transcripts"

    @property
    def messages(self) -> int:
        return sum(len(conversation) for conversation in self.conversations)


def parse_wait(spec: str) -> timedelta | None:
    """'25h', '30m', '1h30m', '2d' -> timedelta; None when the text is not a duration."""
    compact = spec.replace(" ", "")
    parts = _WAIT_PART.findall(compact)
    if not parts or "".join(number + unit for number, unit in parts) != compact:
        return None
    return sum((timedelta(**{_WAIT_UNITS[unit]: float(number)}) for number, unit in parts), NO_WAIT)


def parse_transcript(lines: Iterable[str], name: str = "<transcript>") -> tuple[list[Message], list[str]]:
    """The person's side of one transcript; expectations (`?`, `!`, `=`) and comments are skipped.

    Returns the messages and warnings about directives the benchmark does not understand (those are
    skipped rather than fatal, so a new directive in the tests does not break `make bench`).
    """
    messages: list[Message] = []
    warnings: list[str] = []
    wait = NO_WAIT
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        if not line.startswith(">"):
            continue
        body = line[1:].removeprefix(" ")
        bracket = _BRACKET.fullmatch(body.strip())
        if bracket is None:
            messages.append(Message(body, None, "text", wait))
            wait = NO_WAIT
            continue
        word, argument = bracket.group(1), bracket.group(2) or ""
        if word == "wait" and (delta := parse_wait(argument)) is not None:
            wait += delta
        elif word == "press" and argument:
            messages.append(Message("", argument, "choice", wait))
            wait = NO_WAIT
        elif word in _NON_TEXT_KINDS and not argument:
            messages.append(Message("", None, word, wait))
            wait = NO_WAIT
        else:
            warnings.append(f"{name}:{number}: skipped unknown directive {body.strip()!r}")
    return messages, warnings


def load_transcripts(directory: Path = TRANSCRIPTS_DIR) -> Workload:
    """Every transcript file in name order, or the built-in walk when there is none."""
    conversations: list[list[Message]] = []
    warnings: list[str] = []
    paths = sorted(directory.glob("*.txt")) if directory.is_dir() else []
    for path in paths:
        with path.open(encoding="utf-8") as handle_:
            messages, problems = parse_transcript(handle_, path.name)
        warnings.extend(problems)
        if messages:
            conversations.append(messages)
    if conversations:
        return Workload(conversations, f"{len(conversations)} transcript files", warnings)
    walk = [Message(text, None, "text", NO_WAIT) for text in FALLBACK_WALK]
    shown = directory.relative_to(ROOT) if directory.is_relative_to(ROOT) else directory
    note = f"NO transcript files in {shown}: using the built-in {len(walk)}-message walk instead"
    return Workload([walk], note, warnings, label="built-in walk")


# --- the transitions workload --------------------------------------------------------------------

StepFn = Callable[[FlowState | None, Inbound, Content, datetime], FlowState]

_STATE_FIELDS = attrgetter(*(f.name for f in fields(FlowState)))


def _bench_ref() -> str:
    return "bench"


def handle_step(state: FlowState | None, inbound: Inbound, content: Content, now: datetime) -> FlowState:
    return handle(state, inbound, content, now, new_ref=_bench_ref).state


def baseline_step(state: FlowState | None, inbound: Inbound, content: Content, now: datetime) -> FlowState:
    """Everything a transition returns except the work: a fresh state, copied field by field."""
    return FlowState(person="bench") if state is None else FlowState(*_STATE_FIELDS(state))


def replay(conversations: Sequence[Sequence[Message]], content: Content, step: StepFn, repeats: int) -> int:
    """Replay every conversation `repeats` times from no state; returns the number of transitions."""
    count = 0
    for _ in range(repeats):
        for conversation in conversations:
            state: FlowState | None = None
            now = START
            for text, choice, kind, wait in conversation:
                now += wait
                inbound = Inbound(CHANNEL, USER, USER, text=text, choice=choice, kind=kind, received_at=now)
                state = step(state, inbound, content, now)
                now += MINUTE
            count += len(conversation)
    return count


# --- the card workload ---------------------------------------------------------------------------


def load_card_inputs(path: Path = CARD_EXAMPLES) -> list[tuple[str, str | None]]:
    with path.open(encoding="utf-8", newline="") as handle_:
        return [(row["input"], row["issuer"] or None) for row in csv.DictReader(handle_)]


def check_cards(rows: Sequence[tuple[str, str | None]], repeats: int) -> int:
    check = check_card_number
    for _ in range(repeats):
        for text, issuer in rows:
            check(text, issuer)
    return repeats * len(rows)


def strip_upper(rows: Sequence[tuple[str, str | None]], repeats: int) -> int:
    for _ in range(repeats):
        for text, _issuer in rows:
            text.strip().upper()
    return repeats * len(rows)


# --- timing --------------------------------------------------------------------------------------

Timed = Callable[[int], int]


@dataclass
class Timing:
    ops_per_s: float
    repeats: int
    ops_per_run: int

    @property
    def us_per_op(self) -> float:
        return 1e6 / self.ops_per_s


def _timed_run(fn: Timed, repeats: int) -> tuple[int, float]:
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        ops = fn(repeats)
        elapsed = time.perf_counter() - started
    finally:
        gc.enable()
    return ops, elapsed


def _calibrate(fn: Timed, seconds: float) -> int:
    """Doubles the repeat count until a run is measurable; this is also the warm-up."""
    repeats = 1
    while True:
        _, elapsed = _timed_run(fn, repeats)
        if elapsed >= min(0.05, seconds / 4):
            return max(1, math.ceil(repeats * seconds / elapsed))
        repeats *= 2


def measure(fn: Timed, seconds: float, runs: int = RUNS) -> Timing:
    """Best of `runs` runs, each repeating the workload for at least `seconds`."""
    repeats = _calibrate(fn, seconds)
    best = 0.0
    ops = 0
    for _ in range(runs):
        ops, elapsed = _timed_run(fn, repeats)
        best = max(best, ops / elapsed)
    return Timing(best, repeats, ops)


# --- machine and report --------------------------------------------------------------------------


def pin_to_one_core() -> str:
    try:
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
    except (AttributeError, OSError, ValueError):
        return "not pinned"
    return f"pinned to core {core}"


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    for key in ("model name", "Hardware", "Processor", "cpu model"):
        match = re.search(rf"^{key}\s*:\s*(.+)$", text, re.MULTILINE)
        if match:
            return match.group(1).strip()
    return platform.processor() or platform.machine() or "unknown CPU"


def machine(pinning: str) -> dict[str, Any]:
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "pinning": pinning,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(terse=True),
    }


@dataclass
class Result:
    name: str
    timing: Timing
    baseline: Timing
    baseline_name: str
    target: int

    @property
    def ok(self) -> bool:
        return self.timing.ops_per_s >= self.target

    @property
    def net_us_per_op(self) -> float:
        """Time per op with the baseline's time per op taken off: what the function itself costs."""
        return self.timing.us_per_op - self.baseline.us_per_op

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ops_per_s": round(self.timing.ops_per_s),
            "us_per_op": round(self.timing.us_per_op, 3),
            "net_us_per_op": round(self.net_us_per_op, 3),
            "target_ops_per_s": self.target,
            "baseline": self.baseline_name,
            "baseline_ops_per_s": round(self.baseline.ops_per_s),
            "baseline_us_per_op": round(self.baseline.us_per_op, 3),
            "ops_per_run": self.timing.ops_per_run,
            "status": "ok" if self.ok else "MISSED",
        }


def table(results: Sequence[Result]) -> str:
    header = ("benchmark", "ops/s", "µs/op", "target", "baseline ops/s", "status")
    rows = [
        (
            r.name,
            f"{r.timing.ops_per_s:,.0f}",
            f"{r.timing.us_per_op:.1f}",
            f"{r.target:,}",
            f"{r.baseline.ops_per_s:,.0f}",
            "ok" if r.ok else "MISSED",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return "\n".join(
        "   ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in (header, *rows)
    )


def text_report(results: Sequence[Result], info: dict[str, Any], workload: Workload, seconds: float) -> str:
    lines = [
        f"machine: {info['cpu']}, {info['cores']} cores ({info['pinning']}), "
        f"{info['python']}, {info['platform']}",
        f"transitions: {workload.source}, {workload.messages} messages per pass",
        f"timing: best of {RUNS} runs, each >= {seconds:g} s, gc disabled, after one warm-up",
        "",
        table(results),
        "",
    ]
    lines.extend(
        f"{r.name}: {r.net_us_per_op:.1f} µs/op over the baseline ({r.baseline_name})" for r in results
    )
    lines.extend(f"warning: {warning}" for warning in workload.warnings)
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------


def run(seconds: float, transcripts: Path = TRANSCRIPTS_DIR) -> tuple[list[Result], Workload]:
    content = load_content()
    workload = load_transcripts(transcripts)
    conversations = workload.conversations
    rows = load_card_inputs()
    transitions = Result(
        f"flows.handle ({workload.label})",
        measure(lambda n: replay(conversations, content, handle_step, n), seconds),
        measure(lambda n: replay(conversations, content, baseline_step, n), seconds),
        "same loop: build Inbound, copy state",
        HANDLE_TARGET,
    )
    cards = Result(
        "check_card_number",
        measure(lambda n: check_cards(rows, n), seconds),
        measure(lambda n: strip_upper(rows, n), seconds),
        "str.strip().upper()",
        CARD_TARGET,
    )
    return [transitions, cards], workload


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"about {QUICK_SECONDS:g} s per workload")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument("--transcripts", type=Path, default=TRANSCRIPTS_DIR, help="transcript folder")
    args = parser.parse_args(argv)
    seconds = QUICK_SECONDS / RUNS if args.quick else FULL_SECONDS
    info = machine(pin_to_one_core())
    results, workload = run(seconds, args.transcripts)
    if args.json:
        report = {
            "machine": info,
            "mode": "quick" if args.quick else "full",
            "seconds_per_run": seconds,
            "runs": RUNS,
            "transcripts": workload.source,
            "messages_per_pass": workload.messages,
            "warnings": workload.warnings,
            "results": [r.as_json() for r in results],
            "ok": all(r.ok for r in results),
        }
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(text_report(results, info, workload, seconds))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
