"""The one rendering every channel shares: numbered options, text split at paragraphs, images as
URLs or PNG bytes, the command menu."""

import png

from bot.rendering import command_menu, image_png, image_url, numbered, qr_data, split_text
from flows import Button, Reply


def test_options_are_numbered_and_a_link_shows_its_address():
    reply = Reply("Chọn", (Button("q:a", "Một"), Button("q:b", "Nhắn riêng", "start:v_x")))
    assert numbered(reply) == "Chọn\n  1. Một\n  2. Nhắn riêng"
    links = {"start:v_x": "https://t.me/bot?start=v_x"}.get
    assert numbered(reply, links, indent="") == "Chọn\n1. Một\n2. Nhắn riêng: https://t.me/bot?start=v_x"


def test_long_text_is_split_at_paragraphs_then_lines_then_spaces():
    text = "một hai\n\nba bốn năm\nsáu"
    assert split_text(text, 100) == [text]
    assert split_text(text, 12) == ["một hai", "ba bốn năm", "sáu"]
    assert split_text("aaaa bbbb cccc", 9) == ["aaaa bbbb", "cccc"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5], "a word longer than the limit is cut"
    pieces = split_text("Câu dài. " * 900, 4096)
    assert all(len(piece) <= 4096 for piece in pieces)
    assert " ".join(pieces).split() == ("Câu dài. " * 900).split(), "nothing lost"


def test_images_resolve_to_an_absolute_url_and_to_png_bytes(content):
    assert image_url("qr:video", "https://xa.example.vn/") == "https://xa.example.vn/media/qr/video.png"
    assert image_url("content:buoc1.png", "https://xa.example.vn") == (
        "https://xa.example.vn/media/content/buoc1.png"
    )
    assert image_url(None, "https://xa.example.vn") is None
    width, height, _, _ = png.Reader(bytes=image_png("qr:video", content, "")).read()
    assert width == height > 100
    code = content.places.villages[0].code
    assert qr_data(f"qr:village/{code}", content, "https://xa.example.vn") == (
        f"https://xa.example.vn/?village={code}"
    )
    assert qr_data("qr:village/nowhere", content, "https://xa.example.vn") is None
    assert image_png("content:missing.png", content, "") is None, "a missing screenshot: text alone"


def test_the_command_menu_keeps_the_offices_order_and_only_known_commands(content):
    menu = command_menu(content)
    assert [name for name, _ in menu][:3] == ["menu", "huongdan", "kiemtra"]
    assert all(description for _, description in menu)
