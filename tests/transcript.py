"""Reading and replaying transcript files (tests/transcripts/*.txt) through the terminal runner.

One directive per line: `# comment`; `> text` (typed), `> [photo]` / `> [sticker]` (non-text),
`> [press ID]` (a button), `> [wait 25h]` / `> [wait 30m]` (the clock moves on); then
expectations about the last message sent: `? substring` of what the terminal printed,
`! event key=value ...` logged by it, `= step` the conversation is at afterwards.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

TRANSCRIPTS = Path(__file__).parent / "transcripts"
_WAIT = re.compile(r"^\[wait (\d+)([hm])\]$")
_KIND = re.compile(r"^\[(photo|sticker|voice|file|location)\]$")
_PRESS = re.compile(r"^\[press (\S+)\]$")


@dataclass
class Send:
    """One thing the person does, and what must follow it."""

    line: int
    text: str = ""
    choice: str | None = None
    kind: str = "text"
    wait: timedelta = timedelta(0)
    shows: list[str] = field(default_factory=list)
    events: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    step: str | None = None


def parse(path: Path) -> list[Send]:
    sends: list[Send] = []
    pending_wait = timedelta(0)
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        marker, _, rest = line.partition(" ")
        if marker == ">":
            wait = _WAIT.match(rest)
            if wait:
                amount = int(wait.group(1))
                pending_wait += timedelta(hours=amount) if wait.group(2) == "h" else timedelta(minutes=amount)
                continue
            send = Send(number, wait=pending_wait)
            pending_wait = timedelta(0)
            if kind := _KIND.match(rest):
                send.kind = kind.group(1)
            elif press := _PRESS.match(rest):
                send.choice = press.group(1)
                send.kind = "choice"
            else:
                send.text = rest
            sends.append(send)
        elif not sends:
            raise ValueError(f"{path.name}:{number}: an expectation before any message")
        elif marker == "?":
            sends[-1].shows.append(rest)
        elif marker == "!":
            kind, *pairs = rest.split()
            sends[-1].events.append((kind, dict(pair.split("=", 1) for pair in pairs)))
        elif marker == "=":
            sends[-1].step = rest.strip()
        else:
            raise ValueError(f"{path.name}:{number}: unknown directive {line!r}")
    return sends


def files() -> list[Path]:
    return sorted(TRANSCRIPTS.glob("*.txt"))


def clock(start: datetime, sends: list[Send]) -> list[datetime]:
    """The time of each message: one minute apart, plus any waits."""
    times, now = [], start
    for send in sends:
        now += send.wait + timedelta(minutes=1)
        times.append(now)
    return times
