"""The printable poster: A4 at 300 dpi, QR codes that a phone reads back as exactly the village's
links, every Vietnamese letter drawn, nothing the office has not filled in, nothing in the margin."""

import io
import re
from dataclasses import replace

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from bot import posters
from bot.posters import BOLD, HEIGHT, REGULAR, WIDTH, PosterError, font, poster_png, poster_text, wrap
from bot.rendering import image_png, image_url
from flows import Content
from flows.places import Places, Village

WEB = "https://xa.example.vn/?village=ttcm-to-1"
TELEGRAM = "https://t.me/xa_bhyt_bot?start=v_ttcm-to-1"
#: Every tone mark on every vowel, and đ: the letters a Vietnamese name can have.
DIACRITICS = "Ngõ Ưởng Đoài Hẻm Quỳnh Thượng Nguyễn Ấp Ẫy Ặc Ệ Ỗ Ợ Ữ Ỹ Ỷ Ỵ ỳ ý đ"


def decoded(png: bytes) -> list[zxingcpp.Result]:
    return zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))


def area(result: zxingcpp.Result) -> int:
    position = result.position
    return (position.top_right.x - position.top_left.x) * (position.bottom_left.y - position.top_left.y)


def filled(content: Content, **fields: str) -> Content:
    """The content as if the office had filled in its fields and emptied `to_fill`."""
    return replace(
        content, texts={**content.texts, "office.to_fill": []}, fields={**content.fields, **fields}
    )


def missing_glyph(face, character: str) -> bool:
    """DejaVu draws a box (.notdef) for a letter it lacks, so a box means missing, not blank."""
    mask = face.getmask(character)
    notdef = face.getmask("\uffff")
    return mask.getbbox() is None or (mask.size == notdef.size and bytes(mask) == bytes(notdef))


@pytest.fixture(scope="module")
def poster(content) -> bytes:
    return poster_png(content, "ttcm-to-1", WEB, TELEGRAM)


def test_the_poster_is_a4_portrait_at_300_dpi_and_small(poster):
    image = Image.open(io.BytesIO(poster))
    assert image.size == (WIDTH, HEIGHT) == (2480, 3508)
    assert tuple(round(value) for value in image.info["dpi"]) == (300, 300)
    assert image.mode == "P", "a 16-grey palette"
    assert len(poster) < 400_000


def test_its_qr_codes_are_exactly_the_village_telegram_and_video_links(content, poster):
    found = decoded(poster)
    assert sorted(code.text for code in found) == sorted([WEB, TELEGRAM, content.video_url])
    assert max(found, key=area).text == WEB, "the village's own code is the biggest"
    without = decoded(poster_png(content, "ttcm-to-1", WEB))
    assert sorted(code.text for code in without) == sorted([WEB, content.video_url])


def test_an_official_video_gets_its_own_caption_and_code(content):
    video = "https://www.youtube.com/watch?v=abc123"
    configured = content.configure(video_url=video)
    assert poster_text(content, "ttcm-to-1", WEB).codes[-1].caption == "Trang chính thức VNeID"
    assert poster_text(configured, "ttcm-to-1", WEB).codes[-1].caption == "Xem video hướng dẫn"
    assert video in {code.text for code in decoded(poster_png(configured, "ttcm-to-1", WEB))}


def test_the_five_steps_are_the_group_guide_s(content):
    guide = re.findall(r"^\d\. (.+)$", content.text("group.guide"), re.MULTILINE)
    text = poster_text(content, "ttcm-to-1", WEB)
    assert text.steps == tuple(guide)
    assert len(text.steps) == 5
    assert text.title == "Đưa thẻ BHYT vào VNeID"
    assert text.commune == "XÃ CHỢ MỚI"
    assert "Tổ dân phố 1" in text.village
    assert "Đồng Tâm" in text.village


