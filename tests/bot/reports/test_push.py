"""The Wednesday push: the report of the week just ended, to every officer, exactly once per week,
also across restarts, and never on another day."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.reports.push import push_if_due
from bot.reports.report import Scope
from bot.reports.week import Cutoff
from bot.store import Store, timestamp
from tests.conftest import frozen_content

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
SCOPE = Scope(HCM, Cutoff.parse("WED 07:00"))
#: Wednesday 25 November 2026 07:00 in Vietnam: the cut-off of week 2026-W48.
CUTOFF = datetime(2026, 11, 25, 7, 0, tzinfo=HCM)
OFFICERS = frozenset({"telegram:777", "zalo:abc", "console:terminal"})
PUSH_CHANNELS = ("telegram", "zalo")


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "p.sqlite3", frozen_content().places.villages) as opened:
        yield opened


def push(store: Store, moment: datetime) -> str | None:
    return store.call(lambda tx: push_if_due(tx, SCOPE, moment, OFFICERS, PUSH_CHANNELS))


def queued(store: Store) -> list[tuple[str, str, dict]]:
    rows = store.call(
        lambda tx: tx.db.execute("SELECT channel, chat_key, reply FROM outbox ORDER BY id").fetchall()
    )
    return [(channel, chat, json.loads(reply)) for channel, chat, reply in rows]


def test_nothing_before_the_cutoff_then_once_at_it(store):
    assert push(store, CUTOFF - timedelta(minutes=1)) is None
    assert queued(store) == []
    assert push(store, CUTOFF) == "2026-W48"
    assert queued(store) == [
        ("telegram", "777", {"report": "2026-W48"}),
        ("zalo", "abc", {"report": "2026-W48"}),
    ], "every officer on a channel that can push; not the terminal"
    assert push(store, CUTOFF + timedelta(minutes=31)) is None
    assert len(queued(store)) == 2, "never twice"


def test_a_helper_down_at_the_cutoff_sends_when_it_starts_and_only_once(tmp_path):
    path, villages = tmp_path / "r.sqlite3", frozen_content().places.villages
    with Store(path, villages) as opened:
        assert push(opened, CUTOFF - timedelta(minutes=5)) is None
    with Store(path, villages) as restarted:  # started at 07:10
        assert push(restarted, CUTOFF + timedelta(minutes=10)) == "2026-W48"
    with Store(path, villages) as again:  # restarted once more at 07:12
        assert push(again, CUTOFF + timedelta(minutes=12)) is None
        assert len(queued(again)) == 2


def test_no_send_on_another_day(store):
    for days in (1, 2, 3, 6):
        assert push(store, CUTOFF + timedelta(days=days, hours=1)) is None, days
    assert queued(store) == [], "a helper first started after the Wednesday waits for the next one"
    assert push(store, CUTOFF + timedelta(days=7)) == "2026-W49"


def test_an_invited_officer_gets_it_too(store):
    at = timestamp(CUTOFF - timedelta(days=1))
    store.call(lambda tx: tx.add_invite("h", "officer", "", at, timestamp(CUTOFF)))
    store.call(lambda tx: tx.redeem_invite("h", "zalo", "zz", at))
    push(store, CUTOFF + timedelta(seconds=30))
    assert ("zalo", "zz", {"report": "2026-W48"}) in queued(store)


def test_the_zone_decides_when_it_is_seven(store):
    """07:00 in Vietnam is 00:00 UTC: a UTC clock reading midnight is the cut-off."""
    assert push(store, datetime(2026, 11, 24, 23, 59, tzinfo=ZoneInfo("UTC"))) is None
    assert push(store, datetime(2026, 11, 25, 0, 0, tzinfo=ZoneInfo("UTC"))) == "2026-W48"
