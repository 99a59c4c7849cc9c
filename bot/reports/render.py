"""The week's report as one short chat message (totals, the five-step funnel, the targets and the
five weakest villages, so an officer reads it on a phone without opening a file) and as a CSV
table (the same table the XLSX file's first sheet holds)."""

import csv
import io
from collections.abc import Iterator
from typing import Any

from bot.reports.counts import HEADINGS, KEYS
from bot.reports.report import Report, Row
from flows.places import OTHER_SUFFIX

#: Villages named as the weakest (fewest requests sent, then fewest people helped), to send
#: volunteers there first; the "Khác / không rõ" rows are not villages anyone can visit.
WEAKEST = 5


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def as_text(report: Report) -> str:
    week, row = report.week, report.total
    total, targets = row.week, report.targets
    lines = [
        f"Báo cáo tuần {week.name} ({week.start:%H:%M %d/%m} - {week.end:%H:%M %d/%m/%Y})",
        f"Người được hỗ trợ: {total['people']} ({_signed(row.change('people'))} so với tuần trước)"
        f" · lượt bắt đầu: {total['sessions']} · đồng ý lưu: {total['consents']}",
        "Tới từng bước: " + " → ".join(str(total[f"step_{n}"]) for n in range(1, 6)),
        f"Đã gửi yêu cầu: {total['submitted']} ({_signed(row.change('submitted'))})"
        f" · vướng: {sum(total[f'stuck_{n}'] for n in range(1, 6))}",
        f"Kiểm tra số thẻ: {total['cards_valid']} đúng, {total['cards_invalid']} sai",
        f"Muốn làm chữ ký số: {total['signature']} · nhờ cán bộ: {total['handoffs']}",
    ]
    if total["door_helped"] or total["tickets_opened"]:
        answered = f" (trung vị {report.answer_minutes} phút)" if report.answer_minutes is not None else ""
        lines.append(
            f"Tình nguyện viên giúp tại nhà: {total['door_helped']} người,"
            f" {total['door_linked']} tích hợp được · lời nhờ: {total['tickets_opened']},"
            f" đã trả lời {total['tickets_answered']}{answered}"
        )
    if report.invalid_reasons:
        lines.append(
            "Lỗi số thẻ hay gặp: " + ", ".join(f"{reason} ({n})" for reason, n in report.invalid_reasons)
        )
    if (share := row.week_share(targets)) is not None:
        lines.append(
            f"Chỉ tiêu tuần ({targets.weekly_percent}% số tài khoản): {total['submitted']}/"
            f"{row.weekly_goal(targets)} yêu cầu, đạt {share}%"
        )
    campaign = row.campaign
    since = f" từ {report.since:%d/%m/%Y}" if report.since else ""
    lines.append(
        f"Cộng dồn{since}: {campaign['submitted']} yêu cầu đã gửi"
        + (f" ({row.campaign_share()}% số tài khoản)" if row.goal else "")
        + f"; chữ ký số {campaign['signature']}/{targets.signature} người ({report.signature_share()}%)"
    )
    for commune in report.communes:
        lines.append(f"- {commune.name}: {commune.week['people']} người, {commune.week['submitted']} yêu cầu")
    weakest = weakest_villages(report.villages)
    if weakest:
        lines.append(f"{len(weakest)} thôn ít kết quả nhất tuần này:")
        lines += [
            f"- {r.name} ({r.area}): {r.week['submitted']} yêu cầu, {r.week['people']} người" for r in weakest
        ]
    return "\n".join(lines)


def weakest_villages(rows: list[Row]) -> list[Row]:
    villages = [row for row in rows if row.code and not row.code.endswith(OTHER_SUFFIX)]
    return sorted(villages, key=lambda r: (r.week["submitted"], r.week["people"], r.name))[:WEAKEST]


#: The columns after the place's own: the week's counts, then the targets and the campaign.
TABLE_HEADINGS = (
    *(HEADINGS[key] for key in KEYS),
    "Người được hỗ trợ tuần trước",
    "Yêu cầu đã gửi tuần trước",
    "Số tài khoản cần tích hợp",
    "Chỉ tiêu tuần",
    "% chỉ tiêu tuần",
    "Yêu cầu đã gửi cộng dồn",
    "% cộng dồn",
)


def table(report: Report) -> Iterator[tuple[str, str, str, list[Any]]]:
    """(kind, area, name, values) per line: villages, area subtotals, commune subtotals, total.
    A percentage or goal that is unknown is None (an empty cell)."""
    targets = report.targets

    def values(row: Row) -> list[Any]:
        return [
            *(row.week[key] for key in KEYS),
            row.last["people"],
            row.last["submitted"],
            row.goal,
            row.weekly_goal(targets),
            row.week_share(targets),
            row.campaign["submitted"],
            row.campaign_share(),
        ]

    for row in report.villages:
        yield "village", row.area, row.name, values(row)
    for row in report.areas:
        yield "area", row.area, f"Cộng {row.name}", values(row)
    for row in report.communes:
        yield "commune", "", f"Cộng {row.name}", values(row)
    yield "total", "", report.total.name, values(report.total)


#: A cell a spreadsheet would run as a formula starts with one of these (CSV injection).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def as_csv(report: Report) -> str:
    """Villages, then subtotals, then the total, with Vietnamese headings; UTF-8 with a byte-order
    mark so that Excel shows the diacritics. Text that a spreadsheet would run as a formula is
    neutralised with a leading apostrophe (the names come from an editable file)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Khu vực", "Thôn, tổ dân phố", *TABLE_HEADINGS])
    for _, area, name, values in table(report):
        writer.writerow([safe_cell(area), safe_cell(name), *("" if v is None else v for v in values)])
    return "\ufeff" + out.getvalue()


def safe_cell(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA) else text