def test_a_village_name_full_of_diacritics_has_every_glyph(content):
    village = Village("thon-dau", DIACRITICS, "Ước Lễ", "xã Chợ Mới", "Thái Nguyên")
    many = replace(content, places=Places([village]))
    text = poster_text(filled(many, phone="0209 3870 123"), "thon-dau", WEB, TELEGRAM)
    assert DIACRITICS in text.village
    letters = {character for line in text.lines() for character in line if not character.isspace()}
    for face in (font(REGULAR, 90), font(BOLD, 90)):
        assert [c for c in sorted(letters) if missing_glyph(face, c)] == []
    assert missing_glyph(font(REGULAR, 90), "漢"), "the check sees a letter the font lacks"
    assert poster_png(many, "thon-dau", WEB).startswith(b"\x89PNG")


def test_lines_the_office_has_not_filled_in_are_left_out(content):
    assert set(content.unfilled()) >= {"address", "hours", "phone"}
    printed = "\n".join(poster_text(content, "ttcm-to-1", WEB).lines())
    assert content.fields["address"] not in printed
    assert content.fields["hours"] not in printed
    assert "Điện thoại" not in printed
    assert "Cần cán bộ giúp" not in printed, "no heading over nothing"
    office = filled(
        content, address="Nhà văn hoá tổ 2", hours="sáng thứ Hai đến thứ Sáu", phone="0209 3870 123"
    )
    assert poster_text(office, "ttcm-to-1", WEB).help == (
        "Cần cán bộ giúp trực tiếp:",
        "Nơi hỗ trợ: Nhà văn hoá tổ 2",
        "Giờ tiếp dân: sáng thứ Hai đến thứ Sáu",
        "Điện thoại: 0209 3870 123",
    )
    phone_pending = replace(office, texts={**office.texts, "office.to_fill": ["phone"]})
    assert poster_text(phone_pending, "ttcm-to-1", WEB).help[-1] == "Giờ tiếp dân: sáng thứ Hai đến thứ Sáu"


def test_long_text_wraps_to_the_width_and_nothing_reaches_the_bottom_margin(content):
    draw = ImageDraw.Draw(Image.new("L", (10, 10)))
    face = font(REGULAR, 92)
    step = 'Bấm "Ví giấy tờ" → "Tích hợp thông tin" → "Tạo mới yêu cầu", chọn "Thẻ bảo hiểm y tế".'
    lines = wrap(draw, step, face, 1200)
    assert len(lines) > 1
    assert all(draw.textlength(line, font=face) <= 1200 for line in lines)
    assert " ".join(lines) == step
    guide = "\n".join(f"{number}. {step} {step}" for number in range(1, 6))
    long_guide = replace(content, texts={**content.texts, "group.guide": guide})
    office = filled(long_guide, address="Nhà văn hoá tổ 2, " * 4, hours="sáng thứ Hai đến thứ Sáu", phone="1")
    png = poster_png(office, "ttcm-to-1", WEB, TELEGRAM)
    image = Image.open(io.BytesIO(png)).convert("L")
    assert image.crop((0, HEIGHT - 100, WIDTH, HEIGHT)).getextrema() == (255, 255), "the margin stays blank"
    assert len(decoded(png)) == 3, "the codes keep their size"


def test_a_missing_font_is_a_clear_error(content, monkeypatch, tmp_path):
    monkeypatch.setattr(posters, "font_dir", lambda: tmp_path)
    font.cache_clear()
    try:
        with pytest.raises(PosterError, match=r"Không tìm thấy phông chữ .*DejaVuSans"):
            poster_png(content, "ttcm-to-1", WEB)
    finally:
        font.cache_clear()


def test_poster_is_an_image_name_like_the_others(content):
    assert image_url("poster:ttcm-to-1", "https://xa.example.vn/") == (
        "https://xa.example.vn/media/poster/ttcm-to-1.png"
    )
    png = image_png("poster:ttcm-to-1", content, "https://xa.example.vn")
    assert png is not None
    assert Image.open(io.BytesIO(png)).size == (WIDTH, HEIGHT)
    assert WEB in {code.text for code in decoded(png)}
    assert image_png("poster:no-such-place", content, "https://xa.example.vn") is None
    assert image_png("poster:../../etc/passwd", content, "https://xa.example.vn") is None
