"""HTTP load benchmark of the web chat, next to a bare aiohttp echo measured in the same run.

Why a second benchmark: `bench/run.py` times the pure flow, but a person waits for the whole path:
HTTP parsing, request validation, the per-chat lock, the writer thread's group commit to SQLite
(`synchronous=FULL`, WAL) and the JSON answer. Here the real application, built the way
`python -m bot serve` builds it (`load_settings`, `open_store`, `build_app`, no access log, logging at
WARNING), runs in its own process on one core with a temporary database, and a load generator on
another core drives it over loopback (127.0.0.1, a free port). The temporary folder is deleted at the
end; nothing else is touched.

* Throughput: 100 simulated browsers in a closed loop, each replaying the person's side of the
  transcripts (`tests/transcripts/*.txt`: typed texts and button presses; photos and waits are
  skipped, `/start X` is posted as a start link) over and over, every conversation opened with
  `{"start": ""}` and a fresh cookie. A message counts when it is answered 200 with a JSON object,
  which the chat only sends after the transition is committed.
* Baseline, same run, same loop: a bare aiohttp application whose `POST /echo` returns the JSON body.
  If the echo rate drops too, the machine is slow today; if only the chat drops, the code got slower.
* Latency: an open loop offering 500 messages/s, spread evenly over the 100 conversations and
  scheduled by the clock; latency counts from the scheduled send time, so queueing counts. A person
  still waiting for the previous answer sends the next message when it arrives (late, and measured so).

Every phase also reports the server's CPU (share of its core, and per answer: the figure that does
not depend on how busy the machine is), the load generator's CPU (it must not be the limit), and the
CPU other processes took on those two cores meanwhile (a shared machine shows up there, not as a
mystery).

Targets: the chat answers >= 1,000 messages/s, >= 40 % of the echo rate, p99 <= 50 ms at 500/s, and
not one message fails. `--quick` for a ~10 s smoke run, `--json` for machine-readable output,
`--dir` for where the temporary database goes; the exit status is 1 when a target is missed.
"""

import argparse
import asyncio
import contextlib
import json
import logging
import math
import multiprocessing
import os
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from aiohttp import web
from load import Browser, Drive, Phase, Script, Tally, closed_loop, open_loop, script, sender
from run import machine

from bot import transcript
from bot.app import build_app, open_store
from bot.redact import setup_logging
from bot.settings import load_settings
from bot.store import Store
from flows import load_content

CLIENTS = 100
OFFERED_RATE = 500.0
THROUGHPUT_TARGET = 1_000
RATIO_TARGET = 0.40
P99_TARGET_MS = 50.0
RAISED_LIMIT = "10000000"
START_TIMEOUT = 60.0
CHAT_PATH = "/api/chat"
ECHO_PATH = "/echo"


@dataclass(frozen=True)
class Timing:
    warmup: float
    throughput: float
    latency: float


FULL = Timing(warmup=2.0, throughput=5.0, latency=5.0)
QUICK = Timing(warmup=0.5, throughput=1.5, latency=1.5)


# --- servers, each in its own process --------------------------------------------------------


def helper_settings(db_path: Path) -> dict[str, str]:
    """The deployment's settings, with the rate limits out of the way and logging at WARNING."""
    return {
        "BOT_DB_PATH": str(db_path),
        "BOT_HOST": "127.0.0.1",
        "PUBLIC_URL": "http://127.0.0.1",
        "WEB_RATE_PER_MINUTE": RAISED_LIMIT,
        "WEB_RATE_PER_MINUTE_PER_ADDRESS": RAISED_LIMIT,
        "LOG_LEVEL": "WARNING",
    }


def helper_app(db_path: Path) -> tuple[web.Application, Store | None]:
    """The real application, as `python -m bot serve` builds it."""
    settings = load_settings(helper_settings(db_path), env_file=None)
    setup_logging(settings.log_level)
    store, content = open_store(settings, load_content(transcript.FROZEN_CONTENT, transcript.FROZEN_DATA))
    return build_app(settings, content, store), store


async def echo(request: web.Request) -> web.Response:
    return web.json_response(await request.json())


