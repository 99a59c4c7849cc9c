"""Tests for the commune's places (flows/places.py).

Covers the frozen copy of the village list (tests/fixtures/data/villages.csv: areas, the "Khác /
không rõ" row of each area, names),
matching typed village and area names (case, diacritics, generic words such as "thôn" / "tổ",
aliases, small typos), and the validation of the office's village list by `parse_villages` and
`load_villages_csv`.
"""

from pathlib import Path

import pytest

from bot.transcript import FROZEN_DATA
from flows.places import PlacesError, load_villages_csv, parse_villages

VILLAGES_CSV = FROZEN_DATA / "villages.csv"
AREAS = ("Đồng Tâm", "Quảng Chu", "Như Cố")
HEADER = "code,name,area,commune,province,aliases,population,target"


@pytest.fixture(scope="module")
def places():
    return load_villages_csv(VILLAGES_CSV)


# ---------------------------------------------------------------------------------------------
# The village list (frozen copy)
# ---------------------------------------------------------------------------------------------


def test_areas_in_file_order(places) -> None:
    assert places.areas == AREAS


@pytest.mark.parametrize(
    ("area", "other_code"),
    [
        pytest.param("Đồng Tâm", "dong-tam-khac", id="Đồng Tâm"),
        pytest.param("Quảng Chu", "quang-chu-khac", id="Quảng Chu"),
        pytest.param("Như Cố", "nhu-co-khac", id="Như Cố"),
    ],
)
def test_every_area_has_its_other_row_listed_last(places, area: str, other_code: str) -> None:
    assert places.other_in(area) == other_code
    other = places.by_code[other_code]
    assert other.is_other
    assert other.area == area
    rows = places.in_area(area)
    assert rows[-1] is other
    assert [v for v in rows if v.is_other] == [other]
    assert all(v.area == area for v in rows)


def test_in_area_keeps_file_order(places) -> None:
    codes = [v.code for v in places.in_area("Đồng Tâm")]
    assert codes == [f"ttcm-to-{n}" for n in range(1, 8)] + ["dong-tam-khac"]
    assert [v.code for v in places.in_area("Như Cố")] == ["nhuco-na-roong", "nhuco-ban-quat", "nhu-co-khac"]


def test_in_area_of_unknown_area_is_empty(places) -> None:
    assert places.in_area("Hà Nội") == ()


def test_area_of_slug(places) -> None:
    assert places.area_of_slug("dong-tam") == "Đồng Tâm"
    assert places.area_of_slug("nhu-co") == "Như Cố"
    assert places.area_of_slug("ha-noi") is None


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("nhuco-na-roong", "Nà Roòng", id="ordinary village"),
        pytest.param("ttcm-to-3", "Tổ dân phố 3", id="tổ dân phố"),
        pytest.param("nhu-co-khac", "Khác / không rõ (Như Cố)", id="other row names its area"),
        pytest.param("quang-chu-khac", "Khác / không rõ (Quảng Chu)", id="other row of Quảng Chu"),
        pytest.param("khong-co-ma-nay", "", id="unknown code"),
        pytest.param("", "", id="empty code"),
        pytest.param(None, "", id="no code"),
    ],
)
def test_name(places, code: str | None, expected: str) -> None:
    assert places.name(code) == expected


def test_shipped_aliases_are_parsed(places) -> None:
    assert places.by_code["ttcm-to-1"].aliases == ("Tổ 1", "TDP 1", "T1")
    assert places.by_code["nhuco-na-roong"].aliases == ("Nhì Ca",)
    assert places.by_code["dong-tam-khac"].aliases == ()


