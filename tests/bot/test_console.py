"""The terminal chat: buttons as a numbered list, QR codes drawn as text, the read-print loop."""

import io

from bot.console import chat, qr_text, render
from bot.conversation import ConversationService
from flows import Reply
from flows.model import Button


def test_buttons_render_as_a_numbered_list(content):
    reply = Reply("Chọn đi", (Button("q:a", "Một"), Button("q:b", "Hai")))
    assert render(reply, content) == "Chọn đi\n  1. Một\n  2. Hai"


def test_video_qr_is_drawn_as_text_encoding_the_link(content):
    drawn = render(Reply("Video", image="qr:video"), content)
    assert drawn.startswith("Video\n")
    assert drawn.count("\n") > 10, "the QR code spans many lines"
    assert qr_text(content.video_url) in drawn
    assert qr_text(content.video_url) != qr_text("https://example.org")
    plain = render(Reply("Video", image="qr:video"), content, show_qr=False)
    assert plain == f"Video\n[Mã QR: {content.video_url}]"


def test_other_images_are_named(content):
    assert render(Reply("Bước 1", image="content:buoc1.png"), content) == "Bước 1\n[Ảnh: buoc1.png]"


async def test_chat_goes_through_the_service_and_is_stored(opened):
    store, content = opened
    out = io.StringIO()
    service = ConversationService(store, content)
    await chat(service, "tester", lines=["xin chào", "2", "3"], out=out)
    printed = out.getvalue()
    assert "Ctrl+D" in printed
    assert "1. Đồng ý" in printed
    assert "https://vneid.gov.vn" in printed
    assert printed.count("Bạn cần giúp gì?") == 2
    kinds = await store.run(
        lambda tx: [r["kind"] for r in tx.db.query("SELECT kind FROM events ORDER BY id")]
    )
    assert kinds == ["session_started", "consent_declined", "video_shown"]
    pending = await store.run(lambda tx: tx.due_replies("console", "9999"))
    assert pending == [], "every reply printed is marked sent"


async def test_chat_prints_replies_left_from_a_crash_first(opened):
    store, content = opened
    await store.run(
        lambda tx: tx.queue_replies(
            "console", "tester", None, [{"text": "Còn sót", "buttons": [], "image": None}], "2026", False
        )
    )
    out = io.StringIO()
    await chat(ConversationService(store, content), "tester", lines=[], out=out)
    assert "Còn sót" in out.getvalue()
