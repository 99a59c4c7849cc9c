"""One week's report for the VHXH office: every village with this week, the week before and the
campaign's totals, grouped by area and commune, with the seed plan's targets.

The plan's targets (seed 000, section III): every week at least `weekly_percent` (10 %) of a
village's level-2 accounts get their card linked; the commune's adults with a public digital
signature reach `signature` (1,500). A village's goal is its `target` from `data/villages.csv`,
else its `population`; a village with neither shows counts without percentages. What the helper
sees is a request sent ("submitted"), not the card office's approval, so the percentages say
"requests sent", and the signature line counts people who asked for help with one.

Building a report reads only (on a reader thread); the counts of closed weeks it had to count
are returned with it, for the caller to keep with one write (`keep_spans`).
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from bot.reports.counts import (
    KEYS,
    NO_VILLAGE,
    Counts,
    Span,
    answer_minutes,
    count_span,
    first_event_at,
    invalid_reasons,
    kept_spans,
    span_of,
    zeros,
)
from bot.reports.week import Cutoff, Week, previous, week_of
from bot.store import Tx

#: A week is kept once this long has passed since its cut-off: the platforms resend a message
#: for at most a day, and a message counts at the time the platform received it.
SETTLED_AFTER = timedelta(days=2)
NO_VILLAGE_NAME = "Chưa chọn thôn"


@dataclass(frozen=True)
class Targets:
    weekly_percent: int = 10
    signature: int = 1500


@dataclass(frozen=True)
class Scope:
    """What every report of a deployment shares: the commune's zone and weekly cut-off, the
    campaign's start (None: the first event) and the plan's targets."""

    zone: tzinfo
    cutoff: Cutoff
    since: datetime | None = None
    targets: Targets = field(default_factory=Targets)


@dataclass
class Row:
    """One line: a village, an area or commune subtotal, or the total. `goal` is the number of
    accounts to link (None when unknown)."""

    code: str
    name: str
    area: str = ""
    commune: str = ""
    goal: int | None = None
    week: Counts = field(default_factory=zeros)
    last: Counts = field(default_factory=zeros)
    campaign: Counts = field(default_factory=zeros)

    def add(self, other: "Row") -> None:
        pairs = ((self.week, other.week), (self.last, other.last), (self.campaign, other.campaign))
        for mine, theirs in pairs:
            for key in KEYS:
                mine[key] += theirs[key]
        if other.goal is not None:
            self.goal = (self.goal or 0) + other.goal

    def change(self, key: str) -> int:
        """This week against the week before."""
        return self.week[key] - self.last[key]

    def weekly_goal(self, targets: Targets) -> int | None:
        return math.ceil(self.goal * targets.weekly_percent / 100) if self.goal else None

    def week_share(self, targets: Targets) -> int | None:
        """Percent of this week's goal reached (requests sent this week)."""
        goal = self.weekly_goal(targets)
        return round(100 * self.week["submitted"] / goal) if goal else None

    def campaign_share(self) -> int | None:
        """Percent of the village's accounts with a request sent since the campaign started."""
        return round(100 * self.campaign["submitted"] / self.goal) if self.goal else None


@dataclass
class Report:
    week: Week
    last_week: Week
    since: datetime | None
    villages: list[Row]
    areas: list[Row]
    communes: list[Row]
    total: Row
    invalid_reasons: list[tuple[str, int]]
    targets: Targets
    #: Median minutes from a ticket's opening to its first answer, this week (None: none).
    answer_minutes: int | None = None

    def signature_share(self) -> int:
        """Percent of the commune's signature target, by the people who asked for help."""
        goal = self.targets.signature
        return round(100 * self.total.campaign["signature"] / goal) if goal else 0


