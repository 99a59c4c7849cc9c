"""The rules the live content (content/, data/villages.csv, as the office edits them) is held
to: the whole conversation can be walked without an error, every turn fits one phone screen and
asks one question, every key the flow asks for exists and none is unused, labels are short bare
text, yes comes before no, and the person is addressed one way. These tests read no wording, so
an office edit that keeps the rules keeps `make test` green; the last test proves it on a copy.
"""

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.content_check import (
    SCREEN_LIMIT,
    SeenTurn,
    before_first_option,
    explore,
    reply_problems,
    turn_problems,
)
from bot.rendering import BOT_COMMANDS
from flows import Button, FlowState, Inbound, Reply, Step, load_content
from flows.card_dialog import explain
from flows.card_number import check_card_number
from flows.turn import Turn
from tests.conftest import NOW

ROOT = Path(__file__).resolve().parents[2]
CARD_EXAMPLES = [
    (row["input"], row["issuer"] or None)
    for row in csv.DictReader((ROOT / "tests" / "data" / "card_examples.csv").read_text("utf-8").splitlines())
]


@pytest.fixture(scope="module")
def live():
    return load_content()


@pytest.fixture(scope="module")
def explored(live):
    """The walk of the live content with a copy that records each key it is asked for, plus
    every card example explained on its own."""
    tracked = live.tracking()
    walked = explore(tracked, [text for text, _ in CARD_EXAMPLES])
    for text, issuer in CARD_EXAMPLES:
        turn = Turn(FlowState(consent=True), tracked, NOW, Inbound("check", "u", "c", text=text))
        explain(turn, check_card_number(text, issuer))
        walked.turns.append(SeenTurn(Step.CARD_ASK, text, tuple(turn.replies)))
    with_video = tracked.configure(video_url="https://example.gov.vn/video")
    walked.turns += explore(with_video, ()).turns[:1]
    tracked.unfilled()  # read at start-up by `serve` and the terminal chat
    return tracked, walked


def test_the_walk_reaches_every_step_without_failing(explored):
    _, walked = explored
    assert walked.failures == []
    assert walked.steps == set(Step) - {Step.NEW}
    assert walked.questions > 200


def test_every_turn_and_reply_keeps_the_rules(explored):
    tracked, walked = explored
    assert len(walked.turns) > 5000, "the walk saw the whole conversation"
    assert reply_problems(walked.replies) == []
    assert turn_problems(walked.turns, tracked) == []


def test_the_longest_turn_fits_the_screen_and_is_reported(explored):
    _, walked = explored
    longest = max(len(before_first_option(turn.replies)) for turn in walked.turns if not turn.staff)
    print(f"\nlongest turn before its first option: {longest} characters (limit {SCREEN_LIMIT})")
    assert longest <= SCREEN_LIMIT


def _placeholders(template: object) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", str(template)))


def _named_in_code(keys: set[str]) -> set[str]:
    """Content keys the code names itself: the channels' own texts (error pages, the apology after
    a failure), texts the flow says only with data the shipped content lacks (two villages of one
    name), and the web page's words (`{{web.page.x}}` in index.html, `SAY.x` in chat.js)."""
    sources = [path for pattern in ("bot/**/*.py", "flows/*.py") for path in ROOT.glob(pattern)]
    literals = set(re.findall(r'"([a-z][a-z0-9_.]+)"', "".join(path.read_text("utf-8") for path in sources)))
    static = ROOT / "bot" / "static"
    literals |= set(re.findall(r"\{\{(web\.page\.[a-z_]+)\}\}", (static / "index.html").read_text("utf-8")))
    literals |= {
        f"web.page.{name}" for name in re.findall(r"\bSAY\.(\w+)", (static / "chat.js").read_text("utf-8"))
    }
    menu = {key for key in keys if key.startswith(BOT_COMMANDS)}  # command_problems checks their names
    return keys & literals | menu


def test_no_content_key_is_unused(explored):
    """Office fields count as used when a used text (or a used office field) names them."""
    tracked, _ = explored
    used = set(tracked.used) | {"office.to_fill"} | _named_in_code(set(tracked.texts))
    grown = True
    while grown:
        names = set().union(*(_placeholders(tracked.texts[k]) for k in used))
        more = {f"office.{name}" for name in names if f"office.{name}" in tracked.texts} - used
        used |= more
        grown = bool(more)
    unused = set(tracked.texts) - used
    assert not unused, f"content keys nothing uses: {sorted(unused)}"


