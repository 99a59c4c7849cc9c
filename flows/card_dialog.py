"""Talking about a card number: asking for it, and explaining the pre-check's verdict.

The check itself is `flows.card_number`; this module turns its result into a short answer. A
mistake is pointed at by position and by what was typed there ("ký tự thứ 5 ông/bà gõ là chữ O,
phải là số 0"), never by showing the rest of the number, with the one hint that fits that
mistake and how to type a number (10 or 15 characters, no spaces, capitals). A valid number gets
which "Đơn vị cấp thẻ BHYT" to choose and what to do next.

What the number says (group, benefit level, province) is told only on request ("Xem ý nghĩa số
thẻ"). Nothing read from a number is kept, not even in the conversation's state, so the person
types it once more for that. The event keeps the verdict only: valid or not, and the reason code.

The conversation does not ask which "Đơn vị cấp thẻ BHYT" the person picked: it tells them which one
to pick. So the checks here pass no issuer and `issuer_mismatch` does not arise in the guide; its
explanation is kept for a channel or step that knows the choice.
"""

from flows import search
from flows.card_number import (
    CardCheck,
    benefit_levels,
    check_card_number,
    object_code_labels,
    province_names,
)
from flows.guide import start_guide
from flows.handoff import offer_handoff
from flows.model import GUIDE_STEPS, Step
from flows.turn import Turn

#: Wrong card numbers in a row before a person is offered.
MAX_CARD_FAILS = 3
#: The one extra hint for a mistake, by reason and by a character of what was typed there.
_HINTS: dict[str, dict[str, str]] = {
    "not_digits": {"l": "one_not_l", "I": "one_not_l", "i": "one_not_l", "X": "x_template",
                   "x": "x_template", "K": "kt_number", "k": "kt_number", "T": "kt_number"},
    "bad_object_code": {"0": "no_zero"},
}  # fmt: skip
#: The hint for a reason when no character of `_HINTS` applies.
_DEFAULT_HINTS = {"bad_object_code": "last_ten"}
#: How to type a number, by the length of what was typed; reasons without a number say where
#: to find one instead, and the answers on length, CCCD and clinic codes already say it.
_TYPING = {10: "card.typing.ten", 15: "card.typing.fifteen"}
_ADVICE = {
    "empty": "card.where",
    "no_number": "card.where",
    "looks_like_cccd": None,
    "looks_like_kcb_code": None,
    "bad_length": None,
    "ok": None,
}


#: Characters of a number read from a photo that are shown, at its end, so the person can
#: compare it with the card; the rest is hidden (never the whole number in a chat).
SHOWN = 4


def masked(number: str) -> str:
    """The number as "•••••••••••1234": its length and its last characters."""
    return "•" * (len(number) - SHOWN) + number[-SHOWN:] if len(number) > SHOWN else "•" * len(number)


def _expected(check: CardCheck) -> str:
    """Content key naming what belongs at the offending position (digits, except the object
    code and benefit level of a 15-character card)."""
    if check.length == 15 and check.position in (1, 2):
        return "card.expect.letters"
    if check.length == 15 and check.position == 3:
        return "card.expect.level"
    return "card.expect.digit"


def _found(turn: Turn, found: str | None) -> str:
    if not found:
        return ""
    if found.isalpha():
        kind = "card.found.letter"
    elif found.isdigit():
        kind = "card.found.digit"
    else:
        kind = "card.found.sign"
    return turn.content.text(kind, found=found)


def _hint(check: CardCheck) -> str | None:
    """The hint for the mistake found, and no other."""
    if check.hint:
        return check.hint
    by_char = _HINTS.get(check.reason, {})
    found = next((by_char[ch] for ch in check.found or "" if ch in by_char), None)
    return found or _DEFAULT_HINTS.get(check.reason)


def _province(turn: Turn, check: CardCheck) -> str:
    """The old province of chars 4-5, or the sector (97 army, 98 police) that issued the card."""
    code = check.province_code or ""
    if check.suggested_issuer != "vn":
        sector = turn.label(f"card.issuer.{check.suggested_issuer}")
        return turn.content.text("card.province.sector", issuer=sector)
    name = province_names().get(code)
    if name:
        return turn.content.text("card.province.known", province=name, code=code)
    return turn.content.text("card.province.unknown", code=code)


def _decode(turn: Turn, check: CardCheck) -> str:
    if check.length == 10:
        return turn.content.text("card.decode_ten")
    group, _ = object_code_labels()[check.object_code or ""]
    percent, note = benefit_levels()[check.level or 0]
    return turn.content.text(
        "card.decode",
        group=group,
        code=check.object_code,
        level=check.level,
        percent=percent,
        note=f" ({note})" if note else "",
        province=_province(turn, check),
    )


