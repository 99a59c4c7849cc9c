"""Asking for a person: the way out of every place where the helper cannot help further.

On a channel that can send unprompted (Telegram, Zalo), the person may add a short message and
the request becomes a ticket that the service passes to the village's volunteers (or the
officers): their answer comes back in this chat (`bot/requests.py`). Numbers that look like a
card's or an identity card's are masked before the message leaves the flow. Everywhere, the
person is also told where and when to get help in person, and `handoff_requested` is recorded
with the village and where the person was.
"""

import re

from flows.model import Reply, Step
from flows.turn import Turn

#: A ticket's message is short: what the person needs, not their papers.
MAX_MESSAGE = 300
#: Six digits or more in a row (spaces, dots or dashes between them), with up to two letters
#: before: a card number, an identity card or a phone number. Masked.
_NUMBER = re.compile(r"[A-Za-z]{0,2}\d(?:[\s.-]?\d){5,}")


def masked(text: str) -> str:
    return _NUMBER.sub("***", " ".join(text.split()))[:MAX_MESSAGE]


def handoff(turn: Turn, at: str) -> None:
    """A person is asked for at step `at`: on a channel that can answer back, ask for a short
    message first; otherwise say where to go."""
    if turn.inbound.push and turn.inbound.chat_type == "private":
        turn.state.handoff_from = at
        turn.go(Step.HANDOFF_MESSAGE)
        return
    turn.log("handoff_requested", step=at)
    turn.say("handoff.where")
    turn.go(Step.MENU)


def ask_handoff_message(turn: Turn) -> None:
    turn.question(
        turn.content.text("handoff.message_ask"),
        [("skip", turn.label("handoff.message_skip"))],
        wants_text=True,
    )


def answer_handoff_message(turn: Turn, _: str) -> None:
    _open_ticket(turn, "")


def typed_handoff_message(turn: Turn, text: str) -> bool:
    _open_ticket(turn, masked(text))
    return True


def _open_ticket(turn: Turn, message: str) -> None:
    at = turn.state.handoff_from or Step.MENU
    turn.state.handoff_from = None
    turn.log("handoff_requested", step=at)
    turn.replies.append(Reply("", request=("ticket", at, message)))
    turn.say("handoff.where")
    turn.go(Step.MENU)


def offer_handoff(turn: Turn, resume: Step) -> None:
    """Offers a person; "no" (or anything else) goes back to `resume`."""
    turn.detour(Step.HANDOFF_OFFER, back_to=resume)


def ask_handoff_offer(turn: Turn) -> None:
    """Asks whether the person wants help from a commune officer."""
    turn.question(
        turn.content.text("handoff.offer"),
        [("yes", turn.label("handoff.offer_yes")), ("no", turn.label("handoff.offer_no"))],
    )


def answer_handoff_offer(turn: Turn, name: str) -> None:
    """On "Có" records `handoff_requested`; on "Không" goes back where the person was."""
    back = turn.come_back(Step.MENU)
    if name == "yes":
        handoff(turn, at=back)
    else:
        turn.go(back)
