"""Every form a report can be written in, as bytes: one table that the command line, the chat
channels and the dashboard all read, so a new form is one entry here."""

import json
from collections.abc import Callable
from dataclasses import dataclass

from bot.reports.render import as_csv, as_text
from bot.reports.report import Report, as_json
from bot.reports.xlsx import as_xlsx


def _png(report: Report) -> bytes:
    """matplotlib takes most of a second to import: it is loaded when a chart is first drawn,
    not when the helper or a command starts."""
    from bot.reports.chart import as_png  # noqa: PLC0415

    return as_png(report)


@dataclass(frozen=True)
class Format:
    """`write` takes up to a second or two for a province (XLSX, PNG): call it off the event loop."""

    suffix: str
    media_type: str
    write: Callable[[Report], bytes]


FORMATS: dict[str, Format] = {
    "text": Format("txt", "text/plain; charset=utf-8", lambda report: (as_text(report) + "\n").encode()),
    "json": Format(
        "json",
        "application/json",
        lambda report: (json.dumps(as_json(report), ensure_ascii=False, indent=2) + "\n").encode(),
    ),
    "csv": Format("csv", "text/csv; charset=utf-8", lambda report: as_csv(report).encode()),
    "xlsx": Format("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", as_xlsx),
    "png": Format("png", "image/png", _png),
}


def file_name(report: Report, form: str) -> str:
    """ "bao-cao-2025-W39.xlsx": ASCII, so every platform and browser keeps it as it is."""
    return f"bao-cao-{report.week.name}.{FORMATS[form].suffix}"
