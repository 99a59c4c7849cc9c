"""The counts of a span of time, per village, by SQL over `events`; and the frozen counts of
closed weeks.

Each column is one line of a data table (the event kind it counts, the value a key of its data
must have, whether a person counts once), not an if-chain, so a column is added in one line and
every count can be checked against a hand count. A person who consented is counted once by their
random reference; an anonymous session (no consent) counts as one person of its own. Events with
no village yet (the person stopped before choosing one) form their own row, so the commune total
is the sum of the rows.

The queries read only the covering index `idx_events_report` (at, village, kind, data, person),
so a week costs what its own events cost, however long the campaign has run. The campaign's
totals add up the weeks before; a week closed long enough ago that no late message can still
land in it is counted once and kept (`report_spans`), so the totals cost a lookup per week.

Why the events are grouped and the columns summed in Python, rather than one SQL expression per
column: SQLite 3.40 parses an event's JSON again for every `json_extract`, and keeps a b-tree per
`COUNT(DISTINCT ...)`; with one expression per column, counting a commune's campaign of a million
events took 2.1 s (bench/report.py, 2 vCPU). Grouped by village, kind and the one data value the
kind's columns look at, a week's events come out as a few thousand groups, each with its count,
its count of events with a person and its number of distinct people; a group's JSON is read once
per group, and a column is the sum of its groups (1.3 s for the same million). Every village's
people are counted in the same statement, so a live week is read as one snapshot.
"""

import json
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.store import Tx, timestamp

Counts = dict[str, int]
#: A span of time as the database writes it: (start, end) timestamps.
Span = tuple[str, str]


@dataclass(frozen=True)
class Column:
    """Events of `kind` whose data's `field` is `value` (any event of the kind when `field` is
    None), counted all, or each person `once` (an anonymous event is a person of its own).
    `value` compares as SQL's `json_extract(data, '$.field') = value` does (JSON true is 1)."""

    key: str
    heading: str
    kind: str
    field: str | None = None
    value: str | int | None = None
    once: bool = False


#: The first column: every consenting person once by their reference, whatever they did, and
#: every anonymous session as one person.
PEOPLE = "people"
COLUMNS: tuple[Column, ...] = (
    Column("sessions", "Lượt bắt đầu", "session_started"),
    Column("consents", "Đồng ý lưu", "consent_given"),
    *(Column(f"step_{n}", f"Tới bước {n}", "step_reached", "step", n, once=True) for n in range(1, 6)),
    Column("submitted", "Đã gửi yêu cầu", "outcome", "outcome", "submitted"),
    Column("approved", "Đã được duyệt", "outcome", "outcome", "approved"),
    *(Column(f"stuck_{n}", f"Vướng ở bước {n}", "stuck", "step", n, once=True) for n in range(1, 6)),
    Column("cards_valid", "Số thẻ đúng", "card_checked", "valid", 1),
    Column("cards_invalid", "Số thẻ sai", "card_checked", "valid", 0),
    Column("video", "Xem video", "video_shown"),
    Column("signature", "Muốn làm chữ ký số", "signature_interest", once=True),
    Column("handoffs", "Nhờ cán bộ", "handoff_requested"),
)
#: Columns that add up numbers the events carry: what volunteers logged door to door
#: (`door_tally`, a correction being the entry negated). (key, heading, data key.)
TALLIES: tuple[tuple[str, str, str], ...] = (
    ("door_helped", "Giúp tại nhà (TNV)", "helped"),
    ("door_linked", "Tích hợp được tại nhà", "linked"),
    ("door_signature", "Muốn chữ ký số (tại nhà)", "signature"),
)
#: Requests for a person that became tickets (`bot/requests.py`), by the day they were opened
#: and the day they were first answered.
TICKETS = (("tickets_opened", "Lời nhờ"), ("tickets_answered", "Lời nhờ đã trả lời"))
KEYS = (PEOPLE, *(c.key for c in COLUMNS), *(key for key, _, _ in TALLIES), *(key for key, _ in TICKETS))
HEADINGS = (
    {PEOPLE: "Người được hỗ trợ"}
    | {c.key: c.heading for c in COLUMNS}
    | {key: heading for key, heading, _ in TALLIES}
    | dict(TICKETS)
)
#: The row of events with no village (the person stopped before choosing one).
NO_VILLAGE = ""
#: How many invalid-card reasons the report names.
TOP_REASONS = 3
#: The row that marks a kept span as counted, also when it had no events at all.
_COUNTED = "*"
#: The kind whose anonymous events are people (one session, one person).
_ANONYMOUS_PEOPLE = "session_started"
_BY_KIND: dict[str, tuple[Column, ...]] = {}
for _column in COLUMNS:
    _BY_KIND[_column.kind] = (*_BY_KIND.get(_column.kind, ()), _column)
_FIELD = {c.kind: c.field for c in COLUMNS if c.field is not None}
if len({(c.kind, c.field) for c in COLUMNS if c.field is not None}) != len(_FIELD):
    raise ValueError("the columns of one kind must look at the same key of its data")


