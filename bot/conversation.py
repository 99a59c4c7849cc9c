"""The conversation service: every channel hands its messages here, and gets replies back.

Per (channel, chat) an asyncio lock keeps one person's messages in order. Inside one database
transaction the service records the inbound id (a duplicate stops there), loads the state, runs
the pure flow, saves the state, appends the events and, for a channel that pushes, queues the
replies in the outbox; the transaction commits before any reply leaves. A message that makes the
flow raise is kept as a dead letter (numbers masked) and answered with an apology; the state is
untouched, so the next message works normally.

No reply text is kept once delivered. An inline channel (the web chat answers in the HTTP
response) never writes its replies to the database: a retried request with the same id is
answered from a short-lived memory of recent answers (`RECENT_FOR`), and after that with the
question the person is at. A push channel's outbox row loses its text once the platform took it.
"""

import asyncio
import logging
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Literal, cast

from bot.redact import redact
from bot.requests import Requests, invite_hash
from bot.store import Saved, Store, Tx, timestamp
from flows import Button, Content, FlowEvent, FlowState, Inbound, Reply, Transition, handle
from flows.model import Role
from flows.office import INVITE_PREFIX, invite_code

log = logging.getLogger(__name__)

#: How long a retried inline request is answered with exactly the same replies.
RECENT_FOR = timedelta(minutes=10)
#: At most this many recent answers are remembered (the oldest go first under load). Each holds
#: its replies' text, about 2.5 KB for a welcome: 5,000 keep the memory for them near 12 MB
#: (bench/footprint.py; 20,000 took 50 MB), and still cover several seconds at the web chat's
#: peak rate, far more at a commune's usual one; an older retry is answered with the question the
#: person is at, as after a restart.
MAX_RECENT = 5_000
#: How long the state of a person who has not consented is kept after their last message.
WITHOUT_CONSENT = timedelta(hours=24)
#: A group chat's state (only the village it is linked to; no person) is kept this long after
#: its last message.
GROUP_KEPT = timedelta(days=365)
#: An inbound id seen again within this long is a duplicate delivery (Telegram keeps an
#: undelivered update for 24 hours; after a week of silence it may reuse ids).
DEDUPE_WINDOW = timedelta(hours=48)
_INVITE_CODE = re.compile(re.escape(INVITE_PREFIX) + r"[A-Za-z0-9_-]+")


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    """A reply as its outbox row holds it; a report is only the week's name (made when sent)."""
    if reply.request is not None and reply.request[0] == "report":
        return {"report": reply.request[1]}
    return {
        "text": reply.text,
        "buttons": [[b.id, b.label, b.link] if b.link else [b.id, b.label] for b in reply.buttons],
        "image": reply.image,
        "wants_text": reply.wants_text,
    }


def reply_from_dict(data: dict[str, Any]) -> Reply:
    if "report" in data:
        return Reply("", request=("report", data["report"]))
    buttons = tuple(Button(*button) for button in data["buttons"])
    return Reply(data["text"], buttons, data.get("image"), bool(data.get("wants_text")))


def platform_actions(inbound: Inbound, transition: Transition) -> list[dict[str, Any]]:
    """What a push channel does to the person's own message before the replies: the buttons of
    a pressed message go (so they cannot be pressed twice), and a message that held a number is
    deleted where the platform allows it (it stays readable on the phone otherwise)."""
    if inbound.message_ref is None:
        return []
    actions = []
    if inbound.kind == "choice":
        actions.append({"action": "unbutton", "message": inbound.message_ref})
    if transition.sensitive:
        actions.append({"action": "delete", "message": inbound.message_ref})
    return actions


@dataclass(frozen=True, slots=True)
class Answer:
    """The replies to one inbound message; `duplicate` when it had been handled before; `erased`
    when the person's data was erased (a channel that keeps a copy of the chat clears it)."""

    replies: list[Reply]
    duplicate: bool = False
    erased: bool = False
    #: Other channels that got a row to send (a ticket's relay, an answer to a resident).
    woken: frozenset[str] = frozenset()