def test_every_text_in_the_content_fits_zalo(live):
    for key, value in live.texts.items():
        for text in value if isinstance(value, list) else [value]:
            assert len(str(text)) <= 2000, key


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        (Reply("x" * 1990, ()), None),
        (Reply("x" * 1995, (Button("q:a", "Một"),)), "dài quá 2000"),
        (Reply("Xin chào {commune}"), "chưa điền"),
        (Reply("Chọn", (Button("q:a", "x" * 41),)), "nhãn nút dài quá 40"),
        (Reply("Chọn", (Button("q:a", "1. Một"),)), "bắt đầu bằng chữ"),
        (Reply("Chọn", (Button("q:a", "Một 🙂"),)), "không có số thứ tự hay biểu tượng"),
        (Reply("Chọn", (Button("q:no", "Không"), Button("q:yes", "Có"))), "phải đứng trước"),
        (Reply("Chọn", (Button("q:yes", "Được"), Button("q:no", "Không"))), "bắt đầu bằng 'Có'"),
        (Reply("Chọn", (Button("q:yes", "Có"), Button("q:no", "Thôi"))), "'Chưa' hoặc 'Không'"),
        (Reply("Chọn", (Button("faq:" + "ư" * 31, "Một"),)), "mã nút dài quá 64 byte"),
        (Reply("Chọn", (Button("faq:" + "u" * 60, "Một"),)), None),
        (Reply("Chọn", (Button("g:open", "Mở", link="start:v_thôn"),)), "chỉ được có chữ không dấu"),
        (Reply("Chọn", (Button("g:open", "Mở", link="start:v_ttcm-to-3"),)), None),
    ],
)
def test_the_reply_rules_catch_what_they_are_for(reply, problem):
    found = " ".join(reply_problems([reply]))
    if problem is None:
        assert found == ""
    else:
        assert problem in found


@pytest.mark.parametrize(
    ("replies", "problem"),
    [
        pytest.param((Reply("x" * 350), Reply("Hỏi?", (Button("q:a", "Một"),))), None, id="fits"),
        pytest.param(
            (Reply("x" * 395), Reply("Hỏi gì đây?", (Button("q:a", "Một"),))), "dài 407", id="too long"
        ),
        pytest.param(
            (Reply("Hỏi?", (Button("q:a", "Một"),)), Reply("Hỏi nữa?", (Button("r:a", "Hai"),))),
            "hơn một câu",
            id="two questions",
        ),
        pytest.param(
            (Reply("Chào bạn, ông/bà chọn giúp."),), "gọi người dân là bạn", id="two forms of address"
        ),
        pytest.param((Reply("Bản Quất, Như Cố"),), None, id="a place is not a form of address"),
    ],
)
def test_the_turn_rules_catch_what_they_are_for(live, replies, problem):
    found = " ".join(turn_problems([SeenTurn(Step.MENU, "x", replies)], live))
    if problem is None:
        assert found == ""
    else:
        assert problem in found
        assert "ở bước menu, tin nhắn 'x'" in found, "the offending turn is named"


#: Set in the copy's test run, where this test does not run itself again.
NESTED = "VNEID_OFFICE_EDIT_COPY"


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to copy the tracked files")
@pytest.mark.skipif(NESTED in os.environ, reason="this is the copy's run, started by this very test")
def test_the_office_editing_content_and_villages_keeps_make_test_green(tmp_path):
    """What the README tells the office to do, done to a copy of the project: two villages added
    to data/villages.csv, the menu question, the welcome and a FAQ answer reworded, a word added
    to the yes words. Then the test suite runs in the copy (all but the browser tests) and
    passes."""
    copy = tmp_path / "project"
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    for name in files:
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, target)
    villages = copy / "data" / "villages.csv"
    villages.write_text(
        villages.read_text("utf-8")
        + "nhuco-na-hin,Nà Hin,Như Cố,xã Chợ Mới,Thái Nguyên,Nà Hìn|Na Hin,,,\n"
        + "quang-chu-thon-1,Thôn 1,Quảng Chu,xã Chợ Mới,Thái Nguyên,T1 Quảng Chu,,,\n",
        encoding="utf-8",
    )
    messages = copy / "content" / "messages.toml"
    text = messages.read_text("utf-8")
    text = re.sub(
        r'\[menu\]\nquestion = "[^"]*"',
        '[menu]\nquestion = "{You} muốn làm việc gì? Xin chọn một mục."',
        text,
    )
    text = text.replace("Xin chào! Đây là", "Kính chào {you}! Đây là")
    messages.write_text(text, encoding="utf-8")
    faq = copy / "content" / "faq.toml"
    faq.write_text(
        faq.read_text("utf-8").replace("Trợ lý và cán bộ xã hướng dẫn miễn phí.", "Hoàn toàn miễn phí."),
        "utf-8",
    )
    words = copy / "content" / "words.toml"
    words.write_text(words.read_text("utf-8").replace("yes = [\n", 'yes = [\n    "chuẩn rồi",\n'), "utf-8")
    assert "Kính chào" in messages.read_text("utf-8"), "the edit was made"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-p", "no:cacheprovider",
         "--ignore=tests/bot/test_web_browser.py"],
        cwd=copy, capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "PYTHONPATH": str(copy), NESTED: "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
    assert " failed" not in result.stdout
