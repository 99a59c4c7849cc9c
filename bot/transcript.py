"""Transcript files: whole conversations written down, replayed through the terminal runner.

They are the tests' record of how the helper must behave, the benchmark's workload, and the office's
check after editing texts (`python -m bot replay`). One directive per line:

    # comment
    > text              the person types "text"
    > [photo]           the person sends a photo (also sticker, voice, file, location), or
                        comes back to the page without its history ([resume])
    > [press ID]        the person presses the button with that id
    > [wait 25h]        time passes (h or m) before the next message
    ? substring         what the terminal printed for the last message contains this
    ! event k=v ...     the last message logged this event, with these values
    = step              the conversation is at this step afterwards
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from bot.channels.console import ConsoleSession
from flows import Content, FlowEvent, FlowState

_TESTS = Path(__file__).resolve().parents[1] / "tests"
DEFAULT_DIR = _TESTS / "transcripts"
#: The content the transcripts are written for: a frozen copy, so that the office's edits of
#: the live content never make a transcript fail (tests/fixtures/README.md).
FROZEN_CONTENT = _TESTS / "fixtures" / "content"
FROZEN_DATA = _TESTS / "fixtures" / "data"
_WAIT = re.compile(r"^\[wait (\d+)([hm])\]$")
_KIND = re.compile(r"^\[(photo|sticker|voice|file|location|resume)\]$")
_PRESS = re.compile(r"^\[press (\S+)\]$")


class TranscriptError(ValueError):
    """A transcript file does not follow the format; the message names the line."""


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


@dataclass
class Played:
    """What one message produced during a replay."""

    send: Send
    output: str
    events: list[FlowEvent]
    state: FlowState


def _message(number: int, rest: str, wait: timedelta) -> Send:
    send = Send(number, wait=wait)
    if kind := _KIND.match(rest):
        send.kind = kind.group(1)
    elif press := _PRESS.match(rest):
        send.choice, send.kind = press.group(1), "choice"
    else:
        send.text = rest
    return send


def parse(path: Path) -> list[Send]:
    sends: list[Send] = []
    wait = timedelta(0)
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        marker, _, rest = line.partition(" ")
        if marker == ">" and (waited := _WAIT.match(rest)):
            amount = int(waited.group(1))
            wait += timedelta(hours=amount) if waited.group(2) == "h" else timedelta(minutes=amount)
        elif marker == ">":
            sends.append(_message(number, rest, wait))
            wait = timedelta(0)
        elif not sends or marker not in "?!=":
            raise TranscriptError(f"{path.name}:{number}: unexpected line {line!r}")
        elif marker == "?":
            sends[-1].shows.append(rest)
        elif marker == "!":
            kind, *pairs = rest.split()
            sends[-1].events.append((kind, dict(pair.split("=", 1) for pair in pairs)))
        else:
            sends[-1].step = rest.strip()
    return sends


def files(directory: Path = DEFAULT_DIR) -> list[Path]:
    return sorted(directory.glob("*.txt"))


def play(sends: list[Send], content: Content, start: datetime, show_qr: bool = True) -> Iterator[Played]:
    """Replay from no state, one minute between messages plus any waits."""
    session = ConsoleSession(content, show_qr=show_qr)
    now = start
    for send in sends:
        now += send.wait + timedelta(minutes=1)
        before = len(session.events)
        output = session.send(send.text, choice=send.choice, kind=send.kind, now=now)
        assert session.state is not None
        yield Played(send, output, session.events[before:], session.state)


def _event_matches(event: FlowEvent, kind: str, expected: dict[str, str]) -> bool:
    values = {k: str(v) for k, v in event.data.items()} | {
        "village": str(event.village),
        "person": str(event.person),
    }
    return event.kind == kind and all(values.get(k) == v for k, v in expected.items())


def problems(played: Played) -> list[str]:
    """How what happened differs from what the transcript expects."""
    send, found = played.send, []
    found += [
        f"expected {shown!r} in:\n{played.output}" for shown in send.shows if shown not in played.output
    ]
    logged = [(e.kind, e.village, e.person, e.data) for e in played.events]
    for kind, expected in send.events:
        if not any(_event_matches(e, kind, expected) for e in played.events):
            found.append(f"expected event {kind} {expected}, got {logged}")
    if send.step and played.state.step != send.step:
        found.append(f"expected step {send.step}, at {played.state.step}")
    return [f"line {send.line}: {problem}" for problem in found]


def replay(path: Path, content: Content, start: datetime) -> list[str]:
    """Everything in one transcript file that the helper now answers differently (empty when it
    all holds); a malformed file or a text that breaks is a finding too, not a crash."""
    try:
        return [
            problem for played in play(parse(path), content, start, False) for problem in problems(played)
        ]
    except Exception as error:  # reported to the office, who edits texts, not code
        return [repr(error) if not isinstance(error, TranscriptError) else str(error)]
