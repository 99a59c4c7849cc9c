"""The help conversation in a terminal: for volunteers' training, for trying content edits, and
for replaying transcript files in tests.

`ConsoleChannel` and `chat` go through the conversation service like every channel (channel
"console"; `bot.app.chat` wires them), so its sessions are stored and logged; `ConsoleSession`
runs the pure flow in memory for transcripts and benchmarks.

Buttons are printed as a numbered list (exactly what a resident on Zalo sees) and typed answers go
through the same flow as every other channel; the guide-video QR code is printed as text.
"""

import asyncio
import contextlib
import importlib
import io
import signal
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TextIO

import qrcode

from bot.channels import Channel
from bot.conversation import ConversationService, reply_from_dict
from bot.rendering import numbered, qr_data
from bot.reports.chat import ChatReports
from bot.sender import Pacing, Sender
from bot.store import OutboxRow
from flows import Content, FlowEvent, FlowState, Inbound, Reply, handle

CHANNEL = "console"
PROMPT = "> "


def qr_text(data: str) -> str:
    """A QR code drawn with block characters, scannable from most terminals."""
    code = qrcode.QRCode(border=1)
    code.add_data(data)
    code.make(fit=True)
    out = io.StringIO()
    code.print_ascii(out=out, invert=True)
    return out.getvalue().rstrip("\n")


def render(reply: Reply, content: Content, show_qr: bool = True) -> str:
    """A reply as the terminal prints it: text, image, then the options as a numbered list."""
    text, _, options = numbered(reply).partition("\n")
    data = qr_data(reply.image, content, "")
    if data is not None:
        text += "\n" + (qr_text(data) if show_qr else f"[Mã QR: {data}]")
    elif reply.image:
        text += f"\n[Ảnh: {reply.image.partition(':')[2]}]"
    return f"{text}\n{options}" if options else text


class ConsoleSession:
    """One conversation held in memory, nothing stored: for replaying transcripts and benchmarks.
    `send` returns what the terminal prints."""

    def __init__(self, content: Content, user: str = "terminal", show_qr: bool = True) -> None:
        self.content = content
        self.user = user
        self.show_qr = show_qr
        self.state: FlowState | None = None
        self.events: list[FlowEvent] = []

    def send(
        self,
        text: str = "",
        *,
        choice: str | None = None,
        kind: str = "text",
        payload: str | None = None,
        now: datetime | None = None,
    ) -> str:
        inbound = Inbound(CHANNEL, self.user, self.user, text=text, choice=choice, kind=kind, payload=payload)
        transition = handle(self.state, inbound, self.content, now or datetime.now(UTC))
        self.state = transition.state
        self.events.extend(transition.events)
        return "\n\n".join(render(reply, self.content, self.show_qr) for reply in transition.replies)


class ConsoleChannel(Channel):
    """The terminal as a push channel: delivering a reply is printing it."""

    name = CHANNEL
    pacing = Pacing()

    def __init__(
        self, content: Content, out: TextIO = sys.stdout, reports: ChatReports | None = None
    ) -> None:
        self.content = content
        self.out = out
        self.reports = reports

    async def deliver(self, row: OutboxRow) -> str | None:
        if "report" in row.reply:
            made = await self.reports.make(row.reply["report"], with_file=False) if self.reports else None
            text = made.text if made else self.content.text("staff.report_failed")
            print(text + "\n", file=self.out, flush=True)
        elif "text" in row.reply:  # actions on a platform's messages mean nothing here
            print(render(reply_from_dict(row.reply), self.content) + "\n", file=self.out, flush=True)
        return None


def chat(
    service: ConversationService,
    sender: Sender,
    user: str,
    lines: Iterable[str] | None = None,
    out: TextIO = sys.stdout,
) -> None:
    """Hold a conversation through the conversation service (so it is stored like any channel):
    read a line, answer it, let the sender print what the outbox holds; until the end of input
    (Ctrl+D in a terminal, or the end of `lines`).

    Without `lines` the terminal is read with the built-in `input()`, in the main thread and outside
    the event loop, so that with `readline` imported the arrow keys, Home/End and the history work.
    Ctrl+C then ends the process at once, as it ends any command-line tool (Python's default
    KeyboardInterrupt can be missed by a blocking read, or arrive as a traceback). Nothing is lost:
    every answer is committed before it is printed, and a reply still in the outbox is printed at
    the next start.
    """

    async def answer(line: str) -> None:
        await service.handle(Inbound(CHANNEL, user, user, text=line.rstrip("\n")))
        await sender.drain()

    print("Trợ lý VNeID trên máy tính. Gõ câu trả lời rồi bấm Enter; Ctrl+D để thoát.\n", file=out)
    if lines is None:
        enable_line_editing()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        with asyncio.Runner() as runner:
            runner.run(sender.drain())
            for line in _typed_lines() if lines is None else lines:
                runner.run(answer(line))
    finally:
        print(file=out, flush=True)


def enable_line_editing() -> None:
    """Importing the standard `readline` module is what makes `input()` edit the line (arrow keys,
    Home/End, history) when it reads from a terminal. Some Pythons have no `readline` (Windows,
    where the console edits lines by itself); nothing is imported when stdin is not a terminal."""
    if sys.stdin.isatty():
        with contextlib.suppress(ImportError):
            importlib.import_module("readline")


def _typed_lines() -> Iterator[str]:
    """Lines typed at the prompt, until the end of input (Ctrl+D)."""
    while True:
        try:
            yield input(PROMPT)
        except EOFError:
            return
