"""The working context of one call to `flows.handle`.

Step functions receive a `Turn`, say things, log events and name the next step; the engine then
asks that step's question. Keeping this in one small object means step functions never build
`Reply` or `FlowEvent` objects by hand, so every reply and every event gets the same treatment
(button ids scoped to their question, events carrying the village and the person reference only
with consent).
"""

from collections.abc import Sequence
from datetime import datetime

from flows.content import Content
from flows.events import check_event
from flows.model import SIDE_STEPS, Button, FlowEvent, FlowState, Inbound, Reply, Step

#: Button ids are sent back by channels; Telegram allows at most 64 bytes of callback data.
MAX_BUTTON_ID_BYTES = 64


class Turn:
    """One transition being built: the (already copied) state, replies and events so far."""

    def __init__(self, state: FlowState, content: Content, now: datetime, inbound: Inbound) -> None:
        self.state = state
        self.content = content
        self.now = now
        self.inbound = inbound
        self.replies: list[Reply] = []
        self.events: list[FlowEvent] = []
        self.next: Step | None = None
        self.erased = False
        self.restarted = False

    def say(self, key: str, *, image: str | None = None, **fields: object) -> None:
        """Add one message from the content key `key`."""
        self.replies.append(Reply(self.content.text(key, **fields), image=image))

    def say_all(self, key: str, **fields: object) -> None:
        """Add one message per paragraph of the list at `key` (one instruction per message)."""
        for text in self.content.paragraphs(key, **fields):
            self.replies.append(Reply(text))

    def say_text(self, text: str) -> None:
        """Add one message whose text was already composed from content."""
        self.replies.append(Reply(text))

    def log(self, kind: str, *, at_village: str | None = None, **data: str | int | bool | None) -> None:
        """Record an event (its kind and keys as `flows.events` lists them) in the person's
        village, or `at_village` (a volunteer's tally is the village they visited). Without
        consent the event is anonymous (no person reference)."""
        check_event(kind, set(data))
        person = self.state.person if self.state.consent else None
        self.events.append(FlowEvent(kind, at_village or self.state.village, person, dict(data)))

    def go(self, step: Step) -> None:
        """Name the step whose question comes next; the engine asks it."""
        self.next = step

    def detour(self, step: Step, back_to: Step | None = None) -> None:
        """Ask a side question (`SIDE_STEPS`); afterwards the person goes back to `back_to`, by
        default the question they are at (a side question asked from a side question goes
        back to where the first one came from)."""
        if self.state.step not in SIDE_STEPS:
            self.state.resume = back_to or self.state.step
        self.go(step)

    def come_back(self, default: Step) -> Step:
        """Where a side question goes back to (and forget it)."""
        back = Step(self.state.resume) if self.state.resume else default
        self.state.resume = None
        return back

    def label(self, key: str) -> str:
        return self.content.text(key)

    def question(
        self,
        text: str,
        options: Sequence[tuple[str, str]],
        image: str | None = None,
        wants_text: bool = False,
        brief: str | None = None,
    ) -> None:
        """Ask `text` offering `options` as (name, label); remember them for typed answers.

        When this turn already said something (an answer, a card check, "not understood"), the
        `brief` form of a long question is asked instead, so that the whole turn fits one phone
        screen; the full text is just above in the chat.

        The button id is "<step>:<name>", so a button pressed after the question has changed is
        recognisably stale and never advances the conversation twice.
        """
        if brief is not None and self.replies:
            text, image = brief, None
        buttons = tuple(Button(f"{self.state.step}:{name}", label) for name, label in options)
        for button in buttons:
            if len(button.id.encode()) > MAX_BUTTON_ID_BYTES:
                raise ValueError(f"button id too long: {button.id!r}")
        self.state.offered = [[b.id, b.label] for b in buttons]
        self.replies.append(Reply(text, buttons, image, wants_text))
