"""The help conversation in a terminal: for volunteers' training, for trying content edits, and
for replaying transcript files in tests.

`chat` goes through the conversation service like every channel (channel "console"), so its sessions
are stored and logged; `ConsoleSession` runs the pure flow in memory for transcripts and benchmarks.

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

from bot.conversation import ConversationService
from bot.sender import Sender
from flows import Content, FlowEvent, FlowState, Inbound, Reply, handle

CHANNEL = "console"
PROMPT = "> "
_QR_IMAGES = {"qr:video": lambda content: content.video_url}


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
    lines = [reply.text]
    if reply.image in _QR_IMAGES:
        url = _QR_IMAGES[reply.image](content)
        lines.append(qr_text(url) if show_qr else f"[Mã QR: {url}]")
    elif reply.image:
        lines.append(f"[Ảnh: {reply.image.partition(':')[2]}]")
    lines.extend(f"  {number}. {button.label}" for number, button in enumerate(reply.buttons, 1))
    return "\n".join(lines)


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


def chat(
    service: ConversationService, user: str, lines: Iterable[str] | None = None, out: TextIO = sys.stdout
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

    async def deliver(_: str, reply: Reply) -> None:
        print(render(reply, service.content) + "\n", file=out, flush=True)

    async def answer(line: str) -> None:
        await service.handle(Inbound(CHANNEL, user, user, text=line.rstrip("\n")))
        await sender.drain()

    sender = Sender(service.store, CHANNEL, deliver)
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
