"""The dashboard's pages as HTML strings, for an officer reading them on a phone.

Every value from the data is escaped (village and area names come from a file the office edits).
There is no script: the bars are SVG rectangles sized by their `width` attribute, which a
Content-Security-Policy without inline styles allows, and the week is picked with a plain form.
"""

import html
from dataclasses import dataclass
from urllib.parse import quote

from bot.reports.counts import HEADINGS
from bot.reports.formats import FORMATS
from bot.reports.render import TABLE_HEADINGS, table
from bot.reports.report import Report, Row
from bot.reports.week import Week

TITLE = "Theo dõi tích hợp thẻ BHYT"
STYLESHEET = "/dashboard/static/dashboard.css"
#: The five steps of the guide, then the requests sent: the funnel of the week.
FUNNEL = (*(f"step_{n}" for n in range(1, 6)), "submitted")
#: What the office calls each file; a format added to FORMATS without a name here shows its own.
FORMAT_NAMES = {
    "xlsx": "Excel (.xlsx)",
    "csv": "CSV (.csv)",
    "json": "JSON (.json)",
    "text": "Văn bản (.txt)",
    "png": "Biểu đồ (.png)",
}
#: Why a typed card number was wrong (flows/card_number.py's REASONS), said for the office.
REASONS = {
    "empty": "Chưa gõ gì",
    "no_number": "Không có số thẻ trong tin nhắn",
    "bad_chars": "Có dấu hoặc ký tự lạ",
    "bad_length": "Sai số ký tự",
    "looks_like_cccd": "Gõ nhầm số CCCD",
    "looks_like_kcb_code": "Gõ nhầm mã nơi khám bệnh",
    "letter_o_for_zero": "Gõ chữ O thay số 0",
    "not_digits": "Có chữ ở chỗ phải là số",
    "bad_object_code": "Sai 2 chữ cái đầu",
    "bad_level": "Sai mức hưởng (ký tự thứ 3)",
    "bad_province": "Sai mã nơi cấp thẻ",
    "issuer_mismatch": "Không khớp đơn vị cấp thẻ",
}
_PERCENT = frozenset(i for i, heading in enumerate(TABLE_HEADINGS) if heading.startswith("%"))


def esc(value: object) -> str:
    return html.escape(str(value))


def number(n: int) -> str:
    """1500 -> "1.500", as Vietnamese writes it."""
    return f"{n:,}".replace(",", ".")


def _signed(n: int) -> str:
    if n == 0:
        return "bằng tuần trước"
    return f"{'+' if n > 0 else '−'}{number(abs(n))} so với tuần trước"


def _dates(week: Week) -> str:
    return f"{week.start:%H:%M %d/%m} – {week.end:%H:%M %d/%m/%Y}"


def document(title: str, body: str, csrf: str | None = None) -> str:
    """A whole page; with a session's `csrf` token, the header holds the logout button."""
    logout = (
        '<form method="post" action="/dashboard/logout" class="logout">'
        f'<input type="hidden" name="csrf" value="{esc(csrf)}">'
        '<button type="submit">Đăng xuất</button></form>'
        if csrf
        else ""
    )
    return (
        '<!doctype html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{esc(title)}</title>\n"
        f'<link rel="stylesheet" href="{STYLESHEET}">\n</head>\n<body>\n'
        f'<header class="top"><p class="brand">{TITLE}</p>{logout}</header>\n'
        f'<main class="page">\n{body}\n</main>\n</body>\n</html>\n'
    )


def login_page(next_path: str = "", error: str = "", note: str = "") -> str:
    alert = f'<p class="error" role="alert">{esc(error)}</p>' if error else ""
    status = f'<p class="note" role="status">{esc(note)}</p>' if note else ""
    body = f"""<section class="box login">
<h1>Đăng nhập</h1>
{status}{alert}
<form method="post" action="/dashboard/login">
<input type="hidden" name="next" value="{esc(next_path)}">
<label for="password">Mật khẩu</label>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Đăng nhập</button>
</form>
</section>"""
    return document(f"Đăng nhập – {TITLE}", body)


def plain_page(title: str, text: str) -> str:
    """A short notice (the dashboard is off, a form from elsewhere)."""
    return document(title, f'<section class="box"><h1>{esc(title)}</h1><p>{esc(text)}</p></section>')


@dataclass(frozen=True)
class View:
    """What the dashboard page shows: the week's report, the weeks up to it (oldest first, the
    report's own week last), this week (to mark it and stop "next" there), the session's token."""

    report: Report
    trend: list[Report]
    this_week: Week
    newer: str | None
    csrf: str


