"""The VHXH office's web dashboard at /dashboard (being built)."""

from aiohttp import web

from bot.reports.desk import ReportDesk
from bot.settings import Settings


def setup(app: web.Application, desk: ReportDesk, settings: Settings) -> None:
    """Mounts the dashboard's routes when `DASHBOARD_PASSWORD` is set."""