# ---------------------------------------------------------------------------------------------
# Matching typed names
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("to 3", ("ttcm-to-3",), id="to 3 without diacritics"),
        pytest.param("Tổ 3", ("ttcm-to-3",), id="Tổ 3"),
        pytest.param("TDP 3", ("ttcm-to-3",), id="TDP 3"),
        pytest.param("Tổ dân phố 3", ("ttcm-to-3",), id="full name"),
        pytest.param("thon 3", ("ttcm-to-3",), id="thôn instead of tổ, generic word ignored"),
        pytest.param("xóm 3", ("ttcm-to-3",), id="xóm instead of tổ, generic word ignored"),
        pytest.param("3", ("ttcm-to-3",), id="only the number"),
        pytest.param("T3", ("ttcm-to-3",), id="office alias T3"),
        pytest.param("tổ dân phố số 3", ("ttcm-to-3",), id="tổ dân phố số 3"),
        pytest.param("to dan pho so 3", ("ttcm-to-3",), id="to dan pho so 3 without diacritics"),
        pytest.param("na roong", ("nhuco-na-roong",), id="na roong without diacritics"),
        pytest.param("Nà Roòng", ("nhuco-na-roong",), id="Nà Roòng"),
        pytest.param("NA ROONG", ("nhuco-na-roong",), id="capitals"),
        pytest.param("thôn Nà Roòng", ("nhuco-na-roong",), id="with thôn in front"),
        pytest.param("na rong", ("nhuco-na-roong",), id="one-letter typo"),
        pytest.param("Nhì Ca", ("nhuco-na-roong",), id="office alias Nhì Ca"),
        pytest.param("nhi ca", ("nhuco-na-roong",), id="alias without diacritics"),
        pytest.param("ban quat", ("nhuco-ban-quat",), id="ban quat without diacritics"),
        pytest.param("Bản Quất", ("nhuco-ban-quat",), id="Bản Quất"),
        pytest.param("Nà Lường", ("nhuco-ban-quat",), id="office alias Nà Lường"),
        pytest.param("to 8", (), id="tổ that does not exist is not guessed"),
        pytest.param("xin chào", (), id="greeting"),
        pytest.param("0123456789", (), id="phone number"),
        pytest.param("", (), id="empty"),
    ],
)
def test_match(places, text: str, expected: tuple[str, ...]) -> None:
    assert tuple(v.code for v in places.match(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("dong tam", "Đồng Tâm", id="dong tam"),
        pytest.param("Dong Tâm", "Đồng Tâm", id="partly without diacritics"),
        pytest.param("ĐỒNG TÂM", "Đồng Tâm", id="capitals"),
        pytest.param("quang chu", "Quảng Chu", id="quang chu"),
        pytest.param("nhu co", "Như Cố", id="nhu co"),
        pytest.param("Như Cố.", "Như Cố", id="with punctuation"),
        pytest.param("ha noi", None, id="not an area"),
        pytest.param("dong", None, id="part of a name"),
        pytest.param("", None, id="empty"),
    ],
)
def test_match_area(places, text: str, expected: str | None) -> None:
    assert places.match_area(text) == expected


# ---------------------------------------------------------------------------------------------
# Validating the office's list
# ---------------------------------------------------------------------------------------------


def row(code: str, name: str = "Thôn A", area: str = "Khu A", **extra: str) -> dict[str, str]:
    return {"code": code, "name": name, "area": area, "commune": "xã X", "province": "Tỉnh Y", **extra}


OTHER_A = row("khu-a-khac", "Khác / không rõ")


def problems_of(rows: list[dict[str, str]]) -> str:
    with pytest.raises(PlacesError) as caught:
        parse_villages(rows)
    return str(caught.value)


def test_valid_rows() -> None:
    villages = parse_villages(
        [
            row("thon-a", aliases=" Xóm A | A ||  ", population="1200", target=" 900 "),
            row("thon-b", "Thôn B", population="", target=""),
            row("thon-c", "Thôn C"),
            OTHER_A,
        ]
    )
    assert [v.code for v in villages] == ["thon-a", "thon-b", "thon-c", "khu-a-khac"]
    first = villages[0]
    assert (first.name, first.area, first.commune, first.province) == ("Thôn A", "Khu A", "xã X", "Tỉnh Y")
    assert first.aliases == ("Xóm A", "A")
    assert (first.population, first.target) == (1200, 900)
    assert (villages[1].population, villages[1].target) == (None, None)
    assert (villages[2].population, villages[2].target, villages[2].aliases) == (None, None, ())
    assert villages[3].is_other
    assert not first.is_other


def test_injection_looking_name_is_kept_as_plain_text() -> None:
    name = "Robert'); DROP TABLE villages;--"
    villages = parse_villages([row("thon-a", name), OTHER_A])
    assert villages[0].name == name


def test_forty_character_code_is_accepted() -> None:
    code = "a" * 40
    assert parse_villages([row(code), OTHER_A])[0].code == code


def test_duplicate_code() -> None:
    message = problems_of([row("thon-a"), row("thon-a", "Thôn A2"), OTHER_A])
    assert "dòng 3: mã 'thon-a' bị trùng" in message
    assert "dòng 2" not in message


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("Thon-A", id="uppercase"),
        pytest.param("thôn-a", id="diacritics"),
        pytest.param("thon a", id="space"),
        pytest.param("thon_a", id="underscore"),
        pytest.param("-thon-a", id="leading dash"),
        pytest.param("a" * 41, id="41 characters"),
        pytest.param("", id="empty"),
    ],
)
def test_bad_code(code: str) -> None:
    message = problems_of([OTHER_A, row(code)])
    assert message.startswith(f"dòng 3: mã {code!r}")
    assert message.count("dòng") == 1


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"name": ""}, id="empty name"),
        pytest.param({"name": "   "}, id="blank name"),
        pytest.param({"area": ""}, id="empty area"),
    ],
)
def test_missing_name_or_area(fields: dict[str, str]) -> None:
    bad = row("thon-a") | fields
    message = problems_of([OTHER_A, bad])
    assert "dòng 3: thiếu tên hoặc khu vực" in message


