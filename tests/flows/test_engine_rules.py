"""Rules of `flows.handle` that span several messages: privacy of events, one session per return,
once-per-conversation reminders, buttons that never advance twice, idle restarts, and the
regressions found in review."""

import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from flows import ContentError, Step, handle, load_content
from flows.engine import _COMMANDS
from flows.matching import COMMANDS
from tests.conftest import NOW
from tests.flows.walk import AT_CARD, AT_CONSENT, AT_MENU, at_guide, inbound, shown, walk


def test_the_yes_no_consent_question_has_exactly_two_buttons(content):
    _, transition = walk(content, AT_CONSENT)
    labels = [b.label for b in transition.replies[-1].buttons]
    assert labels == ["Đồng ý", "Không đồng ý"]


def test_events_of_a_person_who_declined_are_anonymous(content):
    state, _ = walk(content, [("payload", "v_ttcm-to-1"), "2"])
    _, transition = walk(content, ["6", "1"], state)
    assert transition.events
    assert all(e.person is None and e.village is None for e in transition.events)


def test_events_of_a_person_who_agreed_carry_village_and_a_random_reference(content):
    state, _ = walk(content, AT_MENU)
    _, transition = walk(content, ["3"], state)
    (event,) = transition.events
    assert event.village == "ttcm-to-3"
    assert event.person == state.person
    assert len(state.person) == 16
    assert "u1" not in state.person
    assert "c1" not in state.person


def test_each_new_conversation_gets_its_own_reference(content):
    first, _ = walk(content, AT_CONSENT)
    second, _ = walk(content, AT_CONSENT)
    assert first.person != second.person


def test_reference_can_be_made_deterministic(content):
    transition = handle(None, inbound("hi"), content, NOW, new_ref=lambda: "fixed")
    assert transition.state.person == "fixed"


def test_step_reached_is_logged_once_per_session(content):
    state, _ = walk(content, at_guide(3))
    _, back_and_forth = walk(content, ["quay lại", "xong"], state)
    assert [e.kind for e in back_and_forth.events] == []


def test_limit_reminder_is_given_once_per_conversation(content):
    state, first = walk(content, [*AT_CARD, "0123456789"])
    _, second = walk(content, ["1", "0123456780"], state)
    assert sum("3 yêu cầu" in r.text for r in first.replies) == 1
    assert not any("3 yêu cầu" in r.text for r in second.replies)


def test_pressing_the_same_button_twice_advances_once(content):
    state, _ = walk(content, at_guide(1))
    state, _ = walk(content, [("press", "guide_1:next")], state)
    state, _ = walk(content, [("press", "guide_1:next")], state)
    assert state.step is Step.GUIDE_2


def test_an_offered_option_wins_over_a_global_word(content):
    """A global word counts only when it is not one of the options on offer."""
    texts = {**content.texts, "common.menu": "Huỷ"}
    custom = replace(content, texts=texts)
    state, _ = walk(custom, at_guide(2))
    _, transition = walk(custom, ["huỷ"], state)
    assert transition.state.step is Step.MENU
    assert not any("Đã huỷ" in r.text for r in transition.replies), "the option, not the command"


def test_idle_for_a_day_starts_over_at_the_menu(content):
    state, _ = walk(content, at_guide(3))
    _, transition = walk(content, ["xong"], state, start=NOW + timedelta(days=2))
    assert transition.state.step is Step.MENU
    assert [e.kind for e in transition.events] == ["session_started"]
    assert transition.events[0].data == {"source": "return"}
    assert not any("chưa hiểu" in r.text for r in transition.replies)


def test_idle_before_consent_restarts_the_welcome(content):
    state, _ = walk(content, AT_CONSENT)
    _, transition = walk(content, ["1"], state, start=NOW + timedelta(days=2))
    assert transition.state.step is Step.CONSENT
    assert transition.state.consent is None


def test_less_than_a_day_keeps_the_place(content):
    state, _ = walk(content, at_guide(3))
    _, transition = walk(content, ["xong"], state, start=NOW + timedelta(hours=23))
    assert transition.state.step is Step.GUIDE_4


def test_handle_does_not_change_the_state_it_was_given(content):
    state, _ = walk(content, at_guide(2))
    before = state.to_json()
    walk(content, ["xong", "menu", "xoá dữ liệu", "1"], state)
    assert state.to_json() == before


def test_every_global_word_has_an_action():
    assert set(_COMMANDS) == set(COMMANDS)


# --- regressions found in review -------------------------------------------------------------


