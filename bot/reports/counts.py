"""The counts of one reporting week, per village, by SQL over `events`.

Each column is one SQL expression over the week's events (a data table, not an if-chain), so a
column is added in one line and every count can be checked against a hand count. A person who
consented is counted once by their random reference; an anonymous session (no consent) counts
as one person of its own. Events with no village yet (the person stopped before choosing one)
form their own row, so the commune total is the sum of the rows.
"""

from dataclasses import dataclass, field
from typing import Any

from bot.conversation import timestamp
from bot.reports.week import Week
from bot.store import Tx

#: Someone counted once: the consenting person's reference, else the event itself.
_WHO = "COALESCE(person, 'event:' || id)"


def _step(kind: str, step: int) -> str:
    return (
        f"COUNT(DISTINCT CASE WHEN kind = '{kind}' AND json_extract(data, '$.step') = {step} THEN {_WHO} END)"
    )


#: (key, Vietnamese heading, SQL expression over one village's events of the week).
COLUMNS: tuple[tuple[str, str, str], ...] = (
    (
        "people",
        "Người được hỗ trợ",
        "COUNT(DISTINCT person) + SUM(person IS NULL AND kind = 'session_started')",
    ),
    ("sessions", "Lượt bắt đầu", "SUM(kind = 'session_started')"),
    ("consents", "Đồng ý lưu", "SUM(kind = 'consent_given')"),
    *((f"step_{n}", f"Tới bước {n}", _step("step_reached", n)) for n in range(1, 6)),
    (
        "submitted",
        "Đã gửi yêu cầu",
        "SUM(kind = 'outcome' AND json_extract(data, '$.outcome') = 'submitted')",
    ),
    ("approved", "Đã được duyệt", "SUM(kind = 'outcome' AND json_extract(data, '$.outcome') = 'approved')"),
    *((f"stuck_{n}", f"Vướng ở bước {n}", _step("stuck", n)) for n in range(1, 6)),
    ("cards_valid", "Số thẻ đúng", "SUM(kind = 'card_checked' AND json_extract(data, '$.valid') = 1)"),
    ("cards_invalid", "Số thẻ sai", "SUM(kind = 'card_checked' AND json_extract(data, '$.valid') = 0)"),
    ("video", "Xem video", "SUM(kind = 'video_shown')"),
    (
        "signature",
        "Muốn làm chữ ký số",
        "COUNT(DISTINCT CASE WHEN kind = 'signature_interest' THEN " + _WHO + " END)",
    ),
    ("handoffs", "Nhờ cán bộ", "SUM(kind = 'handoff_requested')"),
)
KEYS = tuple(key for key, _, _ in COLUMNS)
#: The row of events with no village (the person stopped before choosing one).
NO_VILLAGE = ""
#: How many invalid-card reasons the report names.
TOP_REASONS = 3


@dataclass
class Row:
    """One line of the report: a village, an area subtotal or the commune total."""

    code: str
    name: str
    area: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KEYS, 0))

    def add(self, other: "Row") -> None:
        for key in KEYS:
            self.counts[key] += other.counts[key]


@dataclass
class Report:
    week: Week
    villages: list[Row]
    areas: list[Row]
    total: Row
    invalid_reasons: list[tuple[str, int]]


def week_report(tx: Tx, week: Week, commune: str | None = None) -> Report:
    """Every village of the commune (zeros included), in the office's order, then area subtotals
    and the commune total, for the events of `week`."""
    start, end = timestamp(week.start), timestamp(week.end)
    villages = [v for v in tx.villages() if commune is None or v["commune"] == commune]
    select = ", ".join(f"COALESCE({sql}, 0)" for _, _, sql in COLUMNS)
    counted = {
        row[0] or NO_VILLAGE: dict(zip(KEYS, row[1:], strict=True))
        for row in tx.db.execute(
            f"SELECT village, {select} FROM events WHERE at >= ? AND at < ? GROUP BY village", [start, end]
        ).fetchall()
    }
    rows = [
        Row(v["code"], v["name"], v["area"], counted.get(v["code"], dict.fromkeys(KEYS, 0))) for v in villages
    ]
    if NO_VILLAGE in counted:
        rows.append(Row(NO_VILLAGE, "Chưa chọn thôn", "", counted[NO_VILLAGE]))
    areas: dict[str, Row] = {}
    total = Row("", "Toàn xã", "")
    for row in rows:
        if row.area:
            areas.setdefault(row.area, Row("", row.area, row.area)).add(row)
        total.add(row)
    reasons = tx.db.execute(
        "SELECT json_extract(data, '$.reason') AS reason, COUNT(*) AS n FROM events "
        "WHERE kind = 'card_checked' AND json_extract(data, '$.valid') = 0 AND at >= ? AND at < ? "
        "GROUP BY reason ORDER BY n DESC, reason LIMIT ?",
        [start, end, TOP_REASONS],
    ).fetchall()
    return Report(week, rows, list(areas.values()), total, [(str(r), int(n)) for r, n in reasons])


def as_json(report: Report) -> dict[str, Any]:
    """Stable English keys, for other systems and for tests."""

    def row(r: Row) -> dict[str, Any]:
        return {"code": r.code, "name": r.name, "area": r.area, **r.counts}

    return {
        "week": report.week.name,
        "start": report.week.start.isoformat(),
        "end": report.week.end.isoformat(),
        "villages": [row(r) for r in report.villages],
        "areas": [row(r) for r in report.areas],
        "total": row(report.total),
        "invalid_reasons": [{"reason": reason, "count": n} for reason, n in report.invalid_reasons],
    }
