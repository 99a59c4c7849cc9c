"""A photo in a private chat, as the channel read it (`Inbound.photo`): a card's QR is answered
exactly as its number typed at the same place, with the number shown masked; anything else gets
what was found and the way on; a group's photo is never read."""

import pytest

from flows import Inbound, Step, handle
from tests.conftest import NOW
from tests.flows.walk import AT_CARD, AT_MENU, at_screen, shown, walk

G4N = Step.GUIDE_4_NUMBER


def events(transition) -> list[tuple[str, dict]]:
    return [(event.kind, event.data) for event in transition.events]


@pytest.mark.parametrize(
    ("before", "number"),
    [
        (AT_CARD, "0123456789"),
        (AT_CARD, "DN4O10123456789"),
        (at_screen(G4N), "GD4010123456789"),
        (AT_MENU, "CA5980123456789"),
    ],
)
def test_a_cards_qr_gets_the_same_answer_as_its_number_typed_there(content, before, number):
    state, _ = walk(content, before)
    _, typed = walk(content, [number], state)
    _, photo = walk(content, [("photo", f"card:{number}")], state)
    read, _, verdict = photo.replies[0].text.partition("\n")
    shown_number = "•" * (len(number) - 4) + number[-4:]
    assert read == f"Trợ lý đọc được số thẻ trong mã QR trên ảnh: {shown_number} (chỉ hiện 4 ký tự cuối)."
    assert number[:-4] not in shown(photo), "never the whole number"
    assert [verdict, *photo.replies[1:]] == [typed.replies[0].text, *typed.replies[1:]]
    assert photo.state.step == typed.state.step
    ((_, data),) = [e for e in events(photo) if e[0] == "card_checked"]
    assert data == {**next(d for k, d in events(typed) if k == "card_checked"), "source": "photo"}
    assert photo.sensitive, "the photo goes from the chat after the check"


@pytest.mark.parametrize(
    ("reading", "says", "never"),
    [
        ("identity", ["thẻ căn cước", "VssID", "Không lưu"], []),
        ("other_code", ["không phải mã của thẻ BHYT", "gõ số thẻ"], []),
        ("no_code", ["chưa thấy mã QR", "Chụp gần", "đủ sáng", "gõ số thẻ"], []),
        ("unreadable", ["không mở được tệp này"], []),
        ("too_big", ["quá lớn"], []),
        ("not_fetched", ["chưa tải được ảnh", "gửi lại"], []),
    ],
)
def test_a_photo_without_a_cards_qr_says_what_it_was_and_asks_again(content, reading, says, never):
    state, _ = walk(content, AT_CARD)
    _, transition = walk(content, [("photo", reading)], state)
    text = shown(transition)
    for expected in says:
        assert expected.lower() in text.lower(), expected
    assert transition.state.step is Step.CARD_ASK
    assert "gõ lại số thẻ" in transition.replies[-1].text, "the card question again, briefly"
    assert events(transition) == [("photo_unread", {"reason": reading})]
    assert not any(kind == "card_checked" for kind, _ in events(transition))


def test_a_photo_at_the_menu_gets_the_menu_again_after_what_was_found(content):
    state, _ = walk(content, AT_MENU)
    _, transition = walk(content, [("photo", "no_code")], state)
    assert transition.state.step is Step.MENU
    assert "chưa thấy mã QR" in transition.replies[0].text
    assert "cần giúp việc gì" in transition.replies[-1].text


def test_a_first_message_that_is_a_cards_photo_is_checked_then_welcomed(content):
    transition = handle(
        None, Inbound("test", "u1", "c1", text="0123456789", kind="photo", photo="card"), content, NOW
    )
    assert any("viết đúng" in reply.text for reply in transition.replies)
    assert transition.state.step is Step.CONSENT
    assert ("card_checked", {"valid": True, "reason": "ok", "source": "photo"}) in events(transition)


def test_the_card_question_says_a_photo_works_too(content):
    _, transition = walk(content, AT_CARD)
    assert "chụp ảnh mặt thẻ có mã QR rồi gửi vào đây" in shown(transition)
    _, number_screen = walk(content, at_screen(G4N))
    assert "gửi ảnh mặt thẻ có mã QR" in shown(number_screen), "step 4's number part says it too"
    _, step4 = walk(content, [*at_screen(G4N), "Kiểm tra số thẻ"])
    assert "chụp ảnh mặt thẻ có mã QR" in shown(step4), "step 4's number part leads to the same question"


def test_a_photo_in_a_group_is_never_read_and_the_sender_is_asked_to_delete_a_card(content):
    group = Inbound("test", "u1", "g1", text="0123456789", kind="photo", chat_type="group")
    transition = handle(None, group, content, NOW)
    assert "xoá ảnh" in shown(transition)
    assert "tin nhắn riêng" in shown(transition)
    assert [event.kind for event in transition.events] == ["group_photo_warned"]
    assert "viết đúng" not in shown(transition)


def test_a_sticker_still_gets_the_send_text_answer(content):
    state, _ = walk(content, AT_MENU)
    _, transition = walk(content, [("sticker", "")], state)
    assert "chưa nghe được tin nhắn thoại" in transition.replies[0].text
    assert not transition.sensitive
