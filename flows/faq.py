"""Questions: the FAQ list, answers to typed questions, and what happens when none is found.

A typed question anywhere is ranked by `flows.search`. A confident match is answered where the
person is: at the menu or in the FAQ the follow-up question comes next; anywhere else the
question the person was at is asked again. Two close matches are offered side by side; nothing
found is said plainly, with the list and a person on offer. The last two are side questions:
anything else typed there goes back to where the person was and is understood there.
"""

from flows import menu
from flows.handoff import handoff
from flows.model import Step
from flows.turn import Turn

#: Where an answered question leads to the follow-up question instead of back.
_QUESTION_STEPS = frozenset({Step.MENU, Step.FAQ, Step.FAQ_ANSWER, Step.FAQ_PICK, Step.NOT_FOUND})


def show_entry(turn: Turn, entry: str) -> None:
    """Records `faq_viewed` and shows the entry's answer."""
    turn.log("faq_viewed", entry=entry)
    turn.say_all(f"faq.{entry}.answer")


def open_found(turn: Turn, key: str) -> None:
    """Answers what a question found: a FAQ entry ("faq:password") or a menu part ("menu:video")."""
    kind, _, name = key.partition(":")
    if kind == "menu":
        turn.state.resume = None
        menu.open_item(turn, name)
        return
    show_entry(turn, name)
    back = turn.come_back(turn.state.step)
    turn.go(Step.FAQ_ANSWER if back in _QUESTION_STEPS else back)


def offer_pick(turn: Turn, keys: tuple[str, ...]) -> None:
    """Two close matches: asks which one was meant."""
    turn.state.pick = list(keys)
    turn.detour(Step.FAQ_PICK)


def not_found(turn: Turn) -> None:
    """Says plainly that no answer was found; offers the list and a person."""
    turn.say("search.not_found")
    turn.detour(Step.NOT_FOUND)


def _label(turn: Turn, key: str) -> str:
    kind, _, name = key.partition(":")
    return turn.label(f"menu.items.{name}.label" if kind == "menu" else f"faq.{name}.label")


def ask_pick(turn: Turn) -> None:
    """Lists the two close matches, then "another question"."""
    options = [(key, _label(turn, key)) for key in turn.state.pick]
    turn.question(turn.content.text("search.pick"), [*options, ("other", turn.label("search.other"))])


def answer_pick(turn: Turn, name: str) -> None:
    """Answers the chosen match; "Câu hỏi khác" opens the list."""
    turn.state.pick = []
    if name == "other":
        turn.state.resume = None
        turn.go(Step.FAQ)
    else:
        open_found(turn, name)


def ask_not_found(turn: Turn) -> None:
    """After "not found": the list, a person, or back where the person was."""
    turn.question(
        turn.content.text("search.offer"),
        [
            ("faq", turn.label("search.see_list")),
            ("handoff", turn.label("common.handoff")),
            ("back", turn.label("search.back")),
        ],
    )


def answer_not_found(turn: Turn, name: str) -> None:
    """Opens the list, records `handoff_requested`, or goes back."""
    back = turn.come_back(Step.MENU)
    if name == "faq":
        turn.go(Step.FAQ)
    elif name == "handoff":
        handoff(turn, at=back)
    else:
        turn.go(back)


def ask_faq(turn: Turn) -> None:
    """Lists the questions, then a person and the menu."""
    entries = [(entry, turn.label(f"faq.{entry}.label")) for entry in turn.content.ids("faq")]
    turn.question(
        turn.content.text("faq_list.question"),
        [*entries, ("handoff", turn.label("common.handoff")), ("menu", turn.label("common.menu"))],
    )


def answer_faq(turn: Turn, name: str) -> None:
    """Shows the chosen entry (`faq_viewed`), a person, or the menu."""
    if name == "menu":
        turn.go(Step.MENU)
    elif name == "handoff":
        handoff(turn, at=Step.FAQ)
    else:
        show_entry(turn, name)
        turn.go(Step.FAQ_ANSWER)


def ask_faq_answer(turn: Turn) -> None:
    """After an answer: another question, a person, or the menu."""
    turn.question(
        turn.content.text("faq_list.after"),
        [
            ("more", turn.label("faq_list.more")),
            ("handoff", turn.label("common.handoff")),
            ("menu", turn.label("common.menu")),
        ],
    )


def answer_faq_answer(turn: Turn, name: str) -> None:
    """Another question, a person (`handoff_requested`), or the menu."""
    if name == "more":
        turn.go(Step.FAQ)
    elif name == "handoff":
        handoff(turn, at=Step.FAQ_ANSWER)
    else:
        turn.go(Step.MENU)
