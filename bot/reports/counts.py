"""The counts of a span of time, per village, by SQL over `events`; and the frozen counts of
closed weeks.

Each column is one SQL expression over the span's events (a data table, not an if-chain), so a
column is added in one line and every count can be checked against a hand count. A person who
consented is counted once by their random reference; an anonymous session (no consent) counts
as one person of its own. Events with no village yet (the person stopped before choosing one)
form their own row, so the commune total is the sum of the rows.

The query reads only the covering index `idx_events_report` (at, village, kind, data, person),
so a week costs what its own events cost, however long the campaign has run. The campaign's
totals add up the weeks before; a week closed long enough ago that no late message can still
land in it is counted once and kept (`report_spans`), so the totals cost a lookup per week.
"""

import json
from collections.abc import Iterable
from datetime import datetime

from bot.store import Tx, timestamp

Counts = dict[str, int]
#: A span of time as the database writes it: (start, end) timestamps.
Span = tuple[str, str]

#: Someone counted once: the consenting person's reference, else the event itself.
_WHO = "COALESCE(person, 'event:' || id)"


def _step(kind: str, step: int) -> str:
    return (
        f"COUNT(DISTINCT CASE WHEN kind = '{kind}' AND json_extract(data, '$.step') = {step} THEN {_WHO} END)"
    )


#: (key, Vietnamese heading, SQL expression over one village's events of the span).
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
HEADINGS = {key: heading for key, heading, _ in COLUMNS}
#: The row of events with no village (the person stopped before choosing one).
NO_VILLAGE = ""
#: How many invalid-card reasons the report names.
TOP_REASONS = 3
#: The row that marks a kept span as counted, also when it had no events at all.
_COUNTED = "*"
_SELECT = ", ".join(f"COALESCE({sql}, 0)" for _, _, sql in COLUMNS)
_QUERY = (
    f"SELECT village, {_SELECT} FROM events INDEXED BY idx_events_report "
    "WHERE at >= ? AND at < ? GROUP BY village"
)


def zeros() -> Counts:
    return dict.fromkeys(KEYS, 0)


def span_of(start: datetime, end: datetime) -> Span:
    return timestamp(start), timestamp(end)


def count_span(tx: Tx, span: Span) -> dict[str, Counts]:
    """Every column per village code (`NO_VILLAGE` for events without one), for the events
    with `start <= at < end`. Villages without events are absent."""
    return {
        row[0] or NO_VILLAGE: dict(zip(KEYS, row[1:], strict=True))
        for row in tx.db.execute(_QUERY, span).fetchall()
    }


def invalid_reasons(tx: Tx, span: Span) -> list[tuple[str, int]]:
    """The most common reasons a typed card number was wrong, most frequent first."""
    rows = tx.db.execute(
        "SELECT json_extract(data, '$.reason') AS reason, COUNT(*) AS n FROM events "
        "INDEXED BY idx_events_report WHERE at >= ? AND at < ? AND kind = 'card_checked' "
        "AND json_extract(data, '$.valid') = 0 GROUP BY reason ORDER BY n DESC, reason LIMIT ?",
        [*span, TOP_REASONS],
    ).fetchall()
    return [(str(reason), int(n)) for reason, n in rows]


def first_event_at(tx: Tx) -> str | None:
    """When the first event was recorded (the campaign's start when none is configured)."""
    row = tx.db.execute("SELECT MIN(at) FROM events INDEXED BY idx_events_report").fetchone()
    return row[0] if row else None


def kept_spans(tx: Tx, spans: Iterable[Span]) -> dict[Span, dict[str, Counts]]:
    """The kept counts of those `spans` that were counted before (the others are absent)."""
    wanted = list(spans)
    if not wanted:
        return {}
    kept: dict[Span, dict[str, Counts]] = {}
    rows = tx.db.execute(
        "SELECT start, end, village, counts FROM report_spans WHERE start >= ? AND start <= ?",
        [min(s for s, _ in wanted), max(s for s, _ in wanted)],
    ).fetchall()
    wanted_set = set(wanted)
    for start, end, village, counts in rows:
        if (start, end) in wanted_set:
            villages = kept.setdefault((start, end), {})
            if village != _COUNTED:
                villages[village] = zeros() | json.loads(counts)
    return kept


def keep_spans(tx: Tx, counted: dict[Span, dict[str, Counts]]) -> None:
    """Keeps the counts of closed spans (a span already kept stays as it was)."""
    rows = [
        [start, end, village, json.dumps(counts, separators=(",", ":"))]
        for (start, end), villages in counted.items()
        for village, counts in [*villages.items(), (_COUNTED, {})]
    ]
    tx.db.conn.executemany(
        "INSERT OR IGNORE INTO report_spans (start, end, village, counts) VALUES (?, ?, ?, ?)", rows
    )
