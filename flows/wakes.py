"""The messages the helper sends unprompted: one follow-up a day after a request was sent ("has
it been approved?", asked once more three days later while it is pending), and one gentle
reminder to someone who stopped halfway through the guide.

The flow cannot keep time, so it asks to be woken: `FlowState.wake_at` (and what for, in
`wake_for`); the service copies it into an indexed column, a sweeper finds the due ones every
minute and hands each to the flow as an `Inbound` of kind "wake", which a step may answer or
leave silent. Manners, checked here at the moment of waking: never between 21:00 and 07:00 in
the commune's zone (the wake moves to 07:00), at most one nudge a day, and never to someone who
said "dừng", has not consented, or cannot be reached unprompted (the web chat).
"""

from datetime import datetime, time, timedelta

from flows.model import GUIDE_STEPS, Step
from flows.turn import Turn

FOLLOW_UP_AFTER = timedelta(hours=24)
ASK_AGAIN_AFTER = timedelta(days=3)
REMIND_AFTER = timedelta(hours=24)
#: At most one unprompted message a day to anyone.
ONE_A_DAY = timedelta(hours=24)
QUIET_FROM, QUIET_UNTIL = time(21, 0), time(7, 0)
#: Where a person who stops is halfway: the guide and the checks before it.
MID_GUIDE = frozenset(
    {
        *GUIDE_STEPS,
        Step.PRE_APP,
        Step.PRE_APP_HELP,
        Step.PRE_LEVEL2,
        Step.PRE_LEVEL2_HELP,
        Step.PRE_CARD,
        Step.PRE_CARD_HELP,
        Step.FAIL_WHICH,
        Step.STUCK,
        Step.STUCK_ANSWER,
    }
)
#: What each follow-up says (the first a day after the request, the second three days later).
FOLLOW_UPS = {"followup": "wake.followup", "followup_again": "wake.followup_again"}


def _set(turn: Turn, at: datetime, why: str) -> None:
    turn.state.wake_at, turn.state.wake_for = at.isoformat(), why


def clear(turn: Turn) -> None:
    turn.state.wake_at = turn.state.wake_for = None


def plan(turn: Turn, submitted: bool) -> None:
    """After a person's message: when to wake next. A request just sent is followed up a day
    later (and stays due whatever the person does meanwhile); a conversation halfway through the
    guide is reminded a day after this message; anything else needs no nudge."""
    state = turn.state
    if not state.consent or state.reminders_off or not turn.inbound.push:
        clear(turn)
    elif submitted:
        state.followups = 0
        _set(turn, turn.now + FOLLOW_UP_AFTER, "followup")
    elif state.wake_for in FOLLOW_UPS:
        return
    elif state.step in MID_GUIDE:
        _set(turn, turn.now + REMIND_AFTER, "reminder")
    else:
        clear(turn)


def nudged_recently(turn: Turn) -> bool:
    """A nudge was sent after the person's last message, within a day: their answer to it is an
    answer, not a return after a long silence (no restart at the menu)."""
    state, now = turn.state, turn.now
    if not state.nudged_at:
        return False
    nudged = datetime.fromisoformat(state.nudged_at)
    last = datetime.fromisoformat(state.last_at) if state.last_at else None
    return (last is None or nudged > last) and now - nudged < ONE_A_DAY


def wake(turn: Turn) -> None:
    """The sweeper woke this conversation: say the follow-up or the reminder, or stay silent
    and move the wake (night, already nudged today), or drop it (opted out)."""
    state, now = turn.state, turn.now
    why = state.wake_for
    clear(turn)
    if why is None or not state.consent or state.reminders_off:
        return
    local = now.astimezone(turn.content.zone)
    if local.time() >= QUIET_FROM or local.time() < QUIET_UNTIL:
        morning = local.date() + timedelta(days=1 if local.time() >= QUIET_FROM else 0)
        _set(turn, datetime.combine(morning, QUIET_UNTIL, turn.content.zone), why)
        return
    if state.nudged_at and now - datetime.fromisoformat(state.nudged_at) < ONE_A_DAY:
        _set(turn, datetime.fromisoformat(state.nudged_at) + ONE_A_DAY, why)
        return
    state.nudged_at = now.isoformat()
    if why in FOLLOW_UPS:
        state.followups += 1
        turn.say(FOLLOW_UPS[why])
        turn.go(Step.RESULT)
    else:
        turn.say("wake.reminder")


def pending_again(turn: Turn) -> bool:
    """After "still pending" to the first follow-up: ask once more in three days."""
    if turn.state.followups != 1 or turn.state.reminders_off:
        return False
    _set(turn, turn.now + ASK_AGAIN_AFTER, "followup_again")
    return True
