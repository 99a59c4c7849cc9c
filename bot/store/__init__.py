"""The helper's SQLite database: one file, WAL, `synchronous=FULL`, one writer thread, and
read-only connections for reads.

Why one writer: SQLite allows one writer at a time, and sqlite-utils is synchronous. A single thread
owns the connection (datasette's pattern); async code submits jobs and awaits them, so the event
loop never blocks on the disk. Jobs that arrive together share one transaction (group commit), and
every job's changes are committed before its caller gets the result, so nothing is answered that is
not durable. If a job fails, its batch is rolled back and re-run job by job, so it fails alone.

Why separate readers (datasette's other half): a long read on the writer thread (a report over
hundreds of thousands of events) would hold every chat message queued behind it. WAL lets readers
run beside the writer on their own connections; `read` runs a job on one of a few reader threads,
each with a connection opened read-only, so a read can neither wait for a write nor write itself.

The writer's queue is bounded (`MAX_QUEUE`): a burst beyond what the disk can commit is refused
at once with `StoreUnavailable` (the web layer answers 503, and the platforms send again later)
rather than held in memory without end. The same error comes from a writer that has stopped for
good (the database broke under it); whoever runs the store is told once (`on_stop`), so the
process can exit and be restarted instead of answering errors forever.

This package is the only place that imports `sqlite_utils`.
"""

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from bot.store.schema import MIGRATIONS
from bot.store.tx import OutboxRow, Saved, Tx
from flows.places import Village

__all__ = ["OutboxRow", "Saved", "Store", "StoreUnavailable", "Tx", "backup", "timestamp", "village_rows"]

T = TypeVar("T")
log = logging.getLogger(__name__)
#: Jobs committed together at most; keeps one slow batch from delaying the next callers long.
MAX_BATCH = 64
#: Jobs waiting for the writer at most (a few seconds of the writer's work at its measured rate).
MAX_QUEUE = 2000
#: Reader threads (each with its own read-only connection): reads in parallel with the writer,
#: and with each other while one is long.
READERS = 2
_STOP = object()
#: A finished job: where its caller waits, its result, or its error.
_Outcome = tuple[Any, Any, BaseException | None]


class StoreUnavailable(RuntimeError):
    """The database cannot take the job now: the writer's queue is full, or the writer stopped.
    Nothing of the job was written; the caller may try again (a platform, after a 503)."""


