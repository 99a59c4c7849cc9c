"""The week's report as an Excel workbook, for the VHXH office to sort, filter and forward: the
week's sheet holds exactly the CSV's table (`render.table`), a second sheet the campaign's totals.

The header stays in row 1 (no title line above it), so that the autofilter and the frozen pane
work as an officer expects; the week's dates are in the sheet's name, the document's title and
the printed page's header instead. Village names come from a file the office edits, so text is
neutralised as in the CSV and always stored as text, never as a formula.
"""

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.reports.counts import HEADINGS, KEYS
from bot.reports.render import TABLE_HEADINGS, safe_cell, table
from bot.reports.report import Report

PLACE_HEADINGS = ("Khu vực", "Thôn, tổ dân phố")
CAMPAIGN_SHEET = "Cộng dồn"
#: Excel refuses a longer sheet name.
MAX_SHEET_NAME = 31
COUNT_FORMAT = "#,##0"
#: The % columns hold whole percents (50 is 50 %), as in the CSV, so the sign is only shown.
PERCENT_FORMAT = '0"%"'
#: Column widths in characters: the names are clamped to these, the numbers' headings wrap.
NAME_WIDTH = (12, 40)
NUMBER_WIDTH = 12
HEADER_HEIGHT = 48
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center", horizontal="center")

#: (kind, area, name, values) as `render.table` yields them.
Line = tuple[str, str, str, Sequence[Any]]


def as_xlsx(report: Report) -> bytes:
    week = report.week
    dates = f"{week.start:%H:%M %d/%m} - {week.end:%H:%M %d/%m/%Y}"
    book = Workbook()
    book.properties.title = f"Báo cáo tuần {week.name} ({dates})"
    if report.since:
        book.properties.description = f"Cộng dồn từ {report.since:%d/%m/%Y}"
    lines = list(table(report))
    sheet = book.active
    sheet.title = f"Tuần {week.name}"[:MAX_SHEET_NAME]
    percent = {i for i, heading in enumerate(TABLE_HEADINGS) if heading.startswith("%")}
    _fill(sheet, TABLE_HEADINGS, lines, percent, book.properties.title)
    rows = [*report.villages, *report.areas, *report.communes, report.total]
    campaign = [
        (kind, area, name, [row.campaign[key] for key in KEYS])
        for (kind, area, name, _), row in zip(lines, rows, strict=True)
    ]
    since = f" từ {report.since:%d/%m/%Y}" if report.since else ""
    _fill(
        book.create_sheet(CAMPAIGN_SHEET),
        [HEADINGS[key] for key in KEYS],
        campaign,
        set(),
        f"Cộng dồn{since} đến hết tuần {week.name}",
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(
    sheet: Worksheet, headings: Sequence[str], lines: Iterable[Line], percent: set[int], title: str
) -> None:
    """One table from A1: bold header, bold subtotals and total, numbers formatted, frozen at C2
    (the header and the place names stay in view) and filtered over the whole table."""
    sheet.append([*PLACE_HEADINGS, *headings])
    for cell in sheet[1]:
        cell.font, cell.fill, cell.alignment = _BOLD, _HEADER_FILL, _HEADER_ALIGNMENT
    sheet.row_dimensions[1].height = HEADER_HEIGHT
    widths = [len(heading) for heading in PLACE_HEADINGS]
    for number, (kind, area, name, values) in enumerate(lines, start=2):
        for column, text in enumerate((area, name), start=1):
            if text:
                _text(sheet, number, column, text)
                widths[column - 1] = max(widths[column - 1], len(text))
        for index, value in enumerate(values):
            cell = sheet.cell(number, len(PLACE_HEADINGS) + 1 + index, value)
            cell.number_format = PERCENT_FORMAT if index in percent else COUNT_FORMAT
        if kind != "village":
            for cell in sheet[number]:
                cell.font = _BOLD
    low, high = NAME_WIDTH
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, low), high)
    for column in range(len(PLACE_HEADINGS) + 1, len(PLACE_HEADINGS) + len(headings) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = NUMBER_WIDTH
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = sheet.dimensions
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.oddHeader.center.text = title


def _text(sheet: Worksheet, row: int, column: int, text: str) -> None:
    """A name as text: a leading formula sign neutralised (as in the CSV), the control characters
    a workbook cannot hold dropped, and the type forced to text whatever openpyxl guessed."""
    cell = sheet.cell(row, column, safe_cell(ILLEGAL_CHARACTERS_RE.sub("", text)))
    cell.data_type = "s"