def echo_app() -> tuple[web.Application, Store | None]:
    logging.basicConfig(level=logging.WARNING)
    app = web.Application()
    app.add_routes([web.post(ECHO_PATH, echo)])
    return app, None


async def _serve(app: web.Application, conn: Connection) -> None:
    """Serves on 127.0.0.1 at a free port, reports the port, stops when the parent writes."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    conn.send(runner.addresses[0][1])
    stop, loop = asyncio.Event(), asyncio.get_running_loop()
    loop.add_reader(conn.fileno(), stop.set)
    try:
        await stop.wait()
    finally:
        loop.remove_reader(conn.fileno())
        await runner.cleanup()


def serve(db_path: Path | None, core: int | None, conn: Connection) -> None:
    """The server process: the helper on `db_path`, or the echo application when it is None."""
    if core is not None:
        os.sched_setaffinity(0, {core})
    store = None
    try:
        app, store = echo_app() if db_path is None else helper_app(db_path)
        asyncio.run(_serve(app, conn))
    except BaseException as error:
        with contextlib.suppress(OSError):
            conn.send(f"{type(error).__name__}: {error}")
        raise
    finally:
        if store is not None:
            store.close()


@dataclass
class Server:
    """A server process as the load generator sees it: its address, CPU time and memory."""

    process: BaseProcess
    port: int
    core: int | None

    def cpu_seconds(self) -> float:
        """User + system time of the whole process (every thread), from /proc."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        return int(found.group(1)) / 1024 if found else math.nan


