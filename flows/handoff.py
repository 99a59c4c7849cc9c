"""Asking for a person: the way out of every place where the helper cannot help further.

For now the helper records `handoff_requested` (with the village and where the person was) and
tells them where to get help in person today; relaying the request to volunteers is a later
addition that reads the same event.
"""

from flows.model import Step
from flows.turn import Turn


def handoff(turn: Turn, at: str) -> None:
    """Records `handoff_requested` at step `at`, says where to go, then shows the menu."""
    turn.log("handoff_requested", step=at)
    turn.say("handoff.where")
    turn.go(Step.MENU)


def offer_handoff(turn: Turn, resume: Step) -> None:
    """Offers a person; "no" goes back to `resume`."""
    if turn.state.step is not Step.HANDOFF_OFFER:
        turn.state.resume = resume
    turn.go(Step.HANDOFF_OFFER)


def ask_handoff_offer(turn: Turn) -> None:
    """Asks whether the person wants help from a commune officer."""
    turn.question(
        turn.content.text("handoff.offer"),
        [("yes", turn.label("handoff.offer_yes")), ("no", turn.label("handoff.offer_no"))],
    )


def answer_handoff_offer(turn: Turn, name: str) -> None:
    """On "Có" records `handoff_requested`; on "Không" goes back where the person was."""
    resume = Step(turn.state.resume or Step.MENU)
    turn.state.resume = None
    if name == "yes":
        handoff(turn, at=resume)
    else:
        turn.go(resume)
