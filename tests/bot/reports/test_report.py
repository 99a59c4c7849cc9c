"""The week's counts per village equal a hand count over a small fixture of events."""

import csv
import io
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.reports.counts import KEYS, keep_spans
from bot.reports.desk import ReportDesk
from bot.reports.render import as_csv, as_text
from bot.reports.report import Scope, Targets, as_json, build_report
from bot.reports.week import named_week, previous
from bot.settings import load_settings
from bot.store import Store, timestamp
from tests.conftest import frozen_content

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
CUTOFF = load_settings({}, env_file=None).cutoff
WEEK = named_week("2025-W39", HCM, CUTOFF)  # Wednesday 17 Sept 07:00 to Wednesday 24 Sept 07:00
SCOPE = Scope(HCM, CUTOFF)
#: A month after the week: every week of the fixture is settled.
LATER = WEEK.end + timedelta(days=30)


def week_report(tx, week, scope=SCOPE, now=LATER, commune=None):
    return build_report(tx, week, scope, now, commune)[0]


def event(kind: str, village: str | None, person: str | None, **data) -> dict:
    return {"kind": kind, "village": village, "person": person, "data": data}


#: (when, event). Hand count for the week, village ttcm-to-1: people p1, p2 and one anonymous
#: session = 3; sessions 3; consents 2; step 1 reached by p1 and p2 (p1 twice) = 2, step 2 by p1
#: = 1; submitted 1; stuck at step 2: 1; cards 1 valid, 2 invalid (both "length"); video 1;
#: signature interest by p2 twice = 1. Village nhuco-ban-quat: one anonymous session and a
#: handoff. No village: one anonymous session. Outside the week: two events, never counted.
IN_WEEK = WEEK.start + timedelta(hours=1)
EVENTS = [
    (IN_WEEK, event("session_started", "ttcm-to-1", "p1", source="link")),
    (IN_WEEK, event("consent_given", "ttcm-to-1", "p1")),
    (IN_WEEK, event("step_reached", "ttcm-to-1", "p1", step=1)),
    (IN_WEEK, event("step_reached", "ttcm-to-1", "p1", step=1)),
    (IN_WEEK, event("step_reached", "ttcm-to-1", "p1", step=2)),
    (IN_WEEK, event("stuck", "ttcm-to-1", "p1", step=2)),
    (IN_WEEK, event("outcome", "ttcm-to-1", "p1", outcome="submitted")),
    (IN_WEEK, event("card_checked", "ttcm-to-1", "p1", valid=True, reason="ok")),
    (IN_WEEK, event("session_started", "ttcm-to-1", "p2", source="direct")),
    (IN_WEEK, event("consent_given", "ttcm-to-1", "p2")),
    (IN_WEEK, event("step_reached", "ttcm-to-1", "p2", step=1)),
    (IN_WEEK, event("card_checked", "ttcm-to-1", "p2", valid=False, reason="length")),
    (IN_WEEK, event("card_checked", "ttcm-to-1", "p2", valid=False, reason="length")),
    (IN_WEEK, event("signature_interest", "ttcm-to-1", "p2")),
    (IN_WEEK, event("signature_interest", "ttcm-to-1", "p2")),
    (IN_WEEK, event("session_started", "ttcm-to-1", None, source="direct")),
    (IN_WEEK, event("video_shown", "ttcm-to-1", None)),
    (IN_WEEK, event("session_started", "nhuco-ban-quat", None, source="direct")),
    (IN_WEEK, event("handoff_requested", "nhuco-ban-quat", None, step=3)),
    (WEEK.end - timedelta(microseconds=1), event("session_started", None, None, source="direct")),
    (WEEK.start - timedelta(microseconds=1), event("session_started", "ttcm-to-1", "p9", source="direct")),
    (WEEK.end, event("consent_given", "ttcm-to-1", "p9")),
]