def test_erasing_from_the_offer_of_a_person_returns_there_and_then_to_the_step(content):
    state, _ = walk(content, [*at_guide(2), "bla", "bla bla", "bla bla bla"])
    assert state.step is Step.HANDOFF_OFFER
    state, _ = walk(content, ["xoá dữ liệu", "không"], state)
    assert state.step is Step.HANDOFF_OFFER
    state, _ = walk(content, ["không"], state)
    assert state.step is Step.GUIDE_2


def test_a_start_link_after_a_day_greets_and_counts_once(content):
    state, _ = walk(content, at_guide(3))
    _, transition = walk(content, ["/start v_nhuco-na-roong"], state, start=NOW + timedelta(days=2))
    assert [e.kind for e in transition.events] == ["session_started"]
    assert sum("quay lại" in r.text for r in transition.replies) == 1
    assert transition.state.step is Step.VILLAGE_CONFIRM


@pytest.mark.parametrize("bad_id", ["mật_khẩu", "Password", "x" * 31, "two words"])
def test_an_office_faq_id_that_cannot_be_a_button_id_is_refused_at_load(tmp_path, bad_id):
    root = Path(__file__).resolve().parents[2]
    shutil.copytree(root / "content", tmp_path / "content")
    faq = tmp_path / "content" / "faq.toml"
    faq.write_text(
        faq.read_text(encoding="utf-8")
        + f'\n[[faq]]\nid = "{bad_id}"\nlabel = "Mới"\nkeywords = []\nanswer = ["x"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ContentError, match="faq"):
        load_content(tmp_path / "content", root / "data")


@pytest.mark.parametrize(
    ("setup", "text"),
    [
        pytest.param(at_guide(5), "ok", id="ok at step 5 does not report success"),
        pytest.param(at_guide(5), "xong", id="xong at step 5 does not report success"),
        pytest.param([*AT_MENU, "xoá dữ liệu"], "ok", id="ok does not erase"),
    ],
)
def test_everyday_yes_words_do_not_decide_strict_questions(content, setup, text):
    state, _ = walk(content, setup)
    _, transition = walk(content, [text], state)
    assert transition.state.step is state.step
    assert not transition.events
    assert "chưa hiểu" in shown(transition)


@pytest.mark.parametrize(
    ("setup", "text", "step", "event"),
    [
        pytest.param(at_guide(5), "có ạ", Step.MENU, "outcome", id="có ạ at step 5"),
        pytest.param([*AT_MENU, "5"], "vâng ạ", Step.MENU, "signature_interest", id="vâng ạ"),
        pytest.param(AT_CONSENT, "dạ đồng ý", Step.AREA, "consent_given", id="dạ đồng ý"),
        pytest.param([*AT_MENU, "4"], "từ chối", Step.REJECT_CAUSE, None, id="words of one label"),
        pytest.param([*AT_MENU, "4", "2"], "het han", Step.MENU, "outcome", id="words without diacritics"),
    ],
)
def test_polite_and_partial_answers_are_understood(content, setup, text, step, event):
    state, _ = walk(content, setup)
    _, transition = walk(content, [text], state)
    assert transition.state.step is step
    assert [e.kind for e in transition.events] == ([event] if event else [])


def test_a_card_number_at_the_faq_list_is_checked(content):
    state, _ = walk(content, [*AT_MENU, "6"])
    _, transition = walk(content, ["quen mat khau 0123456789"], state)
    assert [e.kind for e in transition.events] == ["card_checked"]
    assert "•••••••789" in shown(transition)
    assert transition.state.step is Step.FAQ


def test_an_old_retry_button_cannot_pick_another_step(content):
    state, _ = walk(content, [*at_guide(2), "Tôi bị vướng", "1", "1", "xong", "xong", "Tôi bị vướng", "1"])
    assert (state.step, state.guide_step) == (Step.STUCK_ANSWER, 4)
    _, transition = walk(content, [("press", "stuck_answer:retry_2")], state)
    assert "câu hỏi trước" in shown(transition)
    assert transition.state.step is Step.STUCK_ANSWER


def test_a_number_read_out_of_a_sentence_is_echoed_for_confirmation(content):
    state, _ = walk(content, AT_CARD)
    _, bare = walk(content, ["0123456789"], state)
    _, sentence = walk(content, ["số của tôi 0123456789 nhé"], state)
    assert "Mình đọc được" in shown(bare)
    assert "Trong tin nhắn, mình thấy số" in shown(sentence)
