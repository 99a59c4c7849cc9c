"""The content holds the flow to its promises: every key the flow uses exists, no key is unused,
every message with its options written out fits Zalo's 2,000 characters, every button label fits
40 and is bare text, and yes/no questions put "Có..." first and "Chưa/Không..." second.

The conversation is explored by pressing every offered button from every reachable question (and
typing a set of probes), with a copy of the content that records each key it is asked for.
"""

import ast
import csv
import re
import unicodedata
from collections import deque
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from flows import FlowState, Inbound, Reply, Step, handle
from flows.card_dialog import explain
from flows.card_number import check_card_number
from flows.places import Places, Village
from flows.turn import Turn
from tests.conftest import NOW

ROOT = Path(__file__).resolve().parents[2]
ZALO_LIMIT = 2000
LABEL_LIMIT = 40
PROBES = [
    "xin chào", "ok", "ko biết", "khác", "không", "xoá dữ liệu", "trợ giúp", "dừng", "đổi thôn", "huỷ",
    "/start v_nhuco-na-roong", "/start", "bla bla", "quên mật khẩu", "thon 3", "quang chu", "na roong",
    "/video", "/chukyso", "nhờ cán bộ",
]  # fmt: skip
CARD_EXAMPLES = [
    (row["input"], row["issuer"] or None)
    for row in csv.DictReader((ROOT / "tests" / "data" / "card_examples.csv").read_text("utf-8").splitlines())
]
#: Moves made of several messages in a row (from every question).
SEQUENCES = [["bla", "bla bla", "bla bla bla"], ["12345", "0l23456789", "001090012345"]]
_KEY_CALL = re.compile(r"""\b(?:text|label|say|say_all|words|paragraphs)\(\s*"([a-z0-9_.]+)"\s*[,)]""")


def _signature(state: FlowState) -> tuple:
    """What the current question depends on: states that differ only elsewhere behave alike."""
    return (
        state.step,
        state.consent,
        state.pending_village is None,
        state.area if state.step is Step.VILLAGE else None,
        state.guide_step if state.step in (Step.STUCK, Step.STUCK_ANSWER) else None,
        state.card_from if state.step is Step.CARD_ASK else None,
        state.resume if state.step in (Step.HANDOFF_OFFER, Step.ERASE_CONFIRM) else None,
    )


def _send(state, content, **kwargs):
    return handle(state, Inbound("test", "u", "c", **kwargs), content, NOW + timedelta(minutes=1))


def _moves(state: FlowState) -> list[list[dict]]:
    presses = [[{"choice": option_id, "kind": "choice"}] for option_id, _ in state.offered]
    typed = [[{"text": probe}] for probe in PROBES]
    cards = [[{"text": text}] for text, _ in CARD_EXAMPLES[:: 1 if state.step is Step.CARD_ASK else 25]]
    others = [[{"kind": "photo"}], [{"choice": "menu:guide", "kind": "choice"}]]
    sequences = [[{"text": text} for text in sequence] for sequence in SEQUENCES]
    return presses + typed + cards + others + sequences


@pytest.fixture(scope="module")
def explored(content):
    """Every reply seen while exploring, and the tracking content that saw the keys."""
    tracked = content.tracking()
    replies: list[Reply] = []
    start = handle(None, Inbound("test", "u", "c", text="hi"), tracked, NOW)
    replies.extend(start.replies)
    queue, seen = deque([start.state]), {_signature(start.state)}
    while queue:
        state = queue.popleft()
        for move in _moves(state):
            after = state
            for message in move:
                transition = _send(after, tracked, **message)
                replies.extend(transition.replies)
                after = transition.state
                key = _signature(after)
                if key not in seen:
                    seen.add(key)
                    queue.append(after)
    for text, issuer in CARD_EXAMPLES:
        turn = Turn(FlowState(consent=True), tracked, NOW)
        explain(turn, check_card_number(text, issuer))
        replies.extend(turn.replies)
    with_video = tracked.configure(video_url="https://example.gov.vn/video")
    declined = _send(start.state, with_video, text="2").state
    replies.extend(_send(declined, with_video, text="/video").replies)
    ambiguous = replace(tracked, places=Places([*tracked.places.villages, _twin("quang-chu-a", "Quảng Chu")]))
    replies.extend(_send(_at_area(ambiguous), ambiguous, text="nhi ca").replies)
    tracked.unfilled()  # read by the terminal chat at start-up
    return tracked, replies, seen


