"""The terminal chat: buttons as a numbered list, QR codes drawn as text, the read-print loop."""

import io

from bot.console import ConsoleSession, chat, qr_text
from flows import Reply
from flows.model import Button


def test_buttons_render_as_a_numbered_list(content):
    session = ConsoleSession(content)
    reply = Reply("Chọn đi", (Button("q:a", "Một"), Button("q:b", "Hai")))
    assert session.render(reply) == "Chọn đi\n  1. Một\n  2. Hai"


def test_video_qr_is_drawn_as_text_encoding_the_link(content):
    session = ConsoleSession(content)
    drawn = session.render(Reply("Video", image="qr:video"))
    assert drawn.startswith("Video\n")
    assert drawn.count("\n") > 10, "the QR code spans many lines"
    assert qr_text(content.video_url) in drawn
    assert qr_text(content.video_url) != qr_text("https://example.org")
    plain = ConsoleSession(content, show_qr=False).render(Reply("Video", image="qr:video"))
    assert plain == f"Video\n[Mã QR: {content.video_url}]"


def test_other_images_are_named(content):
    session = ConsoleSession(content)
    assert session.render(Reply("Bước 1", image="content:buoc1.png")) == "Bước 1\n[Ảnh: buoc1.png]"


def test_chat_loop_reads_lines_until_the_end(content):
    out = io.StringIO()
    chat(content, lines=["xin chào", "2", "3"], out=out)
    printed = out.getvalue()
    assert "Ctrl+D" in printed
    assert "1. Đồng ý" in printed
    assert "https://vneid.gov.vn" in printed
    assert printed.count("Bạn cần giúp gì?") == 2
