"""Rules of `flows.handle` that span several messages: privacy of events, one session per return,
once-per-conversation questions and reminders, buttons that never advance twice, idle restarts,
the offer of a person, side questions, and the regressions found in review."""

import re
import shutil
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.transcript import FROZEN_CONTENT, FROZEN_DATA
from flows import ContentError, Step, handle, load_content
from flows.engine import _COMMANDS
from flows.matching import COMMANDS
from tests.conftest import NOW
from tests.flows.walk import AT_CARD, AT_CONSENT, AT_MENU, AT_PRE_APP, NEXT, at_screen, inbound, shown, walk

CARD_DONE_AGAIN = "Kiểm tra số khác"


def test_the_consent_question_offers_agree_decline_and_the_details(content):
    _, transition = walk(content, AT_CONSENT)
    labels = [b.label for b in transition.replies[-1].buttons]
    assert labels == ["Đồng ý", "Không đồng ý", "Xem chi tiết"]


def test_events_of_a_person_who_declined_are_anonymous(content):
    state, _ = walk(content, [("payload", "v_ttcm-to-1"), "Không đồng ý"])
    _, transition = walk(content, ["Câu hỏi thường gặp", "Quên mật khẩu VNeID"], state)
    assert transition.events
    assert all(e.person is None and e.village is None for e in transition.events)


def test_events_of_a_person_who_agreed_carry_village_and_a_random_reference(content):
    state, _ = walk(content, AT_MENU)
    _, transition = walk(content, ["Video hướng dẫn (mã QR)"], state)
    (event,) = transition.events
    assert event.village == "ttcm-to-3"
    assert event.person == state.person
    assert re.fullmatch(r"[0-9a-f]{16}", state.person), "random hex, nothing from the platform's ids"


def test_each_new_conversation_gets_its_own_reference(content):
    first, _ = walk(content, AT_CONSENT)
    second, _ = walk(content, AT_CONSENT)
    assert first.person != second.person


def test_reference_can_be_made_deterministic(content):
    transition = handle(None, inbound("hi"), content, NOW, new_ref=lambda: "fixed")
    assert transition.state.person == "fixed"


def test_a_card_check_event_keeps_the_verdict_only(content):
    state, _ = walk(content, AT_CARD)
    _, transition = walk(content, ["CA5980123456789"], state)
    (event,) = transition.events
    assert event.kind == "card_checked"
    assert event.data == {"valid": True, "reason": "ok"}


def test_step_reached_is_logged_once_per_session(content):
    state, _ = walk(content, at_screen(Step.GUIDE_3))
    _, back_and_forth = walk(content, ["quay lại", "xong"], state)
    assert [e.kind for e in back_and_forth.events] == []


def test_step_four_is_reached_once_for_its_three_parts(content):
    state, _ = walk(content, at_screen(Step.GUIDE_3))
    steps = []
    for _ in range(4):
        state, transition = walk(content, ["xong"], state)
        steps += [e.data["step"] for e in transition.events]
    assert steps == [4, 5]
    assert state.step is Step.GUIDE_5


def test_limit_reminder_is_given_once_per_conversation_with_a_valid_number(content):
    state, wrong = walk(content, [*AT_CARD, "0123456/789"])
    state, first = walk(content, [CARD_DONE_AGAIN, "0123456789"], state)
    _, second = walk(content, [CARD_DONE_AGAIN, "0123456780"], state)
    assert "3 yêu cầu" not in shown(wrong)
    assert sum("3 yêu cầu" in r.text for r in first.replies) == 1
    assert "3 yêu cầu" not in shown(second)


def test_the_prerequisites_are_asked_once_per_session(content):
    state, _ = walk(content, [*at_screen(Step.GUIDE_2), "menu"])
    _, again = walk(content, ["Hướng dẫn 5 bước tích hợp thẻ BHYT"], state)
    assert again.state.step is Step.GUIDE_1
    guide = "Hướng dẫn 5 bước tích hợp thẻ BHYT"
    _, next_day = walk(content, [guide], state, start=NOW + timedelta(days=2))
    assert next_day.state.step is Step.PRE_APP, "a new session asks them again"


def test_pressing_the_same_button_twice_advances_once(content):
    state, _ = walk(content, at_screen(Step.GUIDE_1))
    state, _ = walk(content, [("press", "guide_1:next")], state)
    state, _ = walk(content, [("press", "guide_1:next")], state)
    assert state.step is Step.GUIDE_2


def test_an_offered_option_wins_over_a_global_word(content):
    """A global word counts only when it does not name one of the options on offer."""
    texts = {**content.texts, "common.menu": "Huỷ"}
    custom = replace(content, texts=texts)
    state, _ = walk(custom, at_screen(Step.GUIDE_2))
    _, transition = walk(custom, ["huỷ"], state)
    assert transition.state.step is Step.MENU
    assert not any("Đã huỷ" in r.text for r in transition.replies), "the option, not the command"


