"""The workbook holds the CSV's table and the campaign's totals, opens with its header frozen and
filtered, and never stores a village's name as a formula."""

import io
import zipfile
from dataclasses import replace

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from bot import app
from bot.cli import main
from bot.reports.counts import HEADINGS, KEYS
from bot.reports.render import TABLE_HEADINGS, safe_cell, table
from bot.reports.report import Report, Targets
from bot.reports.xlsx import CAMPAIGN_SHEET, as_xlsx
from bot.store import Store
from tests.bot.reports import test_report
from tests.bot.reports.test_report import WEEK, week_report
from tests.conftest import frozen_content

#: test_report.py's store: the frozen villages and the events it counts by hand.
store = test_report.store


def named(tmp_path, name: str) -> Report:
    """The week of a commune of one village called `name` (no events)."""
    with Store(tmp_path / "n.sqlite3", [replace(frozen_content().places.villages[0], name=name)]) as opened:
        return opened.call(lambda tx: week_report(tx, WEEK))


def reopened(report: Report) -> Workbook:
    return load_workbook(io.BytesIO(as_xlsx(report)))


@pytest.fixture
def report(store) -> Report:
    return store.call(lambda tx: week_report(tx, WEEK))


def test_the_week_sheet_holds_the_csv_table_row_by_row(report):
    book = reopened(report)
    sheet = book.worksheets[0]
    assert sheet.title == "Tuần 2025-W39"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Khu vực", "Thôn, tổ dân phố", *TABLE_HEADINGS), "the header is row 1"
    expected = [(area or None, safe_cell(name), *values) for _, area, name, values in table(report)]
    assert rows[1:] == expected
    assert rows[1][:4] == ("Đồng Tâm", "Tổ dân phố 1", 3, 3)
    assert rows[-1][:3] == (None, "Toàn xã", 5)
    assert book.properties.title == "Báo cáo tuần 2025-W39 (07:00 17/09 - 07:00 24/09/2025)"


def test_the_campaign_sheet_holds_the_campaign_totals(report):
    sheet = reopened(report)[CAMPAIGN_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Khu vực", "Thôn, tổ dân phố", *(HEADINGS[key] for key in KEYS))
    for line, village in zip(rows[1:], report.villages, strict=False):
        assert line == (village.area or None, village.name, *(village.campaign[key] for key in KEYS))
    assert rows[1][:4] == ("Đồng Tâm", "Tổ dân phố 1", 4, 4), "p9 the week before counts too"
    assert rows[-1] == (None, "Toàn xã", *(report.total.campaign[key] for key in KEYS))
    assert rows[-1][3] == 6
    assert len(rows) == 1 + len(report.villages) + len(report.areas) + 1


def test_the_header_is_frozen_and_filtered_on_both_sheets(report):
    book = reopened(report)
    for sheet, width in ((book.worksheets[0], len(TABLE_HEADINGS)), (book[CAMPAIGN_SHEET], len(KEYS))):
        assert sheet.freeze_panes == "C2"
        assert sheet.auto_filter.ref == f"A1:{get_column_letter(2 + width)}{sheet.max_row}"
        assert sheet.max_row == 1 + len(report.villages) + len(report.areas) + 1
        assert all(cell.font.b for cell in sheet[1])
        assert sheet.column_dimensions["B"].width > sheet.column_dimensions["C"].width, "names wider"


def test_subtotals_are_bold_and_counts_and_percents_formatted(report):
    report.villages[0].goal = 20
    report.targets = Targets(10, 4)
    sheet = reopened(report).worksheets[0]
    names = [cell.value for cell in sheet["B"]]
    village, quiet = sheet[names.index("Tổ dân phố 1") + 1], sheet[names.index("Tổ dân phố 2") + 1]
    share = 2 + TABLE_HEADINGS.index("% chỉ tiêu tuần")
    assert village[share].value == 50
    assert village[share].number_format == '0"%"'
    assert quiet[share].value is None, "no goal: an empty cell, not 0 %"
    assert village[2].value == 3
    assert village[2].number_format == "#,##0"
    assert not village[1].font.b
    for name in ("Cộng Đồng Tâm", "Toàn xã"):
        assert all(cell.font.b for cell in sheet[names.index(name) + 1]), name


@pytest.mark.parametrize("name", ['=HYPERLINK("x")', "+1", "-2+3", "@SUM(A1)"])
def test_a_name_a_spreadsheet_would_run_is_text(tmp_path, name):
    data = as_xlsx(named(tmp_path, name))
    cell = load_workbook(io.BytesIO(data)).worksheets[0]["B2"]
    assert cell.value == "'" + name
    assert cell.data_type == "s"
    with zipfile.ZipFile(io.BytesIO(data)) as parts:
        assert "<f>" not in parts.read("xl/worksheets/sheet1.xml").decode(), "no formula stored"


def test_a_control_character_in_a_name_does_not_break_the_file(tmp_path):
    assert reopened(named(tmp_path, "Tổ\x01 dân phố 1")).worksheets[0]["B2"].value == "Tổ dân phố 1"


def test_the_command_line_writes_the_workbook(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("BOT_DB_PATH", str(tmp_path / "cli.sqlite3"))
    monkeypatch.setattr(app, "load_content", frozen_content)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "w39.xlsx"
    assert main(["report", "--week", "2025-W39", "--format", "xlsx", "--out", str(out)]) == 0
    assert "w39.xlsx" in capsys.readouterr().out
    book = load_workbook(out)
    assert book.sheetnames == ["Tuần 2025-W39", CAMPAIGN_SHEET]
    villages = [v.name for v in frozen_content().places.villages]
    names = [cell.value for cell in book.worksheets[0]["B"]]
    assert names[: 1 + len(villages)] == ["Thôn, tổ dân phố", *villages]
    assert names[-1] == "Toàn xã"
