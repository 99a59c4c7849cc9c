"""The terminal chat: buttons as a numbered list, QR codes drawn as text, the read-print loop; and
`python -m bot chat` itself in a pseudo-terminal (line editing, Ctrl+C) and behind a pipe."""

import contextlib
import fcntl
import io
import json
import os
import select
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from bot.channels.console import PROMPT, ConsoleChannel, chat, qr_text, render
from bot.conversation import ConversationService
from bot.sender import Sender
from flows import Reply
from flows.model import Button


def test_buttons_render_as_a_numbered_list(content):
    reply = Reply("Chọn đi", (Button("q:a", "Một"), Button("q:b", "Hai")))
    assert render(reply, content) == "Chọn đi\n  1. Một\n  2. Hai"


def test_video_qr_is_drawn_as_text_encoding_the_link(content):
    drawn = render(Reply("Video", image="qr:video"), content)
    assert drawn.startswith("Video\n")
    assert drawn.count("\n") > 10, "the QR code spans many lines"
    assert qr_text(content.video_url) in drawn
    assert qr_text(content.video_url) != qr_text("https://example.org")
    plain = render(Reply("Video", image="qr:video"), content, show_qr=False)
    assert plain == f"Video\n[Mã QR: {content.video_url}]"


def test_other_images_are_named(content):
    assert render(Reply("Bước 1", image="content:buoc1.png"), content) == "Bước 1\n[Ảnh: buoc1.png]"


def test_chat_goes_through_the_service_and_is_stored(opened):
    store, content = opened
    out = io.StringIO()
    service = ConversationService(store, content)
    channel = ConsoleChannel(content, out)
    chat(
        service, Sender(store, channel.name, channel.deliver), "tester", lines=["xin chào", "2", "3"], out=out
    )
    printed = out.getvalue()
    assert "Ctrl+D" in printed
    assert "\n  1. Đồng ý" in printed
    assert content.video_url in printed
    assert printed.count(content.text("menu.question")) == 2
    kinds = store.call(lambda tx: [r["kind"] for r in tx.db.query("SELECT kind FROM events ORDER BY id")])
    assert kinds == ["session_started", "consent_declined", "video_shown"]
    pending = store.call(lambda tx: tx.due_replies("console", "9999"))
    assert pending == [], "every reply printed is marked sent"


def test_chat_prints_replies_left_from_a_crash_first(opened):
    store, content = opened
    store.call(
        lambda tx: tx.queue_replies(
            "console", "tester", None, [{"text": "Còn sót", "buttons": [], "image": None}], "2026"
        )
    )
    out = io.StringIO()
    channel = ConsoleChannel(content, out)
    chat(ConversationService(store, content), Sender(store, channel.name, channel.deliver), "tester", [], out)
    assert "Còn sót" in out.getvalue()


#: Seconds a `python -m bot chat` process gets to start, answer or stop: about 1 s is usual, this is
#: for a slow, busy 2-core CI machine. Waiting stops as soon as the awaited output arrives.
PATIENCE = 30.0
LEFT_ARROW = b"\x1b[D"


class Output:
    """Everything a child process writes to one file descriptor (a pipe or a pseudo-terminal's
    master side), read as it arrives."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.data = b""

    def read_until(self, marker: bytes, start: int = 0, timeout: float = PATIENCE) -> int:
        """Where `marker` first appears at or after `start`, waiting for it at most `timeout` s."""
        deadline = time.monotonic() + timeout
        while (found := self.data.find(marker, start)) < 0:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {marker!r} within {timeout} s; output ends {self.data[-600:]!r}")
            if select.select([self.fd], [], [], min(left, 0.5))[0] and not self._read():
                raise AssertionError(f"output closed before {marker!r}; it ends {self.data[-600:]!r}")
        return found

    def read_rest(self) -> bytes:
        """What is still buffered (the process has exited)."""
        while select.select([self.fd], [], [], 0)[0] and self._read():
            pass
        return self.data

    def _read(self) -> bool:
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # a pseudo-terminal whose other side closed
            return False
        self.data += chunk
        return bool(chunk)


def _chat_process(tmp_path: Path, stdin: int, stdout: int, stderr: int) -> subprocess.Popen[bytes]:
    """`python -m bot chat` with its own database, in a session of its own."""
    env = {**os.environ, "BOT_DB_PATH": str(tmp_path / "chat.sqlite3"), "TERM": "xterm"}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "chat"],
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        cwd=tmp_path,
        env=env,
        start_new_session=True,
    )


def _in_terminal(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    """The chat in a pseudo-terminal of 24 x 80 characters, as in a terminal window: stdin, stdout
    and stderr all on it. Returns the process and the terminal's master side."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = _chat_process(tmp_path, slave, slave, slave)
    os.close(slave)
    return process, master


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kills the process if a failed assertion left it running; closes the test's pipe ends."""
    if process.poll() is None:
        process.kill()
        process.wait(PATIENCE)
    for stream in (process.stdin, process.stderr):
        if stream is not None:
            stream.close()


