"""Delivering queued replies for channels that push (terminal, Telegram, Zalo).

A row is marked sent only after the platform confirmed it, so a crash between commit and send
leaves it in the outbox and the next start sends it (at-least-once, as the platforms allow).
Replies of one chat keep their order: the store hands out each chat's due rows in order, one
worker per chat sends them one after another, and records what went in one write (with the
chat's next rows read in the same job). Different chats are sent to concurrently.

Platform limits are obeyed, not fought:
- a 429 ("retry after N s") pauses that chat until then, while other chats keep flowing; when
  429s hit several chats within a short window (a bot-wide flood limit, a daily quota), the
  whole channel pauses until the latest `retry_after`. A 429 never counts as an attempt, so no
  reply is lost to a long ban;
- pacing: a channel-wide rate, and a not-before time per chat (Telegram: 1/s per person,
  20/min per group);
- every delivery has a timeout: a hung call is a transient failure, never a stuck channel.
Other transient failures (timeouts, 5xx, network) are retried with backoff and given up after
`max_attempts`; a reply that can never be delivered is marked failed; a person who blocked the
helper is an opt-out, not an error. What nobody asked for (a reminder, a push, a relayed answer)
is withheld from a chat that opted out ("dừng", a block): the field the timers' sweeper reads too.
A stored error is the platform's status and description only, with secrets and numbers masked.
"""

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from bot.redact import redact
from bot.store import OutboxRow, Store, Tx, timestamp

log = logging.getLogger(__name__)

#: Seconds before attempt 2, 3, ...; the last value repeats.
BACKOFF = (5.0, 30.0, 120.0, 600.0)
MAX_ATTEMPTS = 6
#: Seconds one delivery may take before it counts as a transient failure.
DELIVERY_TIMEOUT = 20.0
#: Deliveries in flight at once (each to a different chat).
CONCURRENCY = 64
#: 429s from this many different chats within `FLOOD_WINDOW` pause the whole channel.
FLOOD_CHATS = 3
FLOOD_WINDOW = timedelta(seconds=2)
#: Why an unprompted reply (a reminder, a push) to a chat that opted out was never sent.
WITHHELD = "withheld: the chat opted out"


class DeliveryError(Exception):
    """A reply could not be delivered: the platform's `status` (None for a network failure) and
    its `description`; subclasses say what to do next."""

    def __init__(self, description: str, status: int | None = None) -> None:
        super().__init__(f"{status} {description}" if status is not None else description)
        self.status = status
        self.description = description


class TransientError(DeliveryError):
    """Worth retrying with backoff (timeout, 5xx, network)."""


class RateLimited(DeliveryError):
    """The platform said "too many requests, retry after `retry_after` seconds" (429)."""

    def __init__(self, description: str, retry_after: float, status: int | None = 429) -> None:
        super().__init__(description, status)
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    """Will never succeed (malformed request, chat gone)."""


class BlockedError(DeliveryError):
    """The person blocked the helper or left: an opt-out."""


#: A write that records a delivery's outcome, run with the next write of the chat's worker.
_Job = Callable[[Tx], None]


def _nothing(_: Tx) -> None:
    """The outcome of a row not tried (a pause, or the chat's pacing): nothing to record."""


#: Delivers one outbox row (a reply, or an action such as deleting a message); returns the
#: platform's id of the message sent, when it has one.
Deliver = Callable[[OutboxRow], Awaitable[str | None]]


@dataclass(frozen=True)
class Pacing:
    """A channel's sending limits: at most `per_second` calls overall (None: no limit), and
    `interval(row)` seconds after delivering `row` before its chat gets the next one (a channel
    may say 0 for an action, such as removing buttons, that is not a message)."""

    per_second: float | None = None
    interval: Callable[[OutboxRow], float] = field(default=lambda _: 0.0)


@dataclass(frozen=True)
class Retry:
    """How failures are retried: the delays before attempt 2, 3, ... (the last repeats), the
    attempts before a reply is given up, and the seconds one delivery may take."""

    backoff: Sequence[float] = BACKOFF
    max_attempts: int = MAX_ATTEMPTS
    timeout: float = DELIVERY_TIMEOUT


