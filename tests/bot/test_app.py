"""`python -m bot serve` as a real process: zero configuration but a free port and a temporary
database; it answers, and on SIGTERM or SIGINT it finishes and exits within 5 seconds."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app, village_from_row
from bot.settings import load_settings
from bot.store import Store, StoreUnavailable, village_rows
from flows.places import Village
from tests.conftest import frozen_content


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _wait_until_healthy(base: str, process: subprocess.Popen[str]) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                async with session.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
    raise AssertionError("the server never became healthy")


async def _serving(tmp_path, argv: list[str]) -> tuple[subprocess.Popen[str], int, str]:
    """A real server process on a free port with its own database, once it answers /healthz."""
    port = _free_port()
    env = {**os.environ, "BOT_PORT": str(port), "BOT_DB_PATH": str(tmp_path / "s.sqlite3")}
    process = subprocess.Popen(
        [sys.executable, *argv], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_until_healthy(base, process)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return process, port, base


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_serve_answers_then_stops_within_five_seconds(tmp_path, stop):
    process, port, base = await _serving(tmp_path, ["-m", "bot", "serve"])
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{base}/api/chat", json={"resume": True}) as answer,
        ):
            assert "Đồng ý" in await answer.text()
        started = time.monotonic()
        process.send_signal(stop)
        output, _ = process.communicate(timeout=10)
        assert time.monotonic() - started < 5
        assert process.returncode == 0, output
        assert f"http://127.0.0.1:{port}" in output
        assert "xã chưa điền" in output, "the office details still to fill in are named at start"
        assert "video_url" in output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_village_survives_the_trip_through_the_database():
    village = Village("a-1", "Thôn 1", "A", "xã", "tỉnh", ("T1", "thon mot"), 120, 100)
    assert village_from_row(village_rows([village])[0]) == village


#: `python -m bot serve`, with a database that breaks under the writer at the first chat message
#: (its connection closed mid-transaction, so not even a rollback works: a dying disk, simulated).
_BREAKS_AT_FIRST_MESSAGE = """
import sys
from bot import cli
from bot.store.tx import Tx

def breaks(self, *args):
    self.db.conn.close()

Tx.load_state = breaks
sys.exit(cli.main(["serve"]))
"""


async def test_serve_exits_non_zero_at_once_when_the_database_writer_dies(tmp_path):
    process, _, base = await _serving(tmp_path, ["-c", _BREAKS_AT_FIRST_MESSAGE])
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{base}/api/chat", json={"text": "xin chào"}) as answer,
        ):
            assert answer.status == 503, "a retryable answer, not a 500"
            assert answer.headers["Retry-After"] == "5"
            assert "thử lại" in (await answer.json())["error"]
        started = time.monotonic()
        output, _ = process.communicate(timeout=10)
        assert time.monotonic() - started < 5, "stopped at once, for the supervisor to restart it"
        assert process.returncode == 1, output
        assert "the database writer stopped" in output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _fill(store: Store) -> int:
    """Jobs queued until the writer's queue refused one."""
    for queued in range(100):
        try:
            store.submit(lambda tx: None)
        except StoreUnavailable:
            return queued
    raise AssertionError("the queue took 100 jobs")


async def test_a_full_writer_queue_is_a_503_with_retry_after_and_nothing_stored(tmp_path):
    """A writer that cannot keep up, as under a burst: the queue is full, the platform is told to
    come back, and nothing of the refused message is kept."""
    settings = load_settings({"BOT_DB_PATH": str(tmp_path / "full.sqlite3")}, env_file=None)
    content = frozen_content()
    store = Store(settings.bot_db_path, list(content.places.villages), max_queue=4).open()
    try:
        async with TestClient(TestServer(build_app(settings, content, store), host="127.0.0.1")) as client:
            gate = threading.Event()
            holding = store.submit(lambda tx: gate.wait(5))
            while not holding.running():
                await asyncio.sleep(0.001)
            assert _fill(store) <= 4, "the queue holds no more than its bound"
            answer = await client.post("/api/chat", json={"text": "xin chào"})
            gate.set()
            assert answer.status == 503
            assert answer.headers["Retry-After"] == "5"
            assert "thử lại" in (await answer.json())["error"]
        assert await store.read(lambda tx: tx.count("inbox")) == 0, "nothing of the refused message was kept"
    finally:
        store.close()
