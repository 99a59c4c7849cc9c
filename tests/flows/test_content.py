"""The content holds the flow to its promises: every key the flow uses exists, no key is unused,
every message with its options written out fits Zalo's 2,000 characters, every button label fits
40 and is bare text, and yes/no questions put "Có..." first and "Chưa/Không..." second.

The conversation is walked by `bot.content_check.explore` (every question, every offered button,
typed probes) with a copy of the content that records each key it is asked for, plus every card
example of tests/data and a few deployments the shipped content does not have.
"""

import ast
import csv
import re
from dataclasses import replace
from pathlib import Path

import pytest

from bot.content_check import explore, reply_problems
from flows import Button, FlowState, Inbound, Reply, Step, handle
from flows.card_dialog import explain
from flows.card_number import check_card_number
from flows.places import Places, Village
from flows.turn import Turn
from tests.conftest import NOW

ROOT = Path(__file__).resolve().parents[2]
CARD_EXAMPLES = [
    (row["input"], row["issuer"] or None)
    for row in csv.DictReader((ROOT / "tests" / "data" / "card_examples.csv").read_text("utf-8").splitlines())
]
_KEY_CALL = re.compile(r"""\b(?:text|label|say|say_all|words|paragraphs)\(\s*"([a-z0-9_.]+)"\s*[,)]""")


def _send(state, content, text):
    return handle(state, Inbound("test", "u", "c", text=text), content, NOW)


def _twin(code: str, area: str) -> Village:
    """A village of another area sharing Nà Roòng's alias "Nhì Ca"."""
    return Village(code, "Thôn A", area, "xã Chợ Mới", "Thái Nguyên", ("Nhì Ca",))


def _at_area(content) -> FlowState:
    return _send(_send(None, content, "hi").state, content, "1").state


@pytest.fixture(scope="module")
def explored(content):
    """Every reply seen while exploring, the tracking content that saw the keys, and the walk."""
    tracked = content.tracking()
    walked = explore(tracked, [text for text, _ in CARD_EXAMPLES])
    replies: list[Reply] = list(walked.replies)
    for text, issuer in CARD_EXAMPLES:
        turn = Turn(FlowState(consent=True), tracked, NOW)
        explain(turn, check_card_number(text, issuer))
        replies.extend(turn.replies)
    with_video = tracked.configure(video_url="https://example.gov.vn/video")
    replies.extend(_send(_send(None, with_video, "hi").state, with_video, "/video").replies)
    ambiguous = replace(tracked, places=Places([*tracked.places.villages, _twin("quang-chu-a", "Quảng Chu")]))
    replies.extend(_send(_at_area(ambiguous), ambiguous, "nhi ca").replies)
    tracked.unfilled()  # read by the terminal chat at start-up
    return tracked, replies, walked


def test_the_walk_reaches_every_step_without_failing(explored):
    _, _, walked = explored
    assert walked.failures == []
    assert walked.steps == set(Step)
    assert walked.questions > 100


def test_every_reply_keeps_the_rules(explored):
    _, replies, _ = explored
    assert len(replies) > 1000, "the walk saw the whole conversation"
    assert reply_problems(replies) == []


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
    ],
)
def test_the_rules_catch_what_they_are_for(reply, problem):
    found = " ".join(reply_problems([reply]))
    if problem is None:
        assert found == ""
    else:
        assert problem in found


def _named_in_bot(keys: set[str]) -> set[str]:
    """Content keys the channels use themselves (error pages, the apology after a failure) and the
    web page's own words: `{{web.page.x}}` in index.html, `SAY.x` in chat.js."""
    literals = set()
    for path in (ROOT / "bot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                literals.add(node.value)
    static = ROOT / "bot" / "static"
    literals |= set(re.findall(r"\{\{(web\.page\.[a-z_]+)\}\}", (static / "index.html").read_text("utf-8")))
    literals |= {
        f"web.page.{name}" for name in re.findall(r"\bSAY\.(\w+)", (static / "chat.js").read_text("utf-8"))
    }
    return keys & literals


def _placeholders(template: object) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", str(template)))


def test_no_content_key_is_unused(explored):
    """Office fields count as used when a used text (or a used office field) names them."""
    tracked, _, _ = explored
    used = set(tracked.used) | {"office.to_fill"} | _named_in_bot(set(tracked.texts))
    grown = True
    while grown:
        names = set().union(*(_placeholders(tracked.texts[k]) for k in used))
        more = {f"office.{name}" for name in names if f"office.{name}" in tracked.texts} - used
        used |= more
        grown = bool(more)
    unused = set(tracked.texts) - used
    assert not unused, f"content keys nothing uses: {sorted(unused)}"


def test_every_key_named_in_the_code_exists(content):
    missing = []
    for path in (ROOT / "flows").glob("*.py"):
        for key in _KEY_CALL.findall(path.read_text(encoding="utf-8")):
            if not content.has(key):
                missing.append(f"{path.name}: {key}")
    assert not missing
    assert _KEY_CALL.findall('turn.say("welcome.intro")') == ["welcome.intro"], "the scan finds keys"


def test_every_text_in_the_content_fits_zalo(content):
    for key, value in content.texts.items():
        for text in value if isinstance(value, list) else [value]:
            assert len(str(text)) <= 2000, key


def test_a_name_shared_by_villages_of_two_areas_asks_the_area(content):
    ambiguous = replace(content, places=Places([*content.places.villages, _twin("quang-chu-a", "Quảng Chu")]))
    transition = _send(_at_area(ambiguous), ambiguous, "nhi ca")
    assert transition.state.step is Step.AREA
    assert transition.state.village is None
    assert "Có vài nơi gần giống" in transition.replies[0].text


def test_a_name_shared_within_one_area_asks_the_village_there(content):
    ambiguous = replace(content, places=Places([*content.places.villages, _twin("nhuco-thon-a", "Như Cố")]))
    transition = _send(_at_area(ambiguous), ambiguous, "nhi ca")
    assert transition.state.step is Step.VILLAGE
    assert transition.state.area == "Như Cố"
    labels = [b.label for b in transition.replies[-1].buttons]
    assert labels == ["Nà Roòng", "Bản Quất", "Thôn A", "Khác / không rõ"]


def test_office_fill_in_fields_are_listed(content):
    assert set(content.unfilled()) <= {k.split(".", 1)[1] for k in content.texts if k.startswith("office.")}
    assert "video_url" in content.unfilled()


def test_settings_override_the_office_content(content):
    configured = content.configure(commune="xã Thử", video_url="https://example.gov.vn/v", retention_days=7)
    transition = handle(None, Inbound("t", "u", "c", text="hi"), configured, NOW)
    shown = " ".join(r.text for r in transition.replies)
    assert "xã Thử" in shown
    assert "7 ngày" in shown
    assert configured.video_url == "https://example.gov.vn/v"
    assert not configured.video_is_default
    assert content.video_is_default
