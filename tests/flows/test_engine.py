"""`flows.handle`, one row per transition: where the person is, what they do, where they end up,
what they are shown and exactly which events are logged."""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from flows import Step
from tests.conftest import NOW
from tests.flows.walk import (
    AT_AREA,
    AT_CARD,
    AT_CONSENT,
    AT_MENU,
    AT_PRE_APP,
    DECLINED,
    Action,
    at_guide,
    shown,
    walk,
)


@dataclass
class Row:
    description: str
    setup: list[Action]
    action: Action
    step: Step
    shows: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    hides: list[str] = field(default_factory=list)


# fmt: off
ROWS = [
    # welcome, consent, village
    Row("any first message shows the welcome and asks consent", [], "alo", Step.CONSENT, ["trợ lý tự động", "không phải người", "30 ngày", "xoá dữ liệu", "Đồng ý"], ["session_started"]),
    Row("a photo as first message still starts the welcome", [], ("photo", ""), Step.CONSENT, ["Đồng ý"], ["session_started"]),
    Row("consent by number", AT_CONSENT, "1", Step.AREA, ["thôn / tổ dân phố"], ["consent_given"]),
    Row("consent by typing the label", AT_CONSENT, "đồng ý", Step.AREA, [], ["consent_given"]),
    Row("consent by typing the label without diacritics", AT_CONSENT, "dong y", Step.AREA, [], ["consent_given"]),
    Row("consent is explicit: 'ok' is not consent", AT_CONSENT, "ok", Step.CONSENT, ["chưa hiểu", "Đồng ý"], []),
    Row("declining leads to the menu", AT_CONSENT, "Không đồng ý", Step.MENU, ["không lưu gì", "Bạn cần giúp gì?"], ["consent_declined"]),
    Row("global words work before consent too", AT_CONSENT, "menu", Step.MENU, ["Bạn cần giúp gì?"], []),
    Row("help before consent answers and re-asks", AT_CONSENT, "trợ giúp", Step.CONSENT, ["Cách dùng", "Đồng ý"], []),
    Row("an area by button", AT_AREA, "1", Step.VILLAGE, ["khu vực Đồng Tâm", "Tổ dân phố 7"], []),
    Row("an area typed without diacritics", AT_AREA, "dong tam", Step.VILLAGE, ["khu vực Đồng Tâm"], []),
    Row("an area typed with mixed diacritics", AT_AREA, "Dong Tâm", Step.VILLAGE, ["khu vực Đồng Tâm"], []),
    Row("an area without a village list is recorded as its 'other' row", AT_AREA, "quang chu", Step.MENU, ["đang được xã bổ sung", "Quảng Chu"], ["village_set"]),
    Row("a village typed as 'thon 3'", AT_AREA, "thon 3", Step.MENU, ["Tổ dân phố 3"], ["village_set"]),
    Row("a village typed with a typo", AT_AREA, "na rong", Step.MENU, ["Nà Roòng"], ["village_set"]),
    Row("'khác' picks 'Khác / không rõ'", AT_AREA, "khác", Step.MENU, ["chưa rõ thôn"], ["village_set"]),
    Row("'ko biết' at the village question picks 'Khác / không rõ'", [*AT_AREA, "3"], "ko biết", Step.MENU, ["Khác / không rõ (Như Cố)"], ["village_set"]),
    Row("a start link's village is confirmed after consent", [("payload", "v_nhuco-ban-quat")], "1", Step.VILLAGE_CONFIRM, ["Bạn ở Bản Quất, đúng không?", "Có, đúng rồi"], ["consent_given"]),
    # menu and global words
    Row("menu item by number", AT_MENU, "1", Step.PRE_APP, ["đã cài ứng dụng VNeID"], []),
    Row("menu item by alias", AT_MENU, "video", Step.MENU, ["https://vneid.gov.vn"], ["video_shown"]),
    Row("'menu' pre-empts a guide step", at_guide(3), "menu", Step.MENU, ["Bạn cần giúp gì?"], []),
    Row("'huỷ' cancels back to the menu", at_guide(3), "huỷ", Step.MENU, ["Đã huỷ"], []),
    Row("'thoát' cancels too", at_guide(2), "thoát", Step.MENU, ["Đã huỷ"], []),
    Row("bare 'dung' is not 'dừng'", at_guide(2), "dung", Step.GUIDE_2, ["chưa hiểu"], [], ["Đã tắt tin nhắn nhắc"]),
    Row("'dừng' stops reminders and repeats the question", at_guide(2), "dừng", Step.GUIDE_2, ["Đã tắt tin nhắn nhắc", "Bước 2:"], []),
    Row("'đổi thôn' asks the area again", at_guide(2), "đổi thôn", Step.AREA, ["khu vực nào"], []),
    Row("'đổi thôn' after declining asks for consent", DECLINED, "đổi thôn", Step.CONSENT, ["khi bạn đồng ý"], []),
    Row("/start mid-guide starts a new session at the menu", at_guide(3), "/start", Step.MENU, ["Chào mừng bạn quay lại"], ["session_started"]),
    Row("/start with another village's link asks to confirm it", at_guide(3), "/start v_ttcm-to-5", Step.VILLAGE_CONFIRM, ["Tổ dân phố 5"], ["session_started"]),
    Row("a channel's start payload works mid-flow", at_guide(2), ("payload", "v_nhuco-na-roong"), Step.VILLAGE_CONFIRM, ["Nà Roòng"], ["session_started"]),
    Row("'xoá dữ liệu' asks first", at_guide(2), "xoá dữ liệu", Step.ERASE_CONFIRM, ["xoá mọi thông tin"], []),
    Row("'xóa dữ liệu' (other accent placement) too", at_guide(2), "xóa dữ liệu", Step.ERASE_CONFIRM, [], []),
    Row("erase confirmed", [*at_guide(2), "xoá dữ liệu"], "1", Step.NEW, ["Đã xoá"], ["data_erased"]),
    Row("erase declined goes back", [*at_guide(2), "xoá dữ liệu"], "2", Step.GUIDE_2, ["Đã giữ nguyên", "Bước 2:"], []),
    Row("'nhờ cán bộ' typed anywhere asks for a person", at_guide(2), "nhờ cán bộ", Step.MENU, ["{police}".replace("{police}", "Công an xã")], ["handoff_requested"]),
    Row("slash command /kiemtra", at_guide(1), "/kiemtra", Step.CARD_ASK, ["Gõ số thẻ BHYT của bạn…"], []),
    # prerequisites and the guide
    Row("prerequisite yes", AT_PRE_APP, "Có, đã cài VNeID", Step.PRE_LEVEL2, ["định danh mức 2"], []),
    Row("prerequisite no explains", [*AT_PRE_APP, "1"], "2", Step.PRE_LEVEL2_HELP, ["Công an xã", "thẻ căn cước", "Đã có mức 2, tiếp tục"], []),
    Row("prerequisite help continues", [*AT_PRE_APP, "1", "2"], "1", Step.PRE_CARD, ["số thẻ BHYT"], []),
    Row("last prerequisite leads to step 1", [*AT_PRE_APP, "1", "1"], "1", Step.GUIDE_1, ["Bước 1:"], ["step_reached"]),
    Row("'xong rồi' moves to the next step", at_guide(1), "xong rồi", Step.GUIDE_2, ["Bước 2:"], ["step_reached"]),
    Row("'quay lại' at step 3", at_guide(3), "quay lại", Step.GUIDE_2, ["Bước 2:"], []),
    Row("'Quay lại' at step 1 goes back to the last prerequisite", at_guide(1), "3", Step.PRE_CARD, [], []),
    Row("'ko biết' at a step means stuck", at_guide(4), "ko biết", Step.STUCK, ["bước 4", "Không biết chọn đơn vị cấp thẻ", "Vấn đề khác"], ["stuck"]),
    Row("a troubleshooting entry answers", [*at_guide(3), "Tôi bị vướng"], "1", Step.STUCK_ANSWER, ["Tích hợp giấy tờ", "Làm lại bước 3"], []),
    Row("retry after troubleshooting", [*at_guide(3), "2", "1"], "1", Step.GUIDE_3, ["Bước 3:"], []),
    Row("'Vấn đề khác' offers a person", [*at_guide(3), "2"], "Vấn đề khác", Step.HANDOFF_OFFER, ["cán bộ xã hỗ trợ trực tiếp"], []),
    Row("the person accepts the offer", [*at_guide(3), "2", "4"], "1", Step.MENU, ["Công an xã"], ["handoff_requested"]),
    Row("step 4 offers the card check", at_guide(4), "Kiểm tra số thẻ", Step.CARD_ASK, ["Gõ số thẻ BHYT của bạn…", "Quay lại bước 4"], []),
    Row("a valid card from step 4 returns to step 4 with the issuer", [*at_guide(4), "2"], "GD4010123456789", Step.GUIDE_4, ["chọn: Bảo hiểm xã hội Việt Nam", "GD4•••••••••789", "Bước 4:"], ["card_checked"], ["GD4010123456789"]),
    Row("step 5 success", at_guide(5), "1", Step.MENU, ["Lịch sử", "Báo kết quả"], ["outcome"]),
    Row("step 5 failure asks which message", at_guide(5), "Không", Step.FAIL_WHICH, ["thông báo nào"], []),
    Row("duplicate pending request", [*at_guide(5), "2"], "2", Step.MENU, ["chờ xử lý"], ["outcome"]),
    Row("already approved", [*at_guide(5), "2"], "3", Step.MENU, ["Thẻ BHYT"], ["outcome"]),
    Row("another message offers a person", [*at_guide(5), "2"], "4", Step.HANDOFF_OFFER, ["chụp lại màn hình"], ["outcome"]),
    # card number anywhere
    Row("a valid 10-digit number from the menu", AT_CARD, "0123456789", Step.CARD_DONE, ["•••••••789", "3 yêu cầu"], ["card_checked"], ["0123456789"]),
    Row("the letter O where a level belongs", AT_CARD, "DNO010123456789", Step.CARD_ASK, ["Ký tự thứ 3 phải là số từ 1 đến 5, bạn gõ chữ 'O'"], ["card_checked"]),
    Row("a CCCD number at the card question", AT_CARD, "001090012345", Step.CARD_ASK, ["căn cước (CCCD)"], ["card_checked"], ["001090012345"]),
    Row("a card number at the area question is checked, the question repeats", AT_AREA, "0123456789", Step.AREA, ["•••••••789", "khu vực nào"], ["card_checked"], ["0123456789"]),
    Row("a CCCD number at the menu", AT_MENU, "CCCD: 001 090 012 345", Step.MENU, ["căn cước (CCCD)", "Bạn cần giúp gì?"], ["card_checked"], ["001090012345"]),
    Row("a FAQ question at the card question gets the FAQ", AT_CARD, "quên mật khẩu", Step.CARD_ASK, ["Quên mật khẩu", "Gõ số thẻ BHYT của bạn…"], ["faq_viewed"]),
    # results, signature, FAQ
    Row("result approved", [*AT_MENU, "4"], "Đã được duyệt", Step.MENU, ["Chúc mừng"], ["outcome"]),
    Row("result rejected asks the cause", [*AT_MENU, "4"], "2", Step.REJECT_CAUSE, ["lý do từ chối"], []),
    Row("rejected for a wrong issuer", [*AT_MENU, "4", "2"], "3", Step.MENU, ["Đơn vị cấp thẻ BHYT"], ["outcome"]),
    Row("still pending", [*AT_MENU, "4"], "3", Step.MENU, ["Lịch sử"], []),
    Row("signature explained then asked", AT_MENU, "5", Step.SIGNATURE, ["chữ ký tay", "VNeID", "nhà mạng", "hỗ trợ đăng ký"], []),
    Row("signature help wanted", [*AT_MENU, "5"], "có", Step.MENU, ["Trung tâm Phục vụ hành chính công"], ["signature_interest"]),
    Row("signature not wanted", [*AT_MENU, "5"], "không", Step.MENU, ["Khi cần"], []),
    Row("FAQ list", AT_MENU, "6", Step.FAQ, ["Quên mật khẩu VNeID", "Về menu"], []),
    Row("FAQ by free text without diacritics", [*AT_MENU, "6"], "chua co muc 2", Step.FAQ_ANSWER, ["Công an xã"], ["faq_viewed"]),
    Row("FAQ free text anywhere repeats the question", at_guide(3), "doi dien thoai thi sao", Step.GUIDE_3, ["NFC", "Bước 3:"], ["faq_viewed"]),
    Row("FAQ: children", AT_MENU, "tre em thi lam the nao", Step.MENU, ["dưới 6 tuổi"], ["faq_viewed"]),
    Row("FAQ: no smartphone", AT_MENU, "khong co smartphone", Step.MENU, ["gắn chip"], ["faq_viewed"]),
    Row("FAQ: scams", AT_MENU, "co phai lua dao khong", Step.MENU, ["OTP"], ["faq_viewed"]),
    Row("handoff from the menu", AT_MENU, "7", Step.MENU, ["Đã ghi nhận bạn cần cán bộ"], ["handoff_requested"]),
    # anything else
    Row("a sticker gets a kind answer and the same question", at_guide(2), ("sticker", ""), Step.GUIDE_2, ["chỉ đọc được chữ", "Bước 2:"], []),
    Row("an empty message gets the options again", at_guide(2), "   ", Step.GUIDE_2, ["chưa hiểu", "Bước 2:"], []),
    Row("a stale button re-shows the current question", at_guide(3), ("press", "guide_2:next"), Step.GUIDE_3, ["câu hỏi trước", "Bước 3:"], []),
    Row("an unknown button id is stale too", at_guide(3), ("press", "nonsense"), Step.GUIDE_3, ["câu hỏi trước"], []),
    Row("text that fits nothing gets the options again", at_guide(2), "bla bla", Step.GUIDE_2, ["chưa hiểu", "1. Xong, sang bước tiếp"], []),
    Row("the third miss in a row offers a person", [*at_guide(2), "bla", "bla bla"], "bla bla bla", Step.HANDOFF_OFFER, ["vẫn chưa hiểu", "hỗ trợ trực tiếp"], []),
    Row("declining the offer goes back to the question", [*at_guide(2), "bla", "bla", "bla"], "2", Step.GUIDE_2, ["Bước 2:"], []),
]
# fmt: on


@pytest.mark.parametrize("row", ROWS, ids=[row.description for row in ROWS])
def test_transition(row, content):
    state, _ = walk(content, row.setup)
    _, transition = walk(content, [row.action], state, start=NOW + timedelta(hours=1))
    seen = shown(transition)
    assert transition.state.step is row.step, seen
    for text in row.shows:
        assert text in seen
    for text in row.hides:
        assert text not in seen
    assert [event.kind for event in transition.events] == row.events
    assert transition.replies, "every transition answers"
