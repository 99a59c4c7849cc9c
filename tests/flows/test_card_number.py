"""Tests for the thẻ BHYT number pre-check (flows/card_number.py)."""

import csv
import re
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from flows.card_number import (
    HINTS,
    ISSUERS,
    REASONS,
    CardCheck,
    benefit_levels,
    check_card_number,
    object_code_labels,
    province_names,
)

EXAMPLES_PATH = Path(__file__).parents[1] / "data" / "card_examples.csv"
VNEID_CODES = [
    "DN",
    "HX",
    "CH",
    "NN",
    "TK",
    "HC",
    "XK",
    "HT",
    "TB",
    "NO",
    "CT",
    "XB",
    "TN",
    "CS",
    "QN",
    "CA",
    "CY",
    "XN",
    "MS",
    "CC",
    "CK",
    "CB",
    "KC",
    "HD",
    "TE",
    "BT",
    "HN",
    "DT",
    "DK",
    "XD",
    "TS",
    "TC",
    "TQ",
    "TA",
    "TY",
    "HG",
    "LS",
    "PV",
    "CN",
    "HS",
    "SV",
    "GB",
    "GD",
]


def load_examples() -> list[dict[str, str]]:
    with EXAMPLES_PATH.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


EXAMPLES = load_examples()


@pytest.mark.parametrize("row", EXAMPLES, ids=[row["description"] for row in EXAMPLES])
def test_example_table(row: dict[str, str]) -> None:
    result = check_card_number(row["input"], row["issuer"] or None)
    assert result.reason == row["reason"]
    assert result.normalized == (row["normalized"] or None)
    assert result.valid is (row["reason"] == "ok")


def test_example_table_covers_every_reason_hint_and_issuer() -> None:
    assert len(EXAMPLES) >= 60
    assert {row["reason"] for row in EXAMPLES} == set(REASONS)
    assert {row["issuer"] for row in EXAMPLES} == {"", *ISSUERS}
    hints = {check_card_number(row["input"], row["issuer"] or None).hint for row in EXAMPLES}
    assert hints == {None, *HINTS}


def test_decoded_fields_of_a_fifteen_character_card() -> None:
    result = check_card_number("HT3060123456789")
    assert (result.object_code, result.level, result.province_code) == ("HT", 3, "06")
    assert result.suggested_issuer == "vn"
    assert (result.length, result.digit_count) == (15, 13)
    assert province_names()[result.province_code] == "Bắc Kạn"
    assert object_code_labels()[result.object_code][1] == 3
    assert benefit_levels()[result.level][0] == 95


@pytest.mark.parametrize(
    ("text", "issuer", "suggested"),
    [
        ("QN5970123456789", None, "bqp"),
        ("CA5980123456789", None, "cand"),
        ("QN5970123456789", "vn", "bqp"),
        ("CA5980123456789", "vn", "cand"),
        ("DN4010123456789", "cand", "vn"),
        ("DN4990123456789", None, "vn"),
        ("0123456789", "vn", None),
        ("TE1KT0123456789", None, None),
    ],
)
def test_suggested_issuer(text: str, issuer: str | None, suggested: str | None) -> None:
    assert check_card_number(text, issuer).suggested_issuer == suggested


def test_decoded_fields_are_empty_for_ten_digits_and_a_letter_level() -> None:
    ten = check_card_number("0123456789")
    assert (ten.object_code, ten.level, ten.province_code, ten.suggested_issuer) == (None, None, None, None)
    letter_level = check_card_number("DNA010123456789")
    assert (letter_level.object_code, letter_level.level, letter_level.province_code) == ("DN", None, "01")


@pytest.mark.parametrize(
    ("text", "issuer", "expected"),
    [
        ("DN4O10123456789", None, ("letter_o_for_zero", 4, "O", None)),
        ("DNO010123456789", None, ("letter_o_for_zero", 3, "O", None)),
        ("O123456789", None, ("letter_o_for_zero", 1, "O", None)),
        ("012 345 67o9", None, ("letter_o_for_zero", 9, "o", None)),
        ("0l23456789", None, ("not_digits", 2, "l", None)),
        ("013109XXXX", None, ("not_digits", 7, "X", None)),
        ("TE101KT12345678", None, ("not_digits", 6, "K", None)),
        ("N04010123456789", None, ("bad_object_code", 1, "N0", None)),
        ("XX4010123456789", None, ("bad_object_code", 1, "XX", None)),
        ("DN6010123456789", None, ("bad_level", 3, "6", None)),
        ("DNA010123456789", None, ("bad_level", 3, "A", None)),
        ("DN4000123456789", "vn", ("bad_province", 4, "00", None)),
        ("0123/456789", None, ("bad_chars", 5, "/", None)),
        ("01234,56789", None, ("bad_chars", 6, ",", None)),
        ("QN5970123456789", "vn", ("issuer_mismatch", 4, "97", None)),
        ("DN4010123456789", "bqp", ("issuer_mismatch", 4, "01", None)),
        ("4 0123456789", None, ("bad_length", None, None, "level_digit_first")),
        ("6 0123456789", None, ("bad_length", None, None, None)),
        ("4010123456789", None, ("bad_length", None, None, "letters_dropped")),
        ("0123456789K1", None, ("bad_length", None, None, "k_code_suffix")),
        ("DN4010123456789K2", None, ("bad_length", None, None, "k_code_suffix")),
        ("0123456789K4", None, ("bad_length", None, None, None)),
        ("0123456789 2 lần", None, ("bad_length", None, None, None)),
        ("001090012345", None, ("looks_like_cccd", None, None, None)),
        ("79024", None, ("looks_like_kcb_code", None, None, None)),
        ("DN4010123456789", "vn", ("ok", None, None, None)),
    ],
)
def test_position_found_and_hint(text: str, issuer: str | None, expected: tuple[object, ...]) -> None:
    result = check_card_number(text, issuer)
    assert (result.reason, result.position, result.found, result.hint) == expected