def _valid_lines(turn: Turn, check: CardCheck) -> list[str]:
    """Which issuer to choose and what to do next; when asked for, what the number means instead
    (the person has just been told the rest)."""
    text = turn.content.text
    if turn.state.card_explain:
        return [_decode(turn, check)]
    if check.length == 10:
        return [text("card.valid.ten"), text("card.valid.next_ten")]
    issuer = turn.label(f"card.issuer.{check.suggested_issuer}")
    return [text("card.valid.issuer", issuer=issuer), text("card.valid.next_fifteen")]


def _advice(check: CardCheck) -> str | None:
    if check.reason in _ADVICE:
        return _ADVICE[check.reason]
    return _TYPING.get(check.length, "card.typing.either")


def explain(turn: Turn, check: CardCheck, remind: bool = False) -> None:
    """Explains a pre-check result and records `card_checked` (the verdict, never the number).

    At the card check itself (`remind`), the first time in a conversation that a number is valid
    (so it is about to be sent), it also reminds the person of VNeID's limit of 3 requests a
    day; a number typed in the middle of another question gets the verdict only.
    """
    from_photo = turn.inbound.photo == "card"
    turn.log(
        "card_checked", valid=check.valid, reason=check.reason, **({"source": "photo"} if from_photo else {})
    )
    content = turn.content
    parts = [content.text("photo.read", masked=masked(turn.inbound.text.strip()))] if from_photo else []
    if check.extracted and check.length:
        parts.append(content.text("card.read_extracted", length=check.length))
    suggested = check.suggested_issuer or "vn"
    parts.append(
        content.text(
            f"card.reason.{check.reason}",
            position=check.position or "",
            found=_found(turn, check.found),
            raw=check.found or "",
            expected=content.text(_expected(check)),
            length=check.length,
            issuer=turn.label(f"card.issuer.{suggested}"),
        )
    )
    hint = _hint(check)
    if hint:
        parts.append(content.text(f"card.hint.{hint}"))
    advice = _advice(check)
    if advice:
        parts.append(content.text(advice))
    if check.valid:
        parts.extend(_valid_lines(turn, check))
    turn.state.card_explain = False
    turn.say_text("\n".join(parts))
    if remind and check.valid and not turn.state.limit_reminded:
        turn.state.limit_reminded = True
        turn.say("card.limit_reminder")


def ask_card(turn: Turn) -> None:
    """Asks for the number: "Gõ số thẻ BHYT vào đây…"."""
    options = [("menu", turn.label("common.menu"))]
    if turn.state.card_from in GUIDE_STEPS:
        options.insert(0, ("back", turn.label("card.back_to_step4")))
    turn.question(
        turn.content.text("card.ask"), options, wants_text=True, brief=turn.content.text("card.ask_again")
    )


def answer_card(turn: Turn, name: str) -> None:
    """Back to the guide screen the check came from, or to the menu."""
    back = turn.state.card_from if name == "back" and turn.state.card_from in GUIDE_STEPS else None
    turn.state.card_from = None
    turn.go(Step(back) if back else Step.MENU)


def card_typed(turn: Turn, text: str) -> bool:
    """Whatever is typed at the card question is checked; a valid number moves on.

    Text without any number that reads as a question is left to the questions instead.
    """
    check = check_card_number(text)
    if check.reason == "no_number" and search.find(turn.content, text).keys:
        return False
    explain(turn, check, remind=True)
    state = turn.state
    state.misses = 0
    if check.valid:
        state.card_fails = 0
        back = state.card_from if state.card_from in GUIDE_STEPS else None
        state.card_from = None
        turn.go(Step(back) if back else Step.CARD_DONE)
        return True
    state.card_fails += 1
    if state.card_fails >= MAX_CARD_FAILS:
        state.card_fails = 0
        turn.say("card.many_fails", count=MAX_CARD_FAILS)
        offer_handoff(turn, resume=Step.CARD_ASK)
    else:
        turn.go(Step.CARD_ASK)
    return True


def ask_card_done(turn: Turn) -> None:
    """After a valid number from the menu: what it means, check another, the guide, the menu."""
    turn.question(
        turn.content.text("card.done"),
        [
            ("more", turn.label("card.more")),
            ("again", turn.label("card.again")),
            ("guide", turn.label("card.to_guide")),
            ("menu", turn.label("common.menu")),
        ],
    )


def _explain_next(turn: Turn) -> None:
    turn.state.card_explain = True
    turn.say("card.retype")
    turn.go(Step.CARD_ASK)


def answer_card_done(turn: Turn, name: str) -> None:
    """What the number means (typed again), check another number, the guide, or the menu."""
    if name == "more":
        _explain_next(turn)
    elif name == "again":
        turn.go(Step.CARD_ASK)
    elif name == "guide":
        start_guide(turn)
    else:
        turn.go(Step.MENU)
