"""Where every report is made: for the chat's `/baocao`, the Wednesday push, the dashboard and
the command line, with the deployment's zone, cut-off, campaign start and targets.

A report is read on a reader thread (a chat message never waits behind it); the settled weeks it
had to count are kept with one short write, so the next report reads them back.
"""

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.reports.counts import Counts, Span, keep_spans
from bot.reports.report import Report, Scope, build_report
from bot.reports.week import Week, named_week, previous, week_of
from bot.settings import Settings
from bot.store import Store, Tx

Built = tuple[Report, dict[Span, dict[str, Counts]]]
log = logging.getLogger(__name__)

#: How a week is named in `/baocao <week>` and `--week`: "tuantruoc" (the week before this one)
#: or an ISO week; nothing is this week so far.
PREVIOUS = frozenset({"tuantruoc", "tuan truoc", "tuần trước", "truoc", "trước"})
_ISO = re.compile(r"^\d{4}-[Ww]\d{2}$")


@dataclass(frozen=True)
class ReportDesk:
    store: Store
    scope: Scope
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def week(self, name: str | None, now: datetime | None = None) -> Week:
        """The week `name` means (None or "": this week so far); ValueError in plain Vietnamese
        for a name that is no week."""
        now = now or self.clock()
        current = week_of(now, self.scope.zone, self.scope.cutoff)
        text = (name or "").strip().lower()
        if not text:
            return current
        if text in PREVIOUS:
            return previous(current, self.scope.zone, self.scope.cutoff)
        if _ISO.match(text):
            return named_week(text.upper(), self.scope.zone, self.scope.cutoff)
        raise ValueError(f"tuần viết dạng 2025-W39 hoặc 'tuantruoc' (đang là {name!r})")

    @classmethod
    def from_settings(
        cls, store: Store, settings: Settings, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> "ReportDesk":
        scope = Scope(settings.zone, settings.cutoff, settings.campaign_since, settings.targets)
        return cls(store, scope, clock)

    def _build(self, week: Week, commune: str | None, now: datetime) -> Callable[[Tx], Built]:
        return lambda tx: build_report(tx, week, self.scope, now, commune)

    async def report(self, week: Week, commune: str | None = None, now: datetime | None = None) -> Report:
        report, fresh = await self.store.read(self._build(week, commune, now or self.clock()))
        if fresh:
            await self.store.run(lambda tx: keep_spans(tx, fresh))
        return report

    async def warm(self) -> None:
        """Counts and keeps every settled week now, at start, on a reader thread: the first
        report over a campaign already running costs seconds (a province: about 16 s for 10
        million events, bench/RESULTS.md), and no officer should wait for it."""
        try:
            await self.report(self.week(None))
        except Exception:
            log.exception("counting the settled weeks at start failed; the first report will")

    def report_now(self, week: Week, commune: str | None = None) -> Report:
        """Blocking form, for the command line."""
        report, fresh = self.store.call(self._build(week, commune, self.clock()))
        if fresh:
            self.store.call(lambda tx: keep_spans(tx, fresh))
        return report