@pytest.fixture
def store(tmp_path):
    content = frozen_content()
    with Store(tmp_path / "r.sqlite3", content.places.villages) as opened:
        for when, row in EVENTS:
            opened.call(lambda tx, when=when, row=row: tx.record_events("telegram", timestamp(when), [row]))
        yield opened


def counts(report, code: str) -> dict[str, int]:
    return next(row.week for row in report.villages if row.code == code)


def test_every_column_equals_the_hand_count(store):
    report = store.call(lambda tx: week_report(tx, WEEK))
    expected = dict.fromkeys(KEYS, 0) | {
        "people": 3,
        "sessions": 3,
        "consents": 2,
        "step_1": 2,
        "step_2": 1,
        "submitted": 1,
        "stuck_2": 1,
        "cards_valid": 1,
        "cards_invalid": 2,
        "video": 1,
        "signature": 1,
    }
    assert counts(report, "ttcm-to-1") == expected
    assert counts(report, "nhuco-ban-quat") == dict.fromkeys(KEYS, 0) | {
        "people": 1,
        "sessions": 1,
        "handoffs": 1,
    }
    assert counts(report, "") == dict.fromkeys(KEYS, 0) | {"people": 1, "sessions": 1}, "no village yet"
    assert report.invalid_reasons == [("length", 2)]


def test_every_village_is_a_row_and_the_totals_add_up(store):
    report = store.call(lambda tx: week_report(tx, WEEK))
    villages = frozen_content().places.villages
    assert [row.code for row in report.villages] == [v.code for v in villages] + [""]
    assert counts(report, "ttcm-to-2") == dict.fromkeys(KEYS, 0), "a quiet village shows zeros"
    dong_tam = next(row for row in report.areas if row.name == "Đồng Tâm")
    assert dong_tam.week["people"] == 3
    assert report.total.week["people"] == 5
    assert report.total.week["sessions"] == sum(row.week["sessions"] for row in report.villages)


def test_the_week_before_holds_only_its_own_events(store):
    before = store.call(lambda tx: week_report(tx, previous(WEEK, HCM, CUTOFF)))
    assert before.total.week["sessions"] == 1
    assert counts(before, "ttcm-to-1")["people"] == 1


def test_the_json_and_the_text_say_the_same(store):
    report = store.call(lambda tx: week_report(tx, WEEK))
    data = as_json(report)
    assert data["week"] == "2025-W39"
    assert data["total"]["people"] == 5
    assert data["start"] == datetime(2025, 9, 17, 7, tzinfo=HCM).isoformat()
    text = as_text(report)
    assert text.startswith("Báo cáo tuần 2025-W39 (07:00 17/09 - 07:00 24/09/2025)")
    assert "Người được hỗ trợ: 5" in text
    assert "Tới từng bước: 2 → 1 → 0 → 0 → 0" in text
    assert "Lỗi số thẻ hay gặp: length (2)" in text
    assert "Khác / không rõ" not in text, "the weakest villages are real ones"
    assert len(text) <= 2000, "one chat message"


def test_the_csv_opens_in_excel_with_the_same_numbers(store):
    report = store.call(lambda tx: week_report(tx, WEEK))
    text = as_csv(report)
    assert text.startswith("\ufeffKhu vực,")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0][:4] == ["Khu vực", "Thôn, tổ dân phố", "Người được hỗ trợ", "Lượt bắt đầu"]
    by_name = {(row[0], row[1]): row[2:] for row in rows[1:]}
    first = by_name[("Đồng Tâm", "Tổ dân phố 1")]
    assert first[: len(KEYS)] == [str(counts(report, "ttcm-to-1")[key]) for key in KEYS]
    assert rows[0][2 + len(KEYS)] == "Người được hỗ trợ tuần trước"
    assert first[len(KEYS)] == "1", "p9 the week before"
    assert by_name[("Đồng Tâm", "Cộng Đồng Tâm")][0] == "3"
    assert by_name[("", "Chưa chọn thôn")][0] == "1"
    assert by_name[("", "Toàn xã")][0] == "5"
    assert len(rows) == 1 + len(report.villages) + len(report.areas) + 1


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)"])
def test_a_name_a_spreadsheet_would_run_is_neutralised(tmp_path, name):
    content = frozen_content()
    villages = [replace(content.places.villages[0], name=name)]
    with Store(tmp_path / "n.sqlite3", villages) as opened:
        text = as_csv(opened.call(lambda tx: week_report(tx, WEEK)))
    (row,) = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))[1:2]
    assert row[1] == "'" + name


