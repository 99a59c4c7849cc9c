"""The week's report as one short chat message (totals, the five-step funnel and the five
weakest villages, so an officer reads it on a phone without opening a file) and as a CSV table."""

import csv
import io

from bot.reports.counts import COLUMNS, KEYS, Report, Row
from flows.places import OTHER_SUFFIX

#: Villages named as the weakest (fewest people helped), to send volunteers there first; the
#: "Khác / không rõ" rows are not villages anyone can visit.
WEAKEST = 5


def as_text(report: Report) -> str:
    week, total = report.week, report.total.counts
    lines = [
        f"Báo cáo tuần {week.name} ({week.start:%H:%M %d/%m} - {week.end:%H:%M %d/%m/%Y})",
        f"Người được hỗ trợ: {total['people']} · lượt bắt đầu: {total['sessions']}"
        f" · đồng ý lưu: {total['consents']}",
        "Tới từng bước: " + " → ".join(str(total[f"step_{n}"]) for n in range(1, 6)),
        f"Đã gửi yêu cầu: {total['submitted']} · vướng: {sum(total[f'stuck_{n}'] for n in range(1, 6))}",
        f"Kiểm tra số thẻ: {total['cards_valid']} đúng, {total['cards_invalid']} sai",
        f"Muốn làm chữ ký số: {total['signature']} · nhờ cán bộ: {total['handoffs']}",
    ]
    if report.invalid_reasons:
        lines.append(
            "Lỗi số thẻ hay gặp: " + ", ".join(f"{reason} ({n})" for reason, n in report.invalid_reasons)
        )
    weakest = _weakest(report.villages)
    if weakest:
        lines.append(f"{len(weakest)} thôn ít người được hỗ trợ nhất:")
        lines += [f"- {row.name} ({row.area}): {row.counts['people']}" for row in weakest]
    return "\n".join(lines)


def _weakest(rows: list[Row]) -> list[Row]:
    villages = [row for row in rows if row.code and not row.code.endswith(OTHER_SUFFIX)]
    return sorted(villages, key=lambda row: (row.counts["people"], row.name))[:WEAKEST]


#: A cell a spreadsheet would run as a formula starts with one of these (CSV injection).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def as_csv(report: Report) -> str:
    """Villages, then area subtotals, then the commune total, with Vietnamese headings; UTF-8 with
    a byte-order mark so that Excel shows the diacritics. Text that a spreadsheet would run as a
    formula is neutralised with a leading apostrophe (the names come from an editable file)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Khu vực", "Thôn, tổ dân phố", *(heading for _, heading, _ in COLUMNS)])
    lines = [
        *((row.area, row.name, row) for row in report.villages),
        *((row.area, f"Cộng {row.name}", row) for row in report.areas),
        ("", report.total.name, report.total),
    ]
    for area, name, row in lines:
        writer.writerow([_cell(area), _cell(name), *(row.counts[key] for key in KEYS)])
    return "\ufeff" + out.getvalue()


def _cell(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA) else text
