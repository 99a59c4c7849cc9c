"""Tests for understanding typed answers (flows/matching.py).

`command_of`: global words, "/start <payload>" and "bắt đầu", "@BotName" suffixes, and the ordinary
words that must not become commands. `option_of`: picking an offered option by number, label,
label without diacritics, near-miss typo, everyday word ("ok", "ko biết"), or alias; the strict
(consent) mode that accepts only numbers and labels.
"""

import unicodedata

import pytest

from flows.matching import COMMAND_WORDS, command_of, option_of

# ---------------------------------------------------------------------------------------------
# command_of
# ---------------------------------------------------------------------------------------------

#: Every global word the bot documents, written out here so that a word dropped or re-routed in
#: the module is noticed.
GLOBAL_WORDS = {
    "menu": ("menu", "/menu", "về menu", "ve menu", "menu chính", "menu chinh"),
    "cancel": ("huỷ", "hủy", "huỷ bỏ", "hủy bỏ", "huy bo", "thoát", "thoat", "/huy"),
    "help": ("trợ giúp", "tro giup", "/trogiup", "/help", "help"),
    "village": ("đổi thôn", "doi thon", "đổi tổ", "doi to", "đổi thôn tổ", "/thon"),
    "stop": ("dừng", "dừng lại", "dừng nhắc", "/dung", "stop", "/stop"),
    "erase": (
        "xoá dữ liệu",
        "xóa dữ liệu",
        "xoa du lieu",
        "xoá dữ liệu của tôi",
        "xóa dữ liệu của tôi",
        "/xoadulieu",
    ),
    "handoff": ("nhờ cán bộ", "nhờ cán bộ hỗ trợ", "nho can bo", "nho can bo ho tro", "gặp cán bộ", "/canbo"),
    "guide": ("/huongdan",),
    "card": ("/kiemtra",),
    "video": ("/video",),
    "result": ("/ketqua",),
    "signature": ("/chukyso",),
    "faq": ("/hoidap",),
}


@pytest.mark.parametrize(
    ("word", "command"),
    [
        pytest.param(word, command, id=f"{command} <- {word}")
        for command, words in GLOBAL_WORDS.items()
        for word in words
    ],
)
def test_documented_global_word_maps_to_its_command(word: str, command: str) -> None:
    assert command_of(word) == (command, None)


@pytest.mark.parametrize(
    ("word", "command"), [pytest.param(word, command, id=word) for word, command in COMMAND_WORDS.items()]
)
def test_every_global_word_of_the_module_is_reachable(word: str, command: str) -> None:
    assert command_of(word) == (command, None)
    assert command_of(f"  {word.upper()}  ") == (command, None)


@pytest.mark.parametrize(
    ("word", "command"),
    [pytest.param(word, command, id=word) for word, command in COMMAND_WORDS.items() if word.startswith("/")],
)
def test_slash_command_with_bot_name_suffix(word: str, command: str) -> None:
    assert command_of(f"{word}@SomeBot") == (command, None)


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
def test_start(text: str, expected: tuple[str, str | None]) -> None:
    assert command_of(text) == expected


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
def test_global_word_variants(text: str, expected: tuple[str, None]) -> None:
    assert command_of(text) == expected


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
def test_ordinary_text_is_not_a_command(text: str) -> None:
    assert command_of(text) is None


# ---------------------------------------------------------------------------------------------
# option_of
# ---------------------------------------------------------------------------------------------

GUIDE = [
    ["guide_2:next", "Xong, sang bước tiếp"],
    ["guide_2:stuck", "Tôi bị vướng"],
    ["guide_2:back", "Quay lại"],
    ["guide_2:menu", "Menu"],
]
YES_NO = [["pre_app:yes", "Có, đã cài VNeID"], ["pre_app:no", "Chưa cài"]]
CONSENT = [["consent:agree", "Đồng ý"], ["consent:decline", "Không đồng ý"]]
ALIASES = {
    "guide_2:stuck": ("ket roi",),
    "consent:agree": ("chap nhan",),
}


def no_aliases(option_id: str) -> tuple[str, ...]:
    return ()


