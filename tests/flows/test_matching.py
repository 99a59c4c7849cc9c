"""Understanding typed answers (flows/matching.py), as tables of what a person types and what
it must mean, on the frozen content's words (tests/fixtures/content/words.toml).

`command_of`: global words, "/start <payload>" and "bắt đầu",
"@BotName" suffixes, and the ordinary words that must not become commands. `option_of`: picking
an offered option by number, label, words of one label, near miss, meaning or alias; strict
questions.
"""

import unicodedata

import pytest

from flows.matching import COMMANDS, TYPED_COMMANDS, Strictness, command_of, option_of


@pytest.fixture(scope="module")
def vocabulary(content):
    return content.vocabulary


# ---------------------------------------------------------------------------------------------
# command_of
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "command"),
    [
        ("menu", "menu"), ("về menu", "menu"), ("/menu", "menu"),
        ("huỷ", "cancel"), ("hủy", "cancel"), ("thoát", "cancel"), ("/huy", "cancel"),
        ("trợ giúp", "help"), ("/trogiup", "help"), ("/help", "help"),
        ("đổi thôn", "village"), ("doi thon", "village"), ("/thon", "village"),
        ("dừng", "stop"), ("dừng nhắc", "stop"), ("/dung", "stop"), ("/stop", "stop"),
        ("xoá dữ liệu", "erase"), ("xóa dữ liệu", "erase"), ("xoa du lieu", "erase"), ("/xoadulieu", "erase"),
        ("nhờ cán bộ", "handoff"), ("gặp cán bộ", "handoff"), ("/canbo", "handoff"),
        ("/huongdan", "guide"), ("/kiemtra", "card"), ("/video", "video"), ("/ketqua", "result"),
        ("/chukyso", "signature"), ("/hoidap", "faq"),
    ],
)  # fmt: skip
def test_global_words(vocabulary, word, command):
    assert command_of(word, vocabulary) == (command, None)
    assert command_of(f"  {word.upper()}  ", vocabulary) == (command, None)


def test_every_typed_command_has_words_in_the_content(vocabulary):
    assert set(vocabulary.commands.values()) == set(TYPED_COMMANDS)
    assert set(TYPED_COMMANDS) < set(COMMANDS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("/start", ("start", None), id="bare /start"),
        pytest.param("/start v_nhuco-na-roong", ("start", "v_nhuco-na-roong"), id="/start with village link"),
        pytest.param("/start@SomeBot v_x", ("start", "v_x"), id="/start@BotName with payload"),
        pytest.param("/start@SomeBot", ("start", None), id="/start@BotName without payload"),
        pytest.param("  /start   v_x  ", ("start", "v_x"), id="/start with surrounding spaces"),
        pytest.param("/START", ("start", None), id="/START upper-case"),
        pytest.param("start", ("start", None), id="start without slash"),
        pytest.param("bắt đầu", ("start", None), id="bắt đầu"),
        pytest.param("Bắt Đầu", ("start", None), id="Bắt Đầu capitalised"),
        pytest.param("bat dau", ("start", None), id="bat dau without diacritics"),
        pytest.param("bắt đầu lại", ("start", None), id="bắt đầu lại has no payload"),
        pytest.param("bat dau lai", ("start", None), id="bat dau lai has no payload"),
        pytest.param(
            unicodedata.normalize("NFD", "bắt đầu"), ("start", None), id="bắt đầu typed in decomposed Unicode"
        ),
        pytest.param("Bắt đầu!", ("start", None), id="bắt đầu with punctuation like Menu!"),
    ],
)
def test_start(vocabulary, text: str, expected: tuple[str, str | None]) -> None:
    assert command_of(text, vocabulary) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("  MENU ", ("menu", None), id="spaces and upper case"),
        pytest.param("Menu!", ("menu", None), id="trailing punctuation"),
        pytest.param("HUỶ", ("cancel", None), id="upper-case huỷ"),
        pytest.param("/menu@SomeBot", ("menu", None), id="/menu@BotName"),
        pytest.param("/help@X_bot", ("help", None), id="bot name with underscore"),
        pytest.param(unicodedata.normalize("NFD", "dừng"), ("stop", None), id="dừng in decomposed Unicode"),
    ],
)
def test_global_word_variants(vocabulary, text: str, expected: tuple[str, None]) -> None:
    assert command_of(text, vocabulary) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("dung", id="bare dung could be dùng or đúng"),
        pytest.param("dùng", id="dùng means use"),
        pytest.param("đúng", id="đúng means right"),
        pytest.param("huy", id="bare huy without diacritics"),
        pytest.param("menu đi", id="menu inside a sentence"),
        pytest.param("xoá", id="xoá alone is not erase"),
        pytest.param("tôi muốn dừng lại ở đây", id="dừng lại inside a sentence"),
        pytest.param("xin chào", id="greeting"),
        pytest.param("", id="empty text"),
    ],
)
def test_ordinary_text_is_not_a_command(vocabulary, text: str) -> None:
    assert command_of(text, vocabulary) is None


