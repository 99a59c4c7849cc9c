"""`handle`: one inbound message in, the next state with its replies and events out.

The order in which a message is understood is the heart of the helper's manners:

1. a start link, "resume" (show the current question again), or a pressed button (a button the
   current question did not offer is stale and only re-shows the question, so nothing ever
   advances twice);
2. a global word ("menu", "huỷ", "xoá dữ liệu", ...) when it is the whole message and does not
   name one of the options on offer;
3. an option, by number, label or everyday answer (`flows.matching`); at a side question
   (`SIDE_STEPS`) anything else goes back to the question the person was at, and is understood
   there; a number beyond the options gets the valid range;
4. a card number typed anywhere, which is pre-checked on the spot (at the card question itself,
   that question reads it); a photo of the card's QR is read as if its number had been typed;
5. what the current question itself reads from free text (a village name);
6. a typed question, ranked against the FAQ and the menu (`flows.search`): answered, offered
   as two close matches, or "not found" with the list and a person;
7. otherwise the options again, and after three misses in a row the offer of a person.

Whatever happened, the reply ends with the question the person is now at (in its brief form
when something was said before it). The function is pure: no clock (the caller passes `now`),
no I/O, standard library only.
"""

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from flows import card_dialog, faq, menu, office, onboarding, search, volunteer, wakes
from flows.card_number import check_card_number
from flows.content import Content
from flows.group import handle_group
from flows.handoff import offer_handoff
from flows.matching import command_of, named_option, number_of, option_of
from flows.model import SIDE_STEPS, FlowState, Inbound, PhotoReading, Step, Transition
from flows.steps import STEPS, StepSpec
from flows.turn import Turn

#: After this long without a message, the next message starts over at the menu.
IDLE_RESTART = timedelta(hours=24)
#: Misunderstandings in a row before a person is offered.
MAX_MISSES = 3
#: Free text of this many words or more is taken as a question, even without a question word.
QUESTION_LENGTH = 3
#: Where any text that is not an option is taken as a question.
_ASKING_STEPS = frozenset({Step.MENU, Step.FAQ, Step.FAQ_ANSWER})


def _new_ref() -> str:
    """A random person reference: nothing in it leads back to the person."""
    return secrets.token_hex(8)


def handle(
    state: FlowState | None,
    inbound: Inbound,
    content: Content,
    now: datetime,
    *,
    new_ref: Callable[[], str] = _new_ref,
) -> Transition:
    """Answer one inbound message. `state` is None for a person never seen before. `now` must
    carry its time zone: idle times and reporting weeks are compared across channels."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if inbound.chat_type == "group":
        return handle_group(state, inbound, content, now)
    state = FlowState(person=new_ref()) if state is None else state.copy()
    turn = Turn(state, content, now, inbound)
    if inbound.kind == "wake":
        return _woken(turn)
    if state.step is not Step.NEW and _idle(state, now) and not wakes.nudged_recently(turn):
        _restart_after_idle(turn, quiet=_is_start(turn))
    if turn.state.step is Step.NEW:
        _first_message(turn, inbound)
    else:
        _dispatch(turn, inbound)
    # a photo that was read goes from the chat too: it may show a whole card
    sensitive = inbound.photo is not None or (
        inbound.kind == "text" and check_card_number(inbound.text).card_like
    )
    if turn.erased:
        new = FlowState(person=new_ref())
        return Transition(new, tuple(turn.replies), tuple(turn.events), erased=True, sensitive=sensitive)
    state.step = turn.next or state.step
    STEPS[state.step].ask(turn)
    turn.state.last_at = now.isoformat()
    submitted = any(e.kind == "outcome" and e.data.get("outcome") == "submitted" for e in turn.events)
    wakes.plan(turn, submitted)
    return Transition(turn.state, tuple(turn.replies), tuple(turn.events), sensitive=sensitive)


def _woken(turn: Turn) -> Transition:
    """The helper's own timer, not a person: a nudge and the question it leads to, or nothing.
    The person's last message (`last_at`) stays what it was."""
    wakes.wake(turn)
    if turn.replies:
        turn.state.step = turn.next or turn.state.step
        STEPS[turn.state.step].ask(turn)
    return Transition(turn.state, tuple(turn.replies), tuple(turn.events))


def _idle(state: FlowState, now: datetime) -> bool:
    return state.last_at is not None and now - datetime.fromisoformat(state.last_at) >= IDLE_RESTART