def timestamp(moment: datetime) -> str:
    """The one text form of a time in the database: UTC, ISO 8601, sortable as text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def village_rows(villages: list[Village]) -> list[dict[str, Any]]:
    return [
        {
            "code": v.code,
            "name": v.name,
            "area": v.area,
            "commune": v.commune,
            "province": v.province,
            "aliases": "|".join(v.aliases),
            "population": v.population,
            "target": v.target,
        }
        for v in villages
    ]


def _connect(path: Path) -> Database:
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    db = Database(conn)
    db.execute("PRAGMA busy_timeout = 5000")
    db.enable_wal()
    for pragma in ("synchronous = FULL", "foreign_keys = ON", "secure_delete = ON"):
        db.execute(f"PRAGMA {pragma}")
    return db


class Store:
    """Open with `open()`, submit jobs (functions of a `Tx`), `close()` at the end."""

    def __init__(
        self,
        path: Path,
        initial_villages: list[Village] | None = None,
        *,
        max_queue: int = MAX_QUEUE,
        on_stop: Callable[[BaseException], None] = lambda _: None,
    ) -> None:
        self.path = path
        self._initial_villages = initial_villages or []
        self._jobs: queue.Queue[Any] = queue.Queue(max_queue)
        #: Called once, from the writer thread, when the writer stops for good on an error.
        self.on_stop = on_stop
        self._thread: threading.Thread | None = None
        self._ready: Future[None] = Future()
        self._stopped: BaseException | None = None
        self._readers: ThreadPoolExecutor | None = None
        self._reader = threading.local()
        self._reader_connections: list[sqlite3.Connection] = []

    def open(self) -> "Store":
        """Starts the writer: connects, applies migrations, loads the villages into an empty table."""
        self._ready = Future()
        self._stopped = None
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._thread.start()
        self._ready.result()
        self._readers = ThreadPoolExecutor(READERS, thread_name_prefix="store-reader")
        return self

    def close(self) -> None:
        if self._readers is not None:
            self._readers.shutdown(wait=True)
            self._readers = None
            for connection in self._reader_connections:
                connection.close()
            self._reader_connections.clear()
        if self._thread is not None:
            if self._stopped is None:
                self._jobs.put(_STOP)  # waits for room: the writer is draining
            self._thread.join()
            self._thread = None

    def __enter__(self) -> "Store":
        return self.open()

    def __exit__(self, *_: object) -> None:
        self.close()

    def submit(self, job: Callable[[Tx], T]) -> "Future[T]":
        """Runs `job` on the writer thread inside a transaction; the future resolves after COMMIT."""
        future: Future[T] = Future()
        self._put(job, future)
        return future

    async def run(self, job: Callable[[Tx], T]) -> T:
        """Awaitable `submit`: the writer wakes the event loop once per batch, not once per job."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._put(job, future)
        return await future

    async def read(self, job: Callable[[Tx], T]) -> T:
        """Runs `job` on a read-only connection in a reader thread: it sees what was committed,
        never waits behind the writer, and cannot write (SQLite refuses)."""
        if self._readers is None:
            raise RuntimeError("the store is not open")
        return await asyncio.get_running_loop().run_in_executor(self._readers, self._read, job)

    def _read(self, job: Callable[[Tx], T]) -> T:
        tx = getattr(self._reader, "tx", None)
        if tx is None:
            connection = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
            connection.execute("PRAGMA busy_timeout = 5000")
            self._reader_connections.append(connection)
            tx = self._reader.tx = Tx(Database(connection))
        return job(tx)

    def call(self, job: Callable[[Tx], T]) -> T:
        """Blocking form of `run`, for command-line tools."""
        return self.submit(job).result()

    def _put(self, job: Callable[[Tx], Any], sink: "Future[Any] | asyncio.Future[Any]") -> None:
        if self._thread is None:
            raise RuntimeError("the store is not open")
        if self._stopped is not None:
            raise StoreUnavailable("the store's writer has stopped") from self._stopped
        try:
            self._jobs.put_nowait((job, sink))
        except queue.Full:
            raise StoreUnavailable(f"the store's writer has {self._jobs.maxsize} jobs waiting") from None
        if self._stopped is not None:  # stopped while this job was queued
            self._fail_waiting(self._stopped)

    def _run(self) -> None:
        try:
            db = _connect(self.path)
            MIGRATIONS.apply(db)
            tx = Tx(db)
            if not tx.count("villages") and self._initial_villages:
                with db.atomic():
                    tx.put_villages(village_rows(self._initial_villages))
        except BaseException as error:  # reported to open(), which re-raises it
            self._ready.set_exception(error)
            return
        self._ready.set_result(None)
        try:
            while self._serve(db, tx):
                pass
        except BaseException as error:  # nobody may wait forever on a writer that is gone
            log.critical("the database writer stopped; every later request fails", exc_info=error)
            self._stopped = error
            self._fail_waiting(error)
            self.on_stop(error)
        finally:
            db.close()

    def _fail_waiting(self, error: BaseException) -> None:
        failed: list[_Outcome] = []
        while True:
            try:
                item = self._jobs.get_nowait()
            except queue.Empty:
                break
            if item is not _STOP:
                failed.append((item[1], None, StoreUnavailable(f"the store's writer has stopped: {error!r}")))
        _settle(failed)

    def _serve(self, db: Database, tx: Tx) -> bool:
        """One group commit; False once asked to stop."""
        batch = [self._jobs.get()]
        while len(batch) < MAX_BATCH:
            try:
                batch.append(self._jobs.get_nowait())
            except queue.Empty:
                break
        stop = any(item is _STOP for item in batch)
        jobs = [item for item in batch if item is not _STOP and _wanted(item[1])]
        try:
            outcomes = self._commit(db, tx, jobs) if jobs else []
        except BaseException as error:  # the database itself failed (rollback impossible)
            outcomes = [(sink, None, error) for _, sink in jobs]
            _settle(outcomes)
            raise
        _settle(outcomes)
        return not stop

    def _commit(self, db: Database, tx: Tx, jobs: list[tuple[Callable[[Tx], Any], Any]]) -> list[_Outcome]:
        """All jobs in one transaction. If one fails, the batch rolls back and every job runs again
        alone, so a failing job fails by itself and the others still commit."""
        try:
            db.execute("BEGIN IMMEDIATE")
            results = [job(tx) for job, _ in jobs]
            db.execute("COMMIT")
        except BaseException as error:  # even SystemExit from a job fails only that job
            db.rollback()
            if len(jobs) == 1:
                failure = error if isinstance(error, Exception) else RuntimeError(f"the job raised {error!r}")
                return [(jobs[0][1], None, failure)]
            return [outcome for single in jobs for outcome in self._commit(db, tx, [single])]
        return [(sink, result, None) for (_, sink), result in zip(jobs, results, strict=True)]


def _wanted(sink: "Future[Any] | asyncio.Future[Any]") -> bool:
    """False for a blocking caller that cancelled before the job started."""
    return sink.set_running_or_notify_cancel() if isinstance(sink, Future) else True


def _settle(outcomes: list[_Outcome]) -> None:
    """Resolves blocking callers at once, and each event loop's callers in one call."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
    for outcome in outcomes:
        sink = outcome[0]
        if isinstance(sink, Future):
            _resolve(outcome)
        else:
            by_loop.setdefault(sink.get_loop(), []).append(outcome)
    for loop, waiting in by_loop.items():
        if not loop.is_closed():
            loop.call_soon_threadsafe(_resolve_all, waiting)


def _resolve_all(outcomes: list[_Outcome]) -> None:
    for outcome in outcomes:
        _resolve(outcome)


def _resolve(outcome: _Outcome) -> None:
    sink, result, error = outcome
    if sink.done():
        return
    if error is None:
        sink.set_result(result)
    else:
        sink.set_exception(error)


def backup(path: Path, target: Path) -> None:
    """A consistent copy of the live database (`VACUUM INTO`), safe while the helper runs."""
    if target.exists():
        raise FileExistsError(f"{target} already exists")
    conn = sqlite3.connect(str(path))
    try:
        conn.execute("VACUUM INTO ?", [str(target)])
    finally:
        conn.close()
