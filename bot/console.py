"""The help conversation in a terminal: for volunteers' training, for trying content edits, and
for replaying transcript files in tests.

Buttons are printed as a numbered list (exactly what a resident on Zalo sees) and typed answers go
through the same flow as every other channel; the guide-video QR code is printed as text.
"""

import io
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

import qrcode

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


class ConsoleSession:
    """One person's conversation held in memory; `send` returns what the terminal prints."""

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
        return "\n\n".join(self.render(reply) for reply in transition.replies)

    def render(self, reply: Reply) -> str:
        lines = [reply.text]
        if reply.image in _QR_IMAGES:
            url = _QR_IMAGES[reply.image](self.content)
            lines.append(qr_text(url) if self.show_qr else f"[Mã QR: {url}]")
        elif reply.image:
            lines.append(f"[Ảnh: {reply.image.partition(':')[2]}]")
        lines.extend(f"  {number}. {button.label}" for number, button in enumerate(reply.buttons, 1))
        return "\n".join(lines)


def chat(content: Content, lines: Iterable[str] | None = None, out: TextIO = sys.stdout) -> None:
    """Hold a conversation: read a line, print the helper's answer, until end of input."""
    session = ConsoleSession(content)
    interactive = lines is None
    print("Trợ lý VNeID trên máy tính. Gõ câu trả lời rồi bấm Enter; Ctrl+D để thoát.\n", file=out)
    source = iter(lines) if lines is not None else None
    while True:
        try:
            line = input(PROMPT) if interactive else next(source)  # type: ignore[arg-type]
        except (EOFError, StopIteration, KeyboardInterrupt):
            print(file=out)
            return
        print(session.send(line.rstrip("\n")) + "\n", file=out)
