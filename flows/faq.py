"""Frequently asked questions, by list and by free text.

Free text is matched on keywords with diacritics ignored ("quen mat khau" finds "Quên mật khẩu
VNeID"); the longest matching keyword wins, so "quên passcode" is not mistaken for the password
entry. A match anywhere in the conversation answers and then repeats the question the person was
at.
"""

from flows.handoff import handoff
from flows.model import Step
from flows.text import fold
from flows.turn import Turn


def match(turn: Turn, text: str) -> str | None:
    """The id of the entry whose keyword best fits `text`, or None."""
    padded = f" {fold(text)} "
    best, best_length = None, 0
    for entry in turn.content.ids("faq"):
        for keyword in turn.content.words(f"faq.{entry}.keywords"):
            if len(keyword) > best_length and f" {keyword} " in padded:
                best, best_length = entry, len(keyword)
    return best


def show_entry(turn: Turn, entry: str) -> None:
    """Records `faq_viewed` and shows the entry's answer."""
    turn.log("faq_viewed", entry=entry)
    turn.say_all(f"faq.{entry}.answer")


def ask_faq(turn: Turn) -> None:
    """Lists the questions, then "Về menu"."""
    entries = [(entry, turn.label(f"faq.{entry}.label")) for entry in turn.content.ids("faq")]
    turn.question(
        turn.content.text("faq_list.question"), [*entries, ("menu", turn.label("common.back_to_menu"))]
    )


def answer_faq(turn: Turn, name: str) -> None:
    """Shows the chosen entry (`faq_viewed`), or goes back to the menu."""
    if name == "menu":
        turn.go(Step.MENU)
        return
    show_entry(turn, name)
    turn.go(Step.FAQ_ANSWER)


def faq_typed(turn: Turn, text: str) -> bool:
    """At the list, a typed question is matched on keywords."""
    entry = match(turn, text)
    if entry is None:
        return False
    answer_faq(turn, entry)
    return True


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