def _sql(value: object) -> str:
    return "'" + value.replace("'", "''") + "'" if isinstance(value, str) else str(value)


def _value_of(kind: str, field: str) -> str:
    """`json_extract(data, '$.field')` for every event of a kind counted once per person: the texts
    `Tx.record_events` writes for the columns' own values are matched as text first (the same
    value, without parsing the JSON)."""
    written = {
        json.dumps({field: c.value}, ensure_ascii=False, separators=(",", ":")): c.value
        for c in _BY_KIND[kind]
    }
    cases = " ".join(f"WHEN {_sql(text)} THEN {_sql(value)}" for text, value in written.items())
    return f"CASE data {cases} ELSE json_extract(data, '$.{field}') END"


def _query() -> str:
    """One statement (one snapshot of a live week) of two parts.

    Per village, kind and value of the kind's key: its events, those with a person, and its
    distinct people. A kind counted once per person is grouped by the value itself (so that the
    people of one value are in one group); any other kind with a key by its data text, whose
    value is read once per group. Then every village with events in the span (kind NULL), with
    its consenting people."""
    grouped = " ".join(
        f"WHEN {_sql(kind)} THEN {_value_of(kind, field) if any(c.once for c in _BY_KIND[kind]) else 'data'}"
        for kind, field in _FIELD.items()
    )
    values = " ".join(
        f"WHEN {_sql(kind)} THEN json_extract(data, '$.{field}')" for kind, field in _FIELD.items()
    )
    kinds = ", ".join(_sql(kind) for kind in _BY_KIND)
    return (
        f"SELECT village, kind, CASE kind {values} END, COUNT(*), COUNT(person), COUNT(DISTINCT person) "
        "FROM events INDEXED BY idx_events_report WHERE at >= :start AND at < :end "
        f"AND kind IN ({kinds}) GROUP BY village, kind, CASE kind {grouped} END "
        "UNION ALL SELECT village, NULL, NULL, 0, 0, COUNT(person) FROM (SELECT DISTINCT village, person "
        "FROM events INDEXED BY idx_events_report WHERE at >= :start AND at < :end) GROUP BY village"
    )


_QUERY = _query()


def zeros() -> Counts:
    return dict.fromkeys(KEYS, 0)


def span_of(start: datetime, end: datetime) -> Span:
    return timestamp(start), timestamp(end)


def count_span(tx: Tx, span: Span) -> dict[str, Counts]:
    """Every column per village code (`NO_VILLAGE` for events without one), for the events
    with `start <= at < end`. Villages without events are absent."""
    found: dict[str | None, Counts] = {}
    rows = tx.db.execute(_QUERY, {"start": span[0], "end": span[1]}).fetchall()
    for village, kind, value, events, named, persons in rows:
        counts = found.setdefault(village, zeros())
        if kind is None:  # the village's consenting people
            counts[PEOPLE] += persons
            continue
        anonymous = events - named
        if kind == _ANONYMOUS_PEOPLE:
            counts[PEOPLE] += anonymous
        for column in _BY_KIND[kind]:
            if column.field is None or value == column.value:
                # an anonymous event is a person of its own: person references are random hex,
                # never equal to the "event:<id>" the one-expression query used for it
                counts[column.key] += persons + anonymous if column.once else events
    sums = ", ".join(f"SUM(json_extract(data, '$.{field}'))" for _, _, field in TALLIES)
    for village, *totals in tx.db.execute(
        f"SELECT village, {sums} FROM events INDEXED BY idx_events_report "
        "WHERE at >= ? AND at < ? AND kind = 'door_tally' GROUP BY village",
        span,
    ).fetchall():
        counts = found.setdefault(village, zeros())
        for (key, _, _), total in zip(TALLIES, totals, strict=True):
            counts[key] += int(total or 0)
    for village, opened, answered in tx.db.execute(
        "SELECT village, SUM(opened_at >= :start AND opened_at < :end), "
        "SUM(answered_at >= :start AND answered_at < :end) FROM tickets "
        "WHERE (opened_at >= :start AND opened_at < :end) OR (answered_at >= :start AND answered_at < :end) "
        "GROUP BY village",
        {"start": span[0], "end": span[1]},
    ).fetchall():
        counts = found.setdefault(village, zeros())
        counts["tickets_opened"] += int(opened or 0)
        counts["tickets_answered"] += int(answered or 0)
    # NULL and '' are two villages to SQL; the '' one, sorted after, is the row (as ever)
    return {village or NO_VILLAGE: found[village] for village in sorted(found, key=lambda v: v is not None)}


def answer_minutes(tx: Tx, span: Span) -> int | None:
    """The median time, in minutes, from a ticket's opening to its first answer, over the tickets
    first answered in the span; None when none was."""
    rows = tx.db.execute(
        "SELECT (julianday(answered_at) - julianday(opened_at)) * 1440 AS minutes FROM tickets "
        "WHERE answered_at >= ? AND answered_at < ? ORDER BY minutes",
        span,
    ).fetchall()
    return round(statistics.median(m for (m,) in rows)) if rows else None


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