# ---------------------------------------------------------------------------------------------
# option_of
# ---------------------------------------------------------------------------------------------

GUIDE = [
    ["guide_2:next", "Xong, sang bước tiếp"],
    ["guide_2:stuck", "Tôi bị vướng"],
    ["guide_2:back", "Quay lại"],
    ["guide_2:menu", "Về menu chính"],
]
YES_NO = [["pre_app:yes", "Có, đã cài VNeID"], ["pre_app:no", "Chưa cài"]]
CONSENT = [
    ["consent:agree", "Đồng ý"],
    ["consent:decline", "Không đồng ý"],
    ["consent:details", "Xem chi tiết"],
]
AREAS = [["area:dong-tam", "Đồng Tâm"], ["area:quang-chu", "Quảng Chu"], ["area:nhu-co", "Như Cố"],
         ["area:unsure", "Khác / không rõ"]]  # fmt: skip
MENU = [
    ["menu:guide", "Hướng dẫn 5 bước tích hợp thẻ BHYT"],
    ["menu:card", "Kiểm tra số thẻ BHYT"],
    ["menu:video", "Video hướng dẫn (mã QR)"],
    ["menu:signature", "Chữ ký số công cộng"],
]
ALIASES = {"guide_2:stuck": ("chiu thua",), "consent:agree": ("chap nhan",)}


def no_aliases(option_id: str) -> tuple[str, ...]:
    return ()


def some_aliases(option_id: str) -> tuple[str, ...]:
    return ALIASES.get(option_id, ())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("1", "guide_2:next", id="number 1"),
        pytest.param("số 1", "guide_2:next", id="số 1"),
        pytest.param("1.", "guide_2:next", id="1 with full stop"),
        pytest.param("so 2", "guide_2:stuck", id="so 2 without diacritics"),
        pytest.param("chọn 2", "guide_2:stuck", id="chọn 2"),
        pytest.param(" 3 ", "guide_2:back", id="3 with spaces"),
        pytest.param("4", "guide_2:menu", id="last option by number"),
        pytest.param("5", None, id="5 is past the last option"),
        pytest.param("0", None, id="0 is before the first option"),
        pytest.param("12", None, id="two-digit number out of range"),
    ],
)
def test_option_by_number(vocabulary, text, expected):
    assert option_of(text, GUIDE, vocabulary, no_aliases) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Xong, sang bước tiếp", "guide_2:next", id="exact label"),
        pytest.param("xong sang buoc tiep", "guide_2:next", id="label without diacritics"),
        pytest.param("TÔI BỊ VƯỚNG", "guide_2:stuck", id="label in capitals"),
        pytest.param("Quay lại!", "guide_2:back", id="label with punctuation"),
        pytest.param("xong sang buoc tiepp", "guide_2:next", id="near-miss typo of a label"),
        pytest.param("quay laj", "guide_2:back", id="one wrong letter"),
        pytest.param("ve menu chinh", "guide_2:menu", id="label that holds a global word"),
    ],
)
def test_option_by_label(vocabulary, text, expected):
    assert option_of(text, GUIDE, vocabulary, no_aliases) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("ok", "guide_2:next", id="ok means next"),
        pytest.param("ok 👍", "guide_2:next", id="ok with emoji"),
        pytest.param("xong rồi", "guide_2:next", id="xong rồi"),
        pytest.param("dạ con làm xong rồi ạ", "guide_2:next", id="with politeness"),
        pytest.param("tiep tuc", "guide_2:next", id="tiep tuc"),
        pytest.param("ko biết", "guide_2:stuck", id="ko biết means stuck when unsure is not offered"),
        pytest.param("lỗi", "guide_2:stuck", id="lỗi means stuck"),
        pytest.param("không được", "guide_2:stuck", id="không được means stuck"),
        pytest.param("trở lại", "guide_2:back", id="trở lại means back"),
        pytest.param("không", None, id="không has no option here"),
    ],
)
def test_option_by_everyday_answer(vocabulary, text, expected):
    assert option_of(text, GUIDE, vocabulary, no_aliases) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("có", "pre_app:yes", id="có"),
        pytest.param("co", "pre_app:yes", id="co without diacritics"),
        pytest.param("có rồi ạ", "pre_app:yes", id="có rồi ạ"),
        pytest.param("xong rồi", "pre_app:yes", id="xong rồi"),
        pytest.param("không", "pre_app:no", id="không"),
        pytest.param("chưa có", "pre_app:no", id="chưa có"),
        pytest.param("ko biết", "pre_app:no", id="ko biết falls back through unsure and stuck to no"),
        pytest.param("chua cai", "pre_app:no", id="label without diacritics"),
        pytest.param("chưa cài vneid", "pre_app:no", id="a label inside the text"),
        pytest.param(
            "chưa có, đã cài vneid đâu", "pre_app:no", id="a negated text never picks the yes label"
        ),
        pytest.param("quay lại", None, id="back not offered"),
    ],
)
def test_yes_no_question(vocabulary, text, expected):
    assert option_of(text, YES_NO, vocabulary, no_aliases) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("có", None, id="có is not Như Cố"),
        pytest.param("không", None, id="không is not Khác / không rõ"),
        pytest.param("không rõ", "area:unsure", id="không rõ is a part of that label"),
        pytest.param("nhu co", "area:nhu-co", id="the label without diacritics"),
        pytest.param("dong", "area:dong-tam", id="a word of exactly one label"),
    ],
)
def test_an_everyday_answer_is_never_matched_to_an_option_by_spelling(vocabulary, text, expected):
    assert option_of(text, AREAS, vocabulary, no_aliases) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("hướng dẫn tích hợp thẻ", "menu:guide", id="the words of one label"),
        pytest.param("chữ ký số là gì", "menu:signature", id="question words left out"),
        pytest.param("thẻ", None, id="a word of two labels picks nothing"),
    ],
)
def test_menu_by_the_words_of_one_label(vocabulary, text, expected):
    assert option_of(text, MENU, vocabulary, no_aliases) == expected


