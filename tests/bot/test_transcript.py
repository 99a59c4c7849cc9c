"""Transcript files of whole conversations, replayed through the terminal runner: every expectation
holds, the state round-trips through JSON after every message, and no reply, state or event ever
holds a card number that was typed."""

import re
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.transcript import TranscriptError, files, parse, play, problems
from flows import FlowState
from flows.card_number import check_card_number
from tests.conftest import NOW

_LONG_DIGITS = re.compile(r"\d{7,}")
SCENARIOS = {
    "happy_path", "decline_consent", "start_payload", "card_mistakes", "card_mid_question", "elderly_typing",
    "wrong_number_three_times", "global_words", "stale_button", "report_result", "erase",
}  # fmt: skip


def _secrets(text: str) -> set[str]:
    """What no output may contain after `text` was typed: its long digit runs (with and without
    the spaces, dots and dashes people type between groups) and the cleaned card candidate."""
    compact = re.sub(r"[\s.\-]", "", text)
    found = set(_LONG_DIGITS.findall(text)) | set(_LONG_DIGITS.findall(compact))
    normalized = check_card_number(text).normalized
    return found | ({normalized} if normalized else set())


@pytest.mark.parametrize("path", files(), ids=lambda p: p.stem)
def test_transcript(path, content):
    secrets: set[str] = set()
    for played in play(parse(path), content, NOW):
        where = f"{path.name}:{played.send.line}"
        assert played.output.strip(), f"{where}: no reply"
        assert not problems(played), "\n".join(problems(played))
        raw = played.state.to_json()
        assert FlowState.from_json(raw) == played.state, where
        secrets |= _secrets(played.send.text)
        stored = raw + repr(played.events)
        for secret in secrets:
            assert secret not in played.output, f"{where}: reply shows {secret!r}"
            assert secret not in stored, f"{where}: state or event holds {secret!r}"


def test_the_issue_scenarios_all_have_a_transcript():
    assert {p.stem for p in files()} >= SCENARIOS


def test_a_wrong_expectation_is_reported(tmp_path, content):
    path = tmp_path / "wrong.txt"
    path.write_text("> xin chào\n? Tạm biệt\n! consent_given\n= menu\n", encoding="utf-8")
    (played,) = play(parse(path), content, NOW)
    found = problems(played)
    assert len(found) == 3
    assert all(problem.startswith("line 1:") for problem in found)


def test_directives_are_parsed(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text(
        "# c\n> [wait 2h]\n> [photo]\n> [press a:b]\n> [wait 30m]\n> hi there\n", encoding="utf-8"
    )
    photo, press, text = parse(path)
    assert (photo.kind, photo.wait.total_seconds()) == ("photo", 7200)
    assert (press.kind, press.choice) == ("choice", "a:b")
    assert (text.text, text.wait.total_seconds()) == ("hi there", 1800)


@pytest.mark.parametrize("body", ["? before any message\n", "> hi\n~ unknown\n"])
def test_malformed_files_name_the_line(tmp_path, body):
    path = tmp_path / "bad.txt"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(TranscriptError, match=r"bad\.txt:\d"):
        parse(path)


def test_replay_command_reports_each_file(tmp_path, capsys):
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_text("> hi\n= consent\n", encoding="utf-8")
    bad.write_text("> hi\n= menu\n", encoding="utf-8")
    assert main(["replay", str(good)]) == 0
    assert main(["replay", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "good.txt: ok" in out
    assert "bad.txt: line 1: expected step menu, at consent" in out


def test_replay_command_defaults_to_the_shipped_transcripts(capsys):
    assert main(["replay"]) == 0
    assert capsys.readouterr().out.count(": ok") == len(files())


def test_default_directory_is_the_test_transcripts():
    assert files()[0].parent == Path(__file__).resolve().parents[1] / "transcripts"
