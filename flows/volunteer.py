"""What volunteers (tình nguyện viên) and officers do through the helper, door to door.

- `/moi_tnv <thôn>` (officers): a one-time invite that makes someone a volunteer of that village;
  the flow names the village (`Reply.request`), the service makes the code, as for `/baocao`.
- `/ghinhan` (volunteers, officers): the door-to-door tally ("Ghi nhận hỗ trợ tại nhà") in a few
  typed numbers: people helped, of them linked, why the others are not yet (five reasons), and
  how many want a digital signature. No names, no numbers of anyone's papers: one `door_tally`
  event attributed to the village (and the volunteer's random reference). The last entry of the
  day can be corrected: a reversal of it is logged, then the new numbers, so the sums stay right.
- `/tailieu` (volunteers, officers): the material kit to forward into a village group: the five
  steps as one message that fits Zalo (2,000 characters), the video QR, the village's poster.
"""

import re

from flows.model import Reply, Step
from flows.office import refused_unless_officer
from flows.text import fold
from flows.turn import Turn

#: Why someone could not link their card yet, in the order the volunteer types the counts.
REASONS = ("no_phone", "no_level2", "mismatch", "expired", "other")
_NUMBERS = re.compile(r"\d{1,4}")
#: More than this in one entry is a typing mistake, not a day at the doors.
MOST_IN_ONE_ENTRY = 500
STAFF = frozenset({"volunteer", "officer"})
#: The tally's questions: asked of staff only.
TALLY_STEPS = frozenset(
    {Step.TALLY_VILLAGE, Step.TALLY_HELPED, Step.TALLY_LINKED, Step.TALLY_REASONS, Step.TALLY_SIGNATURE}
)


def _staff_only(turn: Turn, command: str) -> bool:
    if turn.inbound.role in STAFF:
        return True
    turn.log("refused", command=command)
    turn.say("staff.volunteers_only")
    return False


def invite(turn: Turn, argument: str | None) -> None:
    """`/moi_tnv <village>`: officers only; the village by its code or its name."""
    if refused_unless_officer(turn, "moi_tnv"):
        return
    places = turn.content.places
    found = places.named(argument or "")
    if len(found) == 1:
        turn.replies.append(Reply("", request=("invite", found[0].code)))
    elif found:
        turn.say("volunteer.invite_several", names=", ".join(places.name(v.code) for v in found))
    else:
        example = next((v.name for v in places.villages if not v.is_other), "")
        turn.say("volunteer.invite_how", example=example)


def _villages(turn: Turn) -> list[str]:
    """The villages a volunteer serves (an officer: the one of their own conversation, if any)."""
    if turn.inbound.villages:
        return list(turn.inbound.villages)
    return [turn.state.village] if turn.state.village else []


def start_tally(turn: Turn, _: str | None) -> None:
    if not _staff_only(turn, "ghinhan"):
        return
    state = turn.state
    state.tally = []
    villages = _villages(turn)
    if len(villages) == 1:
        state.tally_village = villages[0]
        turn.go(Step.TALLY_HELPED)
    else:
        state.tally_village = None
        turn.go(Step.TALLY_VILLAGE)


def ask_tally_village(turn: Turn) -> None:
    """Which village: the volunteer's own ones, or any (an officer without one)."""
    places = turn.content.places
    codes = _villages(turn) or [v.code for v in places.villages if not v.is_other]
    turn.question(turn.content.text("volunteer.tally_village"), [(code, places.name(code)) for code in codes])


def answer_tally_village(turn: Turn, code: str) -> None:
    turn.state.tally_village = code
    turn.go(Step.TALLY_HELPED)


def ask_tally_helped(turn: Turn) -> None:
    village = turn.content.places.name(turn.state.tally_village or "")
    fix = turn.content.text("volunteer.tally_fix_hint") if _correctable(turn) else ""
    turn.question(turn.content.text("volunteer.tally_helped", village=village, fix=fix), [])


def ask_tally_linked(turn: Turn) -> None:
    turn.question(turn.content.text("volunteer.tally_linked", helped=turn.state.tally[0]), [])


def ask_tally_reasons(turn: Turn) -> None:
    missing = turn.state.tally[0] - turn.state.tally[1]
    turn.question(turn.content.text("volunteer.tally_reasons", missing=missing), [])


def ask_tally_signature(turn: Turn) -> None:
    turn.question(turn.content.text("volunteer.tally_signature", helped=turn.state.tally[0]), [])


def _numbers(text: str) -> list[int]:
    return [int(n) for n in _NUMBERS.findall(text)]