def build_report(
    tx: Tx, week: Week, scope: Scope, now: datetime, commune: str | None = None
) -> tuple[Report, dict[Span, dict[str, Counts]]]:
    """The report of `week` as of `now`, and the counts of settled weeks counted afresh (to keep).

    The campaign's totals count whole weeks, from the reporting week its start falls in.
    `commune` is one commune of a deployment holding several (default: all, with a subtotal per
    commune)."""
    zone, cutoff, since = scope.zone, scope.cutoff, scope.since
    last_week = previous(week, zone, cutoff)
    if since is None:
        first = first_event_at(tx)
        since = datetime.fromisoformat(first).astimezone(zone) if first else None
    campaign_weeks = _weeks_from(since, week, zone, cutoff) if since else []
    settled = {w for w in (*campaign_weeks, last_week) if w.end + SETTLED_AFTER <= now}
    kept = kept_spans(tx, [span_of(w.start, w.end) for w in settled])
    fresh: dict[Span, dict[str, Counts]] = {}
    seen: dict[Week, dict[str, Counts]] = {}

    def counted(w: Week) -> dict[str, Counts]:
        if w not in seen:
            span = span_of(w.start, w.end)
            if span in kept:
                seen[w] = kept[span]
            else:
                seen[w] = count_span(tx, span_of(w.start, min(w.end, now)))
                if w in settled:
                    fresh[span] = seen[w]
        return seen[w]

    this, before = counted(week), counted(last_week)
    campaign: dict[str, Counts] = {}
    for w in campaign_weeks:
        for village, counts in counted(w).items():
            total = campaign.setdefault(village, zeros())
            for key in KEYS:
                total[key] += counts[key]
    villages = [v for v in tx.villages() if commune is None or v["commune"] == commune]

    def counts_of(code: str) -> dict[str, Counts]:
        return {
            "week": this.get(code, zeros()),
            "last": before.get(code, zeros()),
            "campaign": campaign.get(code, zeros()),
        }

    rows = [
        Row(v["code"], v["name"], v["area"], v["commune"] or "", v["target"] or v["population"] or None,
            **counts_of(v["code"]))
        for v in villages
    ]  # fmt: skip
    if commune is None and any(NO_VILLAGE in c for c in (this, before, campaign)):
        rows.append(Row(NO_VILLAGE, NO_VILLAGE_NAME, **counts_of(NO_VILLAGE)))
    report = _group(rows, week, last_week, since, scope.targets)
    live = span_of(week.start, min(week.end, now))
    report.invalid_reasons = invalid_reasons(tx, live)
    report.answer_minutes = answer_minutes(tx, live)
    return report, fresh


def _weeks_from(since: datetime, week: Week, zone: Any, cutoff: Cutoff) -> list[Week]:
    """The reporting weeks from the one holding `since` up to and including `week`."""
    found, current = [], week_of(since, zone, cutoff)
    while current.start <= week.start:
        found.append(current)
        current = week_of(current.end, zone, cutoff)
    return found


def _group(rows: list[Row], week: Week, last_week: Week, since: datetime | None, targets: Targets) -> Report:
    """Area subtotals (within their commune), commune subtotals when there are several, and the
    total: "Toàn xã" for one commune, "Tổng cộng" over several (the province's roll-up)."""
    communes = {row.commune for row in rows if row.code != NO_VILLAGE}
    areas: dict[tuple[str, str], Row] = {}
    by_commune: dict[str, Row] = {}
    total = Row("", "Toàn xã" if len(communes) <= 1 else "Tổng cộng")
    for row in rows:
        if row.area:
            areas.setdefault((row.commune, row.area), Row("", row.area, row.area, row.commune)).add(row)
        if len(communes) > 1 and row.code != NO_VILLAGE:
            by_commune.setdefault(row.commune, Row("", row.commune or "?", commune=row.commune)).add(row)
        total.add(row)
    return Report(
        week, last_week, since, rows, list(areas.values()), list(by_commune.values()), total, [], targets
    )


def as_json(report: Report) -> dict[str, Any]:
    """Stable English keys, for other systems and for tests."""
    targets = report.targets

    def row(r: Row) -> dict[str, Any]:
        return {
            "code": r.code,
            "name": r.name,
            "area": r.area,
            "commune": r.commune,
            "goal": r.goal,
            "weekly_goal": r.weekly_goal(targets),
            "week_share": r.week_share(targets),
            "campaign_share": r.campaign_share(),
            **r.week,
            "last_week": dict(r.last),
            "campaign": dict(r.campaign),
        }

    return {
        "week": report.week.name,
        "start": report.week.start.isoformat(),
        "end": report.week.end.isoformat(),
        "last_week": report.last_week.name,
        "campaign_start": report.since.isoformat() if report.since else None,
        "targets": {"weekly_percent": targets.weekly_percent, "signature": targets.signature},
        "signature_share": report.signature_share(),
        "villages": [row(r) for r in report.villages],
        "areas": [row(r) for r in report.areas],
        "communes": [row(r) for r in report.communes],
        "total": row(report.total),
        "invalid_reasons": [{"reason": reason, "count": n} for reason, n in report.invalid_reasons],
        "answer_minutes_median": report.answer_minutes,
    }
