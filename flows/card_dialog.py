"""Talking about a card number: asking for it, and explaining the pre-check's verdict.

The check itself is `flows.card_number`; this module turns its result into plain Vietnamese that
points at the wrong character ("ký tự thứ 3 phải là số từ 1 đến 5, bạn nhập chữ 'O'") and says
what to do. Only the masked form of the number is ever shown, and the event keeps only the
verdict: valid or not, the reason code and the issuer suggested.

The conversation does not ask which "Đơn vị cấp thẻ BHYT" the person picked: it tells them which one
to pick. So the checks here pass no issuer and `issuer_mismatch` does not arise in the guide; its
explanation is kept for a channel or step that knows the choice.
"""

from flows import faq
from flows.card_number import (
    CardCheck,
    benefit_levels,
    check_card_number,
    object_code_labels,
    province_names,
)
from flows.handoff import offer_handoff
from flows.model import Step
from flows.turn import Turn

#: Wrong card numbers in a row before a person is offered.
MAX_CARD_FAILS = 3


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


def _valid_lines(turn: Turn, check: CardCheck) -> list[str]:
    text = turn.content.text
    if check.length == 10:
        return [text("card.valid.ten"), text("card.valid.typing", masked=check.masked)]
    group, _ = object_code_labels()[check.object_code or ""]
    percent, note = benefit_levels()[check.level or 0]
    issuer = turn.label(f"card.issuer.{check.suggested_issuer}")
    return [
        text("card.valid.issuer", issuer=issuer),
        text("card.valid.typing", masked=check.masked),
        text(
            "card.valid.decode",
            group=group,
            code=check.object_code,
            level=check.level,
            percent=percent,
            note=f" ({note})" if note else "",
            province=_province(turn, check),
        ),
    ]


def explain(turn: Turn, check: CardCheck) -> None:
    """Explains a pre-check result and records `card_checked` (never the number itself).

    The first time in a conversation that a number is read, it also reminds the person of
    VNeID's limit of 3 requests a day.
    """
    turn.log("card_checked", valid=check.valid, reason=check.reason, issuer=check.suggested_issuer)
    content = turn.content
    parts = []
    if check.length:
        read = "card.read_extracted" if check.extracted else "card.read"
        parts.append(content.text(read, masked=check.masked, length=check.length))
    suggested = check.suggested_issuer or "vn"
    parts.append(
        content.text(
            f"card.reason.{check.reason}",
            position=check.position or "",
            found=_found(turn, check.found),
            raw=check.found or "",
            expected=content.text(_expected(check)),
            length=check.length,
            digits=check.digit_count,
            issuer=turn.label(f"card.issuer.{suggested}"),
        )
    )
    if check.hint:
        parts.append(content.text(f"card.hint.{check.hint}"))
    if check.valid:
        parts.extend(_valid_lines(turn, check))
    turn.say_text("\n\n".join(parts))
    if check.length and not turn.state.limit_reminded:
        turn.state.limit_reminded = True
        turn.say("card.limit_reminder")


def ask_card(turn: Turn) -> None:
    """Asks for the number: "Gõ số thẻ BHYT của bạn…"."""
    options = [("menu", turn.label("common.menu"))]
    if turn.state.card_from == Step.GUIDE_4:
        options.insert(0, ("back", turn.label("card.back_to_step4")))
    turn.question(turn.content.text("card.ask"), options, wants_text=True)


def answer_card(turn: Turn, name: str) -> None:
    """Back to step 4 (when the check came from there) or to the menu."""
    back = name == "back" and turn.state.card_from == Step.GUIDE_4
    turn.state.card_from = None
    turn.go(Step.GUIDE_4 if back else Step.MENU)


def card_typed(turn: Turn, text: str) -> bool:
    """Whatever is typed at the card question is checked; a valid number moves on.

    Text without any number that reads as a FAQ question is left to the FAQ instead.
    """
    check = check_card_number(text)
    if check.reason == "no_number" and faq.match(turn, text):
        return False
    explain(turn, check)
    state = turn.state
    if check.valid:
        state.misses = 0
        turn.go(Step.GUIDE_4 if state.card_from == Step.GUIDE_4 else Step.CARD_DONE)
        state.card_from = None
        return True
    state.misses += 1
    if state.misses >= MAX_CARD_FAILS:
        state.misses = 0
        turn.say("card.many_fails")
        offer_handoff(turn, resume=Step.CARD_ASK)
    else:
        turn.go(Step.CARD_ASK)
    return True


def ask_card_done(turn: Turn) -> None:
    """After a valid number from the menu: check another, see the guide, or the menu."""
    turn.question(
        turn.content.text("card.done"),
        [
            ("again", turn.label("card.again")),
            ("guide", turn.label("card.to_guide")),
            ("menu", turn.label("common.menu")),
        ],
    )


def answer_card_done(turn: Turn, name: str) -> None:
    """Check another number, start the guide, or the menu."""
    turn.go({"again": Step.CARD_ASK, "guide": Step.PRE_APP}.get(name, Step.MENU))
