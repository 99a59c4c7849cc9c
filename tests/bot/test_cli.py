"""The command line: every command has help; villages import all or nothing; backup, purge,
migrate and content check do what they say; bad settings and a port in use stop with plain words."""

import json
import os
import re
import socket
import subprocess
import sys

import pytest
import zxingcpp
from PIL import Image

from bot import app, cli, rendering
from bot.cli import _parser, main
from bot.requests import invite_hash
from tests.conftest import frozen_content

COMMANDS = [
    "serve", "chat", "migrate", "purge", "report", "invite", "villages", "poster", "backup", "content",
    "replay",
]  # fmt: skip
#: The start of a log line (bot/redact.py's format); every other line on stderr is for the person.
LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A database in a temporary folder, seeded from the frozen content's villages (the office's
    live list may have any village)."""
    monkeypatch.setenv("BOT_DB_PATH", str(tmp_path / "cli.sqlite3"))
    monkeypatch.setattr(app, "load_content", frozen_content)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_command_has_help(capsys):
    commands = _parser()._subparsers._group_actions[0].choices
    assert sorted(commands) == sorted(COMMANDS)
    for name in [*COMMANDS, "villages import", "villages list", "content check"]:
        with pytest.raises(SystemExit) as done:
            main([*name.split(), "--help"])
        assert done.value.code == 0
        assert len(capsys.readouterr().out) > 80, name


def test_python_m_bot_runs(env):
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0
    assert "serve" in result.stdout


def test_serve_on_a_port_in_use_says_so_in_one_line(tmp_path):
    """Another program holds BOT_PORT: one plain line that names the setting and the port, exit
    code 1, no traceback; the database was opened and is closed again (SQLite removes the -wal
    file when the last connection closes, and keeps it when a process ends with it open)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **os.environ,
            "BOT_HOST": "127.0.0.1",
            "BOT_PORT": str(port),
            "BOT_DB_PATH": str(tmp_path / "helper.sqlite3"),
        }
        result = subprocess.run(
            [sys.executable, "-m", "bot", "serve"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    said = [line for line in result.stderr.splitlines() if not LOG_LINE.match(line)]
    assert len(said) == 1, result.stderr
    assert "BOT_PORT" in said[0]
    assert str(port) in said[0]
    assert (tmp_path / "helper.sqlite3").is_file(), "the store was opened"
    assert not (tmp_path / "helper.sqlite3-wal").exists(), "the store was closed"


def test_bad_settings_stop_with_every_problem(env, monkeypatch, capsys):
    monkeypatch.setenv("BOT_PORT", "abc")
    monkeypatch.setenv("RETENTION_DAYS", "-1")
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert "BOT_PORT" in err
    assert "RETENTION_DAYS" in err


def test_migrate_twice(env, capsys):
    assert main(["migrate"]) == 0
    assert main(["migrate"]) == 0
    assert "phiên bản mới nhất" in capsys.readouterr().out


def test_villages_import_adds_and_reports(env, capsys):
    (env / "v.csv").write_text(
        "code,name,area,commune,province,aliases\nnhuco-na-hin,Nà Hin,Như Cố,xã Chợ Mới,Thái Nguyên,na hin\n",
        encoding="utf-8",
    )
    assert main(["villages", "import", str(env / "v.csv")]) == 0
    assert "Đã thêm 1, cập nhật 0" in capsys.readouterr().out
    assert main(["villages", "list"]) == 0
    listing = capsys.readouterr().out
    assert "nhuco-na-hin" in listing
    assert "ttcm-to-1" in listing, "the shipped villages stay"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(
            "code,name,area,commune,province,aliases\nx-1,Thôn,Như Cố,xã,tỉnh,\n".encode("utf-16"),
            "không phải UTF-8",
            id="bad encoding (Excel's 'Unicode text')",
        ),
        pytest.param("code,name,area\nx-1,Th,Như Cố\n".encode(), "thiếu cột", id="missing column"),
        pytest.param(
            "code,name,area,commune,province,aliases\nnhuco-a,A,Như Cố,,,\nnhuco-a,B,Như Cố,,,\n".encode(),
            "dòng 3: mã 'nhuco-a' bị trùng",
            id="duplicate codes",
        ),
        pytest.param(
            "code,name,area,commune,province,aliases\nmoi-1,A,Khu mới,xã,tỉnh,\n".encode(),
            "thiếu dòng 'Khác / không rõ'",
            id="new area without its other row",
        ),
    ],
)
def test_a_bad_villages_file_writes_nothing(env, capsys, content, message):
    main(["migrate"])
    (env / "v.csv").write_bytes(content)
    assert main(["villages", "import", str(env / "v.csv")]) == 1
    assert message in capsys.readouterr().err
    main(["villages", "list"])
    assert capsys.readouterr().out.count("\n") == 12, "still exactly the shipped villages"


def test_backup_refuses_to_overwrite(env, capsys):
    assert main(["backup", str(env / "copy.sqlite3")]) == 1, "no database yet"
    main(["migrate"])
    assert main(["backup", str(env / "copy.sqlite3")]) == 0
    assert (env / "copy.sqlite3").stat().st_size > 0
    assert main(["backup", str(env / "copy.sqlite3")]) == 1


def test_purge_reports_what_it_deleted(env, capsys):
    assert main(["purge"]) == 0
    assert "conversations" in capsys.readouterr().out