@pytest.mark.parametrize(
    ("text", "extracted"),
    [
        ("0123456789", False),
        ("DN 4 01 0123456789", False),
        ("0123 - 456.789", False),
        ("  0123456789  ", False),
        ("số thẻ 0123456789", True),
        ("0123456789 🙏", True),
        ("0123456789 K1", True),
        ("số CCCD 001090012345, số BHYT 0123456789", True),
    ],
)
def test_extracted_flag(text: str, extracted: bool) -> None:
    assert check_card_number(text).extracted is extracted


@pytest.mark.parametrize(
    ("text", "card_like"),
    [("Tôi hỏi về thẻ 0123456789 được không", True), ("123456789", True), ("12345678", False), ("", False)],
)
def test_card_like(text: str, card_like: bool) -> None:
    assert check_card_number(text).card_like is card_like


def test_unknown_issuer_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="issuer"):
        check_card_number("0123456789", "bhxh")


def test_result_is_frozen() -> None:
    result = check_card_number("0123456789")
    assert isinstance(result, CardCheck)
    with pytest.raises(AttributeError):
        result.valid = False  # type: ignore[misc]


def test_object_code_table_matches_vneid_list() -> None:
    labels = object_code_labels()
    assert list(labels) == VNEID_CODES
    assert labels["TE"] == ("Trẻ em dưới 6 tuổi", 1)
    assert {code for code, (_, level) in labels.items() if level == 5} == {"QN", "CA", "CY"}
    assert all(0 < len(label) <= 60 for label, _ in labels.values())


def test_object_code_table_is_the_source_of_validity() -> None:
    for code in VNEID_CODES:
        assert check_card_number(f"{code}4010123456789").valid, code
    for code in ("TV", "TL", "XV", "YE", "LH", "CD", "AK"):
        assert check_card_number(f"{code}4010123456789").reason == "bad_object_code", code


def test_province_table_is_the_old_63_list() -> None:
    names = province_names()
    assert len(names) == 63
    assert names["01"] == "Hà Nội"
    assert names["96"] == "Cà Mau"
    assert not {"00", "97", "98", "99"} & names.keys()
    assert all(re.fullmatch(r"\d\d", code) for code in names)


def test_benefit_levels() -> None:
    levels = benefit_levels()
    assert [levels[level][0] for level in range(1, 6)] == [100, 100, 95, 80, 100]
    assert "vận chuyển" in levels[5][1]


BIASED_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from([*"0123456789 OoDNHTKdn.-/,+_\t\u200b", "０", "１", "９", "\u00a0", "🙂"]),
        st.characters(),
    ),
    max_size=1000,
)
ANY_TEXT = st.one_of(st.text(max_size=1000), BIASED_TEXT)
ANY_ISSUER = st.sampled_from([None, *ISSUERS])


@given(text=ANY_TEXT, issuer=ANY_ISSUER)
@example(text="000000000a", issuer=None)  # `found` quotes the typed 'a'; `normalized` is upper-cased
def test_never_raises_and_fields_are_consistent(text: str, issuer: str | None) -> None:
    result = check_card_number(text, issuer)
    assert result.reason in REASONS
    assert result.hint is None or (result.hint in HINTS and result.reason == "bad_length")
    assert result.valid is (result.reason == "ok")
    if result.normalized is not None:
        assert result.length in (10, 15)
        assert len(result.normalized) == result.length
    if result.position is not None:
        assert result.normalized is None or result.normalized.startswith(
            result.found.upper(), result.position - 1
        )


@given(text=ANY_TEXT, issuer=ANY_ISSUER)
def test_idempotent_on_normalized(text: str, issuer: str | None) -> None:
    first = check_card_number(text, issuer)
    if first.normalized is None:
        return
    again = check_card_number(first.normalized, issuer)
    assert again.normalized == first.normalized
    assert again.reason == first.reason
    assert again.valid is first.valid
    assert again.extracted is False