@contextlib.contextmanager
def running(db_path: Path | None, core: int | None) -> Iterator[Server]:
    """A server process (spawned, so it shares nothing with this one) for the duration."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=serve, args=(db_path, core, child), name="bench-server", daemon=True)
    process.start()
    try:
        if not parent.poll(START_TIMEOUT):
            raise RuntimeError(f"the server did not start within {START_TIMEOUT:g} s")
        port = parent.recv()
        if not isinstance(port, int):
            raise RuntimeError(f"the server failed to start: {port}")
        yield Server(process, port, core)
    finally:
        with contextlib.suppress(OSError):
            parent.send("stop")
        process.join(10)
        if process.is_alive():
            process.terminate()
            process.join(5)


def busy_seconds(cpus: Sequence[str]) -> float:
    """Seconds `cpus` ("cpu0", ...; "cpu" is all of them) ran processes or were stolen by the
    hypervisor, from /proc/stat (interrupt time is left out: it is mostly our own loopback traffic)."""
    busy = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/stat").read_text().splitlines():
            name, *ticks = line.split()
            if name in cpus:
                user, nice, system, _idle, _iowait, _irq, _softirq, steal = map(int, ticks[:8])
                busy += user + nice + system + steal
    return busy / os.sysconf("SC_CLK_TCK")


def measured_cpus(server: Server) -> list[str]:
    """The server's core and the load generator's, or all cores when they are not pinned."""
    load = os.sched_getaffinity(0)
    if server.core is None or len(load) != 1:
        return ["cpu"]
    return sorted({f"cpu{server.core}", f"cpu{min(load)}"})


async def measure(server: Server, path: str, drive: Drive) -> Phase:
    tally, cpus = Tally(), measured_cpus(server)
    server_cpu, client_cpu, busy = server.cpu_seconds(), time.process_time(), busy_seconds(cpus)
    started = time.perf_counter()
    await drive(sender(path, tally))
    seconds = time.perf_counter() - started
    server_cpu = server.cpu_seconds() - server_cpu
    client_cpu = time.process_time() - client_cpu
    others = max(0.0, busy_seconds(cpus) - busy - server_cpu - client_cpu)
    return Phase(tally, seconds, server_cpu, client_cpu, others)


@dataclass
class ServerRun:
    """Throughput and latency of one server, and its memory along the way."""

    throughput: Phase
    latency: Phase
    warmup: Phase
    rss_mb: dict[str, float]

    @property
    def errors(self) -> Counter[str]:
        return self.warmup.tally.errors + self.throughput.tally.errors + self.latency.tally.errors


async def run_server(server: Server, path: str, workload: Sequence[Script], timing: Timing) -> ServerRun:
    rss = {"started": server.rss_mb()}
    browsers = [Browser(server.port) for _ in range(CLIENTS)]
    try:
        warmup = await measure(server, path, closed_loop(browsers, workload, timing.warmup))
        rss["after warm-up"] = server.rss_mb()
        throughput = await measure(server, path, closed_loop(browsers, workload, timing.throughput))
        rss["after throughput"] = server.rss_mb()
        latency = await measure(server, path, open_loop(browsers, workload, timing.latency, OFFERED_RATE))
        rss["after latency"] = server.rss_mb()
    finally:
        for browser in browsers:
            browser.close()
    return ServerRun(throughput, latency, warmup, rss)


def bench(
    db_path: Path | None, path: str, workload: Sequence[Script], timing: Timing, core: int | None
) -> ServerRun:
    with running(db_path, core) as server:
        return asyncio.run(run_server(server, path, workload, timing))


# --- report ----------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    value: float
    unit: str
    target: str
    ok: bool | None  # None: no target (a baseline)
    phase: Phase | None = None

    @property
    def status(self) -> str:
        return "" if self.ok is None else "ok" if self.ok else "MISSED"

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": round(self.value, 2),
            "unit": self.unit,
            "target": self.target or None,
            "status": self.status or "baseline",
        }


def rows(chat: ServerRun, echo: ServerRun) -> list[Row]:
    rate, ratio = chat.throughput.rate, chat.throughput.rate / echo.throughput.rate
    p99, failed = chat.latency.percentile(99), sum(chat.errors.values())
    loop, paced = f"{CLIENTS} browsers, closed loop", f"@ {OFFERED_RATE:,.0f}/s"
    return [
        Row(
            f"chat, {loop}",
            rate,
            "msg/s",
            f">= {THROUGHPUT_TARGET:,}",
            rate >= THROUGHPUT_TARGET,
            chat.throughput,
        ),
        Row(f"echo, {loop}", echo.throughput.rate, "req/s", "", None, echo.throughput),
        Row("chat / echo", 100 * ratio, "%", f">= {100 * RATIO_TARGET:.0f}", ratio >= RATIO_TARGET),
        Row(f"chat p50 {paced}", chat.latency.percentile(50), "ms", "", None, chat.latency),
        Row(f"chat p99 {paced}", p99, "ms", f"<= {P99_TARGET_MS:g}", p99 <= P99_TARGET_MS, chat.latency),
        Row(f"echo p50 {paced}", echo.latency.percentile(50), "ms", "", None, echo.latency),
        Row(f"echo p99 {paced}", echo.latency.percentile(99), "ms", "", None, echo.latency),
        Row("chat messages failed, all phases", failed, "msg", "0", failed == 0),
    ]


def _phase_cells(phase: Phase | None) -> tuple[str, str, str, str, str]:
    """Errors, server CPU (share of its core, per answer), load generator's CPU, other processes'."""
    if phase is None:
        return ("", "", "", "", "")
    return (
        str(phase.errors),
        f"{100 * phase.server_cpu / phase.seconds:.0f} %",
        f"{phase.server_us_per_answer:.0f} µs",
        f"{100 * phase.client_cpu / phase.seconds:.0f} %",
        f"{100 * phase.others_cpu / phase.seconds:.0f} %",
    )


def table(results: Sequence[Row]) -> str:
    header = (
        "benchmark",
        "value",
        "unit",
        "target",
        "errors",
        "server CPU",
        "per answer",
        "load CPU",
        "others",
        "status",
    )
    cells = [
        (
            r.name,
            f"{r.value:,.1f}" if r.unit in ("ms", "%") else f"{r.value:,.0f}",
            r.unit,
            r.target or "-",
            *_phase_cells(r.phase),
            r.status or "baseline",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in (header, *cells)) for i in range(len(header))]
    return "\n".join(
        "   ".join(
            cell.ljust(w) if i in (0, 2) else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in (header, *cells)
    )


# --- machine ---------------------------------------------------------------------------------


def pin_load_generator() -> tuple[int | None, str]:
    """Pins this process to the second available core; returns the first (for the servers) and how
    it went."""
    try:
        available = sorted(os.sched_getaffinity(0))
        if len(available) < 2:
            return None, f"not pinned: only core {available[0]}, server and load generator share it"
        server, load = available[:2]
        os.sched_setaffinity(0, {load})
    except (AttributeError, OSError) as error:
        return None, f"not pinned: {error}"
    return server, f"server on core {server}, load generator on core {load}"


def disk(folder: Path) -> str:
    """The filesystem `folder` lives on (the longest mount point above it in /proc/mounts)."""
    resolved = folder.resolve()
    mounts = [(0, "?", "?", "?")]
    with contextlib.suppress(OSError):
        for line in Path("/proc/mounts").read_text().splitlines():
            device, mount, kind = line.split()[:3]
            if resolved.is_relative_to(mount):
                mounts.append((len(mount), device, mount, kind))
    _, device, mount, kind = max(mounts)
    vfs = os.statvfs(resolved)
    free = vfs.f_bavail * vfs.f_frsize / 1e9
    where = "tmpfs: in memory, fsync is free" if kind == "tmpfs" else "not tmpfs: every commit is fsynced"
    return f"{resolved}: {kind} on {device} at {mount}, {free:,.0f} GB free ({where})"


def report(results: Sequence[Row], chat: ServerRun, echo: ServerRun, context: dict[str, str]) -> str:
    lines = [f"{key}: {value}" for key, value in context.items()]
    lines += ["", table(results), ""]
    for name, run in (("chat", chat), ("echo", echo)):
        memory = ", ".join(f"{when} {mb:,.0f} MB" for when, mb in run.rss_mb.items())
        shown = ", ".join(f"{kind} x{count}" for kind, count in run.errors.items()) or "none"
        lines.append(f"{name} server: RSS {memory}; failed requests, warm-up included: {shown}")
    offered = chat.latency.tally.ok + chat.latency.errors
    lines.append(f"open loop: {offered:,} chat messages sent in {chat.latency.seconds:.2f} s")
    return "\n".join(lines)


def as_json(results: Sequence[Row], chat: ServerRun, echo: ServerRun, context: dict[str, str]) -> str:
    runs = {
        name: {
            "throughput": run.throughput.as_json(),
            "latency": run.latency.as_json(),
            "warmup": run.warmup.as_json(),
            "rss_mb": {when: round(mb, 1) for when, mb in run.rss_mb.items()},
        }
        for name, run in (("chat", chat), ("echo", echo))
    }
    report = {**context, "results": [r.as_json() for r in results], "servers": runs}
    return json.dumps(report, ensure_ascii=False, indent=2)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a ~10 s smoke run")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument("--dir", type=Path, default=None, help="where the temporary database goes")
    args = parser.parse_args(argv)
    timing = QUICK if args.quick else FULL
    workload = [s for s in map(script, transcript.files()) if s]
    if not workload:
        print("no transcript files in tests/transcripts", file=sys.stderr)
        return 2
    server_core, pinning = pin_load_generator()
    with tempfile.TemporaryDirectory(prefix="vneid-web-bench-", dir=args.dir) as folder:
        context = {
            "machine": machine(pinning),
            "database": disk(Path(folder)),
            "workload": (
                f"{len(workload)} transcripts ({sum(map(len, workload))} messages), {CLIENTS} browsers; "
                f"{timing.warmup:g} s warm-up, {timing.throughput:g} s closed loop, "
                f"{timing.latency:g} s open loop at {OFFERED_RATE:,.0f}/s, per server"
            ),
        }
        echo = bench(None, ECHO_PATH, workload, timing, server_core)
        chat = bench(Path(folder) / "helper.sqlite3", CHAT_PATH, workload, timing, server_core)
    results = rows(chat, echo)
    print(as_json(results, chat, echo, context) if args.json else report(results, chat, echo, context))
    return 0 if all(r.ok is not False for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
