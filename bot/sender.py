"""Delivering queued replies for channels that push (terminal now; Telegram and Zalo next).

A row is marked sent only after the channel confirmed it, so a crash between commit and send leaves
it in the outbox and the next start sends it (at-least-once, as the platforms allow). Transient
failures are retried with backoff, honouring a platform's `retry_after`; a reply that can never be
delivered is marked failed with the reason; a person who blocked the helper is an opt-out, not an
error. Replies of one chat keep their order: after a failure, that chat's later rows wait.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from bot.conversation import reply_from_dict, timestamp
from bot.store import OutboxRow, Store
from flows import Reply

log = logging.getLogger(__name__)

#: Seconds before attempt 2, 3, ...; the last value repeats.
BACKOFF = (5.0, 30.0, 120.0, 600.0)
MAX_ATTEMPTS = 6


class DeliveryError(Exception):
    """A reply could not be delivered; subclasses say whether to try again."""


class TransientError(DeliveryError):
    """Worth retrying (timeout, 5xx, 429); `retry_after` seconds when the platform said so."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    """Will never succeed (malformed request, chat gone)."""


class BlockedError(DeliveryError):
    """The person blocked the helper or left: an opt-out."""


Deliver = Callable[[str, Reply], Awaitable[None]]


class Sender:
    """Drains one channel's outbox through `deliver(chat_key, reply)`."""

    def __init__(
        self,
        store: Store,
        channel: str,
        deliver: Deliver,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        backoff: Sequence[float] = BACKOFF,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.store = store
        self.channel = channel
        self.deliver = deliver
        self.clock = clock
        self.backoff = backoff
        self.max_attempts = max_attempts
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def drain(self) -> int:
        """Sends every reply that is due now, each chat's in order; returns how many were sent.

        The store hands out one reply per chat at a time (its oldest), so a reply that failed and
        waits for a retry holds back the rest of its chat, and the loop ends when nothing is due."""
        sent = 0
        while True:
            now = timestamp(self.clock())
            rows = await self.store.run(lambda tx, now=now: tx.due_replies(self.channel, now))
            if not rows:
                return sent
            for row in rows:
                sent += await self._send(row)

    async def _send(self, row: OutboxRow) -> bool:
        try:
            await self.deliver(row.chat_key, reply_from_dict(row.reply))
        except TransientError as error:
            await self._retry_or_fail(row, error)
            return False
        except BlockedError as error:
            log.info("%s chat opted out: %s", self.channel, error)
            blocked = f"blocked: {error}"
            await self.store.run(lambda tx: tx.opt_out(self.channel, row.chat_key, blocked))
            return False
        except DeliveryError as error:
            permanent = f"permanent: {error}"
            await self.store.run(lambda tx: tx.mark_failed(row.id, permanent))
            return False
        except Exception as error:  # a bug or an unexpected library error: retry, never stop the sender
            log.exception("%s delivery failed unexpectedly; will retry", self.channel)
            await self._retry_or_fail(row, TransientError(f"unexpected: {error!r}"))
            return False
        at = timestamp(self.clock())
        await self.store.run(lambda tx: tx.mark_sent(row.id, at))
        return True

    async def _retry_or_fail(self, row: OutboxRow, error: TransientError) -> None:
        attempt = row.attempts + 1
        if attempt >= self.max_attempts:
            reason = f"gave up after {attempt} attempts: {error}"
            await self.store.run(lambda tx: tx.mark_failed(row.id, reason))
            return
        delay = max(self.backoff[min(attempt - 1, len(self.backoff) - 1)], error.retry_after or 0.0)
        next_at = timestamp(self.clock() + timedelta(seconds=delay))
        await self.store.run(lambda tx: tx.mark_retry(row.id, next_at, str(error)))

    async def run(self) -> None:
        """Forever: drain, then sleep until woken or until the next retry is due."""
        while True:
            self._wake.clear()
            await self.drain()
            due = await self.store.run(lambda tx: tx.next_due(self.channel))
            timeout = None
            if due is not None:
                timeout = max(0.0, (datetime.fromisoformat(due) - self.clock()).total_seconds())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