def some_aliases(option_id: str) -> tuple[str, ...]:
    return ALIASES.get(option_id, ())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("1", "guide_2:next", id="number 1"),
        pytest.param("số 1", "guide_2:next", id="số 1"),
        pytest.param("Số 1", "guide_2:next", id="Số 1 capitalised"),
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
def test_option_by_number(text: str, expected: str | None) -> None:
    assert option_of(text, GUIDE, no_aliases) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Xong, sang bước tiếp", "guide_2:next", id="exact label"),
        pytest.param("xong sang buoc tiep", "guide_2:next", id="label without diacritics"),
        pytest.param("TÔI BỊ VƯỚNG", "guide_2:stuck", id="label in capitals"),
        pytest.param("Quay lại!", "guide_2:back", id="label with punctuation"),
        pytest.param("xong sang buoc tiepp", "guide_2:next", id="near-miss typo of a label"),
        pytest.param("toi bi vuongg", "guide_2:stuck", id="typo in a label without diacritics"),
        pytest.param("quay laj", "guide_2:back", id="one wrong letter"),
        pytest.param("menu", "guide_2:menu", id="label that is also a global word"),
    ],
)
def test_option_by_label(text: str, expected: str) -> None:
    assert option_of(text, GUIDE, no_aliases) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("ok", "guide_2:next", id="ok means next"),
        pytest.param("OK!", "guide_2:next", id="OK! with capitals and punctuation"),
        pytest.param("ok 👍", "guide_2:next", id="ok with emoji"),
        pytest.param("xong rồi", "guide_2:next", id="xong rồi means next"),
        pytest.param("xong", "guide_2:next", id="xong means next"),
        pytest.param("tiếp", "guide_2:next", id="tiếp means next"),
        pytest.param("tiep tuc", "guide_2:next", id="tiep tuc means next"),
        pytest.param("ko biết", "guide_2:stuck", id="ko biết means stuck when unsure is not offered"),
        pytest.param("lỗi", "guide_2:stuck", id="lỗi means stuck"),
        pytest.param("quay lại", "guide_2:back", id="quay lại means back"),
        pytest.param("trở lại", "guide_2:back", id="trở lại means back"),
        pytest.param("không", None, id="không has no option here"),
    ],
)
def test_option_by_everyday_word(text: str, expected: str | None) -> None:
    assert option_of(text, GUIDE, no_aliases) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("có", "pre_app:yes", id="có"),
        pytest.param("co", "pre_app:yes", id="co without diacritics"),
        pytest.param("ok", "pre_app:yes", id="ok"),
        pytest.param("rồi", "pre_app:yes", id="rồi"),
        pytest.param("đúng", "pre_app:yes", id="đúng"),
        pytest.param("không", "pre_app:no", id="không"),
        pytest.param("khong", "pre_app:no", id="khong without diacritics"),
        pytest.param("chưa", "pre_app:no", id="chưa"),
        pytest.param("ko", "pre_app:no", id="ko"),
        pytest.param("ko biết", "pre_app:no", id="ko biết falls back through unsure and stuck to no"),
        pytest.param("chua cai", "pre_app:no", id="label without diacritics"),
        pytest.param("quay lại", None, id="back not offered"),
        pytest.param("dung", None, id="bare dung is neither yes nor no"),
    ],
)
def test_yes_no_question(text: str, expected: str | None) -> None:
    assert option_of(text, YES_NO, no_aliases) == expected


def test_unsure_is_preferred_when_offered() -> None:
    offered = [["q:yes", "Có"], ["q:no", "Không"], ["q:unsure", "Tôi không chắc"]]
    assert option_of("ko biết", offered, no_aliases) == "q:unsure"
    assert option_of("không", offered, no_aliases) == "q:no"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("1", "consent:agree", id="number 1"),
        pytest.param("2", "consent:decline", id="number 2"),
        pytest.param("đồng ý", "consent:agree", id="label đồng ý"),
        pytest.param("dong y", "consent:agree", id="label without diacritics"),
        pytest.param("Đồng ý!", "consent:agree", id="label with punctuation"),
        pytest.param("không đồng ý", "consent:decline", id="label không đồng ý"),
        pytest.param("khong dong y", "consent:decline", id="decline label without diacritics"),
        pytest.param("ok", None, id="ok is not consent"),
        pytest.param("có", None, id="có is not consent"),
        pytest.param("không", "consent:decline", id="không declines"),
        pytest.param("ko", "consent:decline", id="ko declines"),
        pytest.param("không ạ", "consent:decline", id="không ạ declines"),
        pytest.param("dạ đồng ý", "consent:agree", id="dạ đồng ý agrees"),
        pytest.param("3", None, id="number out of range"),
    ],
)
def test_strict_consent_question(text: str, expected: str | None) -> None:
    assert option_of(text, CONSENT, no_aliases, strict=True) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("k đồng ý", id="k đồng ý"),
        pytest.param("ko đồng ý", id="ko đồng ý"),
        pytest.param("kh đồng ý", id="kh đồng ý"),
        pytest.param("hong dong y", id="hong dong y"),
        pytest.param("chưa đồng ý", id="chưa đồng ý"),
        pytest.param("tôi không đồng ý", id="tôi không đồng ý"),
    ],
)
def test_negated_consent_is_never_read_as_agreement(text: str) -> None:
    assert option_of(text, CONSENT, no_aliases, strict=True) in (None, "consent:decline")


@pytest.mark.parametrize(
    ("text", "offered", "strict", "expected"),
    [
        pytest.param("Kẹt rồi!", GUIDE, False, "guide_2:stuck", id="alias folded before lookup"),
        pytest.param("ket roi", GUIDE, False, "guide_2:stuck", id="alias as typed"),
        pytest.param("chấp nhận", CONSENT, False, "consent:agree", id="alias honoured when not strict"),
        pytest.param(
            "chấp nhận", CONSENT, True, "consent:agree", id="an office alias is explicit, also when strict"
        ),
    ],
)
def test_aliases(text: str, offered: list[list[str]], strict: bool, expected: str | None) -> None:
    assert option_of(text, offered, some_aliases, strict=strict) == expected


def test_without_aliases_the_alias_word_is_not_understood() -> None:
    assert option_of("ket roi", GUIDE, no_aliases) is None


def test_ambiguous_near_miss_picks_nothing() -> None:
    offered = [["s:one", "Xong bước 1"], ["s:two", "Xong bước 2"]]
    assert option_of("xong buoc 1", offered, no_aliases) == "s:one"
    assert option_of("xong buoc", offered, no_aliases) is None


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("1", id="number"),
        pytest.param("ok", id="everyday word"),
        pytest.param("Menu", id="a label elsewhere"),
    ],
)
def test_nothing_offered(text: str) -> None:
    assert option_of(text, [], no_aliases) is None


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("👍", id="thumbs up"),
        pytest.param("🙏🙏", id="two emoji"),
        pytest.param("!!!", id="exclamation marks"),
        pytest.param("...", id="dots"),
        pytest.param("   ", id="spaces"),
        pytest.param("", id="empty"),
    ],
)
def test_only_emoji_or_punctuation_picks_nothing(text: str) -> None:
    assert option_of(text, GUIDE, no_aliases) is None
    assert option_of(text, YES_NO, no_aliases) is None
