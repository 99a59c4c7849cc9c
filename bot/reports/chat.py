"""The weekly report as the chat channels show it: one message of text, and the spreadsheet as
a file where the platform takes files (Telegram) or a link to the dashboard where it does not
(Zalo).

An officer's `/baocao` and the Wednesday push both leave an outbox row naming the week
(`{"report": "2025-W39"}`); the report is made when the row is delivered, on a reader thread, so
the conversation's transaction never waits for it, and a crash before delivery makes it again.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from bot.reports.desk import ReportDesk
from bot.reports.formats import FORMATS, file_name
from bot.reports.render import as_text
from flows import Content

log = logging.getLogger(__name__)
#: The spreadsheet sent with the text.
FILE_FORMAT = "xlsx"


@dataclass(frozen=True)
class ChatReport:
    text: str
    file: tuple[str, bytes] | None = None


@dataclass(frozen=True)
class ChatReports:
    desk: ReportDesk
    content: Content
    #: The dashboard's address (PUBLIC_URL/dashboard) when it is on and reachable, else None.
    dashboard_url: str | None = None

    def pin(self, name: str, now: datetime) -> str:
        """The week `name` means now ("" this week, "tuantruoc", "2025-W38"), as an ISO week
        name; ValueError for a name that is no week."""
        return self.desk.week(name, now).name

    async def make(self, week_name: str, with_file: bool) -> ChatReport:
        """The report's text (and the spreadsheet when asked and available). A failure to make
        it is a plain message, not an error: the officer can ask again."""
        try:
            report = await self.desk.report(self.desk.week(week_name))
        except Exception:
            log.exception("the report of %s could not be made", week_name)
            return ChatReport(self.content.text("staff.report_failed"))
        text = as_text(report)
        form = FORMATS.get(FILE_FORMAT)
        if not with_file or form is None:
            return ChatReport(text)
        data = await asyncio.to_thread(form.write, report)
        return ChatReport(text, (file_name(report, FILE_FORMAT), data))

    def link(self, week_name: str) -> str | None:
        """Where the spreadsheet is downloaded from the dashboard, said as a line of text."""
        if self.dashboard_url is None or FILE_FORMAT not in FORMATS:
            return None
        link = f"{self.dashboard_url}/download/{FILE_FORMAT}?week={quote(week_name)}"
        return self.content.text("staff.report_link", link=link)