def typed_helped(turn: Turn, text: str) -> bool:
    if _fix_words(turn, text):
        return True
    found = _numbers(text)
    if len(found) != 1 or not 0 < found[0] <= MOST_IN_ONE_ENTRY:
        turn.say("volunteer.tally_one_number", most=MOST_IN_ONE_ENTRY)
        return True
    turn.state.tally = found
    turn.go(Step.TALLY_LINKED)
    return True


def _of_helped(turn: Turn, text: str) -> int | None:
    """One number from 0 to the people helped, or None (said what to type)."""
    found, helped = _numbers(text), turn.state.tally[0]
    if len(found) != 1 or found[0] > helped:
        turn.say("volunteer.tally_at_most", most=helped)
        return None
    return found[0]


def typed_linked(turn: Turn, text: str) -> bool:
    linked = _of_helped(turn, text)
    if linked is None:
        return True
    helped = turn.state.tally[0]
    turn.state.tally = [helped, linked]
    if linked == helped:
        turn.state.tally += [0] * len(REASONS)
        turn.go(Step.TALLY_SIGNATURE)
    else:
        turn.go(Step.TALLY_REASONS)
    return True


def typed_reasons(turn: Turn, text: str) -> bool:
    found = _numbers(text)
    missing = turn.state.tally[0] - turn.state.tally[1]
    if len(found) != len(REASONS) or sum(found) != missing:
        turn.say("volunteer.tally_reasons_wrong", count=len(REASONS), missing=missing)
        return True
    turn.state.tally = turn.state.tally[:2] + found
    turn.go(Step.TALLY_SIGNATURE)
    return True


def typed_signature(turn: Turn, text: str) -> bool:
    signature = _of_helped(turn, text)
    if signature is None:
        return True
    state = turn.state
    numbers = [*state.tally[: 2 + len(REASONS)], signature]
    if state.tally_fix and _correctable(turn):
        _log_tally(turn, state.last_tally[1:], state.last_tally[0], sign=-1)
    _log_tally(turn, numbers, state.tally_village or "", sign=1)
    state.last_tally = [state.tally_village or "", *numbers]
    state.last_tally_on = turn.now.astimezone(turn.content.zone).date().isoformat()
    state.tally, state.tally_fix = [], False
    turn.say("volunteer.tally_saved", helped=numbers[0], linked=numbers[1])
    turn.go(Step.MENU)
    return True


def _log_tally(turn: Turn, numbers: list, village: str, sign: int) -> None:
    helped, linked, *reasons, signature = (sign * int(n) for n in numbers)
    why = dict(zip(REASONS, reasons, strict=True))
    turn.log(
        "door_tally", at_village=village, helped=helped, linked=linked, signature=signature,
        correction=sign < 0, **why,
    )  # fmt: skip


def _correctable(turn: Turn) -> bool:
    """The last entry can be corrected on the day it was made."""
    today = turn.now.astimezone(turn.content.zone).date().isoformat()
    return bool(turn.state.last_tally) and turn.state.last_tally_on == today


def _fix_words(turn: Turn, text: str) -> bool:
    """ "sửa" at the first question: this entry replaces the last one of today."""
    if not _correctable(turn) or fold(text) not in ("sua", "sua lai"):
        return False
    turn.state.tally_fix = True
    turn.say("volunteer.tally_fixing")
    return True


_TICKET = re.compile(r"^#?(\d{1,9})(?:\s+(.+))?$", re.DOTALL)


def answer_ticket(turn: Turn, argument: str | None) -> None:
    """`/traloi <số> <lời nhắn>`: the answer goes to the resident who asked (the service checks
    the ticket is open and the volunteer's to answer)."""
    if not _staff_only(turn, "traloi"):
        return
    found = _TICKET.match((argument or "").strip())
    if not found or not found.group(2):
        turn.say("ticket.answer_how")
        return
    turn.replies.append(Reply("", request=("answer", found.group(1), found.group(2).strip())))


def close_ticket(turn: Turn, argument: str | None) -> None:
    """`/xong <số>`: the ticket is done; the resident's message is no longer kept."""
    if not _staff_only(turn, "xong"):
        return
    found = _TICKET.match((argument or "").strip())
    if not found:
        turn.say("ticket.close_how")
        return
    turn.replies.append(Reply("", request=("close", found.group(1))))


def kit(turn: Turn, _: str | None) -> None:
    """The material kit, each piece its own message so it can be forwarded alone."""
    if not _staff_only(turn, "tailieu"):
        return
    turn.say("volunteer.kit_intro")
    turn.say("group.guide")
    turn.say("video.site" if turn.content.video_is_default else "video.official", image="qr:video")
    for code in _villages(turn):
        turn.say("volunteer.kit_poster", image=f"poster:{code}", village=turn.content.places.name(code))
