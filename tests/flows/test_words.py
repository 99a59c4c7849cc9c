"""The words residents type (flows/words.py), as tables of sentence -> meaning on the frozen
content's words (tests/fixtures/content/words.toml), not a copy of the word lists: everyday
answers with and without diacritics, particles and politeness, negation winning over a yes word,
questions recognised, abbreviations written out."""

import unicodedata

import pytest

from flows.text import fold


@pytest.fixture(scope="module")
def vocabulary(content):
    return content.vocabulary


# ---------------------------------------------------------------------------------------------

YES = [
    "có", "có rồi", "dạ", "dạ có", "vâng", "ừ", "ok", "được", "đồng ý", "đúng", "đúng rồi", "rồi",
    "xong", "xong rồi", "làm xong rồi", "hiện rồi", "thấy rồi",
]  # fmt: skip
NO = ["không", "ko", "k", "chưa", "chưa có", "chưa được", "không thấy", "không phải"]
POSITIVE = {"yes", "ok", "done"}


@pytest.mark.parametrize("word", YES)
@pytest.mark.parametrize(
    "dress",
    [
        pytest.param("{}", id="bare"),
        pytest.param("{} ạ", id="ạ"),
        pytest.param("dạ {} nhé", id="dạ ... nhé"),
        pytest.param("{} cháu ơi", id="cháu ơi"),
        pytest.param("{}!!!", id="punctuation"),
        pytest.param("  {}.  ", id="spaces"),
    ],
)
def test_yes_words_mean_yes_however_dressed(vocabulary, word, dress):
    assert vocabulary.meaning(dress.format(word)) in POSITIVE
    assert vocabulary.meaning(unicodedata.normalize("NFD", dress.format(word))) in POSITIVE


@pytest.mark.parametrize("word", YES)
def test_yes_words_without_diacritics(vocabulary, word):
    assert vocabulary.meaning(fold(word)) in POSITIVE


@pytest.mark.parametrize("word", NO)
@pytest.mark.parametrize("dress", ["{}", "{} ạ", "dạ {}", "{} nhé", "{} cháu ơi", "{}...", "{} a"])
def test_no_words_mean_no_however_dressed(vocabulary, word, dress):
    assert vocabulary.meaning(dress.format(word)) == "no"


@pytest.mark.parametrize(
    ("text", "meaning"),
    [
        pytest.param("không đồng ý", "no", id="negation wins over đồng ý"),
        pytest.param("chưa xong", "no", id="negation wins over xong"),
        pytest.param("k đồng ý", "no", id="k is a negation"),
        pytest.param("ko dong y", "no", id="without diacritics"),
        pytest.param("chưa hiện", "no", id="chưa hiện"),
        pytest.param("dạ không", "no", id="dạ then không"),
        pytest.param("có, hiện rồi", "yes", id="có, hiện rồi"),
        pytest.param("vâng, cháu đã làm xong rồi ạ", "yes", id="a firm yes and a done: the firmer wins"),
        pytest.param("ok xong", "ok", id="ok and done: ok"),
        pytest.param("xong bước này", "done", id="xong bước này"),
        pytest.param("ko biết", "unsure", id="ko biết is unsure, not no"),
        pytest.param("không nhớ", "unsure", id="không nhớ is unsure"),
        pytest.param("không được", "stuck", id="không được is stuck"),
        pytest.param("bị lỗi", "stuck", id="bị lỗi"),
        pytest.param("quay lại", "back", id="quay lại"),
        pytest.param("tiếp tục", "next", id="tiếp tục"),
        pytest.param("có mất tiền không", None, id="a yes/no question is not an answer"),
        pytest.param("có nhưng máy báo lỗi", None, id="more than an answer"),
        pytest.param("Như Cố", None, id="a place is not an answer"),
        pytest.param("👍", None, id="emoji alone"),
        pytest.param("", None, id="empty"),
    ],
)
def test_sentences_and_their_meaning(vocabulary, text, meaning):
    assert vocabulary.meaning(text) == meaning


@pytest.mark.parametrize(
    ("text", "asking"),
    [
        ("mất bao lâu thì được duyệt", True),
        ("quen mat khau thi lam sao", True),
        ("cái này là gì?", True),
        ("thẻ ở đâu", True),
        ("cho hỏi j vậy", True),
        ("tổ dân phố 3", False),
        ("xong rồi", False),
    ],
)
def test_questions_are_recognised(vocabulary, text, asking):
    assert vocabulary.is_question(text) is asking


def test_abbreviations_are_written_out(vocabulary):
    assert vocabulary.words("ko dc j") == ("khong", "duoc", "gi")
