"""The SQLite store: migrations, group commit, retention, erasure, village import, backup."""

import asyncio
import sqlite3
import threading

import pytest

from bot.conversation import ConversationService
from bot.store import Saved, Store, StoreUnavailable, backup, village_rows
from flows import Inbound
from flows.places import Village
from tests.conftest import frozen_content

AT = "2026-11-23T01:00:00.000000+00:00"
LATER = "2026-12-30T01:00:00.000000+00:00"


def _schema(path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall())
    finally:
        conn.close()


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "s.sqlite3") as opened:
        yield opened


def test_migrations_run_twice_without_change(tmp_path):
    path = tmp_path / "m.sqlite3"
    Store(path).open().close()
    first = _schema(path)
    Store(path).open().close()
    assert _schema(path) == first
    assert {name for name, _ in first} >= {"conversations", "people", "inbox", "outbox", "events", "villages"}


def test_pragmas_are_durable_settings(store):
    pragmas = store.call(
        lambda tx: [
            tx.db.execute(f"PRAGMA {p}").fetchone()[0]
            for p in ("journal_mode", "synchronous", "busy_timeout")
        ]
    )
    assert pragmas == ["wal", 2, 5000]  # 2 = FULL


def test_a_fresh_database_gets_the_shipped_villages_once(tmp_path, content):
    path = tmp_path / "v.sqlite3"
    with Store(path, list(content.places.villages)) as first:
        assert first.call(lambda tx: [v["code"] for v in tx.villages()]) == [
            v.code for v in content.places.villages
        ]
        first.call(lambda tx: tx.db.execute("DELETE FROM villages WHERE code = 'ttcm-to-1'"))
    with Store(path, list(content.places.villages)) as again:
        assert again.call(lambda tx: tx.count("villages")) == len(content.places.villages) - 1


def test_state_round_trips(store):
    store.call(lambda tx: tx.save_state("web", "c1", "u1", Saved('{"step": "menu"}', AT, LATER)))
    store.call(lambda tx: tx.save_state("web", "c1", "u1", Saved('{"step": "guide_2"}', AT, LATER)))
    assert store.call(lambda tx: tx.load_state("web", "c1")) == '{"step": "guide_2"}'
    assert store.call(lambda tx: tx.load_state("web", "other")) is None


def test_inbound_ids_are_claimed_once_per_chat(store):
    assert store.call(lambda tx: tx.claim_inbound("web", "c1", "m1", AT, AT)) is not None
    assert store.call(lambda tx: tx.claim_inbound("web", "c1", "m1", AT, AT)) is None
    assert store.call(lambda tx: tx.claim_inbound("web", "c2", "m1", AT, AT)) is not None


def test_an_inbound_id_seen_only_before_the_window_is_a_new_message(store):
    """Telegram picks update ids at random again after a week without updates."""
    first = store.call(lambda tx: tx.claim_inbound("tg", "c1", "u7", AT, AT))
    assert store.call(lambda tx: tx.claim_inbound("tg", "c1", "u7", LATER, AT)) is None, "inside the window"
    week_later = "2026-11-30T01:00:00.000000+00:00"
    again = store.call(lambda tx: tx.claim_inbound("tg", "c1", "u7", LATER, week_later))
    assert again == first, "outside the window: claimed again (the same row, its time renewed)"
    assert store.call(lambda tx: tx.claim_inbound("tg", "c1", "u7", LATER, AT)) is None


def test_events_append_as_readable_text(store, tmp_path):
    event = {"kind": "card_checked", "village": "ttcm-to-1", "person": "abc", "data": {"reason": "bad_level"}}
    store.call(lambda tx: tx.record_events("web", AT, [event, event]))
    rows = store.call(lambda tx: list(tx.db.query("SELECT kind, village, person, data FROM events")))
    assert (
        rows
        == [
            {
                "kind": "card_checked",
                "village": "ttcm-to-1",
                "person": "abc",
                "data": '{"reason":"bad_level"}',
            }
        ]
        * 2
    )


async def test_concurrent_jobs_commit_together_and_a_failing_one_alone(store):
    def fail(tx):
        tx.claim_inbound("web", "c", "poison", AT, AT)
        raise RuntimeError("boom")

    jobs = [store.run(lambda tx, i=i: tx.claim_inbound("web", "c", f"m{i}", AT, AT)) for i in range(200)]
    results = await asyncio.gather(*jobs, store.run(fail), return_exceptions=True)
    assert sum(isinstance(r, int) for r in results) == 200
    assert isinstance(results[-1], RuntimeError)
    assert await store.run(lambda tx: tx.count("inbox")) == 200, "the failing job's write was rolled back"


