"""`python -m bot serve` as a real process: zero configuration but a free port and a temporary
database; it answers, and on SIGTERM or SIGINT it finishes and exits within 5 seconds."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time

import aiohttp
import pytest

from bot.app import village_from_row
from bot.store import village_rows
from flows.places import Village


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


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_serve_answers_then_stops_within_five_seconds(tmp_path, stop):
    port = _free_port()
    env = {**os.environ, "BOT_PORT": str(port), "BOT_DB_PATH": str(tmp_path / "s.sqlite3")}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        await _wait_until_healthy(base, process)
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
