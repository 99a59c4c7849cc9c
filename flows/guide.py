"""The five-step guide to linking the thẻ BHYT in VNeID, with its prerequisites and troubleshooting.

Steps are numbered as in the appendix of the commune's plan (what volunteers quote from the
printed leaflet): 1 open VNeID, 2 log in, 3 Ví giấy tờ → Tích hợp thông tin → Tạo mới yêu cầu →
Thẻ bảo hiểm y tế, 4 fill in the form, 5 send and read the result. Step 4 is three screens, one
thing each (choose the issuer, type the number, tick the confirmation), because a form of three
fields in one message was a whole phone screen of text. Each screen offers the same way forward,
a way to say "I'm stuck", a way back and the menu.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flows.handoff import handoff, offer_handoff
from flows.model import Step
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
        _pass(turn, pre)
        return
    turn.say_all(f"{pre.key}.help")
    turn.go(pre.help_step)


def _pass(turn: Turn, pre: Prerequisite) -> None:
    """On to the next check; after the last one, the guide, and the checks count as answered."""
    if pre.then is Step.GUIDE_1:
        turn.state.prerequisites_done = True
    turn.go(pre.then)


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
        _pass(turn, pre)
    elif name == "handoff":
        handoff(turn, at=pre.ask_step)
    else:
        turn.go(Step.MENU)


@dataclass(frozen=True, slots=True)
class Screen:
    """One screen of the guide: its step, the leaflet's step number, its content key, and the
    options it offers besides the common ones."""

    step: Step
    number: int
    key: str
    extra: tuple[str, ...] = ()


SCREENS = (
    Screen(Step.GUIDE_1, 1, "guide.step_1"),
    Screen(Step.GUIDE_2, 2, "guide.step_2"),
    Screen(Step.GUIDE_3, 3, "guide.step_3"),
    Screen(Step.GUIDE_4, 4, "guide.step_4a"),
    Screen(Step.GUIDE_4_NUMBER, 4, "guide.step_4b", ("card",)),
    Screen(Step.GUIDE_4_CONFIRM, 4, "guide.step_4c"),
    Screen(Step.GUIDE_5, 5, "guide.step_5"),
)
_SCREEN: dict[str, Screen] = {screen.step: screen for screen in SCREENS}
#: The options of every screen but the last, after its own: move on, stuck, back, the menu.
_FORWARD = ("next",)
_COMMON = ("stuck", "back", "menu")
_LABELS = {
    "next": "guide.next",
    "card": "guide.check_card",
    "yes": "guide.sent_yes",
    "no": "guide.sent_no",
    "stuck": "guide.stuck",
    "back": "guide.back",
    "menu": "common.menu",
}


def screen_of(step: str | None) -> Screen:
    """The guide screen a stored step names (the first one when it names none)."""
    return _SCREEN.get(step or "", SCREENS[0])


def start_guide(turn: Turn) -> None:
    """The guide from its start: the prerequisites, unless already answered this session."""
    turn.go(Step.GUIDE_1 if turn.state.prerequisites_done else Step.PRE_APP)


def ask_guide_step(turn: Turn) -> None:
    """Shows one screen of the guide: what to press and what the screen shows.

    Records `step_reached` the first time this session reaches step N (the leaflet's number).
    """
    state = turn.state
    screen = _SCREEN[state.step]
    state.guide_at = screen.step
    if screen.number > state.max_guide_step:
        state.max_guide_step = screen.number
        turn.log("step_reached", step=screen.number)
    content = turn.content
    screenshot = content.text(f"{screen.key}.screenshot")
    forward = ("yes", "no") if screen is SCREENS[-1] else _FORWARD
    names = (*forward, *screen.extra, *_COMMON)
    turn.question(
        content.text(f"{screen.key}.text"),
        [(name, turn.label(_LABELS[name])) for name in names],
        image=f"content:{screenshot}" if screenshot else None,
        brief=content.text(f"{screen.key}.brief"),
    )


def _submitted(turn: Turn) -> None:
    turn.log("outcome", outcome="submitted")
    turn.say("guide.sent.success")
    turn.say("guide.sent.follow")
    turn.go(Step.MENU)


def _stuck(turn: Turn, screen: Screen) -> None:
    turn.log("stuck", step=screen.number)
    turn.go(Step.STUCK)


def _check_card(turn: Turn, screen: Screen) -> None:
    turn.state.card_from = screen.step
    turn.go(Step.CARD_ASK)


def _next(turn: Turn, screen: Screen) -> None:
    turn.go(SCREENS[SCREENS.index(screen) + 1].step)


def _back(turn: Turn, screen: Screen) -> None:
    at = SCREENS.index(screen)
    turn.go(SCREENS[at - 1].step if at else Step.PRE_CARD)


_GUIDE_ANSWERS: dict[str, Callable[[Turn, Screen], None]] = {
    "next": _next,
    "back": _back,
    "stuck": _stuck,
    "card": _check_card,
    "yes": lambda turn, _: _submitted(turn),
    "no": lambda turn, _: turn.go(Step.FAIL_WHICH),
    "menu": lambda turn, _: turn.go(Step.MENU),
}


def answer_guide_step(turn: Turn, name: str) -> None:
    """Moves along the guide; "Tôi bị vướng" records `stuck` with the step; at step 5, "Có"
    records `outcome` submitted."""
    _GUIDE_ANSWERS[name](turn, _SCREEN[turn.state.step])


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
    """Lists the commonest problems of the screen the person is stuck at, then "something else"."""
    screen = screen_of(turn.state.guide_at)
    key = f"{screen.key}.stuck"
    entries = [(entry, turn.label(f"{key}.{entry}.label")) for entry in turn.content.ids(key)]
    turn.question(
        turn.content.text("stuck.question", step=screen.number),
        [*entries, ("other", turn.label("stuck.other"))],
    )


def answer_stuck(turn: Turn, name: str) -> None:
    """Shows the chosen entry's answer; "Vấn đề khác" offers a person."""
    screen = screen_of(turn.state.guide_at)
    if name == "other":
        offer_handoff(turn, resume=screen.step)
        return
    turn.say(f"{screen.key}.stuck.{name}.answer")
    turn.go(Step.STUCK_ANSWER)


def ask_stuck_answer(turn: Turn) -> None:
    """After a troubleshooting answer: try the screen again, ask for a person, or the menu."""
    screen = screen_of(turn.state.guide_at)
    turn.question(
        turn.content.text("stuck.after"),
        [
            (f"retry_{screen.step}", turn.content.text("stuck.retry", step=screen.number)),
            ("handoff", turn.label("common.handoff")),
            ("menu", turn.label("common.menu")),
        ],
    )


def answer_stuck_answer(turn: Turn, name: str) -> None:
    """Back to the screen ("retry_<step>" names it, so an old button cannot pick another one), a
    person (`handoff_requested`), or the menu."""
    screen = screen_of(turn.state.guide_at)
    if name.startswith("retry_"):
        turn.go(screen_of(name.removeprefix("retry_")).step)
    elif name == "handoff":
        handoff(turn, at=screen.step)
    else:
        turn.go(Step.MENU)
