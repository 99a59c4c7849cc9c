"""The conversation service: every channel hands its messages here, and gets replies back.

Per (channel, chat) an asyncio lock keeps one person's messages in order. Inside one database
transaction the service records the inbound id (a duplicate stops there and gets the earlier
replies again), loads the state, runs the pure flow, saves the state, appends the events and queues
the replies; the transaction commits before any reply leaves. A message that makes the flow raise is
kept as a dead letter (digit runs masked) and answered with an apology; the state is untouched, so
the next message works normally.
"""

import asyncio
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from bot.redact import mask_digits
from bot.store import Store, Tx
from flows import Button, Content, FlowEvent, FlowState, Inbound, Reply, handle

log = logging.getLogger(__name__)


def timestamp(moment: datetime) -> str:
    """The one text form of a time in the database: UTC, ISO 8601, sortable as text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    return {
        "text": reply.text,
        "buttons": [[b.id, b.label] for b in reply.buttons],
        "image": reply.image,
        "wants_text": reply.wants_text,
    }


def reply_from_dict(data: dict[str, Any]) -> Reply:
    buttons = tuple(Button(i, label) for i, label in data["buttons"])
    return Reply(data["text"], buttons, data.get("image"), bool(data.get("wants_text")))


@dataclass(frozen=True, slots=True)
class Answer:
    """The replies to one inbound message; `duplicate` when it had been handled before."""

    replies: list[Reply]
    duplicate: bool = False


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


class ConversationService:
    """The same service for every channel; `wake` is told when a push channel has replies."""

    def __init__(
        self,
        store: Store,
        content: Content,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        wake: Callable[[str], None] = lambda channel: None,
    ) -> None:
        self.store = store
        self.content = content
        self.clock = clock
        self.wake = wake
        self.locks = ChatLocks()

    async def handle(
        self, inbound: Inbound, external_id: str | None = None, *, inline: bool = False
    ) -> Answer:
        """Process one message. `inline` channels (the web chat) deliver the replies in their HTTP
        answer; the others get them through the outbox and a sender."""
        external_id = external_id or secrets.token_hex(12)

        async def work() -> Answer:
            job = partial(self._transition, inbound, external_id, self.clock(), inline)
            return await self.store.run(job)

        answer: Answer = await self.locks((inbound.channel, inbound.chat_key), work)
        if not inline and not answer.duplicate:
            self.wake(inbound.channel)
        return answer

    async def history(self, channel: str, chat_key: str) -> list[Reply]:
        rows = await self.store.run(lambda tx: tx.history(channel, chat_key))
        return [reply_from_dict(row) for row in rows]

    def _transition(self, inbound: Inbound, external_id: str, now: datetime, inline: bool, tx: Tx) -> Answer:
        channel, chat, at = inbound.channel, inbound.chat_key, timestamp(now)
        inbound_id = tx.claim_inbound(channel, chat, external_id, at)
        if inbound_id is None:
            return Answer([reply_from_dict(r) for r in tx.earlier_replies(channel, chat, external_id)], True)
        raw = tx.load_state(channel, chat)
        try:
            state = _readable(raw, tx, inbound, at)
            transition = handle(state, inbound, self.content, now)
        except Exception as error:  # a poison message must never block the chat
            log.exception("flow failed on a %s message in %s; kept as a dead letter", inbound.kind, channel)
            tx.dead_letter(channel, chat, mask_digits(repr(error)), mask_digits(_describe(inbound)), at)
            replies = [Reply(self.content.text("misc.error"))]
            tx.queue_replies(channel, chat, inbound_id, map(reply_to_dict, replies), at, inline)
            return Answer(replies)
        events = [_event_row(event) for event in transition.events]
        tx.record_events(channel, at, events)
        new = transition.state
        erased = any(event["kind"] == "data_erased" for event in events)
        if erased:
            tx.erase(channel, chat, inbound.user_key)
        else:
            tx.save_state(channel, chat, inbound.user_key, new.to_json(), at)
            if new.consent:
                tx.remember_person(channel, inbound.user_key, new.person, new.village, at)
        if not (erased and inline):  # after erasing, a web reply leaves no row behind
            tx.queue_replies(channel, chat, inbound_id, map(reply_to_dict, transition.replies), at, inline)
        return Answer(list(transition.replies))


def _readable(raw: str | None, tx: Tx, inbound: Inbound, at: str) -> FlowState | None:
    """The stored state, or None (a fresh start) when it can no longer be read (a state written by
    a version that had a step this one lacks): kept as a dead letter, the chat is not stuck."""
    if raw is None:
        return None
    try:
        return FlowState.from_json(raw)
    except (ValueError, TypeError) as error:
        log.warning("unreadable state in %s; the conversation starts over", inbound.channel)
        tx.dead_letter(
            inbound.channel, inbound.chat_key, f"unreadable state: {error!r}", mask_digits(raw), at
        )
        return None


def _event_row(event: FlowEvent) -> dict[str, Any]:
    return {"kind": event.kind, "village": event.village, "person": event.person, "data": event.data}


def _describe(inbound: Inbound) -> str:
    """What arrived, for the dead letter: kind, button, start payload and text (masked later)."""
    return f"kind={inbound.kind} choice={inbound.choice!r} payload={inbound.payload!r} text={inbound.text!r}"