def test_the_week_before_and_the_campaign_totals(store):
    report = store.call(lambda tx: week_report(tx, WEEK))
    village = next(row for row in report.villages if row.code == "ttcm-to-1")
    assert village.last["people"] == 1
    assert village.last["sessions"] == 1
    assert village.change("people") == 2
    assert village.campaign["sessions"] == 4, "3 this week and 1 the week before"
    assert report.total.campaign["sessions"] == 6
    assert report.since == WEEK.start - timedelta(microseconds=1), "no start set: the first event"
    assert "Người được hỗ trợ: 5 (+4 so với tuần trước)" in as_text(report)


def test_a_campaign_start_counts_from_its_own_week(store):
    scope = Scope(HCM, CUTOFF, since=WEEK.start + timedelta(days=1))
    report = store.call(lambda tx: week_report(tx, WEEK, scope))
    assert report.total.campaign["sessions"] == 5, "the week before the campaign is not in its totals"
    before = store.call(lambda tx: week_report(tx, previous(WEEK, HCM, CUTOFF), scope))
    assert before.total.campaign["sessions"] == 0, "a week before the campaign has no totals"


def test_a_settled_week_is_counted_once_and_kept(store):
    _, fresh = store.call(lambda tx: build_report(tx, WEEK, SCOPE, LATER))
    assert len(fresh) == 2, "the week and the one before are both settled a month later"
    store.call(lambda tx: keep_spans(tx, fresh))
    late = WEEK.start + timedelta(hours=2)
    row = event("session_started", "ttcm-to-2", None, source="direct")
    store.call(lambda tx: tx.record_events("telegram", timestamp(late), [row]))
    report, again = store.call(lambda tx: build_report(tx, WEEK, SCOPE, LATER))
    assert again == {}, "nothing counted afresh"
    assert counts(report, "ttcm-to-2")["sessions"] == 0, "a settled week's numbers stay as reported"
    unsettled = WEEK.end + timedelta(days=1)
    report, fresh = store.call(lambda tx: build_report(tx, WEEK, SCOPE, unsettled))
    assert counts(report, "ttcm-to-2")["sessions"] == 1, "a week just closed is still counted live"
    assert fresh == {}, "the week before was kept already"


def test_the_targets_of_a_village_with_a_goal(tmp_path):
    content = frozen_content()
    villages = [replace(v, target=20) if v.code == "ttcm-to-1" else v for v in content.places.villages]
    with Store(tmp_path / "t.sqlite3", villages) as opened:
        for when, row in EVENTS:
            opened.call(lambda tx, when=when, row=row: tx.record_events("telegram", timestamp(when), [row]))
        report = opened.call(lambda tx: week_report(tx, WEEK, Scope(HCM, CUTOFF, targets=Targets(10, 4))))
    village = next(row for row in report.villages if row.code == "ttcm-to-1")
    assert village.weekly_goal(report.targets) == 2
    assert village.week_share(report.targets) == 50, "1 request of a weekly goal of 2"
    assert village.campaign_share() == 5, "1 of 20 accounts"
    assert report.total.goal == 20, "only the village with a goal adds to the total's"
    assert report.signature_share() == 25, "1 person of a target of 4"
    text = as_text(report)
    assert "Chỉ tiêu tuần (10% số tài khoản): 1/2 yêu cầu, đạt 50%" in text
    assert "chữ ký số 1/4 người (25%)" in text
    data = as_json(report)
    assert data["villages"][0]["week_share"] == 50
    assert data["targets"]["signature"] == 4


