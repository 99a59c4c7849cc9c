"""The helper's SQLite database: one file, WAL, `synchronous=FULL`, one writer thread.

Why one writer: SQLite allows one writer at a time, and sqlite-utils is synchronous. A single thread
owns the connection (datasette's pattern); async code submits jobs and awaits them, so the event
loop never blocks on the disk. Jobs that arrive together share one transaction (group commit), each
inside its own savepoint: one failing job rolls back alone, and every job's changes are committed
before its caller gets the result, so nothing is answered that is not durable.

This package is the only place that imports `sqlite_utils`.
"""

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from bot.store.schema import MIGRATIONS
from bot.store.tx import OutboxRow, Tx
from flows.places import Village

__all__ = ["OutboxRow", "Store", "Tx", "backup", "village_rows"]

T = TypeVar("T")
#: Jobs committed together at most; keeps one slow batch from delaying the next callers long.
MAX_BATCH = 64
_STOP = object()


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

    def __init__(self, path: Path, initial_villages: list[Village] | None = None) -> None:
        self.path = path
        self._initial_villages = initial_villages or []
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._ready: Future[None] = Future()

    def open(self) -> "Store":
        """Starts the writer: connects, applies migrations, loads the villages into an empty table."""
        self._ready = Future()
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._thread.start()
        self._ready.result()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self._jobs.put(_STOP)
            self._thread.join()
            self._thread = None

    def __enter__(self) -> "Store":
        return self.open()

    def __exit__(self, *_: object) -> None:
        self.close()

    def submit(self, job: Callable[[Tx], T]) -> "Future[T]":
        """Runs `job` on the writer thread inside a transaction; the future resolves after COMMIT."""
        if self._thread is None:
            raise RuntimeError("the store is not open")
        future: Future[T] = Future()
        self._jobs.put((job, future))
        return future

    async def run(self, job: Callable[[Tx], T]) -> T:
        return await asyncio.wrap_future(self.submit(job))

    def call(self, job: Callable[[Tx], T]) -> T:
        """Blocking form of `run`, for command-line tools."""
        return self.submit(job).result()

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
        finally:
            db.close()

    def _serve(self, db: Database, tx: Tx) -> bool:
        """One group commit; False once asked to stop."""
        batch = [self._jobs.get()]
        while len(batch) < MAX_BATCH:
            try:
                batch.append(self._jobs.get_nowait())
            except queue.Empty:
                break
        stop = any(item is _STOP for item in batch)
        jobs = [item for item in batch if item is not _STOP and item[1].set_running_or_notify_cancel()]
        if not jobs:
            return not stop
        outcomes: list[tuple[Future[Any], Any, BaseException | None]] = []
        db.execute("BEGIN IMMEDIATE")
        for job, future in jobs:
            try:
                with db.atomic():
                    outcomes.append((future, job(tx), None))
            except Exception as error:
                outcomes.append((future, None, error))
        try:
            db.execute("COMMIT")
        except sqlite3.Error as error:
            db.rollback()
            outcomes = [(future, None, error) for future, _, _ in outcomes]
        for future, result, error in outcomes:
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)
        return not stop


def backup(path: Path, target: Path) -> None:
    """A consistent copy of the live database (`VACUUM INTO`), safe while the helper runs."""
    if target.exists():
        raise FileExistsError(f"{target} already exists")
    conn = sqlite3.connect(str(path))
    try:
        conn.execute("VACUUM INTO ?", [str(target)])
    finally:
        conn.close()
