"""A dashboard over a small fixture of events counted by hand, on a fixed clock.

Week 2025-W39 runs from Wednesday 17 Sept 07:00 to Wednesday 24 Sept 07:00 (Asia/Ho_Chi_Minh);
"now" is the Thursday after, so this week is 2025-W40 (no events yet) and 2025-W39 is the week
before. Tổ dân phố 1 (ttcm-to-1) has 40 accounts to link, so its weekly goal is 4.

Hand count for 2025-W39:
- ttcm-to-1: p1 reaches steps 1 to 5 and sends the request; p2 reaches steps 1 to 3 and is stuck
  at 3; p3 reaches step 1 and types three wrong card numbers (two of the wrong length, one a CCCD
  number) and a right one. People 3, sessions 3, steps 3/2/2/1/1, sent 1 (25 % of the goal).
- nhuco-ban-quat: one anonymous session that asks for an officer.
2025-W38: p6 sends a request in ttcm-to-1; in nhuco-na-roong p4 sends one and an anonymous
session only starts. Campaign (since 1 Sept): ttcm-to-1 sent 2 requests, 5 % of its 40.
"""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot import dashboard
from bot.reports.desk import ReportDesk
from bot.reports.week import named_week
from bot.settings import Settings, load_settings
from bot.store import Store, timestamp
from bot.transcript import FROZEN_DATA
from flows.places import Village, load_villages_csv

PASSWORD = "mat-khau-cua-xa-2025"
NOW = datetime(2025, 9, 25, 3, 0, tzinfo=UTC)
VILLAGE = "Tổ dân phố 1"


def event(kind: str, village: str | None, person: str | None, **data: object) -> dict:
    return {"kind": kind, "village": village, "person": person, "data": data}


def steps(village: str, person: str, last: int) -> list[dict]:
    return [event("step_reached", village, person, step=n) for n in range(1, last + 1)]


W39 = [
    event("session_started", "ttcm-to-1", "p1", source="link"),
    *steps("ttcm-to-1", "p1", 5),
    event("outcome", "ttcm-to-1", "p1", outcome="submitted"),
    event("session_started", "ttcm-to-1", "p2", source="direct"),
    *steps("ttcm-to-1", "p2", 3),
    event("stuck", "ttcm-to-1", "p2", step=3),
    event("session_started", "ttcm-to-1", "p3", source="direct"),
    *steps("ttcm-to-1", "p3", 1),
    event("card_checked", "ttcm-to-1", "p3", valid=False, reason="bad_length"),
    event("card_checked", "ttcm-to-1", "p3", valid=False, reason="bad_length"),
    event("card_checked", "ttcm-to-1", "p3", valid=False, reason="looks_like_cccd"),
    event("card_checked", "ttcm-to-1", "p3", valid=True, reason="ok"),
    event("session_started", "nhuco-ban-quat", None, source="direct"),
    event("handoff_requested", "nhuco-ban-quat", None, step=3),
]
W38 = [
    event("session_started", "ttcm-to-1", "p6", source="direct"),
    event("outcome", "ttcm-to-1", "p6", outcome="submitted"),
    event("session_started", "nhuco-na-roong", "p4", source="link"),
    event("outcome", "nhuco-na-roong", "p4", outcome="submitted"),
    event("session_started", "nhuco-na-roong", None, source="direct"),
]


def villages(**names: str) -> list[Village]:
    """The frozen villages, ttcm-to-1 with a target of 40; `names` renames villages by code."""
    return [
        replace(v, name=names.get(v.code, v.name), target=40 if v.code == "ttcm-to-1" else v.target)
        for v in load_villages_csv(FROZEN_DATA / "villages.csv").villages
    ]


class FakeClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Sleeps:
    """Records the waits the dashboard asks for, without waiting."""

    asked: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


def dashboard_settings(tmp_path, **extra: str) -> Settings:
    return load_settings(
        {
            "BOT_DB_PATH": str(tmp_path / "dashboard.sqlite3"),
            "DASHBOARD_PASSWORD": PASSWORD,
            "CAMPAIGN_START": "2025-09-01",
            **extra,
        },
        env_file=None,
    )


def filled_store(settings: Settings, places: list[Village]) -> Store:
    store = Store(settings.bot_db_path, places).open()
    for week, events in ((named_week("2025-W39", settings.zone, settings.cutoff), W39),
                         (named_week("2025-W38", settings.zone, settings.cutoff), W38)):  # fmt: skip
        at = timestamp(week.start + timedelta(hours=2))
        store.call(lambda tx, at=at, events=events: tx.record_events("telegram", at, events))
    return store


@pytest.fixture
def dash_settings(tmp_path) -> Settings:
    return dashboard_settings(tmp_path)


@pytest.fixture
def dash_store(dash_settings) -> Iterator[Store]:
    store = filled_store(dash_settings, villages())
    yield store
    store.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


async def started(app: web.Application) -> TestClient:
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


def dashboard_app(store: Store, settings: Settings, sleeps: Sleeps, clock: FakeClock) -> web.Application:
    app = web.Application()
    desk = ReportDesk.from_settings(store, settings, clock=lambda: NOW)
    dashboard.setup(app, desk, settings, sleep=sleeps, clock=clock)
    return app


@pytest.fixture
async def dash(dash_store, dash_settings, sleeps, clock) -> AsyncIterator[TestClient]:
    """The dashboard alone, with the recorded waits and the fake clock."""
    client = await started(dashboard_app(dash_store, dash_settings, sleeps, clock))
    yield client
    await client.close()
