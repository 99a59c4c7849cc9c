"""Reporting weeks: the 7 days ending at the weekly cut-off, in the commune's time zone.

The VHXH office reports every Wednesday before 07:30 (seed plan, section VI), so a week runs from
one cut-off (default Wednesday 07:00, `REPORT_CUTOFF`) to the next, and is named by the ISO week
of the cut-off that closes it ("2025-W39"). The arithmetic is on local dates in `BOT_TIMEZONE`
(Vietnam has no daylight saving; a zone with it still gets whole local days).
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

#: Weekday names as `REPORT_CUTOFF` spells them (Monday is 0, as in `date.weekday`).
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_CUTOFF = re.compile(r"^\s*([A-Za-z]{3})[a-z]*\s+(\d{1,2}):(\d{2})\s*$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Cutoff:
    """When a reporting week ends: a weekday and a local time."""

    weekday: int
    at: time

    @classmethod
    def parse(cls, text: str) -> "Cutoff":
        """ "WED 07:00" (or "Wednesday 07:00")."""
        found = _CUTOFF.match(text)
        if not found or found.group(1).upper() not in WEEKDAYS:
            raise ValueError(f"viết dạng thứ và giờ, ví dụ WED 07:00 (đang là {text!r})")
        hour, minute = int(found.group(2)), int(found.group(3))
        if hour > 23 or minute > 59:
            raise ValueError(f"giờ không hợp lệ (đang là {text!r})")
        return cls(WEEKDAYS.index(found.group(1).upper()), time(hour, minute))


@dataclass(frozen=True)
class Week:
    """[start, end) in the commune's zone, named by the ISO week of its end."""

    name: str
    start: datetime
    end: datetime

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def week_of(moment: datetime, zone: tzinfo, cutoff: Cutoff) -> Week:
    """The reporting week `moment` falls in (a moment exactly at a cut-off opens the next week)."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    local = moment.astimezone(zone)
    end_day = local.date() + timedelta(days=(cutoff.weekday - local.weekday()) % 7)
    if datetime.combine(end_day, cutoff.at, zone) <= local:
        end_day += timedelta(days=7)
    return _ending(end_day, zone, cutoff)


def named_week(name: str, zone: tzinfo, cutoff: Cutoff) -> Week:
    """The week called `name` ("2025-W39"): the one whose cut-off falls in that ISO week."""
    found = _WEEK.match(name.strip())
    if not found:
        raise ValueError(f"tuần viết dạng 2025-W39 (đang là {name!r})")
    try:
        end_day = date.fromisocalendar(int(found.group(1)), int(found.group(2)), cutoff.weekday + 1)
    except ValueError:
        raise ValueError(f"không có tuần {name!r}") from None
    return _ending(end_day, zone, cutoff)


def previous(week: Week, zone: tzinfo, cutoff: Cutoff) -> Week:
    return week_of(week.start - timedelta(seconds=1), zone, cutoff)


def _ending(end_day: date, zone: tzinfo, cutoff: Cutoff) -> Week:
    year, number, _ = end_day.isocalendar()
    start = datetime.combine(end_day - timedelta(days=7), cutoff.at, zone)
    return Week(f"{year}-W{number:02d}", start, datetime.combine(end_day, cutoff.at, zone))
