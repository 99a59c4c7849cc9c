"""Walking a conversation in tests: actions (typed text, presses, non-text, start links) and the
usual starting points."""

from datetime import timedelta

from flows import FlowState, Inbound, handle
from tests.conftest import NOW

Action = str | tuple[str, str]

AT_CONSENT: list[Action] = ["xin chào"]
AT_AREA: list[Action] = [*AT_CONSENT, "1"]
AT_MENU: list[Action] = [*AT_AREA, "1", "3"]
DECLINED: list[Action] = [*AT_CONSENT, "2"]
AT_PRE_APP: list[Action] = [*AT_MENU, "1"]
AT_CARD: list[Action] = [*AT_MENU, "2"]


def at_guide(number: int) -> list[Action]:
    return [*AT_PRE_APP, "1", "1", "1", *["1"] * (number - 1)]


def inbound(action: Action) -> Inbound:
    if isinstance(action, tuple):
        kind, value = action
        if kind == "press":
            return Inbound("test", "u1", "c1", choice=value, kind="choice")
        if kind == "payload":
            return Inbound("test", "u1", "c1", text="/start", payload=value)
        return Inbound("test", "u1", "c1", kind=kind)
    return Inbound("test", "u1", "c1", text=action)


def walk(content, actions: list[Action], state: FlowState | None = None, start=NOW):
    transition = None
    for minute, action in enumerate(actions, 1):
        transition = handle(state, inbound(action), content, start + timedelta(minutes=minute))
        state = transition.state
    return state, transition


def shown(transition) -> str:
    """Everything the person sees: texts, then the options as numbered lines."""
    return "\n".join(
        [reply.text for reply in transition.replies]
        + [f"{n}. {b.label}" for reply in transition.replies for n, b in enumerate(reply.buttons, 1)]
    )
