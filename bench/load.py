"""The load generator of bench/web.py: simulated browsers on raw keep-alive HTTP/1.1, the
workload they replay (the person's side of the transcripts), closed and open loops, and what one
measured phase saw.

A separate module so the benchmark's two halves stay readable: this one only drives a server and
counts its answers; bench/web.py starts the servers, measures CPU and reports.
"""

import asyncio
import json
import math
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import transcript

REQUEST_TIMEOUT = 30.0

#: One conversation: the encoded request bodies, in order.
Script = list[bytes]


# --- workload --------------------------------------------------------------------------------


def request_body(send: transcript.Send) -> dict[str, str]:
    """What the chat page posts for one thing the person does; `/start X` is a link with payload X."""
    if send.choice is not None:
        return {"choice": send.choice}
    command, _, payload = send.text.partition(" ")
    if command == "/start":
        return {"start": payload.strip()}
    return {"text": send.text}


def script(path: Path) -> Script:
    """One transcript as request bodies, opened as a fresh visit (`start` "") unless it opens with a
    start link of its own."""
    bodies = [request_body(s) for s in transcript.parse(path) if s.kind in ("text", "choice")]
    if not bodies or "start" not in bodies[0]:
        bodies.insert(0, {"start": ""})
    return [json.dumps(body, ensure_ascii=False).encode() for body in bodies]


def conversations(workload: Sequence[Script], first: int) -> Iterator[Script]:
    """Every transcript in turn, starting at `first`, forever."""
    index = first
    while True:
        yield workload[index % len(workload)]
        index += 1


# --- load generator --------------------------------------------------------------------------


class Browser:
    """One simulated browser: a keep-alive HTTP/1.1 connection and the chat's cookie.

    Written on asyncio streams rather than with `aiohttp.ClientSession`: the aiohttp client spends
    more CPU per request than the echo server does, so with it the baseline measured the load
    generator (its core at 99 %, the echo server's at 58 %, on the machine of bench/RESULTS.md)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = b""
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    def forget(self) -> None:
        """The next person on this browser: no cookie, as after "Người tiếp theo"."""
        self.cookie = b""

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        """The status and body of the answer; a failed exchange drops the connection."""
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                return await self._exchange(path, body)
        except BaseException:
            self.close()
            raise

    async def _exchange(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self._streams
        cookie = b"Cookie: " + self.cookie + b"\r\n" if self.cookie else b""
        writer.write(
            b"POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n%s\r\n%s" % (path.encode(), self.port, len(body), cookie, body)
        )
        status_line, *lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
        headers = dict(_header(line) for line in lines if line)
        if set_cookie := headers.get(b"set-cookie"):
            self.cookie = set_cookie.split(b";", 1)[0]
        answer = await reader.readexactly(int(headers.get(b"content-length", b"0")))
        if headers.get(b"connection", b"").lower() == b"close":
            self.close()
        return int(status_line.split()[1]), answer

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


def _header(line: bytes) -> tuple[bytes, bytes]:
    name, _, value = line.partition(b":")
    return name.strip().lower(), value.strip()


@dataclass
class Tally:
    """The answers of one measured phase."""

    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)


#: Posts one body from one browser; the float is the scheduled send time (open loop) or None.
Send = Callable[[Browser, bytes, float | None], Awaitable[None]]


def sender(path: str, tally: Tally) -> Send:
    """A 200 carrying a JSON object counts; anything else is an error named by its status or
    exception. With a scheduled time, the latency from that time is kept too."""
    loop = asyncio.get_running_loop()

    async def send(browser: Browser, body: bytes, scheduled: float | None) -> None:
        try:
            status, answer = await browser.post(path, body)
            if status != 200:
                tally.errors[f"HTTP {status}"] += 1
            elif not isinstance(json.loads(answer), dict):
                tally.errors["not a JSON object"] += 1
            else:
                tally.ok += 1
        except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError) as error:
            tally.errors[type(error).__name__] += 1
        if scheduled is not None:
            tally.latencies.append(loop.time() - scheduled)

    return send


def messages(browser: Browser, workload: Sequence[Script], first: int) -> Iterator[bytes]:
    """One browser's messages, forever; the cookie is dropped before each new conversation."""
    for conversation in conversations(workload, first):
        browser.forget()
        yield from conversation


async def closed_person(
    browser: Browser, send: Send, workload: Sequence[Script], first: int, until: float
) -> None:
    """Sends the next message as soon as the previous one is answered, until `until`."""
    loop = asyncio.get_running_loop()
    for body in messages(browser, workload, first):
        if loop.time() >= until:
            return
        await send(browser, body, None)


async def paced_person(
    browser: Browser, send: Send, workload: Sequence[Script], first: int, slots: Sequence[float]
) -> None:
    """Sends at the scheduled times (or at once, when the previous answer came late)."""
    loop = asyncio.get_running_loop()
    for scheduled, body in zip(slots, messages(browser, workload, first), strict=False):
        await asyncio.sleep(max(0.0, scheduled - loop.time()))
        await send(browser, body, scheduled)


Drive = Callable[[Send], Awaitable[Any]]


def closed_loop(browsers: Sequence[Browser], workload: Sequence[Script], seconds: float) -> Drive:
    def drive(send: Send) -> Awaitable[Any]:
        until = asyncio.get_running_loop().time() + seconds
        return asyncio.gather(*(closed_person(b, send, workload, i, until) for i, b in enumerate(browsers)))

    return drive


def open_loop(browsers: Sequence[Browser], workload: Sequence[Script], seconds: float, rate: float) -> Drive:
    """Message k of the run is due at start + k / rate and belongs to browser k mod len(browsers)."""

    def drive(send: Send) -> Awaitable[Any]:
        start = asyncio.get_running_loop().time() + 0.05
        count, people = round(seconds * rate), len(browsers)
        slots = [[start + k / rate for k in range(i, count, people)] for i in range(people)]
        return asyncio.gather(*(paced_person(b, send, workload, i, slots[i]) for i, b in enumerate(browsers)))

    return drive


@dataclass
class Phase:
    """One measured run against one server."""

    tally: Tally
    seconds: float
    server_cpu: float
    client_cpu: float
    #: CPU time other processes took on the server's and the load generator's cores.
    others_cpu: float

    @property
    def rate(self) -> float:
        return self.tally.ok / self.seconds

    @property
    def errors(self) -> int:
        return sum(self.tally.errors.values())

    @property
    def server_us_per_answer(self) -> float:
        return 1e6 * self.server_cpu / self.tally.ok if self.tally.ok else math.nan

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the latencies, in ms."""
        ordered = sorted(self.tally.latencies)
        if not ordered:
            return math.nan
        return 1000 * ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]

    def as_json(self) -> dict[str, Any]:
        report: dict[str, Any] = {
            "answered": self.tally.ok,
            "errors": dict(self.tally.errors),
            "seconds": round(self.seconds, 3),
            "per_s": round(self.rate, 1),
            "server_cpu_percent": round(100 * self.server_cpu / self.seconds),
            "server_cpu_us_per_answer": round(self.server_us_per_answer, 1),
            "client_cpu_percent": round(100 * self.client_cpu / self.seconds),
            "others_cpu_percent": round(100 * self.others_cpu / self.seconds),
        }
        if self.tally.latencies:
            report |= {f"p{p}_ms": round(self.percentile(p), 2) for p in (50, 90, 99)}
            report["max_ms"] = round(1000 * max(self.tally.latencies), 2)
        return report