def week_error_page(error: str, this_week: Week, csrf: str) -> str:
    """The error, a link to this week and the box to pick another (left empty)."""
    alert = f'<p class="error" role="alert">Không xem được tuần này: {esc(error)}.</p>'
    body = f"<h1>Tuần không đúng</h1>\n{alert}\n{_week_picker('', None, None, this_week)}"
    return document(f"Tuần không đúng – {TITLE}", body, csrf)


def dashboard_page(view: View) -> str:
    report = view.report
    week = report.week
    now = " (đang diễn ra)" if week == view.this_week else ""
    body = "\n".join(
        [
            f'<h1>Tuần {esc(week.name)}{now}</h1>\n<p class="dates">{esc(_dates(week))}</p>',
            _week_picker(week.name, report.last_week.name, view.newer, view.this_week),
            _summary(report),
            _downloads(week.name),
            _funnel(report.total),
            _village_table(report),
            _trend(view.trend),
            _reasons(report.invalid_reasons),
        ]
    )
    return document(f"Tuần {week.name} – {TITLE}", body, view.csrf)


def _week_link(name: str, label: str) -> str:
    return f'<a class="button light" href="/dashboard?week={quote(name)}">{esc(label)}</a>'


def _week_picker(shown: str, older: str | None, newer: str | None, this_week: Week) -> str:
    links = []
    if older:
        links.append(_week_link(older, "‹ Trước"))
    if shown != this_week.name:
        links.append(_week_link(this_week.name, "Tuần này"))
    if newer:
        links.append(_week_link(newer, "Sau ›"))
    return f"""<nav class="weeks" aria-label="Chọn tuần">
<div class="links">{"".join(links)}</div>
<form method="get" action="/dashboard" class="pick">
<label for="week">Hoặc chọn tuần</label>
<div class="row">
<input id="week" name="week" type="week" value="{esc(shown)}" placeholder="2025-W39" required>
<button type="submit">Xem</button></div>
</form>
</nav>"""


def _card(label: str, value: str, note: str) -> str:
    return (
        f'<div class="stat"><p class="label">{esc(label)}</p><p class="value">{esc(value)}</p>'
        f'<p class="sub">{esc(note)}</p></div>'
    )


def _summary(report: Report) -> str:
    total, targets = report.total, report.targets
    week = total.week
    share = total.week_share(targets)
    goal = total.weekly_goal(targets)
    since = f"từ {report.since:%d/%m/%Y}" if report.since else "chưa có hoạt động"
    campaign_share = total.campaign_share()
    cards = [
        _card("Người được hỗ trợ", number(week["people"]), _signed(total.change("people"))),
        _card("Đã gửi yêu cầu", number(week["submitted"]), _signed(total.change("submitted"))),
        _card(
            f"Chỉ tiêu tuần ({targets.weekly_percent}% số tài khoản)",
            f"{share}%" if share is not None else "–",
            f"{number(week['submitted'])}/{number(goal)} yêu cầu"
            if goal
            else "chưa có số tài khoản của các thôn",
        ),
        _card(
            "Yêu cầu đã gửi cộng dồn",
            number(total.campaign["submitted"]),
            since + (f", đạt {campaign_share}% số tài khoản" if campaign_share is not None else ""),
        ),
        _card(
            "Muốn làm chữ ký số (cộng dồn)",
            f"{number(total.campaign['signature'])}/{number(targets.signature)}",
            f"đạt {report.signature_share()}% chỉ tiêu",
        ),
        _card("Nhờ cán bộ", number(week["handoffs"]), "trong tuần"),
    ]
    return f'<section class="stats" aria-label="Tóm tắt">{"".join(cards)}</section>'


def _downloads(week_name: str) -> str:
    links = "".join(
        f'<li><a class="button" href="/dashboard/download/{quote(name)}?week={quote(week_name)}">'
        f"{esc(FORMAT_NAMES.get(name, form.suffix.upper()))}</a></li>"
        for name, form in FORMATS.items()
    )
    return f'<section><h2>Tải báo cáo</h2>\n<ul class="downloads">{links}</ul></section>'


def _bar(value: int, top: int) -> str:
    width = 100 * value / top if top else 0
    return (
        '<svg class="bar" viewBox="0 0 100 1" preserveAspectRatio="none" aria-hidden="true">'
        '<rect class="track" width="100" height="1"></rect>'
        f'<rect width="{width:.1f}" height="1"></rect></svg>'
    )


def _funnel(total: Row) -> str:
    values = [(HEADINGS[key], total.week[key]) for key in FUNNEL]
    top = max(n for _, n in values)
    items = "".join(
        f'<li><span class="label">{esc(label)}</span><span class="value">{number(n)}</span>'
        f"{_bar(n, top)}</li>"
        for label, n in values
    )
    return f'<section><h2>Các bước trong tuần</h2>\n<ol class="funnel">{items}</ol></section>'


