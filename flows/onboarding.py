"""The start of a conversation: welcome, consent, and which thôn / tổ dân phố the person is in.

Consent comes first and is an explicit choice (Vietnam's personal data law): a layered notice
says in a few lines who is talking (the commune's software), what is kept, for how long, what
is never kept and how to erase it; "Xem chi tiết" gives the full notice (purpose, legal basis,
rights, whom to ask) that Decree 356/2025 requires. The person then chooses "Đồng ý" or "Không
đồng ý". Declining still gives every piece of help; the events of a person who declined carry no
person reference and no village.
"""

from flows import office
from flows.matching import number_of
from flows.model import Step
from flows.places import UNKNOWN
from flows.text import slug
from flows.turn import Turn

_PAYLOAD_PREFIX = "v_"


def village_from_payload(turn: Turn, payload: str | None) -> str | None:
    """The village code carried by a start link "v_<code>[_more]", if the commune has it."""
    if not payload or not payload.startswith(_PAYLOAD_PREFIX):
        return None
    code = payload.removeprefix(_PAYLOAD_PREFIX).split("_", 1)[0]
    return code if code in turn.content.places.by_code else None


def start(turn: Turn, payload: str | None) -> None:
    """Begin a help session. Records `session_started`; asks for consent unless already given."""
    state = turn.state
    office.welcome_invited(turn)
    pending = village_from_payload(turn, payload)
    state.max_guide_step = 0
    state.misses = 0
    turn.log("session_started", source="link" if pending else "direct")
    if state.consent is None:
        state.pending_village = pending
        turn.say("welcome.intro")
        turn.go(Step.CONSENT)
    elif state.consent and pending and pending != state.village:
        state.pending_village = pending
        turn.say("welcome.back")
        turn.go(Step.VILLAGE_CONFIRM)
    else:
        turn.say("welcome.back")
        turn.go(Step.MENU)


def ask_consent(turn: Turn) -> None:
    """Asks for consent: agree, decline, or read the full notice first."""
    turn.question(
        turn.content.text("consent.question"),
        [
            ("agree", turn.label("consent.agree")),
            ("decline", turn.label("consent.decline")),
            ("details", turn.label("consent.details_label")),
        ],
    )


def answer_consent(turn: Turn, name: str) -> None:
    """Records `consent_given` (then asks the village) or `consent_declined` (then the menu);
    "Xem chi tiết" shows the full notice and asks again."""
    state = turn.state
    if name == "details":
        turn.say("consent.details")
        return
    if name == "agree":
        state.consent = True
        turn.log("consent_given")
        turn.say("consent.thanks")
        turn.go(Step.VILLAGE_CONFIRM if state.pending_village else Step.AREA)
        return
    state.consent = False
    state.village = None
    state.pending_village = None
    turn.log("consent_declined")
    turn.say("consent.declined")
    turn.go(Step.MENU)


def set_village(turn: Turn, code: str) -> None:
    """Remembers the village, records `village_set`, and goes to the menu."""
    turn.state.village = code
    turn.state.pending_village = None
    turn.state.area = None
    turn.log("village_set")
    if code == UNKNOWN:
        turn.say("village.saved_unknown")
    else:
        turn.say("village.saved", village=turn.content.places.name(code))
    turn.go(Step.MENU)


def ask_village_confirm(turn: Turn) -> None:
    """Asks whether the village from the start link is right."""
    name = turn.content.places.name(turn.state.pending_village)
    turn.question(
        turn.content.text("village.confirm", village=name),
        [("yes", turn.label("village.confirm_yes")), ("no", turn.label("village.confirm_no"))],
    )


def answer_village_confirm(turn: Turn, name: str) -> None:
    """On "Có" records `village_set` for the link's village; on "Không" asks the area."""
    pending = turn.state.pending_village
    if name == "yes" and pending:
        set_village(turn, pending)
    else:
        turn.state.pending_village = None
        turn.go(Step.AREA)


def ask_area(turn: Turn) -> None:
    """Asks the area (the former units), the "other / not sure" choice last."""
    places = turn.content.places
    options = [(slug(area), area) for area in places.areas]
    turn.question(turn.content.text("village.area"), [*options, ("unsure", turn.label("village.other"))])


def answer_area(turn: Turn, name: str) -> None:
    """An area with villages asks which one; one without a list, or "Khác / không rõ",
    records `village_set` at once."""
    places = turn.content.places
    if name == "unsure":
        set_village(turn, UNKNOWN)
        return
    area = places.area_of_slug(name)
    if area is None:
        turn.go(Step.AREA)
        return
    if all(v.is_other for v in places.in_area(area)):
        turn.say("village.area_unlisted", area=area)
        set_village(turn, places.other_in(area))
        return
    turn.state.area = area
    turn.go(Step.VILLAGE)


def ask_village(turn: Turn) -> None:
    """Asks the thôn / tổ dân phố within the chosen area, "Khác / không rõ" last."""
    area = turn.state.area or ""
    options = [
        ("unsure" if v.is_other else v.code, turn.label("village.other") if v.is_other else v.name)
        for v in turn.content.places.in_area(area)
    ]
    turn.question(turn.content.text("village.which", area=area), options)


def answer_village(turn: Turn, name: str) -> None:
    """Records `village_set` (the area's "Khác / không rõ" row for an unsure answer)."""
    places = turn.content.places
    if name == "unsure":
        set_village(turn, places.other_in(turn.state.area or "") if turn.state.area else UNKNOWN)
    elif name in places.by_code:
        set_village(turn, name)
    else:
        turn.go(Step.AREA)


def village_typed(turn: Turn, text: str) -> bool:
    """A typed place name at any village question: one match is taken, several are narrowed.
    A number or an everyday answer ("có", "không") is never taken for a name."""
    if number_of(text) is not None or turn.content.vocabulary.meaning(text) is not None:
        return False
    places = turn.content.places
    found = places.match(text)
    if len(found) == 1:
        set_village(turn, found[0].code)
        return True
    if found:
        areas = {v.area for v in found}
        turn.say("village.several")
        if len(areas) == 1:
            turn.state.area = areas.pop()
            turn.go(Step.VILLAGE)
        else:
            turn.go(Step.AREA)
        return True
    area = places.match_area(text)
    if area:
        answer_area(turn, slug(area))
        return True
    return False