@pytest.mark.parametrize(
    ("text", "strictness", "expected"),
    [
        pytest.param("vâng", Strictness.CONSENT, "consent:agree", id="vâng consents"),
        pytest.param("ok", Strictness.CONSENT, "consent:agree", id="ok consents"),
        pytest.param("dạ đồng ý ạ", Strictness.CONSENT, "consent:agree", id="dạ đồng ý ạ"),
        pytest.param("xong", Strictness.CONSENT, None, id="xong does not consent"),
        pytest.param("không ạ", Strictness.CONSENT, "consent:decline", id="không ạ declines"),
        pytest.param("k đồng ý", Strictness.CONSENT, "consent:decline", id="k đồng ý declines"),
        pytest.param("chưa đồng ý", Strictness.CONSENT, "consent:decline", id="chưa đồng ý declines"),
        pytest.param("ko biết", Strictness.CONSENT, None, id="unsure neither agrees nor declines"),
        pytest.param("dong yy", Strictness.CONSENT, None, id="no near miss on a strict question"),
        pytest.param("xem chi tiet", Strictness.CONSENT, "consent:details", id="a label"),
        pytest.param("ok", Strictness.FIRM, None, id="ok is not firm"),
        pytest.param("có", Strictness.FIRM, "consent:agree", id="có is firm"),
    ],
)
def test_strict_questions(vocabulary, text, strictness, expected):
    assert option_of(text, CONSENT, vocabulary, no_aliases, strictness) == expected


@pytest.mark.parametrize(
    ("text", "offered", "strictness", "expected"),
    [
        pytest.param(
            "Chịu thua!", GUIDE, Strictness.NORMAL, "guide_2:stuck", id="alias folded before lookup"
        ),
        pytest.param("chấp nhận", CONSENT, Strictness.CONSENT, "consent:agree", id="an alias is explicit"),
    ],
)
def test_aliases(vocabulary, text, offered, strictness, expected):
    assert option_of(text, offered, vocabulary, some_aliases, strictness) == expected
    assert option_of(text, offered, vocabulary, no_aliases, strictness) != expected


def test_ambiguous_near_miss_picks_nothing(vocabulary):
    offered = [["s:one", "Xong bước 1"], ["s:two", "Xong bước 2"]]
    assert option_of("xong buoc 1", offered, vocabulary, no_aliases) == "s:one"
    assert option_of("xong buoc", offered, vocabulary, no_aliases) is None


@pytest.mark.parametrize("text", ["1", "ok", "Về menu chính"])
def test_nothing_offered(vocabulary, text):
    assert option_of(text, [], vocabulary, no_aliases) is None


@pytest.mark.parametrize("text", ["👍", "🙏🙏", "!!!", "...", "   ", ""])
def test_only_emoji_or_punctuation_picks_nothing(vocabulary, text):
    assert option_of(text, GUIDE, vocabulary, no_aliases) is None
    assert option_of(text, YES_NO, vocabulary, no_aliases) is None
