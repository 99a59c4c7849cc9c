"""The sweeper of the flow's timers: every minute, the conversations whose wake-up is due are
handed to the conversation service as an `Inbound` of kind "wake" (`flows.wakes`), and tickets
nobody answered for two hours go to the officers (`bot.requests`).

Timers are rows in the database (`conversations.wake_at`), so they survive restarts; each fires
once because the wake's message id is its due time (`wake:<time>`): the inbox refuses it a
second time, also after a crash between the commit and the next sweep. The due rows are found on
a reader thread; each wake is then one ordinary transaction, in its chat's order.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from bot.conversation import ConversationService
from bot.store import timestamp
from flows import Inbound

log = logging.getLogger(__name__)
SWEEP_EVERY = 60.0
#: Wakes handled per sweep at most (the rest wait a minute: a backlog never floods a platform).
PER_SWEEP = 500


async def sweep(service: ConversationService, channels: set[str], now: datetime) -> int:
    """Wakes what is due at `now` on `channels` (those that can send unprompted); returns how
    many were woken."""
    due = await service.store.read(lambda tx: tx.due_wakes(timestamp(now), PER_SWEEP))
    woken = 0
    for channel, chat, user, wake_at in due:
        if channel not in channels:
            continue
        wake = Inbound(channel, user, chat, kind="wake")
        await service.handle(wake, f"wake:{wake_at}")
        woken += 1
    for channel in await service.store.run(lambda tx: service.requests.escalate(tx, now)):
        service.wake(channel)
    return woken


async def sweep_regularly(
    service: ConversationService, channels: set[str], clock: Callable[[], datetime]
) -> None:
    """Until cancelled; a failed sweep is logged and tried again the next minute."""
    while True:
        try:
            woken = await sweep(service, channels, clock())
            if woken:
                log.info("woke %d conversations", woken)
        except Exception:
            log.exception("the timer sweep failed; trying again in %s s", SWEEP_EVERY)
        await asyncio.sleep(SWEEP_EVERY)
