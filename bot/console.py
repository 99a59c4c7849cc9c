"""The help conversation in a terminal: for volunteers' training, for trying content edits, and
for replaying transcript files in tests.

`chat` goes through the conversation service like every channel (channel "console"), so its sessions
are stored and logged; `ConsoleSession` runs the pure flow in memory for transcripts and benchmarks.

Buttons are printed as a numbered list (exactly what a resident on Zalo sees) and typed answers go
through the same flow as every other channel; the guide-video QR code is printed as text.
"""

import asyncio
import io
import sys
from collections.abc import Iterable
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


async def chat(
    service: ConversationService, user: str, lines: Iterable[str] | None = None, out: TextIO = sys.stdout
) -> None:
    """Hold a conversation through the conversation service (so it is logged like any channel):
    read a line, let the sender print what the outbox holds, until the end of input."""

    async def deliver(_: str, reply: Reply) -> None:
        print(render(reply, service.content) + "\n", file=out, flush=True)

    sender = Sender(service.store, CHANNEL, deliver)
    print("Trợ lý VNeID trên máy tính. Gõ câu trả lời rồi bấm Enter; Ctrl+D để thoát.\n", file=out)
    await sender.drain()
    source = iter(lines) if lines is not None else None
    loop = asyncio.get_running_loop()
    while True:
        try:
            line = await loop.run_in_executor(None, input, PROMPT) if source is None else next(source)
        except (EOFError, StopIteration, KeyboardInterrupt):
            print(file=out)
            return
        inbound = Inbound(CHANNEL, user, user, text=line.rstrip("\n"))
        await service.handle(inbound)
        await sender.drain()