def test_content_check_passes_on_the_shipped_content(capsys):
    assert main(["content", "check"]) == 0
    out = capsys.readouterr().out
    assert "Nội dung dùng được." in out
    assert "câu hỏi" in out


def test_report_prints_a_named_week_as_json_and_refuses_a_bad_name(env, capsys):
    assert main(["report", "--week", "2025-W39", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["week"], data["total"]["people"]) == ("2025-W39", 0)
    assert len(data["villages"]) == len(frozen_content().places.villages), "every village, zeros included"
    assert main(["report", "--week", "tuần 39"]) == 2
    assert "Không lập được báo cáo: tuần viết dạng 2025-W39" in capsys.readouterr().err
    assert main(["report", "--week", "2025-W54"]) == 2
    assert "không có tuần" in capsys.readouterr().err
    assert main(["report", "--commune", "xã Không Có"]) == 2
    assert "không có xã 'xã Không Có'" in capsys.readouterr().err
    assert main(["report", "--format", "json"]) == 0
    current = json.loads(capsys.readouterr().out)
    assert main(["report", "--week", "tuantruoc", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["week"] == current["last_week"] != current["week"]
    assert main(["report"]) == 0
    assert capsys.readouterr().out.startswith("Báo cáo tuần ")
    assert main(["report", "--week", "2025-W39", "--format", "csv", "--out", str(env / "w39.csv")]) == 0
    assert (env / "w39.csv").read_bytes().startswith("\ufeffKhu vực".encode())
    assert "w39.csv" in capsys.readouterr().out


def test_an_invite_code_is_printed_once_and_kept_only_as_a_hash(env, capsys):
    assert main(["invite", "officer", "--days", "2"]) == 0
    printed = capsys.readouterr().out
    (code,) = re.findall(r"/start moi_([A-Za-z0-9_-]+)", printed)
    assert "t.me/" not in printed, "no deep link without a Telegram bot"
    database = (env / "cli.sqlite3").read_bytes()
    assert code.encode() not in database
    assert invite_hash(code).encode() in database
    with pytest.raises(SystemExit) as refused:
        main(["invite", "officer", "--days", "0"])
    assert refused.value.code == 2
    assert "số ngày từ 1 đến 365" in capsys.readouterr().err


def test_a_poster_has_the_village_s_link_and_the_telegram_link_when_the_bot_answers(env, monkeypatch, capsys):
    monkeypatch.setenv("PUBLIC_URL", "https://xa.example.vn")
    assert main(["poster", "--village", "nhuco-na-roong", "--out", str(env / "na-roong.png")]) == 0
    assert "Đã ghi áp phích Nà Roòng vào" in capsys.readouterr().out
    image = Image.open(env / "na-roong.png")
    assert image.size == (2480, 3508)
    links = {code.text for code in zxingcpp.read_barcodes(image)}
    assert "https://xa.example.vn/?village=nhuco-na-roong" in links
    assert not any("t.me/" in link for link in links), "no Telegram bot configured"

    async def username(_):
        return "xa_bhyt_bot"

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456789:" + "A" * 30)
    monkeypatch.setattr(cli, "telegram_username", username)
    assert main(["poster", "--village", "nhuco-na-roong", "--out", str(env / "na-roong.png")]) == 0
    links = {code.text for code in zxingcpp.read_barcodes(Image.open(env / "na-roong.png"))}
    assert "https://t.me/xa_bhyt_bot?start=v_nhuco-na-roong" in links


def test_posters_for_all_villages_skip_the_other_rows_and_warn_without_public_url(env, monkeypatch, capsys):
    """Drawing is stubbed: the test is about which files are written with which link."""
    monkeypatch.setattr(rendering, "poster_png", lambda _content, _code, web_url, telegram: web_url.encode())
    assert main(["poster", "--all", "--out", str(env / "posters")]) == 0
    assert "PUBLIC_URL" in capsys.readouterr().err, "a poster pointing at this machine is not for print"
    villages = frozen_content().places.villages
    expected = sorted(f"{v.code}.png" for v in villages if not v.code.endswith("-khac"))
    assert sorted(path.name for path in (env / "posters").iterdir()) == expected
    assert len(expected) < len(villages)
    assert (env / "posters" / "ttcm-to-3.png").read_bytes() == b"http://127.0.0.1:8080/?village=ttcm-to-3"


def test_a_poster_for_an_unknown_village_says_how_to_see_the_codes(env, capsys):
    assert main(["poster", "--village", "khong-co", "--out", str(env / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "'khong-co'" in err
    assert "python -m bot villages list" in err
    assert not (env / "x.png").exists()
    with pytest.raises(SystemExit) as refused:
        main(["poster", "--out", str(env / "x.png")])
    assert refused.value.code == 2, "--village or --all"


def test_a_volunteer_invite_names_its_village_and_needs_one(env, capsys):
    assert main(["invite", "volunteer", "--village", "ttcm-to-2"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("Mã mời tình nguyện viên thôn Tổ dân phố 2")
    assert re.search(r"/start moi_[A-Za-z0-9_-]{16}", printed)
    assert main(["invite", "volunteer"]) == 2
    assert "cần --village" in capsys.readouterr().err
    assert main(["invite", "volunteer", "--village", "khong-co"]) == 2
    assert "Không có thôn: khong-co" in capsys.readouterr().err
    assert main(["invite", "officer", "--village", "ttcm-to-2"]) == 2
