"""The main menu and the one-shot answers it leads to (video, erase).

The menu is where every finished branch comes back to, so it is short to read again: one line and
seven options. The same actions are reachable by slash commands (`/huongdan`, `/video`, ...),
which call `open_item` exactly as a button press does.
"""

from collections.abc import Callable

from flows import signature
from flows.guide import start_guide
from flows.handoff import handoff
from flows.model import Step
from flows.turn import Turn

#: Menu entries in the order shown; each name has a label and aliases in the content.
MENU_ITEMS = ("guide", "card", "video", "result", "signature", "faq", "handoff")
#: The name of the image a channel renders as the QR code of the guide-video link.
VIDEO_QR = "qr:video"


def ask_menu(turn: Turn) -> None:
    """Asks what the person needs, with the seven menu entries."""
    turn.question(
        turn.content.text("menu.question"),
        [(name, turn.label(f"menu.items.{name}.label")) for name in MENU_ITEMS],
    )


def show_video(turn: Turn) -> None:
    """Records `video_shown`; sends the QR of the guide-video link with the link itself."""
    turn.log("video_shown")
    key = "video.site" if turn.content.video_is_default else "video.official"
    turn.say(key, image=VIDEO_QR)
    turn.go(Step.MENU)


def _open_card(turn: Turn) -> None:
    turn.state.card_from = None
    turn.go(Step.CARD_ASK)


_OPEN: dict[str, Callable[[Turn], None]] = {
    "guide": start_guide,
    "card": _open_card,
    "video": show_video,
    "result": lambda turn: turn.go(Step.RESULT),
    "signature": signature.explain,
    "faq": lambda turn: turn.go(Step.FAQ),
    "handoff": lambda turn: handoff(turn, at=turn.state.step),
}


def open_item(turn: Turn, name: str) -> None:
    """Opens a menu entry (also used by the slash commands)."""
    _OPEN[name](turn)


def ask_erase(turn: Turn) -> None:
    """Asks for confirmation before erasing what is kept about the person."""
    turn.question(
        turn.content.text("erase.question"),
        [("yes", turn.label("erase.yes")), ("no", turn.label("erase.no"))],
    )


def answer_erase(turn: Turn, name: str) -> None:
    """Records `data_erased` and marks the turn for erasure; the service deletes the rows. The
    answer offers "Bắt đầu lại", so the old erase buttons are no longer the current question;
    anything pressed or typed afterwards starts a new conversation."""
    resume = Step(turn.state.erase_from or Step.MENU)
    turn.state.erase_from = None
    if name == "yes":
        turn.log("data_erased")
        turn.question(turn.content.text("erase.done"), [("restart", turn.label("erase.restart"))])
        turn.erased = True
    else:
        turn.say("erase.kept")
        turn.go(resume)
