"""The picture is a PNG 1600 pixels wide that grows with the villages, draws the report's numbers,
sets every Vietnamese letter without a missing glyph, and shows a province's weakest 40."""

import io
import unicodedata
import warnings

import pytest
from PIL import Image

from bot import app
from bot.cli import main
from bot.reports.chart import DPI, WEAKEST, WIDTH, as_png, figure
from bot.reports.counts import zeros
from bot.reports.report import Report, Row, Targets
from bot.reports.week import previous
from flows.places import OTHER_SUFFIX
from tests.bot.reports import test_report
from tests.bot.reports.test_report import CUTOFF, HCM, WEEK, week_report
from tests.conftest import frozen_content

PNG = b"\x89PNG\r\n\x1a\n"
#: Every vowel of Vietnamese with each of its five tones, and đ, in both cases.
VIETNAMESE = (
    "".join(
        unicodedata.normalize("NFC", vowel + tone)
        for vowel in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
        for tone in ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
    )
    + "đĐ"
)


#: test_report.py's store: the frozen villages and the events it counts by hand.
store = test_report.store


@pytest.fixture
def report(store) -> Report:
    return store.call(lambda tx: week_report(tx, WEEK))


def many_villages(count: int, communes: int = 1) -> Report:
    """`count` villages over `communes`, village i with (i * 7) % 23 people this week."""
    rows = []
    for i in range(count):
        week, last = zeros(), zeros()
        week["people"], last["people"] = (i * 7) % 23, (i * 5) % 19
        rows.append(Row(f"v-{i}", f"Thôn {i:04}", f"Khu {i % 5}", f"Xã {i % communes}", week=week, last=last))
    total = Row("", "Tổng cộng" if communes > 1 else "Toàn xã")
    for row in rows:
        total.add(row)
    by_commune = [Row("", f"Xã {n}", commune=f"Xã {n}") for n in range(communes)] if communes > 1 else []
    return Report(WEEK, previous(WEEK, HCM, CUTOFF), None, rows, [], by_commune, total, [], Targets())


def size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        return image.size


def test_a_png_1600_pixels_wide_that_grows_with_the_villages(report):
    width, height = size(as_png(report))
    assert width == round(WIDTH * DPI) == 1600
    sixty = size(as_png(many_villages(60)))
    assert sixty[0] == 1600
    assert sixty[1] > height + 50 * 0.4 * DPI, "about half an inch more per village"


def test_the_bars_are_the_real_villages_numbers(report):
    villages, funnel = figure(report).axes
    names = [label.get_text() for label in villages.get_yticklabels()]
    real = [row for row in report.villages if row.code and not row.code.endswith(OTHER_SUFFIX)]
    assert names == [row.name for row in real]
    assert "Chưa chọn thôn" not in names
    assert "Khác / không rõ" not in names
    this_week, last_week = villages.containers[:2]
    assert [bar.get_width() for bar in this_week] == [row.week["people"] for row in real]
    assert [bar.get_width() for bar in last_week] == [row.last["people"] for row in real]
    assert names[0] == "Tổ dân phố 1"
    assert (this_week[0].get_width(), last_week[0].get_width()) == (3, 1)
    assert [text.get_text() for text in villages.get_legend().get_texts()] == ["Tuần này", "Tuần trước"]
    assert [label.get_text() for label in funnel.get_yticklabels()][-1] == "Đã gửi yêu cầu"
    assert [bar.get_width() for bar in funnel.containers[0]] == [2, 1, 0, 0, 0, 1]


def test_every_vietnamese_letter_is_set_in_dejavu_sans_without_a_missing_glyph():
    names = [VIETNAMESE[i : i + 24] for i in range(0, len(VIETNAMESE), 24)]
    report = many_villages(len(names))
    for row, name in zip(report.villages, names, strict=True):
        row.name = name
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = as_png(report)
    assert [str(w.message) for w in caught] == []
    assert size(data)[0] == 1600
    fig = figure(report)
    labels = fig.axes[0].get_yticklabels()
    assert "".join(label.get_text() for label in labels) == VIETNAMESE
    assert {label.get_fontname() for label in labels} == {"DejaVu Sans"}
    assert fig.get_suptitle() == "Báo cáo tuần 2025-W39 (17/09 - 24/09/2025)"


def test_a_long_name_is_cut_and_leaves_room_for_the_bars():
    report = many_villages(2)
    report.villages[0].name = "Khu dân cư " * 20
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        size(as_png(report))
    assert [str(w.message) for w in caught] == [], "the layout still fits"
    label = figure(report).axes[0].get_yticklabels()[0].get_text()
    assert len(label) == 40
    assert label.endswith("…")


def test_a_missing_glyph_would_be_caught():
    """The check above can fail: a letter DejaVu Sans lacks is reported as a warning."""
    report = many_villages(1)
    report.villages[0].name = "村"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        as_png(report)
    assert any("missing from font" in str(w.message) for w in caught)


def test_a_province_shows_its_40_weakest_villages_and_says_so():
    province = many_villages(1000, communes=20)
    fig = figure(province)
    villages = fig.axes[0]
    assert villages.get_title(loc="left") == "40 thôn ít người nhất tuần này (trong 1.000 thôn)"
    weakest = sorted(province.villages, key=lambda r: (r.week["people"], r.name))[:WEAKEST]
    assert [label.get_text() for label in villages.get_yticklabels()] == [row.name for row in weakest]
    assert max(bar.get_width() for bar in villages.containers[0]) <= weakest[-1].week["people"]
    capped = size(as_png(province))
    assert capped == size(as_png(many_villages(WEAKEST))), "as tall as 40 villages"
    assert capped[1] < size(as_png(many_villages(60)))[1], "a commune of 60 is shown whole"


def test_a_name_in_two_areas_says_where_it_is():
    report = many_villages(2)
    for row in report.villages:
        row.name = "Thôn 1"
    names = [label.get_text() for label in figure(report).axes[0].get_yticklabels()]
    assert names == ["Thôn 1 (Khu 0)", "Thôn 1 (Khu 1)"]


def test_no_village_yet_says_so():
    fig = figure(many_villages(0))
    assert "Chưa có thôn nào" in [text.get_text() for text in fig.axes[0].texts]
    assert size(as_png(many_villages(0)))[0] == 1600


def test_the_command_line_writes_the_picture(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("BOT_DB_PATH", str(tmp_path / "cli.sqlite3"))
    monkeypatch.setattr(app, "load_content", frozen_content)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "w39.png"
    assert main(["report", "--week", "2025-W39", "--format", "png", "--out", str(out)]) == 0
    assert "w39.png" in capsys.readouterr().out
    assert size(out.read_bytes())[0] == 1600
