"""The Wednesday push: at the weekly cut-off, the report of the week just ended goes to every
officer on a channel that can send unprompted (Telegram, Zalo).

Exactly once per week, also across restarts: claiming the week (`report_pushes`, keyed by the
week) and queueing a report row per officer are one transaction, and the outbox delivers each
row at least once, as every reply. A helper that was down at the cut-off sends when it starts,
if that is within `PUSH_WINDOW`; later, the week is not pushed (the officers have `/baocao`, the
dashboard and the files), so a helper first started on a Friday sends nothing until Wednesday.
"""

import asyncio
import logging
from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from bot.reports.report import Scope
from bot.reports.week import previous, week_of
from bot.store import Store, Tx, timestamp

log = logging.getLogger(__name__)
#: After this long past the cut-off, a week that was not pushed is left to `/baocao`.
PUSH_WINDOW = timedelta(hours=24)
#: How often the push checks the clock (it sends within this long of the cut-off).
CHECK_EVERY = 60.0


def officer_chats(tx: Tx, officers: Collection[str], channels: Collection[str]) -> list[tuple[str, str]]:
    """(channel, private chat) of every officer on `channels`: the settings' `OFFICER_IDS` and
    those an invite made. A person's private chat with a bot has the person's id."""
    named = {tuple(item.split(":", 1)) for item in officers}
    invited = set(tx.with_role("officer"))
    return sorted((channel, user) for channel, user in named | invited if channel in channels)


def push_if_due(
    tx: Tx, scope: Scope, now: datetime, officers: Collection[str], channels: Collection[str]
) -> str | None:
    """Queues the report of the week that ended last to every officer, once; the week's name
    when it did."""
    week = previous(week_of(now, scope.zone, scope.cutoff), scope.zone, scope.cutoff)
    if now - week.end >= PUSH_WINDOW:
        return None
    at = timestamp(now)
    if not tx.claim_push(week.name, at):
        return None
    for channel, chat in officer_chats(tx, officers, channels):
        tx.queue_replies(channel, chat, None, [{"report": week.name}], at)
    return week.name


async def push_weekly(
    store: Store,
    scope: Scope,
    officers: Collection[str],
    channels: Collection[str],
    clock: Callable[[], datetime],
    wake: Callable[[str], None],
) -> None:
    """Checks every `CHECK_EVERY` seconds until cancelled; a failed check is logged and tried
    again the next time."""
    while True:
        try:
            pushed = await store.run(lambda tx: push_if_due(tx, scope, clock(), officers, channels))
            if pushed:
                log.info("weekly report %s queued for the officers", pushed)
                for channel in channels:
                    wake(channel)
        except Exception:
            log.exception("the weekly report push failed; trying again in %s s", CHECK_EVERY)
        await asyncio.sleep(CHECK_EVERY)