def test_retention_purge_removes_person_rows_and_keeps_events(store):
    def fill(tx):
        tx.save_state("web", "old", "u-old", Saved("{}", AT, LATER))
        tx.save_state("web", "new", "u-new", Saved("{}", LATER, "2027-01-30T01:00:00.000000+00:00"))
        tx.remember_person("web", "u-old", "ref-old", "ttcm-to-1", AT)
        tx.claim_inbound("web", "old", "m1", AT, AT)
        tx.queue_replies("web", "old", None, [{"text": "x", "buttons": [], "image": None}], AT)
        tx.open_ticket("telegram", "old", "ttcm-to-1", "guide_3", "xin giúp", AT)
        tx.record_events(
            "web", AT, [{"kind": "village_set", "village": "ttcm-to-1", "person": "ref-old", "data": {}}]
        )

    store.call(fill)
    counts = store.call(lambda tx: tx.purge(LATER, "2026-12-01T00:00:00.000000+00:00"))
    assert counts == {
        "conversations": 1,
        "people": 1,
        "inbox": 1,
        "outbox": 1,
        "dead_letters": 0,
        "tickets": 1,
    }
    assert store.call(lambda tx: tx.load_state("web", "new")) == "{}"
    assert store.call(lambda tx: tx.count("events")) == 1


def test_a_conversation_past_its_own_expiry_goes_with_every_row_of_its_chat(store):
    """A person who did not consent is kept for a day: their conversation expires before the
    retention cutoff reaches it, and its inbox, outbox and dead letters go with it."""
    soon, never = "2026-11-24T01:00:00.000000+00:00", "2027-11-24T01:00:00.000000+00:00"

    def fill(tx):
        for chat, expires in (("declined", soon), ("agreed", never)):
            tx.save_state("web", chat, chat, Saved("{}", AT, expires))
            tx.claim_inbound("web", chat, "m1", AT, AT)
            tx.queue_replies("web", chat, None, [{"text": "x", "buttons": [], "image": None}], AT)
            tx.dead_letter("web", chat, "error", "payload", AT)

    store.call(fill)
    store.call(lambda tx: tx.purge("2026-11-24T00:59:00.000000+00:00", "2026-10-01T00:00:00.000000+00:00"))
    assert store.call(lambda tx: tx.count("conversations")) == 2, "not yet"
    counts = store.call(
        lambda tx: tx.purge("2026-11-24T01:00:01.000000+00:00", "2026-10-01T00:00:00.000000+00:00")
    )
    assert counts["conversations"] == 1
    assert counts["inbox"] == counts["outbox"] == counts["dead_letters"] == 1
    assert store.call(lambda tx: tx.load_state("web", "agreed")) == "{}"
    assert store.call(lambda tx: tx.load_state("web", "declined")) is None


def test_erase_deletes_everything_about_one_person_only(store):
    def fill(tx, chat):
        tx.save_state("web", chat, chat, Saved("{}", AT, LATER))
        tx.remember_person("web", chat, "ref", None, AT)
        tx.claim_inbound("web", chat, "m1", AT, AT)
        tx.queue_replies("web", chat, None, [{"text": "x", "buttons": [], "image": None}], AT)
        tx.dead_letter("web", chat, "error", "payload", AT)

    store.call(lambda tx: fill(tx, "a"))
    store.call(lambda tx: fill(tx, "b"))
    store.call(lambda tx: tx.erase("web", "a", "a"))
    for table in ("conversations", "people", "inbox", "outbox", "dead_letters"):
        assert store.call(lambda tx, t=table: tx.count(t)) == 1, table


def test_villages_are_added_and_updated_never_dropped(store):
    first = [Village("a-khac", "Khác", "A", "xã", "tỉnh"), Village("a-1", "Thôn 1", "A", "xã", "tỉnh")]
    store.call(lambda tx: tx.put_villages(village_rows(first)))
    renamed = [
        Village("a-1", "Thôn Một", "A", "xã", "tỉnh", ("T1",)),
        Village("a-2", "Thôn 2", "A", "xã", "tỉnh"),
    ]
    assert store.call(lambda tx: tx.put_villages(village_rows(renamed))) == (1, 1)
    rows = {row["code"]: row for row in store.call(lambda tx: tx.villages())}
    assert set(rows) == {"a-khac", "a-1", "a-2"}
    assert (rows["a-1"]["name"], rows["a-1"]["aliases"]) == ("Thôn Một", "T1")


def test_a_name_that_looks_like_sql_is_stored_as_a_name(store):
    name = "Robert'); DROP TABLE villages;--"
    store.call(lambda tx: tx.put_villages(village_rows([Village("x-khac", name, "X", "xã", "tỉnh")])))
    assert [row["name"] for row in store.call(lambda tx: tx.villages())] == [name]


