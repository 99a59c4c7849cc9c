"""Tests for text normalisation (flows/text.py): `normalize`, `fold` and `slug`.

Covers diacritics kept (normalize) or removed (fold, slug), đ/Đ -> d, case, punctuation and emoji
removed, whitespace collapsed, "/" kept for slash commands, and composed (NFC) vs decomposed (NFD)
input giving the same result.
"""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.text import fold, normalize, slug

VIETNAMESE_LOWER = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
VIETNAMESE_ALPHABET = VIETNAMESE_LOWER + VIETNAMESE_LOWER.upper()


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Đồng Tâm", "đồng tâm", id="diacritics kept, lower-cased"),
        pytest.param("ĐỒNG TÂM", "đồng tâm", id="upper-case Vietnamese lower-cased"),
        pytest.param("dừng", "dừng", id="dừng keeps its diacritics"),
        pytest.param("Xong rồi!!!", "xong rồi", id="punctuation removed"),
        pytest.param("Có, đã cài VNeID.", "có đã cài vneid", id="comma and full stop removed"),
        pytest.param("ok 👍", "ok", id="emoji removed"),
        pytest.param("❤️ cảm ơn 🙏🙏", "cảm ơn", id="emoji with variation selector removed"),
        pytest.param("  xin   chào \t bạn\n", "xin chào bạn", id="whitespace collapsed and trimmed"),
        pytest.param("/start v_x", "/start v_x", id="slash and underscore kept"),
        pytest.param("/Menu", "/menu", id="slash command lower-cased"),
        pytest.param("Tổ 3", "tổ 3", id="digits kept"),
        pytest.param("👍🙏!!", "", id="only emoji and punctuation gives empty"),
        pytest.param("", "", id="empty stays empty"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Đồng Tâm!", "dong tam", id="docstring example"),
        pytest.param("đ Đ", "d d", id="đ and Đ become d"),
        pytest.param("ĐƯỜNG", "duong", id="upper-case đ and ư"),
        pytest.param("Như Cố", "nhu co", id="Như Cố"),
        pytest.param("Quảng Chu", "quang chu", id="Quảng Chu"),
        pytest.param("Nà Roòng", "na roong", id="Nà Roòng"),
        pytest.param("huỷ hủy", "huy huy", id="both tone placements fold alike"),
        pytest.param(
            "  Xong,   sang bước tiếp 👉 ", "xong sang buoc tiep", id="punctuation emoji and spaces"
        ),
        pytest.param("/kiemtra", "/kiemtra", id="slash kept"),
        pytest.param("dong tam", "dong tam", id="already folded text unchanged"),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


def test_fold_strips_every_vietnamese_vowel_mark() -> None:
    marked = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
    expected = "a" * 17 + "e" * 11 + "i" * 5 + "o" * 17 + "u" * 11 + "y" * 5 + "d"
    assert fold(marked) == expected
    assert fold(marked.upper()) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Đồng Tâm", "dong-tam", id="Đồng Tâm"),
        pytest.param("Quảng Chu", "quang-chu", id="Quảng Chu"),
        pytest.param("Như Cố", "nhu-co", id="Như Cố"),
        pytest.param("  Tổ dân phố 3 (cũ)! ", "to-dan-pho-3-cu", id="punctuation and outer spaces dropped"),
        pytest.param("Thôn / Xóm", "thon-xom", id="slash becomes a separator"),
    ],
)
def test_slug(text: str, expected: str) -> None:
    assert slug(text) == expected


@pytest.mark.parametrize("function", [normalize, fold, slug], ids=["normalize", "fold", "slug"])
@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Đồng Tâm", id="Đồng Tâm"),
        pytest.param("Huỷ bỏ", id="Huỷ bỏ"),
        pytest.param("dừng lại", id="dừng lại"),
        pytest.param("Xoá dữ liệu của tôi", id="Xoá dữ liệu của tôi"),
        pytest.param("Nà Roòng, Bản Quất", id="Nà Roòng, Bản Quất"),
    ],
)
def test_composed_and_decomposed_input_agree(function, text: str) -> None:
    composed = unicodedata.normalize("NFC", text)
    decomposed = nfd(text)
    assert composed != decomposed  # the two inputs really differ
    assert function(decomposed) == function(composed)


vietnamese_text = st.text(alphabet=VIETNAMESE_ALPHABET + "0123456789 ,.!?/-_\t\n👍🙏", max_size=40)


@settings(max_examples=300)
@given(vietnamese_text)
def test_normalize_is_idempotent(text: str) -> None:
    assert normalize(normalize(text)) == normalize(text)


@settings(max_examples=300)
@given(vietnamese_text)
def test_fold_gives_plain_ascii_words(text: str) -> None:
    folded = fold(text)
    assert set(folded) <= set("abcdefghijklmnopqrstuvwxyz0123456789 _/")
    assert folded == folded.strip()
    assert "  " not in folded
    assert fold(folded) == folded
    assert fold(nfd(text)) == folded
