"""`flows.handle`, one row per transition: where the person is, what they do, where they end up,
what they are shown and exactly which events are logged (on the frozen content)."""

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
    NEXT,
    Action,
    at_screen,
    shown,
    walk,
)

G1, G2, G3, G4, G4N, G4C, G5 = (
    Step.GUIDE_1, Step.GUIDE_2, Step.GUIDE_3, Step.GUIDE_4, Step.GUIDE_4_NUMBER, Step.GUIDE_4_CONFIRM, Step.GUIDE_5,
)  # fmt: skip


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
    Row("any first message shows the layered notice and asks consent", [], "alo", Step.CONSENT, ["trợ lý tự động (phần mềm", "30 ngày", "Không bao giờ lưu số thẻ", "xoá dữ liệu", "1. Đồng ý", "3. Xem chi tiết"], ["session_started"]),
    Row("a photo as first message still starts the welcome", [], ("photo", ""), Step.CONSENT, ["Đồng ý"], ["session_started"]),
    Row("'Xem chi tiết' gives the full notice and asks again", AT_CONSENT, "Xem chi tiết", Step.CONSENT, ["Mục đích", "91/2025/QH15", "Nghị định 356/2025", "rút lại đồng ý", "Hỏi thêm", "1. Đồng ý"], []),
    Row("consent by typing the label without diacritics", AT_CONSENT, "dong y", Step.AREA, ["khu vực nào"], ["consent_given"]),
    Row("consent by 'vâng'", AT_CONSENT, "vâng", Step.AREA, [], ["consent_given"]),
    Row("consent by 'dạ có ạ'", AT_CONSENT, "dạ có ạ", Step.AREA, [], ["consent_given"]),
    Row("consent by 'ok'", AT_CONSENT, "ok", Step.AREA, [], ["consent_given"]),
    Row("consent by 'ừ'", AT_CONSENT, "ừ", Step.AREA, [], ["consent_given"]),
    Row("'xong' is no answer to the consent question", AT_CONSENT, "xong", Step.CONSENT, ["chưa hiểu", "Đồng ý"], []),
    Row("'không đồng ý' declines: the negation wins", AT_CONSENT, "không đồng ý", Step.MENU, ["không lưu gì", "cần giúp việc gì"], ["consent_declined"]),
    Row("'ko' declines", AT_CONSENT, "ko", Step.MENU, [], ["consent_declined"]),
    Row("'không biết' is not a decline", AT_CONSENT, "không biết", Step.CONSENT, ["chưa hiểu"], []),
    Row("global words work before consent too", AT_CONSENT, "menu", Step.MENU, ["cần giúp việc gì"], []),
    Row("help before consent answers and re-asks", AT_CONSENT, "trợ giúp", Step.CONSENT, ["Gõ được bất cứ lúc nào", "Đồng ý"], []),
    Row("an area by its label", AT_AREA, "Đồng Tâm", Step.VILLAGE, ["khu vực Đồng Tâm", "Tổ dân phố 7"], []),
    Row("an area typed without diacritics", AT_AREA, "dong tam", Step.VILLAGE, ["khu vực Đồng Tâm"], []),
    Row("an area without a village list is recorded as its 'other' row", AT_AREA, "quang chu", Step.MENU, ["đang bổ sung", "Quảng Chu"], ["village_set"]),
    Row("a village typed as 'thon 3'", AT_AREA, "thon 3", Step.MENU, ["Tổ dân phố 3"], ["village_set"]),
    Row("a village typed with a typo", AT_AREA, "na rong", Step.MENU, ["Nà Roòng"], ["village_set"]),
    Row("'khác' picks 'Khác / không rõ'", AT_AREA, "khác", Step.MENU, ["chưa rõ thôn"], ["village_set"]),
    Row("'có' at the area question is not Như Cố", AT_AREA, "có", Step.AREA, ["chưa hiểu", "khu vực nào"], [], ["Như Cố ("]),
    Row("'không' at the area question records nothing", AT_AREA, "không", Step.AREA, ["chưa hiểu"], []),
    Row("'5' with four areas is answered with the range, not taken as Tổ dân phố 5", AT_AREA, "5", Step.AREA, ["từ 1 đến 4", "khu vực nào"], []),
    Row("'số 9' at a village question gets the range", [*AT_AREA, "Đồng Tâm"], "số 9", Step.VILLAGE, ["từ 1 đến 8"], []),
    Row("'ko biết' at the village question picks 'Khác / không rõ'", [*AT_AREA, "Như Cố"], "ko biết", Step.MENU, ["Khác / không rõ (Như Cố)"], ["village_set"]),
    Row("a start link's village is confirmed after consent", [("payload", "v_nhuco-ban-quat")], "Đồng ý", Step.VILLAGE_CONFIRM, ["ở Bản Quất, đúng không?", "Có, đúng rồi"], ["consent_given"]),
    Row("'đúng rồi' confirms the link's village", [("payload", "v_nhuco-ban-quat"), "Đồng ý"], "đúng rồi", Step.MENU, ["Bản Quất"], ["village_set"]),
    # the menu: labels, parts of labels, synonyms, questions
    Row("menu item by its label", AT_MENU, "Hướng dẫn 5 bước tích hợp thẻ BHYT", Step.PRE_APP, ["đã cài ứng dụng VNeID"], []),
    Row("menu item by the words of one label", AT_MENU, "hướng dẫn tích hợp thẻ", Step.PRE_APP, [], []),
    Row("menu item by a part of its label", AT_MENU, "tích hợp thẻ", Step.PRE_APP, [], []),
    Row("menu item by a synonym: video", AT_MENU, "video", Step.MENU, ["https://vneid.gov.vn"], ["video_shown"]),
    Row("menu item by a synonym: mã qr", AT_MENU, "mã qr", Step.MENU, [], ["video_shown"]),
    Row("menu item by a synonym: kiểm tra số thẻ", AT_MENU, "kiểm tra số thẻ", Step.CARD_ASK, ["Gõ số thẻ BHYT vào đây"], []),
    Row("menu item by a synonym: hỏi đáp", AT_MENU, "hỏi đáp", Step.FAQ, ["Quên mật khẩu VNeID"], []),
    Row("menu item by a synonym: gặp cán bộ", AT_MENU, "gặp cán bộ", Step.HANDOFF_MESSAGE, ["viết ngắn việc cần giúp", "Đừng ghi số thẻ"], []),
    Row("no message for the person: the ticket and where to go", [*AT_MENU, "gặp cán bộ"], "Không cần nhắn thêm", Step.MENU, ["Để được cán bộ giúp trực tiếp"], ["handoff_requested"]),
    Row("a question about a menu part opens it: chữ ký số là gì", AT_MENU, "chữ ký số là gì", Step.SIGNATURE, ["chữ ký tay", "hỗ trợ đăng ký"], []),
    Row("'menu' pre-empts a guide step", at_screen(G3), "menu", Step.MENU, ["cần giúp việc gì"], []),
    Row("'huỷ' cancels back to the menu", at_screen(G3), "huỷ", Step.MENU, ["Đã huỷ"], []),
    Row("bare 'dung' is not 'dừng': it reads as 'đúng'", [("payload", "v_nhuco-ban-quat"), "Đồng ý"], "dung", Step.MENU, ["Bản Quất"], ["village_set"], ["Đã tắt tin nhắn nhắc"]),
    Row("'dừng' stops reminders and repeats the question", at_screen(G2), "dừng", Step.GUIDE_2, ["Đã tắt tin nhắn nhắc", "Bước 2"], []),
    Row("'dừng' on the web says there are no reminders there", at_screen(G2), ("web", "dừng"), Step.GUIDE_2, ["không gửi tin nhắn nhắc"], [], ["Đã tắt"]),
    Row("'đổi thôn' asks the area again", at_screen(G2), "đổi thôn", Step.AREA, ["khu vực nào"], []),
    Row("'đổi thôn' after declining asks for consent", DECLINED, "đổi thôn", Step.CONSENT, ["khi ông/bà đồng ý"], []),
    Row("/start mid-guide starts a new session at the menu", at_screen(G3), "/start", Step.MENU, ["Chào mừng ông/bà quay lại"], ["session_started"]),
    Row("/start with another village's link asks to confirm it", at_screen(G3), "/start v_ttcm-to-5", Step.VILLAGE_CONFIRM, ["Tổ dân phố 5"], ["session_started"]),
    Row("a channel's start payload works mid-flow", at_screen(G2), ("payload", "v_nhuco-na-roong"), Step.VILLAGE_CONFIRM, ["Nà Roòng"], ["session_started"]),
    Row("'xoá dữ liệu' asks first", at_screen(G2), "xoá dữ liệu", Step.ERASE_CONFIRM, ["xoá mọi thông tin"], []),
    Row("'xóa dữ liệu' (other accent placement) too", at_screen(G2), "xóa dữ liệu", Step.ERASE_CONFIRM, [], []),
    Row("erase confirmed", [*at_screen(G2), "xoá dữ liệu"], "Có, xoá dữ liệu", Step.NEW, ["Đã xoá", "Bắt đầu lại"], ["data_erased"]),
    Row("erase declined goes back", [*at_screen(G2), "xoá dữ liệu"], "không", Step.GUIDE_2, ["Đã giữ nguyên", "Bước 2"], []),
    Row("'nhờ cán bộ' typed anywhere asks what the person needs", at_screen(G2), "nhờ cán bộ", Step.HANDOFF_MESSAGE, ["viết ngắn việc cần giúp"], [], ["gọi lại"]),
    Row("the message becomes a ticket; where to go is said, nobody is promised to call", [*at_screen(G2), "nhờ cán bộ"], "không thấy nút Thẻ BHYT", Step.MENU, ["Công an xã", "trong giờ hành chính"], ["handoff_requested"], ["gọi lại"]),
    Row("slash command /kiemtra", at_screen(G1), "/kiemtra", Step.CARD_ASK, ["Gõ số thẻ BHYT vào đây"], []),
    # prerequisites and the guide
    Row("prerequisite yes", AT_PRE_APP, "Có, đã cài VNeID", Step.PRE_LEVEL2, ["định danh mức 2"], []),
    Row("prerequisite 'có rồi'", AT_PRE_APP, "có rồi", Step.PRE_LEVEL2, [], []),
    Row("prerequisite 'chưa' explains", [*AT_PRE_APP, "có"], "chưa", Step.PRE_LEVEL2_HELP, ["Công an xã", "thẻ căn cước", "Đã có mức 2, tiếp tục"], []),
    Row("prerequisite 'không biết' explains too", [*AT_PRE_APP, "có"], "không biết", Step.PRE_LEVEL2_HELP, [], []),
    Row("prerequisite help continues", [*AT_PRE_APP, "có", "chưa"], "Đã có mức 2, tiếp tục", Step.PRE_CARD, ["số thẻ BHYT"], []),
    Row("last prerequisite leads to step 1", [*AT_PRE_APP, "có", "có"], "có", Step.GUIDE_1, ["Bước 1:"], ["step_reached"]),
    Row("'xong rồi' moves to the next step", at_screen(G1), "xong rồi", Step.GUIDE_2, ["Bước 2:"], ["step_reached"]),
    Row("'dạ cháu làm xong rồi ạ' too", at_screen(G1), "dạ cháu làm xong rồi ạ", Step.GUIDE_2, ["Bước 2:"], ["step_reached"]),
    Row("'quay lại' at step 3", at_screen(G3), "quay lại", Step.GUIDE_2, ["Bước 2:"], []),
    Row("'Quay lại' at step 1 goes back to the last prerequisite", at_screen(G1), "Quay lại", Step.PRE_CARD, [], []),
    Row("step 4 starts with the issuer, one thing only", at_screen(G3), "xong", G4, ["việc 1/3", "Đơn vị cấp thẻ BHYT", "Tôi bị vướng"], ["step_reached"], ["Số thẻ BHYT", "Tôi xác nhận"]),
    Row("step 4's second part is the number, with the card check", at_screen(G4), "xong", G4N, ["việc 2/3", "Số thẻ BHYT", "Kiểm tra số thẻ"], [], ["Tôi xác nhận"]),
    Row("step 4's third part is the confirmation", at_screen(G4N), "xong", G4C, ["việc 3/3", "Tôi xác nhận các thông tin ở trên là đúng"], []),
    Row("step 5 reminds of the daily limit", at_screen(G4C), "xong", G5, ["3 yêu cầu", "cùng 10 số cuối", "Gửi yêu cầu thành công"], ["step_reached"]),
    Row("'ko biết' at a step means stuck", at_screen(G4), "ko biết", Step.STUCK, ["bước 4", "Không biết chọn đơn vị nào", "Vấn đề khác"], ["stuck"]),
    Row("stuck at the number part lists that part's problems", at_screen(G4N), "Tôi bị vướng", Step.STUCK, ["Không biết số thẻ", "Máy báo số thẻ không đúng"], ["stuck"], ["Không biết chọn đơn vị"]),
    Row("a troubleshooting entry answers", [*at_screen(G3), "Tôi bị vướng"], "Không thấy \"Tích hợp thông tin\"", Step.STUCK_ANSWER, ["Tích hợp giấy tờ", "Làm lại bước 3"], []),
    Row("retry after troubleshooting", [*at_screen(G3), "Tôi bị vướng", "Máy hỏi passcode"], "Làm lại bước 3", Step.GUIDE_3, ["Bước 3:"], []),
    Row("retry returns to the part of step 4 it came from", [*at_screen(G4N), "Tôi bị vướng", "Không biết số thẻ"], "Làm lại bước 4", G4N, ["việc 2/3"], []),
    Row("'Vấn đề khác' offers a person", [*at_screen(G3), "Tôi bị vướng"], "Vấn đề khác", Step.HANDOFF_OFFER, ["cán bộ xã giúp trực tiếp"], []),
    Row("the person accepts the offer", [*at_screen(G3), "Tôi bị vướng", "Vấn đề khác"], "có", Step.HANDOFF_MESSAGE, ["viết ngắn việc cần giúp"], []),
    Row("the check from step 4 offers a way back to it", at_screen(G4N), "Kiểm tra số thẻ", Step.CARD_ASK, ["Gõ số thẻ BHYT vào đây", "Quay lại bước 4"], []),
    Row("a valid card typed at step 4 says the issuer and stays there, briefly", at_screen(G4N), "GD4010123456789", G4N, ["chọn \"Bảo hiểm xã hội Việt Nam\"", "chữ in hoa", "Bước 4, việc 2/3: gõ số thẻ"], ["card_checked"], ["GD4", "789", "Ở ô \"Số thẻ BHYT\", gõ số in trên thẻ"]),
    Row("step 5 success by 'có, hiện rồi'", at_screen(G5), "có, hiện rồi", Step.MENU, ["Lịch sử", "Báo kết quả"], ["outcome"]),
    Row("step 5 success by 'thấy rồi'", at_screen(G5), "thấy rồi", Step.MENU, [], ["outcome"]),
    Row("'ok' at step 5 is no report of success", at_screen(G5), "ok", G5, ["chưa hiểu"], []),
    Row("'chưa hiện' at step 5 asks which message", at_screen(G5), "chưa hiện", Step.FAIL_WHICH, ["thông báo nào"], []),
    Row("duplicate pending request", [*at_screen(G5), "không"], "Đã có yêu cầu đang xử lý", Step.MENU, ["chờ xử lý"], ["outcome"]),
    Row("already approved", [*at_screen(G5), "không"], "Đã có hồ sơ được duyệt", Step.MENU, ["Thẻ BHYT"], ["outcome"]),
    Row("another message offers a person", [*at_screen(G5), "không"], "Thông báo khác", Step.HANDOFF_OFFER, ["chụp lại màn hình"], ["outcome"]),
    # card numbers
    Row("a valid 10-digit number from the menu", AT_CARD, "0123456789", Step.CARD_DONE, ["viết đúng", "Bảo hiểm xã hội Việt Nam", "3 yêu cầu", "Xem ý nghĩa số thẻ"], ["card_checked"], ["0123456789", "789", "•"]),
    Row("a valid 15-character police card names its issuer", AT_CARD, "CA5980123456789", Step.CARD_DONE, ["chọn \"Bảo hiểm xã hội Công an nhân dân\""], ["card_checked"], ["Sĩ quan", "Mức hưởng", "CA5"]),
    Row("the letter O is pointed at by position and by what was typed", AT_CARD, "DN4O10123456789", Step.CARD_ASK, ["Ký tự thứ 4 ông/bà gõ là chữ O, phải là số 0", "đủ 15 ký tự", "chữ in hoa", "gõ lại số thẻ"], ["card_checked"], ["DN4", "789", "•", "Mã NO", "chữ l"]),
    Row("the letter O as benefit level", AT_CARD, "DNO010123456789", Step.CARD_ASK, ["Ký tự thứ 3 ông/bà gõ là chữ O, phải là số 0"], ["card_checked"]),
    Row("a lowercase l gets the one hint about l and 1", AT_CARD, "0l23456789", Step.CARD_ASK, ["Ký tự thứ 2 ông/bà gõ là chữ l, phải là chữ số", "Số 1 khác chữ l", "đủ 10 chữ số"], ["card_checked"], ["chữ X", "KT", "3 yêu cầu"]),
    Row("a CCCD number at the card question", AT_CARD, "001090012345", Step.CARD_ASK, ["căn cước (CCCD)"], ["card_checked"], ["001090012345"]),
    Row("a card number at the area question is checked, the question repeats", AT_AREA, "0123456789", Step.AREA, ["viết đúng", "khu vực nào"], ["card_checked"], ["0123456789", "3 yêu cầu"]),
    Row("a CCCD number at the menu", AT_MENU, "CCCD: 001 090 012 345", Step.MENU, ["căn cước (CCCD)", "cần giúp việc gì"], ["card_checked"], ["001090012345"]),
    Row("a FAQ question at the card question gets the FAQ", AT_CARD, "quên mật khẩu", Step.CARD_ASK, ["Quên mật khẩu", "gõ lại số thẻ"], ["faq_viewed"]),
    Row("'Xem ý nghĩa số thẻ' asks for the number again (nothing was kept)", [*AT_CARD, "CA5980123456789"], "Xem ý nghĩa số thẻ", Step.CARD_ASK, ["không lưu số thẻ", "gõ lại số thẻ"], []),
    Row("the number typed again is explained part by part", [*AT_CARD, "CA5980123456789", "Xem ý nghĩa số thẻ"], "CA5980123456789", Step.CARD_DONE, ["Nhóm CA", "Mức hưởng 5", "Nơi cấp"], ["card_checked"]),
    # typed questions
    Row("FAQ by free text: 'tôi không nhớ số thẻ bhyt'", AT_MENU, "tôi không nhớ số thẻ bhyt", Step.FAQ_ANSWER, ["VssID"], ["faq_viewed"]),
    Row("FAQ by free text: 'có mất tiền không'", AT_MENU, "có mất tiền không", Step.FAQ_ANSWER, ["miễn phí"], ["faq_viewed"]),
    Row("FAQ by free text: 'gọi cho ai' opens the handoff", AT_MENU, "gọi cho ai", Step.HANDOFF_MESSAGE, ["viết ngắn việc cần giúp"], []),
    Row("a question mid-guide is answered and the step is asked again, briefly", at_screen(G3), "doi dien thoai thi sao", G3, ["NFC", "Bước 3: chọn"], ["faq_viewed"], ["Màn hình sẽ hiện"]),
    Row("two close matches are offered side by side", AT_MENU, "mất bao lâu thì được duyệt", Step.FAQ_PICK, ["muốn hỏi điều nào", "Chờ duyệt lâu hoặc bị từ chối", "Câu hỏi khác"], []),
    Row("a question nothing answers is said plainly, with the list and a person", AT_MENU, "giá lúa hôm nay bao nhiêu", Step.NOT_FOUND, ["chưa tìm thấy", "Xem các câu hỏi thường gặp", "Nhờ cán bộ hỗ trợ"], []),
    Row("a question nothing answers mid-guide, too", at_screen(G2), "tại sao máy cứ tắt", Step.NOT_FOUND, ["chưa tìm thấy"], []),
    Row("FAQ list", AT_MENU, "Câu hỏi thường gặp", Step.FAQ, ["Quên mật khẩu VNeID", "Nhờ cán bộ hỗ trợ", "Về menu chính"], []),
    Row("FAQ by free text without diacritics at the list", [*AT_MENU, "Câu hỏi thường gặp"], "chua co muc 2", Step.FAQ_ANSWER, ["Công an xã"], ["faq_viewed"]),
    # results, signature
    Row("result approved", [*AT_MENU, "Báo kết quả"], "Đã được duyệt", Step.MENU, ["Chúc mừng"], ["outcome"]),
    Row("result rejected asks the cause", [*AT_MENU, "Báo kết quả"], "bị từ chối", Step.REJECT_CAUSE, ["Lý do từ chối"], []),
    Row("rejected for a wrong issuer", [*AT_MENU, "Báo kết quả", "bị từ chối"], "Sai đơn vị cấp thẻ", Step.MENU, ["Đơn vị cấp thẻ BHYT"], ["outcome"]),
    Row("words without diacritics", [*AT_MENU, "Báo kết quả", "bị từ chối"], "het han", Step.MENU, ["gia hạn"], ["outcome"]),
    Row("still pending", [*AT_MENU, "Báo kết quả"], "Vẫn đang chờ duyệt", Step.MENU, ["Lịch sử"], []),
    Row("signature explained then asked", AT_MENU, "Chữ ký số công cộng", Step.SIGNATURE, ["chữ ký tay", "Xem cách đăng ký"], []),
    Row("the ways to register, then the question again", [*AT_MENU, "Chữ ký số công cộng"], "Xem cách đăng ký", Step.SIGNATURE, ["3 cách", "nhà mạng", "hỗ trợ đăng ký không"], []),
    Row("signature help wanted", [*AT_MENU, "Chữ ký số công cộng"], "vâng ạ", Step.MENU, ["Trung tâm Phục vụ hành chính công"], ["signature_interest"]),
    Row("signature not wanted", [*AT_MENU, "Chữ ký số công cộng"], "không", Step.MENU, ["Khi cần"], []),
    # anything else
    Row("a sticker gets a kind answer and the same question", at_screen(G2), ("sticker", ""), Step.GUIDE_2, ["chỉ đọc được chữ", "Bước 2"], []),
    Row("'resume' shows the current question and nothing else", at_screen(G2), ("resume", ""), Step.GUIDE_2, ["Bước 2: Đăng nhập VNeID."], []),
    Row("an empty message gets the options again", at_screen(G2), "   ", Step.GUIDE_2, ["chưa hiểu", "Bước 2"], []),
    Row("a stale button re-shows the current question", at_screen(G3), ("press", "guide_2:next"), Step.GUIDE_3, ["câu hỏi trước", "Bước 3"], []),
    Row("an unknown button id is stale too", at_screen(G3), ("press", "nonsense"), Step.GUIDE_3, ["câu hỏi trước"], []),
    Row("text that fits nothing gets the options again", at_screen(G2), "bla bla", Step.GUIDE_2, ["chưa hiểu", "1. Xong, sang bước tiếp"], []),
    Row("the third miss in a row offers a person", [*at_screen(G2), "bla", "bla bla"], "blah", Step.HANDOFF_OFFER, ["vẫn chưa hiểu", "giúp trực tiếp"], []),
    Row("declining the offer goes back to the question", [*at_screen(G2), "bla", "bla", "blah"], "Không, quay lại", Step.GUIDE_2, ["Bước 2"], []),
    Row("ignoring the offer goes back and the answer counts there", [*at_screen(G2), "bla", "bla", "blah"], NEXT, Step.GUIDE_3, ["Bước 3:"], ["step_reached"]),
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