def _twin(code: str, area: str) -> Village:
    """A village of another area sharing Nà Roòng's alias "Nhì Ca"."""
    return Village(code, "Thôn A", area, "xã Chợ Mới", "Thái Nguyên", ("Nhì Ca",))


def _at_area(content) -> FlowState:
    state = _send(None, content, text="hi").state
    return _send(state, content, text="1").state


def test_a_name_shared_by_villages_of_two_areas_asks_the_area(content):
    ambiguous = replace(content, places=Places([*content.places.villages, _twin("quang-chu-a", "Quảng Chu")]))
    transition = _send(_at_area(ambiguous), ambiguous, text="nhi ca")
    assert transition.state.step is Step.AREA
    assert transition.state.village is None
    assert "Có vài nơi gần giống" in transition.replies[0].text


def test_a_name_shared_within_one_area_asks_the_village_there(content):
    twin = _twin("nhuco-thon-a", "Như Cố")
    ambiguous = replace(content, places=Places([*content.places.villages, twin]))
    transition = _send(_at_area(ambiguous), ambiguous, text="nhi ca")
    assert transition.state.step is Step.VILLAGE
    assert transition.state.area == "Như Cố"
    labels = [b.label for b in transition.replies[-1].buttons]
    assert labels == ["Nà Roòng", "Bản Quất", "Thôn A", "Khác / không rõ"]


def _written_out(reply: Reply) -> str:
    options = "".join(f"\n{n}. {button.label}" for n, button in enumerate(reply.buttons, 1))
    return reply.text + options


def test_exploration_reaches_every_step(explored):
    _, _, seen = explored
    assert {signature[0] for signature in seen} == set(Step)


def _placeholders(template: object) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", str(template)))


def _named_in_bot(keys: set[str]) -> set[str]:
    """Content keys the channels use themselves (error pages, the apology after a failure)."""
    literals = set()
    for path in (ROOT / "bot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                literals.add(node.value)
    return keys & literals


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


def test_every_message_with_its_options_fits_zalo(explored):
    _, replies, _ = explored
    assert len(replies) > 1000, "the exploration saw the whole conversation"
    too_long = [r.text[:60] for r in replies if len(_written_out(r)) > ZALO_LIMIT]
    assert not too_long


def test_every_text_in_the_content_fits_zalo(content):
    for key, value in content.texts.items():
        for text in value if isinstance(value, list) else [value]:
            assert len(str(text)) <= ZALO_LIMIT, key


def test_button_labels_are_short_bare_text(explored, content):
    _, replies, _ = explored
    labels = {button.label for reply in replies for button in reply.buttons}
    labels |= {str(v) for k, v in content.texts.items() if k.endswith(".label")}
    for label in labels:
        assert len(label) <= LABEL_LIMIT, label
        assert label[0].isalpha(), f"a label starts with a letter: {label!r}"
        assert not any(unicodedata.category(ch) == "So" or ch in "•·*#" for ch in label), label


def test_button_ids_are_short_stable_ascii(explored):
    _, replies, _ = explored
    for reply in replies:
        for button in reply.buttons:
            assert button.id.isascii()
            assert len(button.id.encode()) <= 64
            assert re.fullmatch(r"[a-z0-9_]+:[a-z0-9_-]+", button.id), button.id


def test_yes_no_questions_put_yes_first(explored):
    _, replies, _ = explored
    checked = 0
    for reply in replies:
        names = [button.id.partition(":")[2] for button in reply.buttons]
        if "yes" in names and "no" in names:
            yes, no = reply.buttons[names.index("yes")], reply.buttons[names.index("no")]
            assert names.index("yes") < names.index("no")
            assert yes.label.startswith("Có"), yes.label
            assert no.label.startswith(("Chưa", "Không")), no.label
            checked += 1
    assert checked > 10


def test_no_reply_is_empty_or_shows_a_placeholder(explored):
    """Every reply has words, and no `{placeholder}` slipped through unfilled."""
    _, replies, _ = explored
    for reply in replies:
        assert reply.text.strip()
        assert "{" not in reply.text, f"unfilled placeholder: {reply.text[:80]}"
        assert "}" not in reply.text, f"unfilled placeholder: {reply.text[:80]}"


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