@pytest.mark.parametrize(
    ("column", "value"),
    [
        pytest.param("population", "abc", id="population is a word"),
        pytest.param("population", "12.5", id="population is a decimal"),
        pytest.param("population", "-3", id="population is negative"),
        pytest.param("population", "1.20", id="population with a misplaced dot"),
        pytest.param("target", "nhiều", id="target is a word"),
        pytest.param("target", "50%", id="target is a percentage"),
    ],
)
def test_non_integer_population_or_target(column: str, value: str) -> None:
    message = problems_of([OTHER_A, row("thon-a", **{column: value})])
    assert message == f"dòng 3: cột {column} phải là số nguyên không âm, đang là {value!r}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("1200", 1200, id="plain"),
        pytest.param("1.200", 1200, id="Vietnamese thousands dot"),
        pytest.param("12.345.678", 12345678, id="several thousands dots"),
        pytest.param("1,200", 1200, id="thousands comma"),
        pytest.param(" 85 ", 85, id="spaces around"),
    ],
)
def test_counts_as_spreadsheets_write_them(value: str, expected: int) -> None:
    (_, village) = parse_villages([OTHER_A, row("thon-a", population=value, target=value)])
    assert village.population == expected
    assert village.target == expected


def test_both_bad_numbers_on_one_line_are_reported() -> None:
    message = problems_of([OTHER_A, row("thon-a", population="abc", target="xyz")])
    assert "dòng 3: cột population" in message
    assert "dòng 3: cột target" in message


def test_bad_number_on_the_other_row_does_not_claim_the_row_is_missing() -> None:
    message = problems_of([row("thon-a"), row("khu-a-khac", "Khác / không rõ", population="abc")])
    assert "dòng 3: cột population" in message
    assert "thiếu dòng" not in message


def test_area_without_its_other_row() -> None:
    message = problems_of([row("thon-a"), OTHER_A, row("nhu-co-1", "Bản B", "Như Cố")])
    assert message == "khu vực 'Như Cố' thiếu dòng 'Khác / không rõ' với mã nhu-co-khac"


def test_all_problems_reported_together_with_line_numbers() -> None:
    message = problems_of(
        [
            row("thon-a"),  # line 2, fine
            row("thon-a"),  # line 3, duplicate
            row("Thon B"),  # line 4, bad code
            row("thon-c", name=""),  # line 5, missing name
            row("thon-d", population="many"),  # line 6, not a number
            row("nhu-co-1", "Bản B", "Như Cố"),  # line 7, its area has no other row
            OTHER_A,
        ]
    )
    lines = message.splitlines()
    assert len(lines) == 5
    assert lines[0].startswith("dòng 3: mã 'thon-a' bị trùng")
    assert lines[1].startswith("dòng 4: mã 'Thon B'")
    assert lines[2] == "dòng 5: thiếu tên hoặc khu vực"
    assert lines[3].startswith("dòng 6: cột population")
    assert "nhu-co-khac" in lines[4]


def test_first_line_number_can_be_chosen() -> None:
    with pytest.raises(PlacesError, match=r"^dòng 11: "):
        parse_villages([OTHER_A, row("Bad")], first_line=10)


# ---------------------------------------------------------------------------------------------
# Loading a CSV file
# ---------------------------------------------------------------------------------------------


def write_csv(path: Path, header: str, *lines: str, prefix: str = "") -> Path:
    path.write_text(prefix + "\n".join((header, *lines)) + "\n", encoding="utf-8")
    return path


def test_load_small_file(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "villages.csv",
        HEADER,
        "thon-a,Thôn A,Khu A,xã X,Tỉnh Y,Xóm A|A,120,",
        "khu-a-khac,Khác / không rõ,Khu A,xã X,Tỉnh Y,,,",
    )
    places = load_villages_csv(path)
    assert places.areas == ("Khu A",)
    assert places.by_code["thon-a"].aliases == ("Xóm A", "A")
    assert places.by_code["thon-a"].population == 120
    assert [v.code for v in places.match("xom a")] == ["thon-a"]


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        pytest.param("code,name,area,commune,province,population", "aliases", id="no aliases column"),
        pytest.param("name,area,commune,province,aliases", "code", id="no code column"),
        pytest.param("code,name,commune,aliases", "area, province", id="two columns missing"),
    ],
)
def test_load_file_with_missing_column(tmp_path: Path, header: str, missing: str) -> None:
    path = write_csv(tmp_path / "villages.csv", header, "thon-a,Thôn A,Khu A,xã X,Tỉnh Y,")
    with pytest.raises(PlacesError) as caught:
        load_villages_csv(path)
    assert str(caught.value) == f"villages.csv: thiếu cột {missing}"


def test_load_file_reports_bad_line(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "villages.csv",
        HEADER,
        "khu-a-khac,Khác / không rõ,Khu A,xã X,Tỉnh Y,,,",
        "Thon A,Thôn A,Khu A,xã X,Tỉnh Y,,,",
    )
    with pytest.raises(PlacesError, match=r"^villages\.csv:\ndòng 3: mã 'Thon A'"):
        load_villages_csv(path)


def test_load_file_saved_by_excel_with_byte_order_mark(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "villages.csv",
        HEADER,
        "khu-a-khac,Khác / không rõ,Khu A,xã X,Tỉnh Y,,,",
        prefix="\ufeff",
    )
    assert load_villages_csv(path).areas == ("Khu A",)