def test_a_global_word_wins_over_an_everyday_answer(content):
    """ "dừng" folds to "dung", which reads as "đúng": the command still wins."""
    state, _ = walk(content, at_screen(Step.GUIDE_2))
    _, transition = walk(content, ["dừng"], state)
    assert transition.state.step is Step.GUIDE_2
    assert transition.state.reminders_off


def test_idle_for_a_day_starts_over_at_the_menu(content):
    state, _ = walk(content, at_screen(Step.GUIDE_3))
    _, transition = walk(content, ["xong"], state, start=NOW + timedelta(days=2))
    assert transition.state.step is Step.MENU
    assert [e.kind for e in transition.events] == ["session_started"]
    assert transition.events[0].data == {"source": "return"}
    assert not any("chưa hiểu" in r.text for r in transition.replies)


def test_idle_before_consent_restarts_the_welcome(content):
    state, _ = walk(content, AT_CONSENT)
    _, transition = walk(content, ["Đồng ý"], state, start=NOW + timedelta(days=2))
    assert transition.state.step is Step.CONSENT
    assert transition.state.consent is None


def test_less_than_a_day_keeps_the_place(content):
    state, _ = walk(content, at_screen(Step.GUIDE_3))
    _, transition = walk(content, ["xong"], state, start=NOW + timedelta(hours=23))
    assert transition.state.step is Step.GUIDE_4


def test_handle_does_not_change_the_state_it_was_given(content):
    state, _ = walk(content, at_screen(Step.GUIDE_2))
    before = state.to_json()
    walk(content, ["xong", "menu", "giá lúa bao nhiêu", "xoá dữ liệu", "Có, xoá dữ liệu"], state)
    assert state.to_json() == before


def test_every_global_word_has_an_action():
    assert set(_COMMANDS) == set(COMMANDS)


# --- the offer of a person, and side questions -------------------------------------------------


def test_an_understood_answer_resets_the_misunderstandings(content):
    state, _ = walk(content, [*at_screen(Step.GUIDE_2), "bla", "bla bla"])
    state, _ = walk(content, ["xong"], state)
    _, transition = walk(content, ["bla", "bla bla"], state)
    assert transition.state.step is Step.GUIDE_3, "two misses after an understood answer: no offer yet"


def test_after_the_offer_is_declined_it_waits_for_three_new_misses(content):
    state, _ = walk(content, [*at_screen(Step.GUIDE_2), "bla", "bla", "bla", "Không, quay lại"])
    state, second = walk(content, ["blah", "bla bla"], state)
    assert second.state.step is Step.GUIDE_2
    _, third = walk(content, ["blah blah"], state)
    assert third.state.step is Step.HANDOFF_OFFER


def test_three_wrong_numbers_then_a_right_one_does_not_offer_a_person_again(content):
    state, offered = walk(content, [*AT_CARD, "12345", "0l23456789", "001090012345"])
    assert offered.state.step is Step.HANDOFF_OFFER
    state, right = walk(content, ["0123456789"], state)
    assert right.state.step is Step.CARD_DONE, "the offer ignored: the number is checked at the card question"
    assert "cán bộ" not in shown(right)
    _, later = walk(content, [CARD_DONE_AGAIN, "0123456780"], state)
    assert later.state.step is Step.CARD_DONE


def test_a_side_question_left_by_typing_goes_back_where_the_person_was(content):
    state, picked = walk(content, [*at_screen(Step.GUIDE_3), "mất bao lâu thì được duyệt"])
    assert picked.state.step is Step.FAQ_PICK
    _, transition = walk(content, [NEXT], state)
    assert transition.state.step is Step.GUIDE_4, "the answer counted at the guide step"
    _, chosen = walk(content, ["Chờ duyệt lâu hoặc bị từ chối"], state)
    assert chosen.state.step is Step.GUIDE_3, "after the answer, back to the guide step"
    assert [e.kind for e in chosen.events] == ["faq_viewed"]


def test_not_found_then_back_returns_to_the_question(content):
    state, _ = walk(content, [*at_screen(Step.GUIDE_2), "tại sao máy cứ tắt"])
    _, transition = walk(content, ["Quay lại"], state)
    assert transition.state.step is Step.GUIDE_2


# --- erasing ---------------------------------------------------------------------------------


def test_after_erasing_the_old_erase_buttons_only_start_afresh(content):
    state, _ = walk(content, [*AT_MENU, "xoá dữ liệu"])
    erased = handle(state, inbound(("press", "erase_confirm:yes")), content, NOW + timedelta(hours=1))
    assert erased.erased
    assert [b.label for b in erased.replies[-1].buttons] == ["Bắt đầu lại"]
    for old in ("erase_confirm:yes", "erase_confirm:no", "erase_confirm:restart"):
        again = handle(None, inbound(("press", old)), content, NOW + timedelta(hours=2))
        assert [e.kind for e in again.events] == ["session_started"]
        assert not again.erased
        assert again.state.step is Step.CONSENT


