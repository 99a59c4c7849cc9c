"""Asking for a person: the way out of every place where the helper cannot help further.

The helper cannot pass a request on to anyone yet, so it never says or implies that someone will
call: it says where and when to get help in person (the office's own details, content/office.toml)
and records `handoff_requested` (with the village and where the person was), so the office can
count the demand; relaying requests to volunteers is a later addition that reads the same event.
"""

from flows.model import Step
from flows.turn import Turn


def handoff(turn: Turn, at: str) -> None:
    """Records `handoff_requested` at step `at`, says where to go, then shows the menu."""
    turn.log("handoff_requested", step=at)
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