def test_several_communes_roll_up_and_one_can_be_chosen(tmp_path):
    content = frozen_content()
    villages = [
        replace(v, commune="Xã Khác") if v.code == "nhuco-ban-quat" else v for v in content.places.villages
    ]
    with Store(tmp_path / "c.sqlite3", villages) as opened:
        for when, row in EVENTS:
            opened.call(lambda tx, when=when, row=row: tx.record_events("telegram", timestamp(when), [row]))
        both = opened.call(lambda tx: week_report(tx, WEEK))
        other = opened.call(lambda tx: week_report(tx, WEEK, commune="Xã Khác"))
    assert both.total.name == "Tổng cộng"
    assert {row.name: row.week["people"] for row in both.communes} == {villages[0].commune: 3, "Xã Khác": 1}
    assert [row.code for row in other.villages] == ["nhuco-ban-quat"], "no 'no village' row for one commune"
    assert other.total.week["handoffs"] == 1
    assert other.total.name == "Toàn xã"


async def test_warming_up_keeps_every_settled_week_so_the_first_report_reads_them(tmp_path):
    content = frozen_content()
    with Store(tmp_path / "w.sqlite3", content.places.villages) as opened:
        for when, row in EVENTS:
            opened.call(lambda tx, when=when, row=row: tx.record_events("telegram", timestamp(when), [row]))
        await ReportDesk(opened, SCOPE, lambda: LATER).warm()
        kept = opened.call(lambda tx: tx.db.execute("SELECT DISTINCT start FROM report_spans").fetchall())
        _, fresh = opened.call(lambda tx: build_report(tx, WEEK, SCOPE, LATER))
    assert len(kept) >= 2, "the fixture's weeks, counted at start"
    assert fresh == {}, "a report after the warm-up counts no settled week again"


def test_volunteers_tallies_and_tickets_are_counted_per_village(store):
    at = timestamp(IN_WEEK)
    tally = {
        "helped": 12,
        "linked": 8,
        "no_phone": 1,
        "no_level2": 3,
        "mismatch": 0,
        "expired": 0,
        "other": 0,
    }
    fixed = {key: -value for key, value in tally.items()} | {"signature": -2, "correction": True}
    rows = [
        event("door_tally", "ttcm-to-2", "vol", **tally, signature=2, correction=False),
        event("door_tally", "ttcm-to-2", "vol", **fixed),  # the same day's correction
        event("door_tally", "ttcm-to-2", "vol", **(tally | {"helped": 10}), signature=3, correction=False),
    ]
    store.call(lambda tx: tx.record_events("telegram", at, rows))
    for minutes in (30, 90):
        store.call(
            lambda tx, m=minutes: tx.db.execute(
                "INSERT INTO tickets (channel, chat_key, village, step, opened_at, answered_at) "
                "VALUES ('zalo', 'r', 'ttcm-to-2', 'menu', ?, ?)",
                [at, timestamp(IN_WEEK + timedelta(minutes=m))],
            )
        )
    store.call(lambda tx: tx.open_ticket("zalo", "r2", "ttcm-to-1", "menu", "", at))
    report = store.call(lambda tx: week_report(tx, WEEK))
    village = counts(report, "ttcm-to-2")
    assert (village["door_helped"], village["door_linked"], village["door_signature"]) == (10, 8, 3)
    assert (village["tickets_opened"], village["tickets_answered"]) == (2, 2)
    assert counts(report, "ttcm-to-1")["tickets_opened"] == 1
    assert report.answer_minutes == 60, "the median of 30 and 90 minutes"
    assert "giúp tại nhà: 10 người, 8 tích hợp được · lời nhờ: 3, đã trả lời 2 (trung vị 60 phút)" in as_text(
        report
    )
