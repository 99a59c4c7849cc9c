"""Walking a conversation in tests: actions (typed text, presses, non-text, start links) and the
usual starting points, reached by answering with what a person would type or read (labels and
everyday words), never by option numbers: the frozen content's wording is the contract."""

from datetime import timedelta

from flows import FlowState, Inbound, Step, handle
from flows.model import GUIDE_STEPS
from tests.conftest import NOW

Action = str | tuple[str, str]

NEXT = "Xong, sang bước tiếp"
AT_CONSENT: list[Action] = ["xin chào"]
AT_AREA: list[Action] = [*AT_CONSENT, "Đồng ý"]
AT_MENU: list[Action] = [*AT_AREA, "Đồng Tâm", "Tổ dân phố 3"]
DECLINED: list[Action] = [*AT_CONSENT, "Không đồng ý"]
AT_PRE_APP: list[Action] = [*AT_MENU, "Hướng dẫn 5 bước tích hợp thẻ BHYT"]
AT_CARD: list[Action] = [*AT_MENU, "Kiểm tra số thẻ BHYT"]


def at_screen(step: Step) -> list[Action]:
    """At one screen of the guide, having answered every prerequisite with yes."""
    prerequisites = ["Có, đã cài VNeID", "Có, đã có mức 2", "Có, đã có số thẻ"]
    return [*AT_PRE_APP, *prerequisites, *[NEXT] * GUIDE_STEPS.index(step)]


def inbound(action: Action) -> Inbound:
    if isinstance(action, tuple):
        kind, value = action
        if kind == "press":
            return Inbound("test", "u1", "chat-1", choice=value, kind="choice")
        if kind == "payload":
            return Inbound("test", "u1", "chat-1", text="/start", payload=value)
        if kind == "web":
            return Inbound("web", "u1", "chat-1", text=value, push=False)
        if kind == "photo":  # what the channel read: "card:<number>", or another reading
            reading, _, number = value.partition(":")
            return Inbound("test", "u1", "chat-1", text=number, kind="photo", photo=reading or None)
        return Inbound("test", "u1", "chat-1", kind=kind)
    return Inbound("test", "u1", "chat-1", text=action)


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