def _cell(index: int, value: object) -> str:
    if value is None:
        return "<td>–</td>"
    if index in _PERCENT:
        return f"<td>{esc(value)}%</td>"
    return f"<td>{number(value) if isinstance(value, int) else esc(value)}</td>"


def _line(name: str, values: list[object], kind: str) -> str:
    cells = "".join(_cell(i, v) for i, v in enumerate(values))
    return f'<tr class="{kind}"><th scope="row">{esc(name)}</th>{cells}</tr>'


def _group(title: str, lines: list[str], width: int) -> str:
    head = f'<tr class="group"><th scope="rowgroup">{esc(title)}</th><td colspan="{width}"></td></tr>'
    return f"<tbody>{head}{''.join(lines)}</tbody>"


def _village_table(report: Report) -> str:
    """Each area's villages and then its subtotal, the rows with no area (no village chosen),
    the communes' subtotals (when there are several) and the total, with `render.table`'s
    columns: the same numbers as the CSV and the workbook."""
    lines = list(table(report))
    rows = [*report.villages, *report.areas, *report.communes, report.total]
    paired = list(zip(rows, lines, strict=True))
    villages = paired[: len(report.villages)]
    areas = paired[len(report.villages) : len(report.villages) + len(report.areas)]
    communes = paired[len(report.villages) + len(report.areas) : -1]
    width = len(TABLE_HEADINGS)
    several = len(report.communes) > 1
    groups = []
    for area, (_, _, subtotal, values) in areas:
        members = [
            _line(name, vals, kind)
            for row, (kind, _, name, vals) in villages
            if (row.area, row.commune) == (area.area, area.commune)
        ]
        title = f"{area.area} ({area.commune})" if several and area.commune else area.area
        groups.append(_group(title, [*members, _line(subtotal, values, "subtotal")], width))
    loose = [_line(name, vals, kind) for row, (kind, _, name, vals) in villages if not row.area]
    if loose:
        groups.append(_group("Khác", loose, width))
    if communes:
        groups.append(_group("Theo xã", [_line(n, v, "subtotal") for _, (_, _, n, v) in communes], width))
    _, (_, _, total_name, total_values) = paired[-1]
    heads = "".join(f'<th scope="col">{esc(h)}</th>' for h in ("Thôn, tổ dân phố", *TABLE_HEADINGS))
    return (
        "<section><h2>Theo thôn, tổ dân phố</h2>\n"
        '<p class="hint">Bảng rộng: vuốt sang ngang để xem hết các cột.</p>\n'
        '<div class="scroll" role="region" aria-label="Bảng theo thôn" tabindex="0">'
        f'<table class="villages"><thead><tr>{heads}</tr></thead>{"".join(groups)}'
        f"<tfoot>{_line(total_name, total_values, 'total')}</tfoot></table></div></section>"
    )


def _trend(reports: list[Report]) -> str:
    top_people = max(r.total.week["people"] for r in reports)
    top_sent = max(r.total.week["submitted"] for r in reports)
    rows = "".join(
        f'<tr><th scope="row"><a href="/dashboard?week={quote(r.week.name)}">{esc(r.week.name)}</a>'
        f'<span class="sub">{r.week.end:%d/%m}</span></th>'
        f'<td><span class="value">{number(r.total.week["people"])}</span>'
        f"{_bar(r.total.week['people'], top_people)}</td>"
        f'<td><span class="value">{number(r.total.week["submitted"])}</span>'
        f"{_bar(r.total.week['submitted'], top_sent)}</td></tr>"
        for r in reversed(reports)
    )
    return (
        f"<section><h2>{len(reports)} tuần gần đây</h2>\n"
        '<table class="trend"><thead><tr><th scope="col">Tuần (kết thúc)</th>'
        '<th scope="col">Người được hỗ trợ</th><th scope="col">Đã gửi yêu cầu</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></section>"
    )


def _reasons(reasons: list[tuple[str, int]]) -> str:
    if not reasons:
        return "<section><h2>Lỗi số thẻ hay gặp</h2>\n<p>Tuần này chưa có số thẻ gõ sai.</p></section>"
    items = "".join(
        f'<li><span class="label">{esc(REASONS.get(reason, reason))}</span>'
        f'<span class="value">{number(n)} lần</span></li>'
        for reason, n in reasons
    )
    return f'<section><h2>Lỗi số thẻ hay gặp</h2>\n<ol class="reasons">{items}</ol></section>'
