"""Speed benchmark of the two hot paths: `flows.handle` and `check_card_number`.

Why a benchmark and not timed tests: a timing assertion inside the test suite is flaky on a busy
machine, and a single number without a reference says little. Every workload is measured next to a
baseline taken in the same process on the same core, so a reader can tell "the machine is slow
today" (the baseline drops too) from "the code got slower" (only the workload drops).

* `flows.handle` replays every transcript (`tests/transcripts/*.txt`) from no state, as a channel
  would: build an `Inbound`, call `handle`, keep the returned state. Baseline: the same loop with
  `handle` replaced by a stand-in that only copies the state.
* `check_card_number` over every row of `tests/data/card_examples.csv`. Baseline:
  `str.strip().upper()` over the same inputs, the cheapest conceivable "check".

Targets are for ONE core. `--quick` for a smoke run, `--json` for machine-readable output; the exit
status is 1 when a target is missed.
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from pathlib import Path
from typing import Any

from bot import transcript
from flows import Content, FlowState, Inbound, handle, load_content
from flows.card_number import check_card_number

ROOT = Path(__file__).resolve().parents[1]
CARD_EXAMPLES = ROOT / "tests" / "data" / "card_examples.csv"
HANDLE_TARGET = 20_000
CARD_TARGET = 50_000
RUNS = 5
FULL_SECONDS = 0.5
QUICK_SECONDS = 0.06
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)

Step = Callable[[FlowState | None, Inbound, Content, datetime], FlowState]
Timed = Callable[[int], int]
_STATE_FIELDS = attrgetter(*(f.name for f in fields(FlowState)))


def handle_step(state: FlowState | None, inbound: Inbound, content: Content, now: datetime) -> FlowState:
    return handle(state, inbound, content, now, new_ref=lambda: "bench").state


def baseline_step(state: FlowState | None, inbound: Inbound, content: Content, now: datetime) -> FlowState:
    """Everything a transition returns except the work: a fresh state, copied field by field."""
    return FlowState(person="bench") if state is None else FlowState(*_STATE_FIELDS(state))


def replay(
    conversations: Sequence[Sequence[transcript.Send]], content: Content, step: Step, repeats: int
) -> int:
    """Replay every conversation `repeats` times from no state; returns the number of transitions."""
    count = 0
    for _ in range(repeats):
        for conversation in conversations:
            state: FlowState | None = None
            now = START
            for send in conversation:
                now += send.wait + MINUTE
                inbound = Inbound("bench", "u", "u", text=send.text, choice=send.choice, kind=send.kind)
                state = step(state, inbound, content, now)
            count += len(conversation)
    return count


def check_cards(rows: Sequence[tuple[str, str | None]], repeats: int) -> int:
    for _ in range(repeats):
        for text, issuer in rows:
            check_card_number(text, issuer)
    return repeats * len(rows)


def strip_upper(rows: Sequence[tuple[str, str | None]], repeats: int) -> int:
    for _ in range(repeats):
        for text, _issuer in rows:
            text.strip().upper()
    return repeats * len(rows)


def _timed_run(fn: Timed, repeats: int) -> tuple[int, float]:
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        ops = fn(repeats)
        return ops, time.perf_counter() - started
    finally:
        gc.enable()


def measure(fn: Timed, seconds: float) -> float:
    """Best ops/s of `RUNS` runs of at least `seconds` each; calibrating is the warm-up."""
    repeats = 1
    while (elapsed := _timed_run(fn, repeats)[1]) < min(0.05, seconds / 4):
        repeats *= 2
    repeats = max(1, math.ceil(repeats * seconds / elapsed))
    best = 0.0
    for _ in range(RUNS):
        ops, elapsed = _timed_run(fn, repeats)
        best = max(best, ops / elapsed)
    return best


@dataclass
class Result:
    name: str
    ops: float
    baseline: float
    baseline_name: str
    target: int

    @property
    def ok(self) -> bool:
        return self.ops >= self.target

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ops_per_s": round(self.ops),
            "us_per_op": round(1e6 / self.ops, 3),
            "target_ops_per_s": self.target,
            "baseline": self.baseline_name,
            "baseline_ops_per_s": round(self.baseline),
            "status": "ok" if self.ok else "MISSED",
        }


def pin_to_one_core() -> str:
    try:
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
    except (AttributeError, OSError, ValueError):
        return "not pinned"
    return f"pinned to core {core}"


def machine(pinning: str) -> str:
    cpuinfo = Path("/proc/cpuinfo")
    text = cpuinfo.read_text(encoding="utf-8", errors="replace") if cpuinfo.exists() else ""
    model = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    cpu = model.group(1).strip() if model else platform.processor() or platform.machine()
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{cpu}, {os.cpu_count()} cores ({pinning}), {python}"


def table(results: Sequence[Result]) -> str:
    header = ("benchmark", "ops/s", "µs/op", "target", "baseline ops/s", "status")
    rows = [
        (
            r.name,
            f"{r.ops:,.0f}",
            f"{1e6 / r.ops:.1f}",
            f"{r.target:,}",
            f"{r.baseline:,.0f}",
            "ok" if r.ok else "MISSED",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return "\n".join(
        "   ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in (header, *rows)
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    args = parser.parse_args(argv)
    seconds = QUICK_SECONDS if args.quick else FULL_SECONDS
    host = machine(pin_to_one_core())
    content = load_content(transcript.FROZEN_CONTENT, transcript.FROZEN_DATA)
    conversations = [transcript.parse(path) for path in transcript.files()]
    messages = sum(map(len, conversations))
    if not messages:
        print("no transcript files in tests/transcripts", file=sys.stderr)
        return 2
    text = CARD_EXAMPLES.read_text(encoding="utf-8").splitlines()
    rows = [(row["input"], row["issuer"] or None) for row in csv.DictReader(text)]
    results = [
        Result(
            "flows.handle (transcripts)",
            measure(lambda n: replay(conversations, content, handle_step, n), seconds),
            measure(lambda n: replay(conversations, content, baseline_step, n), seconds),
            "same loop, state copied instead of handled",
            HANDLE_TARGET,
        ),
        Result(
            "check_card_number",
            measure(lambda n: check_cards(rows, n), seconds),
            measure(lambda n: strip_upper(rows, n), seconds),
            "str.strip().upper()",
            CARD_TARGET,
        ),
    ]
    if args.json:
        report = {"machine": host, "messages_per_pass": messages, "results": [r.as_json() for r in results]}
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(f"machine: {host}")
        print(f"workload: {len(conversations)} transcripts ({messages} messages); {len(rows)} card inputs")
        print(f"timing: best of {RUNS} runs of >= {seconds:g} s each, gc off, after a warm-up\n")
        print(table(results))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