# --- regressions found in review -------------------------------------------------------------


def test_erasing_from_the_offer_of_a_person_returns_there_and_then_to_the_step(content):
    state, _ = walk(content, [*at_screen(Step.GUIDE_2), "bla", "bla bla", "blah"])
    assert state.step is Step.HANDOFF_OFFER
    state, _ = walk(content, ["xoá dữ liệu", "không"], state)
    assert state.step is Step.HANDOFF_OFFER
    state, _ = walk(content, ["không"], state)
    assert state.step is Step.GUIDE_2


def test_a_start_link_after_a_day_greets_and_counts_once(content):
    state, _ = walk(content, at_screen(Step.GUIDE_3))
    _, transition = walk(content, ["/start v_nhuco-na-roong"], state, start=NOW + timedelta(days=2))
    assert [e.kind for e in transition.events] == ["session_started"]
    assert sum("quay lại" in r.text for r in transition.replies) == 1
    assert transition.state.step is Step.VILLAGE_CONFIRM


@pytest.mark.parametrize("bad_id", ["mật_khẩu", "Password", "x" * 31, "two words"])
def test_an_office_faq_id_that_cannot_be_a_button_id_is_refused_at_load(tmp_path, bad_id):
    shutil.copytree(FROZEN_CONTENT, tmp_path / "content")
    faq = tmp_path / "content" / "faq.toml"
    faq.write_text(
        faq.read_text(encoding="utf-8")
        + f'\n[[faq]]\nid = "{bad_id}"\nlabel = "Mới"\nkeywords = []\nanswer = ["x"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ContentError, match="faq"):
        load_content(tmp_path / "content", FROZEN_DATA)


@pytest.mark.parametrize(
    ("setup", "text"),
    [
        pytest.param(at_screen(Step.GUIDE_5), "ok", id="ok at step 5 does not report success"),
        pytest.param(at_screen(Step.GUIDE_5), "xong", id="xong at step 5 does not report success"),
        pytest.param([*AT_MENU, "xoá dữ liệu"], "ok", id="ok does not erase"),
    ],
)
def test_everyday_ok_words_do_not_decide_firm_questions(content, setup, text):
    state, _ = walk(content, setup)
    _, transition = walk(content, [text], state)
    assert transition.state.step is state.step
    assert not transition.events
    assert "chưa hiểu" in shown(transition)


@pytest.mark.parametrize(
    ("setup", "text", "step", "event"),
    [
        pytest.param(at_screen(Step.GUIDE_5), "có ạ", Step.MENU, "outcome", id="có ạ at step 5"),
        pytest.param(
            [*AT_MENU, "Chữ ký số công cộng"], "vâng ạ", Step.MENU, "signature_interest", id="vâng ạ"
        ),
        pytest.param(AT_CONSENT, "dạ đồng ý", Step.AREA, "consent_given", id="dạ đồng ý"),
        pytest.param([*AT_MENU, "Báo kết quả"], "từ chối", Step.REJECT_CAUSE, None, id="words of one label"),
        pytest.param(AT_PRE_APP, "chưa cài vneid", Step.PRE_APP_HELP, None, id="a label inside the text"),
    ],
)
def test_polite_and_partial_answers_are_understood(content, setup, text, step, event):
    state, _ = walk(content, setup)
    _, transition = walk(content, [text], state)
    assert transition.state.step is step
    assert [e.kind for e in transition.events] == ([event] if event else [])


def test_a_card_number_at_the_faq_list_is_checked(content):
    state, _ = walk(content, [*AT_MENU, "Câu hỏi thường gặp"])
    _, transition = walk(content, ["quen mat khau 0123456789"], state)
    assert [e.kind for e in transition.events] == ["card_checked"]
    assert "viết đúng" in shown(transition)
    assert transition.state.step is Step.FAQ


def test_an_old_retry_button_cannot_pick_another_screen(content):
    state, _ = walk(content, [*at_screen(Step.GUIDE_2), "Tôi bị vướng", "Quên mật khẩu", "Làm lại bước 2"])
    state, _ = walk(content, ["xong", "Tôi bị vướng", "Máy hỏi passcode"], state)
    assert (state.step, state.guide_at) == (Step.STUCK_ANSWER, Step.GUIDE_3)
    _, transition = walk(content, [("press", "stuck_answer:retry_guide_2")], state)
    assert "câu hỏi trước" in shown(transition)
    assert transition.state.step is Step.STUCK_ANSWER


def test_a_number_read_out_of_a_sentence_says_so_without_echoing_it(content):
    state, _ = walk(content, AT_CARD)
    _, bare = walk(content, ["0123456789"], state)
    _, sentence = walk(content, ["số của tôi 0123456789 nhé"], state)
    assert "đọc được" not in shown(bare)
    assert "Trợ lý đọc được số 10 ký tự" in shown(sentence)
    assert "789" not in shown(sentence)
