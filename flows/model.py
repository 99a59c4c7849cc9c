"""The data that crosses the boundary between the flow and the channels.

Channels build `Inbound`, the flow answers with a `Transition`; both are plain data so that every
channel (web, terminal, Telegram, Zalo) and every test speaks the same language. `FlowState` is
stored between messages, so it must round-trip through JSON exactly.
"""

import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

ChatType = Literal["private", "group"]
#: Who the person is to the helper (the service knows; officers come from the settings).
Role = Literal["resident", "volunteer", "officer"]
#: What a channel read from a photo sent in a private chat (`bot.card_photo`; the flow never
#: sees the image): a BHYT card's QR ("card": `Inbound.text` holds its card-number field and
#: nothing else), an identity card's or VNeID's QR, another QR (a payment, a link), no QR found,
#: a file that is not an image or is broken, one too big to read, or one that could not be
#: fetched from the platform.
PhotoReading = Literal["card", "identity", "other_code", "no_code", "unreadable", "too_big", "not_fetched"]


class Step(StrEnum):
    """Every question the helper can be waiting on. Stored in the database: never renumber,
    only add. The table of what each step asks and does is `flows/steps.py`."""

    NEW = "new"
    CONSENT = "consent"
    VILLAGE_CONFIRM = "village_confirm"
    AREA = "area"
    VILLAGE = "village"
    MENU = "menu"
    PRE_APP = "pre_app"
    PRE_APP_HELP = "pre_app_help"
    PRE_LEVEL2 = "pre_level2"
    PRE_LEVEL2_HELP = "pre_level2_help"
    PRE_CARD = "pre_card"
    PRE_CARD_HELP = "pre_card_help"
    GUIDE_1 = "guide_1"
    GUIDE_2 = "guide_2"
    GUIDE_3 = "guide_3"
    GUIDE_4 = "guide_4"
    GUIDE_4_NUMBER = "guide_4_number"
    GUIDE_4_CONFIRM = "guide_4_confirm"
    GUIDE_5 = "guide_5"
    FAIL_WHICH = "fail_which"
    STUCK = "stuck"
    STUCK_ANSWER = "stuck_answer"
    CARD_ASK = "card_ask"
    CARD_DONE = "card_done"
    RESULT = "result"
    REJECT_CAUSE = "reject_cause"
    SIGNATURE = "signature"
    FAQ = "faq"
    FAQ_ANSWER = "faq_answer"
    HANDOFF_OFFER = "handoff_offer"
    ERASE_CONFIRM = "erase_confirm"
    FAQ_PICK = "faq_pick"
    NOT_FOUND = "not_found"
    TALLY_VILLAGE = "tally_village"
    TALLY_HELPED = "tally_helped"
    TALLY_LINKED = "tally_linked"
    TALLY_REASONS = "tally_reasons"
    TALLY_SIGNATURE = "tally_signature"
    HANDOFF_MESSAGE = "handoff_message"


#: Questions asked on the side of another one (the offer of a person, "which of these two did
#: you mean", "not found"): anything typed there that is not one of their options goes back to
#: the question the person was at (`FlowState.resume`) and is understood there.
SIDE_STEPS = frozenset({Step.HANDOFF_OFFER, Step.FAQ_PICK, Step.NOT_FOUND})

#: The screens of the guide in order. Step 4 is three screens (choose the issuer, type the number,
#: tick the confirmation), so that a person does one thing at a time; `flows.guide` numbers them.
GUIDE_STEPS = (
    Step.GUIDE_1,
    Step.GUIDE_2,
    Step.GUIDE_3,
    Step.GUIDE_4,
    Step.GUIDE_4_NUMBER,
    Step.GUIDE_4_CONFIRM,
    Step.GUIDE_5,
)


@dataclass(frozen=True, slots=True)
class Inbound:
    """One thing a person did: typed `text`, pressed a button (`choice` = the button id),
    sent something that is not text (`kind`: "photo", "sticker", "voice", "file", "location",
    "other"), opened a start link (`payload`), or came back to a conversation whose last answer
    it no longer shows (`kind` "resume": the current question is asked again, nothing else).
    `kind` "wake" is not a person at all: the helper's own timer (`FlowState.wake_at`) is due.
    `push` is False on a channel that cannot send a message unprompted (the web chat), so the
    flow never promises it a reminder. `chat_type` is "group" in a village's group chat (where
    the helper never asks for a card number); `received_at` is when the platform received the
    message (its own timestamp); `message_ref` is the platform's id of the person's message (or
    of the message whose button was pressed), so that the channel can remove it or its buttons;
    `links` is False on a platform that cannot show a button opening a private chat with the
    helper (Zalo), so a group is told how to reach it instead. `role` is set by the service,
    never by a channel, and so is `invite`: the outcome of a one-time invite code the message
    carried ("granted" or "refused"; see `flows.office.invite_code`), and `villages`: those a
    volunteer serves. `photo`: what a photo in a private chat showed (None in a group, where a
    photo is never read)."""

    channel: str
    user_key: str
    chat_key: str
    text: str = ""
    choice: str | None = None
    kind: str = "text"
    payload: str | None = None
    received_at: datetime | None = None
    push: bool = True
    chat_type: ChatType = "private"
    message_ref: str | None = None
    links: bool = True
    role: Role = "resident"
    invite: Literal["granted", "refused"] | None = None
    villages: tuple[str, ...] = ()
    photo: PhotoReading | None = None