def _is_start(turn: Turn) -> bool:
    inbound = turn.inbound
    command = command_of(inbound.text, turn.content.vocabulary) if inbound.text else None
    return bool(inbound.payload) or (command is not None and command[0] == "start")


def _restart_after_idle(turn: Turn, quiet: bool) -> None:
    """A new help session at the menu; before consent, the welcome starts again. `quiet` when the
    message is a start, which greets and logs the session itself."""
    state = turn.state
    if state.consent is None:
        state.step = Step.NEW
        return
    state.step = Step.MENU
    state.offered = []
    state.pick = []
    state.misses = state.card_fails = state.max_guide_step = 0
    state.resume = state.erase_from = state.card_from = state.guide_at = None
    state.prerequisites_done = state.card_explain = False
    turn.restarted = True
    if not quiet:
        turn.log("session_started", source="return")
        turn.say("welcome.back")


def _first_message(turn: Turn, inbound: Inbound) -> None:
    """Any first message starts the welcome; a card number in it is still pre-checked, and a
    staff command that asks no question (`_ANSWERED_FIRST`) is answered before it."""
    command = command_of(inbound.text, turn.content.vocabulary) if inbound.text else None
    payload = command[1] if command and command[0] == "start" else None
    if command and command[0] in _ANSWERED_FIRST:  # staff may start with one of their commands
        _COMMANDS[command[0]](turn, command[1])
    onboarding.start(turn, inbound.payload or payload)
    if inbound.photo is not None and inbound.photo != "card":
        _photo_not_read(turn, inbound.photo)
    elif inbound.text and not command:
        check = check_card_number(inbound.text)
        if check.card_like:
            card_dialog.explain(turn, check)


def _aliases(content: Content) -> Callable[[str], tuple[str, ...]]:
    def aliases(option_id: str) -> tuple[str, ...]:
        key = "aliases." + option_id.replace(":", ".")
        return content.words(key) if content.has(key) else ()

    return aliases


def _answer(turn: Turn, spec: StepSpec, option_id: str) -> None:
    turn.state.misses = 0
    spec.answer(turn, option_id.partition(":")[2])


def _dispatch(turn: Turn, inbound: Inbound) -> None:
    state = turn.state
    if inbound.payload:
        onboarding.start(turn, inbound.payload)
    elif inbound.kind == "resume":
        return
    elif inbound.choice is not None:
        if any(option_id == inbound.choice for option_id, _ in state.offered):
            _answer(turn, STEPS[state.step], inbound.choice)
        else:
            turn.say("misc.stale")
    elif inbound.photo is not None:
        _photo(turn, inbound)
    elif inbound.kind not in ("text", "choice"):
        turn.say("misc.non_text")
    else:
        _understand(turn, inbound.text)


def _photo(turn: Turn, inbound: Inbound) -> None:
    """A card's QR is answered exactly as its number typed here would be; any other photo gets
    what was found instead, and the question again (at the card question: type the number)."""
    if inbound.photo is not None and inbound.photo != "card":
        _photo_not_read(turn, inbound.photo)
        return
    spec = STEPS[turn.state.step]
    if spec.reads_cards and spec.typed is not None:
        spec.typed(turn, inbound.text)
    else:
        _card_number(turn, inbound.text)


#: What is said about a photo that held no card's QR, by what it held instead.
_NOT_A_CARD: dict[PhotoReading, str] = {
    "identity": "photo.identity",
    "other_code": "photo.other_code",
    "no_code": "photo.no_code",
    "unreadable": "photo.unreadable",
    "too_big": "photo.too_big",
    "not_fetched": "photo.not_fetched",
}


def _photo_not_read(turn: Turn, reading: PhotoReading) -> None:
    turn.log("photo_unread", reason=reading)
    turn.say(_NOT_A_CARD[reading])


def _understand(turn: Turn, text: str) -> None:
    """Typed text, in the order of the module docstring (from step 2 on)."""
    state = turn.state
    spec = STEPS[state.step]
    vocabulary = turn.content.vocabulary
    aliases = _aliases(turn.content)
    command = command_of(text, vocabulary)
    if command and named_option(text, state.offered, aliases) is None:
        _run_command(turn, *command)
        return
    option = option_of(text, state.offered, vocabulary, aliases, spec.strictness)
    if option is not None:
        _answer(turn, spec, option)
    elif state.step in SIDE_STEPS:
        _leave_side(turn)
        _understand(turn, text)
    elif number_of(text) is not None and state.offered:
        _miss(turn, "misc.out_of_range", count=len(state.offered))
    elif spec.reads_cards and spec.typed is not None:
        if not spec.typed(turn, text):  # no number in it: a question, left to the questions
            _free_text(turn, text)
    elif not _card_number(turn, text) and (spec.typed is None or not spec.typed(turn, text)):
        _free_text(turn, text)


