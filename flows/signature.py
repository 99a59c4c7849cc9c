"""Public digital signatures (chữ ký số công cộng): what they are and who wants help getting one.

The commune's plan targets 1,500 adults with a public digital signature; a `signature_interest`
event is how the office learns who asked for help, per village.
"""

from flows.model import Step
from flows.turn import Turn


def explain(turn: Turn) -> None:
    """Explains what a public digital signature is and what it is for."""
    turn.say_all("signature.explain")
    turn.go(Step.SIGNATURE)


def ask_signature(turn: Turn) -> None:
    """Asks whether the person wants help to register; the ways to register are one more option."""
    turn.question(
        turn.content.text("signature.question"),
        [
            ("yes", turn.label("signature.yes")),
            ("how", turn.label("signature.how_label")),
            ("no", turn.label("signature.no")),
        ],
    )


def answer_signature(turn: Turn, name: str) -> None:
    """Records `signature_interest` on "yes" and says where and when to come; "how" tells the
    ways to register and asks again."""
    if name == "how":
        turn.say("signature.how")
        return
    if name == "yes":
        turn.log("signature_interest")
        turn.say("signature.where")
    else:
        turn.say("signature.later")
    turn.go(Step.MENU)