@pytest.mark.parametrize("stdin", ["pipe", "terminal"])
def test_ctrl_c_at_the_prompt_exits_at_once_without_a_traceback(tmp_path, stdin):
    """Ctrl+C while the chat waits for a line ends it at once, as the signal ends any command-line
    tool (the shell reports 130), and with no traceback.
    Before, `input` ran in an executor thread that kept the process alive until a line came (here:
    never), so the wait below timed out."""
    if stdin == "terminal":
        process, master = _in_terminal(tmp_path)
    else:
        master, write_end = os.pipe()
        process = _chat_process(tmp_path, subprocess.PIPE, write_end, subprocess.PIPE)
        os.close(write_end)
    output = Output(master)
    try:
        output.read_until(PROMPT.encode())
        process.send_signal(signal.SIGINT)
        code = process.wait(PATIENCE)
        printed = output.read_rest() + (process.stderr.read() if process.stderr else b"")
    finally:
        _stop(process)
        os.close(master)
    assert code == -signal.SIGINT, printed.decode(errors="replace")
    assert b"Traceback" not in printed, printed.decode(errors="replace")


def test_arrow_keys_edit_the_line_in_a_terminal(tmp_path):
    """With readline, typing 012345679, the left arrow, then 8 sends "0123456789", a valid card
    number; without line editing the helper gets "012345679\x1b[D8" and the check fails. The
    stored event tells which line arrived. Ctrl+D at the next prompt ends the chat with 0."""
    pytest.importorskip("readline", reason="this Python has no readline module (line editing)")
    process, master = _in_terminal(tmp_path)
    output = Output(master)
    try:
        typed_at = output.read_until(PROMPT.encode())
        os.write(master, b"012345679" + LEFT_ARROW + b"8\r")
        # The answer ends with a numbered list of buttons; the next prompt comes after it. Ctrl+D
        # must wait for that prompt: typed earlier, the terminal would not pass it on as the end.
        buttons_at = output.read_until(b"\n  1. ", typed_at)
        output.read_until(PROMPT.encode(), buttons_at)
        os.write(master, b"\x04")  # Ctrl+D
        code = process.wait(PATIENCE)
        printed = output.read_rest()
    finally:
        _stop(process)
        os.close(master)
    assert code == 0, printed.decode(errors="replace")
    assert b"Traceback" not in printed, printed.decode(errors="replace")
    with contextlib.closing(sqlite3.connect(tmp_path / "chat.sqlite3")) as db:
        rows = db.execute("SELECT kind, data FROM events WHERE channel = 'console' ORDER BY id").fetchall()
    checks = [json.loads(data) for kind, data in rows if kind == "card_checked"]
    assert len(checks) == 1, rows
    assert checks[0]["valid"] is True, f"the helper did not get 0123456789: {checks[0]}"


def test_the_terminal_user_is_an_officer_and_gets_the_report(tmp_path):
    """Whoever types at the machine has its database anyway: `/baocao` works there."""
    env = {**os.environ, "BOT_DB_PATH": str(tmp_path / "chat.sqlite3")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="xin chào\n/baocao\n".encode(),
        capture_output=True,
        cwd=tmp_path,
        env=env,
        timeout=PATIENCE,
        check=True,
    )
    printed = done.stdout.decode()
    assert "Báo cáo tuần " in printed
    assert "Người được hỗ trợ: 1 " in printed, "the terminal's own session"
    assert "chỉ dành cho cán bộ" not in printed
