"""The "Báo kết quả" menu entry: the person comes back to say how their request ended.

Approvals and rejections (with their cause) are what the office most wants to count; each
rejection cause comes with what to do about it.
"""

from flows import wakes
from flows.handoff import offer_handoff
from flows.model import Step
from flows.turn import Turn

RESULTS = ("approved", "rejected", "pending")
REJECT_CAUSES = ("mismatch", "expired", "wrong_issuer", "other")


def ask_result(turn: Turn) -> None:
    """Asks how the request in VNeID ended."""
    turn.question(
        turn.content.text("result.question"),
        [(name, turn.label(f"result.{name}.label")) for name in RESULTS]
        + [("menu", turn.label("common.menu"))],
    )


def answer_result(turn: Turn, name: str) -> None:
    """Records `outcome` approved; a rejection asks for its cause; pending gets advice (and,
    after the first follow-up, one more in three days)."""
    if name == "approved":
        turn.log("outcome", outcome="approved")
        turn.say_all("result.approved.answer")
        turn.go(Step.MENU)
    elif name == "rejected":
        turn.go(Step.REJECT_CAUSE)
    elif name == "pending":
        turn.say("result.pending.answer")
        if wakes.pending_again(turn):
            turn.say("wake.ask_again")
        turn.go(Step.MENU)
    else:
        turn.go(Step.MENU)


def ask_reject_cause(turn: Turn) -> None:
    """Asks why the request was rejected."""
    turn.question(
        turn.content.text("result.cause_question"),
        [(name, turn.label(f"result.cause.{name}.label")) for name in REJECT_CAUSES],
    )


def answer_reject_cause(turn: Turn, name: str) -> None:
    """Records `outcome` rejected with its cause and says what to do about it."""
    turn.log("outcome", outcome="rejected", cause=name)
    turn.say(f"result.cause.{name}.answer")
    if name == "other":
        offer_handoff(turn, resume=Step.MENU)
    else:
        turn.go(Step.MENU)