def _leave_side(turn: Turn) -> None:
    """Back from a side question to the question the person was at, with its options on offer
    again (asked silently on a copy), so the text can be understood there."""
    state = turn.state
    state.step = turn.come_back(Step.MENU)
    probe = Turn(state.copy(), turn.content, turn.now, turn.inbound)
    STEPS[state.step].ask(probe)
    state.offered = probe.state.offered


def _card_number(turn: Turn, text: str) -> bool:
    """A card-like number anywhere is pre-checked on the spot; the question then repeats."""
    check = check_card_number(text)
    if not check.card_like:
        return False
    turn.state.misses = 0
    card_dialog.explain(turn, check)
    return True


def _free_text(turn: Turn, text: str) -> None:
    """Text the current question did not expect: a question, or a miss. An everyday answer
    that fits no option here ("có" at the area question) is a miss, never a question."""
    vocabulary = turn.content.vocabulary
    answer_word = vocabulary.meaning(text) is not None
    found = search.find(turn.content, text) if not answer_word else None
    if found and found.keys:
        turn.state.misses = 0
        if found.answer:
            faq.open_found(turn, found.answer)
        else:
            faq.offer_pick(turn, found.keys)
        return
    if turn.restarted:
        return
    words = vocabulary.content_words(text)
    asking = bool(words) and (vocabulary.is_question(text) or len(words) >= QUESTION_LENGTH)
    if not answer_word and (asking or (turn.state.step in _ASKING_STEPS and words)):
        faq.not_found(turn)
    else:
        _miss(turn, "misc.miss")


def _miss(turn: Turn, key: str, **fields: object) -> None:
    """Not understood: say so (`key`); the third time in a row, offer a person instead."""
    turn.state.misses += 1
    if turn.state.misses >= MAX_MISSES:
        turn.state.misses = 0
        turn.say("misc.miss_many")
        offer_handoff(turn, resume=turn.state.step)
    else:
        turn.say(key, **fields)


def _help(turn: Turn, _: str | None) -> None:
    turn.say("help.text")


def _stop(turn: Turn, _: str | None) -> None:
    """Reminders off; a channel that cannot push (the web chat) has none to stop."""
    if not turn.inbound.push:
        turn.say("stop.no_reminders")
        return
    turn.state.reminders_off = True
    turn.say("stop.done")


def _erase(turn: Turn, _: str | None) -> None:
    if turn.state.step is not Step.ERASE_CONFIRM:
        turn.state.erase_from = turn.state.step
    turn.go(Step.ERASE_CONFIRM)


def _change_village(turn: Turn, _: str | None) -> None:
    if turn.state.consent:
        turn.go(Step.AREA)
    else:
        turn.say("village.needs_consent")
        turn.go(Step.CONSENT)


def _cancel(turn: Turn, _: str | None) -> None:
    turn.say("misc.cancelled")
    turn.go(Step.MENU)


#: What each global word does. They work before consent too: a person who has not chosen yet is
#: helped like one who declined, with anonymous events.
_COMMANDS: dict[str, Callable[[Turn, str | None], None]] = {
    "start": onboarding.start,
    "help": _help,
    "stop": _stop,
    "erase": _erase,
    "village": _change_village,
    "cancel": _cancel,
    "menu": lambda turn, _: turn.go(Step.MENU),
    "report": office.report,
    "invite_volunteer": volunteer.invite,
    "tally": volunteer.start_tally,
    "kit": volunteer.kit,
    "answer_ticket": volunteer.answer_ticket,
    "close_ticket": volunteer.close_ticket,
    **{item: lambda turn, _, item=item: menu.open_item(turn, item) for item in menu.MENU_ITEMS},
}


#: Commands a first message may be, answered before the welcome: they ask no question.
_ANSWERED_FIRST = frozenset({"report", "invite_volunteer", "kit", "answer_ticket", "close_ticket"})


def _run_command(turn: Turn, command: str, payload: str | None) -> None:
    """A global word: pre-empts the current question."""
    turn.state.misses = 0
    _COMMANDS[command](turn, payload)