@dataclass(frozen=True, slots=True)
class Button:
    """A choice offered with a reply: a stable ASCII `id` (at most 64 bytes) and a bare label.
    A `link` button opens something instead of answering: "start:<payload>" is a private chat
    with the helper started with that payload (each channel resolves it to its own address)."""

    id: str
    label: str
    link: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to show. `image` names an image (for example "qr:video") that each channel
    renders its own way; `buttons` may be shown as buttons or as a numbered list; `wants_text`
    when the question expects a typed answer (a card number), so a channel can offer the keyboard.
    `request` asks the service for what only it can do, in this place (`bot.requests`): the
    office's weekly report ("report", week), a volunteer's invite ("invite", village), a ticket
    for a person ("ticket", step, message), a volunteer's answer to one ("answer", text) or its
    closing ("close", text)."""

    text: str
    buttons: tuple[Button, ...] = ()
    image: str | None = None
    wants_text: bool = False
    request: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class FlowEvent:
    """A fact for the help-session log. Never holds a card number, name, phone or platform id:
    `person` is a random reference (None when the person did not consent) and `data` holds
    small readable values such as the step number or a reason code."""

    kind: str
    village: str | None
    person: str | None
    data: dict[str, str | int | bool | None] = field(default_factory=dict)


@dataclass(slots=True)
class FlowState:
    """Where one conversation stands. Only small JSON-safe values; `step` is a `Step` name."""

    step: Step = Step.NEW
    person: str = ""
    consent: bool | None = None
    village: str | None = None
    pending_village: str | None = None
    area: str | None = None
    offered: list[list[str]] = field(default_factory=list)
    misses: int = 0
    card_fails: int = 0
    max_guide_step: int = 0
    guide_at: str | None = None
    prerequisites_done: bool = False
    resume: str | None = None
    pick: list[str] = field(default_factory=list)
    erase_from: str | None = None
    card_from: str | None = None
    card_explain: bool = False
    limit_reminded: bool = False
    reminders_off: bool = False
    last_at: str | None = None
    wake_at: str | None = None
    wake_for: str | None = None
    nudged_at: str | None = None
    followups: int = 0
    tally: list[int] = field(default_factory=list)
    tally_village: str | None = None
    tally_fix: bool = False
    last_tally: list[str | int] = field(default_factory=list)
    last_tally_on: str | None = None
    handoff_from: str | None = None

    def copy(self) -> "FlowState":
        """An independent copy for one transition (the caller's state is never changed)."""
        new = object.__new__(FlowState)
        for name in _STATE_FIELDS:
            object.__setattr__(new, name, getattr(self, name))
        new.offered = [*self.offered]
        new.pick = [*self.pick]
        new.tally = [*self.tally]
        new.last_tally = [*self.last_tally]
        return new

    def to_json(self) -> str:
        """Every field, flat (no deep copy: the values are already JSON-safe)."""
        return json.dumps(
            {name: getattr(self, name) for name in _STATE_FIELDS}, ensure_ascii=False, sort_keys=True
        )

    @classmethod
    def from_json(cls, raw: str) -> "FlowState":
        """Unknown keys (from a newer or older version) are ignored; missing ones get defaults."""
        data: dict[str, Any] = json.loads(raw)
        state = cls(**{name: value for name, value in data.items() if name in _STATE_FIELDS})
        state.step = Step(state.step)
        return state


_STATE_FIELDS = frozenset(f.name for f in fields(FlowState))


@dataclass(frozen=True, slots=True)
class Transition:
    """What `flows.handle` returns: the new state, the replies to show, the events to log;
    `erased` when the person asked to erase what is kept about them (the caller deletes it), and
    `sensitive` when the message held what looks like a card or identity number (a channel that
    can delete the person's message does so)."""

    state: FlowState
    replies: tuple[Reply, ...]
    events: tuple[FlowEvent, ...]
    erased: bool = False
    sensitive: bool = False
