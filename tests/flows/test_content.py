"""Loading the content: keys the flow names exist, placeholders fill cleanly, deployments
override the office's fields, the office's words change what is understood, and villages
shared between areas are asked about (all on the frozen content; the live content's rules are
tests/bot/test_content_check.py)."""

import re
from dataclasses import replace
from pathlib import Path

from flows import Inbound, Step, handle
from flows.places import Places, Village
from tests.conftest import NOW

ROOT = Path(__file__).resolve().parents[2]
_KEY_CALL = re.compile(
    r"""\b(?:text|label|say|say_all|words|strings|paragraphs)\(\s*"([a-z0-9_.]+)"\s*[,)]"""
)


def _send(state, content, text):
    return handle(state, Inbound("test", "u", "c", text=text), content, NOW)


def _twin(code: str, area: str) -> Village:
    """A village of another area sharing Nà Roòng's alias "Nhì Ca"."""
    return Village(code, "Thôn A", area, "xã Chợ Mới", "Thái Nguyên", ("Nhì Ca",))


def _at_area(content):
    return _send(_send(None, content, "hi").state, content, "Đồng ý").state


def test_every_key_named_in_the_code_exists(content):
    missing = []
    for path in (ROOT / "flows").glob("*.py"):
        for key in _KEY_CALL.findall(path.read_text(encoding="utf-8")):
            if not content.has(key):
                missing.append(f"{path.name}: {key}")
    assert not missing
    assert _KEY_CALL.findall('turn.say("welcome.intro")') == ["welcome.intro"], "the scan finds keys"


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


def test_the_form_of_address_is_the_offices_choice(content):
    texts = {**content.texts, "office.you": "bác", "office.You": "Bác"}
    custom = replace(content, texts=texts, fields={**content.fields, "you": "bác", "You": "Bác"})
    transition = handle(None, Inbound("t", "u", "c", text="hi"), custom, NOW)
    shown = "\n".join(r.text for r in transition.replies)
    assert "Nếu bác đồng ý" in shown
    assert "Bác có đồng ý" in shown
    assert "ông/bà" not in shown.lower()


def test_an_empty_office_field_leaves_no_empty_line(content):
    text = content.text("handoff.where")
    assert "\n\n" not in text
    assert content.fields["phone_line"] == ""


def test_a_word_the_office_adds_is_understood(content):
    """The words are content: adding "chuẩn rồi" to the yes words makes it a yes."""
    state = _send(None, content, "hi").state
    assert _send(state, content, "chuẩn rồi").state.step is Step.CONSENT
    words = [*content.texts["words.meaning.yes"], "chuẩn rồi"]
    edited = replace(content, texts={**content.texts, "words.meaning.yes": words})
    assert _send(state, edited, "chuẩn rồi").state.step is Step.AREA


def test_a_copy_with_other_texts_does_not_reuse_what_was_computed(content):
    assert content.vocabulary.meaning("có") == "yes"  # computed and kept on the original
    edited = replace(content, texts={**content.texts, "words.meaning.no": ["nope"]})
    assert edited.vocabulary.meaning("nope") == "no"
    assert content.vocabulary.meaning("nope") is None
