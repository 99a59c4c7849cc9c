"""The terminal chat: transcript files of whole conversations replayed through the console runner,
with the state round-tripped through JSON after every message and every output scanned for
typed card numbers; plus the rendering of buttons and QR codes."""

import io
import re

import pytest

from bot.console import ConsoleSession, chat, qr_text
from flows import FlowEvent, FlowState, Reply
from flows.card_number import check_card_number
from flows.model import Button
from tests.conftest import NOW
from tests.transcript import Send, clock, files, parse

_LONG_DIGITS = re.compile(r"\d{7,}")


def _secrets(text: str) -> set[str]:
    """What a reply must never contain after `text` was typed: its long digit runs and the
    cleaned card candidate (with and without letters)."""
    found = set(_LONG_DIGITS.findall(text))
    compact = re.sub(r"[\s.\-]", "", text)
    found |= set(_LONG_DIGITS.findall(compact))
    normalized = check_card_number(text).normalized
    if normalized:
        found.add(normalized)
    return found


def _event_matches(event: FlowEvent, kind: str, expected: dict[str, str]) -> bool:
    values = {**{k: str(v) for k, v in event.data.items()}, "village": str(event.village)}
    values["person"] = str(event.person)
    return event.kind == kind and all(values.get(k) == v for k, v in expected.items())


def _check(send: Send, output: str, events: list[FlowEvent], state: FlowState, where: str) -> None:
    for shown in send.shows:
        assert shown in output, f"{where}: expected {shown!r} in:\n{output}"
    for kind, expected in send.events:
        logged = [(e.kind, e.village, e.person, e.data) for e in events]
        assert any(_event_matches(e, kind, expected) for e in events), (
            f"{where}: expected event {kind} {expected}, got {logged}"
        )
    if send.step:
        assert state.step == send.step, f"{where}: expected step {send.step}, at {state.step}"


@pytest.mark.parametrize("path", files(), ids=lambda p: p.stem)
def test_transcript(path, content):
    sends = parse(path)
    session = ConsoleSession(content, show_qr=True)
    secrets: set[str] = set()
    for send, now in zip(sends, clock(NOW, sends), strict=True):
        before = len(session.events)
        output = session.send(send.text, choice=send.choice, kind=send.kind, now=now)
        events = session.events[before:]
        assert output.strip(), f"{path.name}:{send.line}: no reply"
        assert session.state is not None
        _check(send, output, events, session.state, f"{path.name}:{send.line}")
        raw = session.state.to_json()
        assert FlowState.from_json(raw) == session.state
        session.state = FlowState.from_json(raw)
        secrets |= _secrets(send.text)
        stored = raw + repr(events)
        for secret in secrets:
            assert secret not in output, f"{path.name}:{send.line}: reply shows {secret!r}"
            assert secret not in stored, f"{path.name}:{send.line}: state or event holds {secret!r}"


def test_transcripts_exist_for_every_scenario_the_issue_names():
    names = {p.stem for p in files()}
    assert {
        "happy_path",
        "decline_consent",
        "start_payload",
        "card_mistakes",
        "card_mid_question",
        "elderly_typing",
        "wrong_number_three_times",
        "global_words",
        "stale_button",
        "report_result",
        "erase",
    } <= names


def test_buttons_render_as_a_numbered_list(content):
    session = ConsoleSession(content)
    reply = Reply("Chọn đi", (Button("q:a", "Một"), Button("q:b", "Hai")))
    assert session.render(reply) == "Chọn đi\n  1. Một\n  2. Hai"


def test_video_qr_is_drawn_as_text_encoding_the_link(content):
    session = ConsoleSession(content)
    drawn = session.render(Reply("Video", image="qr:video"))
    assert drawn.startswith("Video\n")
    assert drawn.count("\n") > 10, "the QR code spans many lines"
    assert qr_text(content.video_url) in drawn
    assert qr_text(content.video_url) != qr_text("https://example.org")
    plain = ConsoleSession(content, show_qr=False).render(Reply("Video", image="qr:video"))
    assert plain == f"Video\n[Mã QR: {content.video_url}]"


def test_other_images_are_named(content):
    session = ConsoleSession(content)
    assert session.render(Reply("Bước 1", image="content:buoc1.png")) == "Bước 1\n[Ảnh: buoc1.png]"


def test_chat_loop_reads_lines_until_the_end(content):
    out = io.StringIO()
    chat(content, lines=["xin chào", "2", "3"], out=out)
    printed = out.getvalue()
    assert "Ctrl+D" in printed
    assert "1. Đồng ý" in printed
    assert "https://vneid.gov.vn" in printed
    assert printed.count("Bạn cần giúp gì?") == 2
