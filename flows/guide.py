"""The five-step guide to linking the thẻ BHYT in VNeID, with its prerequisites and troubleshooting.

Steps are numbered as in the appendix of the commune's plan (what volunteers quote from the
printed leaflet): 1 open VNeID, 2 log in, 3 Ví giấy tờ → Tích hợp thông tin → Tạo mới yêu cầu →
Thẻ bảo hiểm y tế, 4 fill in the issuer and the card number, 5 send and read the result.
Each step offers the same way forward, a way to say "I'm stuck", a way back and the menu.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flows.handoff import handoff, offer_handoff
from flows.model import GUIDE_STEPS, Step
from flows.turn import Turn


@dataclass(frozen=True, slots=True)
class Prerequisite:
    """A yes/no check before step 1: its question step, its help step, and where "yes" leads."""

    key: str
    ask_step: Step
    help_step: Step
    then: Step


PREREQUISITES = (
    Prerequisite("pre.app", Step.PRE_APP, Step.PRE_APP_HELP, Step.PRE_LEVEL2),
    Prerequisite("pre.level2", Step.PRE_LEVEL2, Step.PRE_LEVEL2_HELP, Step.PRE_CARD),
    Prerequisite("pre.card", Step.PRE_CARD, Step.PRE_CARD_HELP, Step.GUIDE_1),
)
_BY_STEP = {p.ask_step: p for p in PREREQUISITES} | {p.help_step: p for p in PREREQUISITES}
#: The messages VNeID may show instead of "Gửi yêu cầu thành công", as option names.
FAILURES = ("too_many", "duplicate", "approved", "other")
_FAILURE_OUTCOME = {
    "too_many": "failed_too_many",
    "duplicate": "failed_duplicate",
    "approved": "already_approved",
    "other": "failed_other",
}


def ask_prerequisite(turn: Turn) -> None:
    """Asks one yes/no prerequisite (app installed, level-2 account, card number at hand)."""
    pre = _BY_STEP[turn.state.step]
    turn.question(
        turn.content.text(f"{pre.key}.question"),
        [("yes", turn.label(f"{pre.key}.yes")), ("no", turn.label(f"{pre.key}.no"))],
    )


def answer_prerequisite(turn: Turn, name: str) -> None:
    """On yes moves on; on no explains what to do and waits until the person is ready."""
    pre = _BY_STEP[turn.state.step]
    if name == "yes":
        turn.go(pre.then)
        return
    turn.say_all(f"{pre.key}.help")
    turn.go(pre.help_step)


def ask_prerequisite_help(turn: Turn) -> None:
    """After the explanation: continue when ready, ask for a person, or go to the menu."""
    pre = _BY_STEP[turn.state.step]
    turn.question(
        turn.content.text(f"{pre.key}.ready"),
        [
            ("continue", turn.label(f"{pre.key}.continue")),
            ("handoff", turn.label("common.handoff")),
            ("menu", turn.label("common.menu")),
        ],
    )


def answer_prerequisite_help(turn: Turn, name: str) -> None:
    """Continues to the next check, records `handoff_requested`, or opens the menu."""
    pre = _BY_STEP[turn.state.step]
    if name == "continue":
        turn.go(pre.then)
    elif name == "handoff":
        handoff(turn, at=pre.ask_step)
    else:
        turn.go(Step.MENU)


def _number(step: Step) -> int:
    return GUIDE_STEPS.index(step) + 1


def ask_guide_step(turn: Turn) -> None:
    """Shows "Bước N: ..." with what to press and what the screen shows.

    Records `step_reached` the first time this session reaches step N.
    """
    number = _number(turn.state.step)
    state = turn.state
    state.guide_step = number
    if number > state.max_guide_step:
        state.max_guide_step = number
        turn.log("step_reached", step=number)
    key = f"guide.step_{number}"
    screenshot = turn.content.text(f"{key}.screenshot")
    if number == 5:
        options = [("yes", turn.label("guide.sent_yes")), ("no", turn.label("guide.sent_no"))]
    elif number == 4:
        options = [("next", turn.label("guide.next")), ("card", turn.label("guide.check_card"))]
    else:
        options = [("next", turn.label("guide.next"))]
    options += [
        ("stuck", turn.label("guide.stuck")),
        ("back", turn.label("guide.back")),
        ("menu", turn.label("common.menu")),
    ]
    turn.question(
        turn.content.text(f"{key}.text"), options, image=f"content:{screenshot}" if screenshot else None
    )


def _submitted(turn: Turn) -> None:
    turn.log("outcome", outcome="submitted")
    turn.say("guide.sent.success")
    turn.say("guide.sent.follow")
    turn.go(Step.MENU)


def _stuck(turn: Turn, number: int) -> None:
    turn.log("stuck", step=number)
    turn.go(Step.STUCK)


def _check_card(turn: Turn) -> None:
    turn.state.card_from = Step.GUIDE_4
    turn.go(Step.CARD_ASK)


_GUIDE_ANSWERS: dict[str, Callable[[Turn, int], None]] = {
    "next": lambda turn, n: turn.go(GUIDE_STEPS[n]),
    "back": lambda turn, n: turn.go(GUIDE_STEPS[n - 2] if n > 1 else Step.PRE_CARD),
    "stuck": _stuck,
    "card": lambda turn, _: _check_card(turn),
    "yes": lambda turn, _: _submitted(turn),
    "no": lambda turn, _: turn.go(Step.FAIL_WHICH),
    "menu": lambda turn, _: turn.go(Step.MENU),
}


def answer_guide_step(turn: Turn, name: str) -> None:
    """Moves along the guide; "Tôi bị vướng" records `stuck` with the step; at step 5, "Có"
    records `outcome` submitted."""
    _GUIDE_ANSWERS[name](turn, _number(turn.state.step))


def ask_failure(turn: Turn) -> None:
    """Asks which message VNeID showed instead of success."""
    turn.question(
        turn.content.text("guide.failed.question"),
        [(name, turn.label(f"guide.failed.{name}.label")) for name in FAILURES],
    )


def answer_failure(turn: Turn, name: str) -> None:
    """Records the `outcome` and explains it; an unknown message leads to the offer of a person."""
    turn.log("outcome", outcome=_FAILURE_OUTCOME[name])
    turn.say(f"guide.failed.{name}.answer")
    if name == "other":
        offer_handoff(turn, resume=Step.MENU)
    else:
        turn.go(Step.MENU)


def ask_stuck(turn: Turn) -> None:
    """Lists the commonest problems of the step the person is stuck at, then "something else"."""
    key = f"guide.step_{turn.state.guide_step}.stuck"
    entries = [(entry, turn.label(f"{key}.{entry}.label")) for entry in turn.content.ids(key)]
    turn.question(
        turn.content.text("stuck.question", step=turn.state.guide_step),
        [*entries, ("other", turn.label("stuck.other"))],
    )


def answer_stuck(turn: Turn, name: str) -> None:
    """Shows the chosen entry's answer; "Vấn đề khác" offers a person."""
    step = GUIDE_STEPS[turn.state.guide_step - 1]
    if name == "other":
        offer_handoff(turn, resume=step)
        return
    turn.say(f"guide.step_{turn.state.guide_step}.stuck.{name}.answer")
    turn.go(Step.STUCK_ANSWER)


def ask_stuck_answer(turn: Turn) -> None:
    """After a troubleshooting answer: try the step again, ask for a person, or the menu."""
    turn.question(
        turn.content.text("stuck.after"),
        [
            (f"retry_{turn.state.guide_step}", turn.content.text("stuck.retry", step=turn.state.guide_step)),
            ("handoff", turn.label("common.handoff")),
            ("menu", turn.label("common.menu")),
        ],
    )


def answer_stuck_answer(turn: Turn, name: str) -> None:
    """Back to the step ("retry_N" names it, so an old button cannot pick another step), a
    person (`handoff_requested`), or the menu."""
    step = GUIDE_STEPS[turn.state.guide_step - 1]
    if name.startswith("retry_"):
        turn.go(GUIDE_STEPS[int(name.removeprefix("retry_")) - 1])
    elif name == "handoff":
        handoff(turn, at=step)
    else:
        turn.go(Step.MENU)