class ChatLocks:
    """One asyncio lock per chat, dropped again when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    async def __call__(self, key: tuple[str, str], work: Callable[[], Any]) -> Any:
        held = self._locks.get(key)
        lock, users = held if held is not None else (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                return await work()
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class RecentAnswers:
    """Inline answers of the last `RECENT_FOR`, by (channel, chat, message id), in memory only."""

    def __init__(self, keep_for: timedelta = RECENT_FOR, most: int = MAX_RECENT) -> None:
        self.keep_for = keep_for
        self.most = most
        self._answers: OrderedDict[tuple[str, str, str], tuple[datetime, Answer]] = OrderedDict()

    def remember(self, key: tuple[str, str, str], answer: Answer, now: datetime) -> None:
        self._answers[key] = (now + self.keep_for, answer)
        self._answers.move_to_end(key)
        self._forget(now)

    def recall(self, key: tuple[str, str, str], now: datetime) -> Answer | None:
        self._forget(now)
        kept = self._answers.get(key)
        return kept[1] if kept else None

    def _forget(self, now: datetime) -> None:
        while self._answers:
            key, (until, _) = next(iter(self._answers.items()))
            if until > now and len(self._answers) <= self.most:
                return
            del self._answers[key]

    def __len__(self) -> int:
        return len(self._answers)


class ConversationService:
    """The same service for every channel; `wake` is told when a push channel has replies."""

    def __init__(
        self,
        store: Store,
        content: Content,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        wake: Callable[[str], None] = lambda channel: None,
        retention: timedelta = timedelta(days=30),
        requests: Requests | None = None,
    ) -> None:
        self.store = store
        self.content = content
        self.clock = clock
        self.wake = wake
        self.retention = retention
        self.requests = requests or Requests(content)
        self.officers = self.requests.officers
        self.reports = self.requests.reports
        self.locks = ChatLocks()
        self.recent = RecentAnswers()

    async def handle(
        self, inbound: Inbound, external_id: str | None = None, *, inline: bool = False
    ) -> Answer:
        """Process one message. `inline` channels (the web chat) deliver the replies in their HTTP
        answer; the others get them through the outbox and a sender.

        The message counts at the time the platform received it (never later than now), so a
        backlog delivered after an outage lands in the right reporting week."""
        external_id = external_id or secrets.token_hex(12)
        key = (inbound.channel, inbound.chat_key, external_id)

        async def work() -> Answer:
            clock = self.clock()
            if inline and (kept := self.recent.recall(key, clock)) is not None:
                return Answer(kept.replies, True, kept.erased)
            now = min(inbound.received_at, clock) if inbound.received_at else clock
            job = partial(self._transition, inbound, external_id, now, clock, inline)
            answer: Answer = await self.store.run(job)
            if inline and any(reply.request is not None for reply in answer.replies):
                answer = replace(answer, replies=[await self._inline(reply) for reply in answer.replies])
            if inline and not answer.duplicate:
                self.recent.remember(key, answer, clock)
            return answer

        answer: Answer = await self.locks((inbound.channel, inbound.chat_key), work)
        if not inline and not answer.duplicate:
            self.wake(inbound.channel)
        for channel in answer.woken:
            self.wake(channel)
        return answer

    def _transition(
        self, inbound: Inbound, external_id: str, now: datetime, clock: datetime, inline: bool, tx: Tx
    ) -> Answer:
        channel, chat, at = inbound.channel, inbound.chat_key, timestamp(now)
        inbound_id = tx.claim_inbound(channel, chat, external_id, at, timestamp(clock - DEDUPE_WINDOW))
        if inbound_id is None:
            return Answer(self._where_now(tx, inbound, now) if inline else [], True)
        inbound = self._known(tx, inbound, at)
        raw = tx.load_state(channel, chat)
        if inbound.kind == "wake" and raw is None:
            return Answer([])  # erased or expired since the timer was set
        try:
            state = _readable(raw, tx, inbound, at)
            transition = handle(state, inbound, self.content, now)
        except Exception as error:  # a poison message must never block the chat
            log.exception("flow failed on a %s message in %s; kept as a dead letter", inbound.kind, channel)
            tx.dead_letter(channel, chat, redact(repr(error)), redact(_describe(inbound)), at)
            replies = [Reply(self.content.text("misc.error"))]
            if not inline:
                tx.queue_replies(channel, chat, inbound_id, map(reply_to_dict, replies), at)
            return Answer(replies)
        tx.record_events(channel, at, [_event_row(event) for event in transition.events])
        new = transition.state
        filled = [self.requests.fill(tx, inbound, new, reply, now) for reply in transition.replies]
        replies = [reply for done in filled for reply in done.replies]
        elsewhere = [row for done in filled for row in done.elsewhere]
        for other_channel, other_chat, row in elsewhere:
            tx.queue_replies(other_channel, other_chat, None, [row], at)
        wake_at = timestamp(datetime.fromisoformat(new.wake_at)) if new.wake_at else None
        if transition.erased:
            tx.erase(channel, chat, inbound.user_key)
        elif inbound.kind == "wake":
            tx.save_woken_state(channel, chat, new.to_json(), wake_at)
        else:
            expires = timestamp(now + self._kept(inbound, new))
            saved = Saved(new.to_json(), at, expires, inbound.chat_type, wake_at, new.reminders_off)
            tx.save_state(channel, chat, inbound.user_key, saved)
            if new.consent and inbound.chat_type == "private":
                tx.remember_person(channel, inbound.user_key, new.person, new.village, at)
        if not inline:
            rows = [*platform_actions(inbound, transition), *map(reply_to_dict, replies)]
            asked = None if inbound.kind == "wake" else inbound_id  # a timer's replies are unprompted
            tx.queue_replies(channel, chat, asked, rows, at)
        return Answer(replies, erased=transition.erased, woken=frozenset(row[0] for row in elsewhere))

    def _known(self, tx: Tx, inbound: Inbound, at: str) -> Inbound:
        """The sender's role (the settings' officers, else an invite's), after redeeming the
        invite code the message carries, if any (private chats only)."""
        channel, user = inbound.channel, inbound.user_key
        code = invite_code(inbound, self.content)
        invite: Literal["granted", "refused"] | None = None
        if code is not None:
            invite = "granted" if tx.redeem_invite(invite_hash(code), channel, user, at) else "refused"
        role, villages = tx.staff(channel, user) or ("resident", ())
        if f"{channel}:{user}" in self.officers:
            role = "officer"
        return replace(inbound, role=cast(Role, role), invite=invite, villages=villages)

    async def _inline(self, reply: Reply) -> Reply:
        """A report in a channel that answers in the HTTP response: its text, made now."""
        if reply.request is None or self.reports is None:
            return reply
        return Reply((await self.reports.make(reply.request[1], with_file=False)).text)

    def _kept(self, inbound: Inbound, state: FlowState) -> timedelta:
        if inbound.chat_type == "group":
            return GROUP_KEPT
        return self.retention if state.consent else WITHOUT_CONSENT

    def _where_now(self, tx: Tx, inbound: Inbound, now: datetime) -> list[Reply]:
        """For a retried request whose answer is no longer kept: the question the person is at
        (nothing is stored or logged; a conversation that cannot be read gets the welcome)."""
        raw = tx.load_state(inbound.channel, inbound.chat_key)
        try:
            state = FlowState.from_json(raw) if raw is not None else None
        except (ValueError, TypeError):
            state = None
        again = Inbound(inbound.channel, inbound.user_key, inbound.chat_key, kind="resume", push=inbound.push)
        return list(handle(state, again, self.content, now).replies)


def _readable(raw: str | None, tx: Tx, inbound: Inbound, at: str) -> FlowState | None:
    """The stored state, or None (a fresh start) when it can no longer be read (a state written by
    a version that had a step this one lacks): kept as a dead letter, the chat is not stuck."""
    if raw is None:
        return None
    try:
        return FlowState.from_json(raw)
    except (ValueError, TypeError) as error:
        log.warning("unreadable state in %s; the conversation starts over", inbound.channel)
        tx.dead_letter(inbound.channel, inbound.chat_key, f"unreadable state: {error!r}", redact(raw), at)
        return None


def _event_row(event: FlowEvent) -> dict[str, Any]:
    return {"kind": event.kind, "village": event.village, "person": event.person, "data": event.data}


def _describe(inbound: Inbound) -> str:
    """What arrived, for the dead letter: kind, button, start payload and text (numbers are masked
    later; an invite code, here)."""
    described = (
        f"kind={inbound.kind} choice={inbound.choice!r} payload={inbound.payload!r} text={inbound.text!r}"
    )
    return _INVITE_CODE.sub(INVITE_PREFIX + "***", described)