def test_backup_is_a_consistent_copy_while_open(store, tmp_path):
    store.call(lambda tx: tx.save_state("web", "c1", "u1", Saved('{"step": "menu"}', AT, LATER)))
    target = tmp_path / "copy.sqlite3"
    backup(store.path, target)
    with Store(target) as copy:
        assert copy.call(lambda tx: tx.load_state("web", "c1")) == '{"step": "menu"}'
    with pytest.raises(FileExistsError):
        backup(store.path, target)


def test_a_closed_store_refuses_jobs(tmp_path):
    store = Store(tmp_path / "c.sqlite3")
    with pytest.raises(RuntimeError, match="not open"):
        store.submit(lambda tx: None)


async def test_a_job_raising_anything_fails_alone(store):
    def exits(tx):
        raise SystemExit("a bug")

    results = await asyncio.gather(
        store.run(lambda tx: tx.claim_inbound("web", "c", "a", AT, AT)),
        store.run(exits),
        return_exceptions=True,
    )
    assert isinstance(results[0], int)
    assert isinstance(results[1], RuntimeError)
    assert "a bug" in str(results[1])
    assert await store.run(lambda tx: tx.count("inbox")) == 1, "the writer lives on"


async def test_callers_are_told_when_the_writer_stops_instead_of_waiting_forever(store):
    def breaks_the_database(tx):
        tx.db.conn.close()

    with pytest.raises(sqlite3.ProgrammingError):
        await store.run(breaks_the_database)
    with pytest.raises(RuntimeError, match="stopped"):
        await asyncio.wait_for(store.run(lambda tx: tx.count("inbox")), 5)


#: A read that keeps SQLite busy for about a second (a report over a large log, in miniature).
_LONG_READ = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) SELECT count(*) FROM n"
)


async def test_reads_see_what_was_committed_and_cannot_write(store):
    await store.run(lambda tx: tx.db.execute("CREATE TABLE t (x)"))
    await store.run(lambda tx: tx.db.execute("INSERT INTO t VALUES (1)"))
    assert await store.read(lambda tx: tx.db.execute("SELECT count(*) FROM t").fetchone()[0]) == 1
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await store.read(lambda tx: tx.db.execute("INSERT INTO t VALUES (2)"))
    assert await store.run(lambda tx: tx.db.execute("SELECT count(*) FROM t").fetchone()[0]) == 1


async def test_a_chat_message_is_not_held_behind_a_running_read(tmp_path):
    """A long read on a reader thread leaves the writer free: a message is committed and
    answered while the read still runs."""
    content = frozen_content()
    with Store(tmp_path / "s.sqlite3", content.places.villages) as opened:
        service = ConversationService(opened, content)
        finished: list[str] = []

        async def report() -> None:
            await opened.read(lambda tx: tx.db.execute(_LONG_READ).fetchone())
            finished.append("report")

        async def message() -> None:
            await asyncio.sleep(0.1)  # the report is running by then
            await service.handle(Inbound("web", "u1", "c1", "xin chào", push=False), inline=True)
            finished.append("message")

        await asyncio.gather(report(), message())
    assert finished == ["message", "report"]


async def test_a_full_writer_queue_refuses_at_once_and_a_dead_writer_is_reported_once(tmp_path):
    stopped: list[BaseException] = []
    with Store(tmp_path / "q.sqlite3", max_queue=3, on_stop=stopped.append) as store:
        gate = threading.Event()
        first = store.submit(lambda tx: gate.wait(5))  # holds the writer
        while not first.running():
            await asyncio.sleep(0.001)
        queued = [store.submit(lambda tx: tx.count("inbox")) for _ in range(3)]
        with pytest.raises(StoreUnavailable, match="3 jobs waiting"):
            store.submit(lambda tx: tx.count("inbox"))
        gate.set()
        assert [job.result(5) for job in queued] == [0, 0, 0], "what was queued is done"
        assert await store.run(lambda tx: tx.count("inbox")) == 0, "room again"
        assert stopped == []
        with pytest.raises(sqlite3.ProgrammingError):
            await store.run(lambda tx: tx.db.conn.close())
        for _ in range(500):  # told from the writer thread, just after its callers
            if stopped:
                break
            await asyncio.sleep(0.01)
        with pytest.raises(StoreUnavailable, match="stopped"):
            await store.run(lambda tx: tx.count("inbox"))
        assert len(stopped) == 1
        assert isinstance(stopped[0], sqlite3.ProgrammingError)
