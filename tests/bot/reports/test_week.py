"""Reporting weeks around the Wednesday 07:00 cut-off, in the commune's time zone."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.reports.week import Cutoff, named_week, previous, week_of

HCM = ZoneInfo("Asia/Ho_Chi_Minh")  # UTC+7, no daylight saving
WED_7 = Cutoff(2, time(7, 0))


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 9, day, hour, minute, tzinfo=HCM)


@pytest.mark.parametrize(
    ("moment", "name", "start_day"),
    [
        (local(24, 6, 59), "2025-W39", 17),  # Wednesday 24 Sept 06:59: the week still open
        (local(24, 7, 0), "2025-W40", 24),  # 07:00 exactly: the next week has begun
        (local(24, 7, 31), "2025-W40", 24),
        (local(28, 23, 0), "2025-W40", 24),  # Sunday
        (local(30, 12, 0), "2025-W40", 24),  # Tuesday before the cut-off
    ],
)
def test_the_week_a_moment_falls_in(moment, name, start_day):
    week = week_of(moment, HCM, WED_7)
    assert week.name == name
    assert week.start == local(start_day, 7)
    assert week.end - week.start == timedelta(days=7)
    assert week.contains(moment)


def test_the_zone_decides_not_utc():
    # 00:30 UTC on Wednesday is 07:30 in Hà Nội: past the cut-off there, not in UTC.
    moment = datetime(2025, 9, 24, 0, 30, tzinfo=UTC)
    assert week_of(moment, HCM, WED_7).name == "2025-W40"
    assert week_of(moment, UTC, WED_7).name == "2025-W39"


def test_a_named_week_and_the_one_before():
    week = named_week("2025-W39", HCM, WED_7)
    assert (week.start, week.end) == (local(17, 7), local(24, 7))
    assert previous(week, HCM, WED_7).name == "2025-W38"
    assert named_week("2026-W01", HCM, WED_7).end.date().isoformat() == "2025-12-31"


@pytest.mark.parametrize("text", ["2025-39", "2025-W54", "tuần trước"])
def test_a_bad_week_name_is_a_plain_error(text):
    with pytest.raises(ValueError, match="tuần"):
        named_week(text, HCM, WED_7)


@pytest.mark.parametrize(
    ("text", "weekday", "at"), [("WED 07:00", 2, time(7)), ("friday 17:30", 4, time(17, 30))]
)
def test_the_cutoff_setting_is_read(text, weekday, at):
    assert Cutoff.parse(text) == Cutoff(weekday, at)


@pytest.mark.parametrize("text", ["07:00", "XYZ 07:00", "WED 25:00"])
def test_a_bad_cutoff_is_refused(text):
    with pytest.raises(ValueError, match="giờ"):
        Cutoff.parse(text)


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError, match="timezone"):
        week_of(datetime(2025, 9, 24, 7), HCM, WED_7)