class _Rate:
    """Sends spaced evenly at `per_second`, in real time (the limit is the platform's clock)."""

    def __init__(self, per_second: float | None) -> None:
        self.gap = 1.0 / per_second if per_second else 0.0
        self.next_at = 0.0

    async def wait(self) -> None:
        if not self.gap:
            return
        now = time.monotonic()
        at = max(now, self.next_at)
        self.next_at = at + self.gap
        if at > now:
            await asyncio.sleep(at - now)


class Sender:
    """Drains one channel's outbox through `deliver(row)`."""

    def __init__(
        self,
        store: Store,
        channel: str,
        deliver: Deliver,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        pacing: Pacing = Pacing(),
        retry: Retry = Retry(),
    ) -> None:
        self.store = store
        self.channel = channel
        self.deliver = deliver
        self.clock = clock
        self.pacing = pacing
        self.retry = retry
        self.paused_until: datetime | None = None
        self._not_before: dict[str, datetime] = {}
        self._recent_limits: deque[tuple[datetime, str]] = deque()
        self._rate = _Rate(pacing.per_second)
        self._slots = asyncio.Semaphore(CONCURRENCY)
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def drain(self) -> int:
        """Sends every reply that may go out now, each chat's in order; returns how many were
        sent. Never waits for a pause or a chat's pacing: `run` sleeps until then.

        Each chat with something due gets a worker that sends its replies one after another;
        the chats' workers run side by side, and a chat whose worker finishes (or a wake: new
        replies) is looked at again at once, so no chat waits for a slow one."""
        sent = 0
        busy: dict[asyncio.Task[int], str] = {}
        while True:
            now = self.clock()
            if self.paused_until is None or now >= self.paused_until:
                skip = [*self._waiting(now), *busy.values()]
                batches = await self.store.read(
                    lambda tx, now=now, skip=skip: tx.due_replies(
                        self.channel, timestamp(now), CONCURRENCY * 4, skip
                    )
                )
                for batch in batches:
                    busy[asyncio.create_task(self._work(batch))] = batch[0].chat_key
            if not busy:
                return sent
            woken = asyncio.create_task(self._wake.wait())
            done, _ = await asyncio.wait([*busy, woken], return_when=asyncio.FIRST_COMPLETED)
            if woken in done:
                self._wake.clear()
            else:
                woken.cancel()
            for task in done - {woken}:
                del busy[task]
                sent += task.result()

    async def _work(self, rows: list[OutboxRow]) -> int:
        """One chat's replies, in order, until none is due or the chat must wait. What went is
        recorded in one job with what went wrong, if anything, and the chat's next replies are
        read in the same job."""
        chat, sent = rows[0].chat_key, 0
        while rows:
            delivered: list[tuple[int, str | None]] = []
            withheld: list[int] = []
            trouble: _Job | None = None
            for row in rows:
                if row.withheld:
                    withheld.append(row.id)
                    continue
                went, outcome = await self._attempt(row)
                if not went:
                    trouble = outcome or _nothing
                    break
                delivered.append((row.id, outcome))
                interval = self.pacing.interval(row)
                if interval:  # the rest waits for the chat's next turn
                    self._not_before[chat] = self.clock() + timedelta(seconds=interval)
                    trouble = _nothing
                    break
            rows = await self.store.run(
                partial(self._record, chat, delivered, withheld, trouble, timestamp(self.clock()))
            )
            sent += len(delivered)
        return sent

    def _record(
        self,
        chat: str,
        delivered: list[tuple[int, str | None]],
        withheld: list[int],
        trouble: _Job | None,
        at: str,
        tx: Tx,
    ) -> list[OutboxRow]:
        """What a worker's round delivered, withheld and what stopped it; the chat's next
        replies when nothing did."""
        tx.mark_sent(delivered, at)
        for row_id in withheld:
            tx.mark_failed(row_id, WITHHELD)
        if trouble is not None:
            trouble(tx)
            return []
        return tx.chat_replies(self.channel, chat, at)

    def _waiting(self, now: datetime) -> list[str]:
        """Chats that must not be sent to yet (their pacing or their own 429); forgets the rest."""
        for chat in [chat for chat, until in self._not_before.items() if until <= now]:
            del self._not_before[chat]
        return list(self._not_before)

    async def _attempt(self, row: OutboxRow) -> tuple[bool, Any]:
        """Delivers `row`: (True, the platform's id of the message) when it went, else (False,
        the job that records why not, or None when it was not tried)."""
        async with self._slots:
            if self.paused_until is not None and self.clock() < self.paused_until:
                return False, None  # a flood pause began while this row waited for a slot
            await self._rate.wait()
            try:
                ref = await asyncio.wait_for(self.deliver(row), self.retry.timeout)
            except TimeoutError:
                return False, self._retry_or_fail(
                    row, TransientError(f"no answer within {self.retry.timeout:g} s")
                )
            except RateLimited as error:
                return False, self._postpone(row, error)
            except TransientError as error:
                return False, self._retry_or_fail(row, error)
            except BlockedError as error:
                log.info("%s chat opted out: %s", self.channel, redact(str(error)))
                blocked = redact(f"blocked: {error}")
                return False, lambda tx: tx.opt_out(self.channel, row.chat_key, blocked)
            except DeliveryError as error:
                permanent = redact(f"permanent: {error}")
                return False, lambda tx: tx.mark_failed(row.id, permanent)
            except Exception as error:  # a bug or an unexpected library error: retry, never stop
                log.exception("%s delivery failed unexpectedly; will retry", self.channel)
                return False, self._retry_or_fail(
                    row, TransientError(f"unexpected: {type(error).__name__}: {error}")
                )
            return True, ref

    def _postpone(self, row: OutboxRow, error: RateLimited) -> _Job:
        """That chat waits until `retry_after`; several chats limited at once pause the channel.
        The row keeps its attempts: a ban, however long, loses nothing."""
        now = self.clock()
        until = now + timedelta(seconds=error.retry_after)
        self._not_before[row.chat_key] = max(until, self._not_before.get(row.chat_key, until))
        self._recent_limits.append((now, row.chat_key))
        while self._recent_limits and self._recent_limits[0][0] < now - FLOOD_WINDOW:
            self._recent_limits.popleft()
        limited = {chat for _, chat in self._recent_limits}
        if len(limited) >= FLOOD_CHATS:
            latest = max(self._not_before.get(chat, until) for chat in limited)
            if self.paused_until is None or latest > self.paused_until:
                log.warning("%s: rate limited in several chats; pausing until %s", self.channel, latest)
                self.paused_until = latest
        reason = redact(str(error))
        return lambda tx: tx.postpone(row.id, timestamp(until), reason)

    def _retry_or_fail(self, row: OutboxRow, error: TransientError) -> _Job:
        attempt = row.attempts + 1
        if attempt >= self.retry.max_attempts:
            reason = redact(f"gave up after {attempt} attempts: {error}")
            return lambda tx: tx.mark_failed(row.id, reason)
        backoff = self.retry.backoff
        delay = backoff[min(attempt - 1, len(backoff) - 1)]
        next_at = timestamp(self.clock() + timedelta(seconds=delay))
        reason = redact(str(error))
        return lambda tx: tx.mark_retry(row.id, next_at, reason)

    def _next_wake(self, due: str | None, now: datetime) -> float | None:
        """Seconds until something may be sendable: the stored next attempt, a chat's pacing, or
        the end of a pause; None when nothing waits (sleep until woken)."""
        moments = [*self._not_before.values(), *([self.paused_until] if self.paused_until else [])]
        if due is not None:
            moments.append(datetime.fromisoformat(due))
        future = [moment for moment in moments if moment > now]
        if not future:
            return None
        return (min(future) - now).total_seconds()

    async def run(self) -> None:
        """Forever: drain, then sleep until woken or until the next reply may go out."""
        while True:
            self._wake.clear()
            await self.drain()
            due = await self.store.read(lambda tx: tx.next_due(self.channel))
            timeout = self._next_wake(due, self.clock())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
