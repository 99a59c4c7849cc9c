"""The web chat page in a real browser (Debian's Chromium driven by Playwright), on a phone-sized screen.

The server is the real application on 127.0.0.1 with a fresh database (tests/bot/conftest.py); each test
gets a fresh browser context, so a fresh cookie, so a new person.
"""

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "Chromium is not installed at /usr/bin/chromium (apt-get install chromium)", allow_module_level=True
    )

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
NEXT = "Xong, sang bước tiếp"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        await browser.close()


@pytest.fixture
async def page(browser, server) -> AsyncIterator[Page]:
    context = await browser.new_context(
        base_url=str(server.make_url("/")), viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True
    )
    context.set_default_timeout(5000)
    page = await context.new_page()
    yield page
    await context.close()


async def press(page: Page, label: str) -> None:
    """Presses a button of the current question (older questions' buttons are disabled)."""
    await page.get_by_role("button", name=label, exact=True, disabled=False).click()


async def test_guide_to_step_five_then_video_qr_and_reload(page, tmp_path):
    await page.goto("/")
    await expect(page.get_by_text("Xin chào!")).to_be_visible()
    await expect(page.get_by_role("button", name="Không đồng ý")).to_be_enabled()

    await press(page, "Đồng ý")
    await expect(page.get_by_text("thuộc khu vực nào?")).to_be_visible()
    await press(page, "Đồng Tâm")
    await press(page, "Tổ dân phố 3")
    await expect(page.get_by_text("Đã ghi nhận: Tổ dân phố 3.")).to_be_visible()
    await press(page, "Hướng dẫn 5 bước tích hợp thẻ BHYT")
    await press(page, "Có, đã cài VNeID")
    await press(page, "Có, đã có tài khoản mức 2")
    await press(page, "Có, đã có số thẻ")
    for step in range(1, 5):
        await expect(page.get_by_text(f"Bước {step}:")).to_be_visible()
        await press(page, NEXT)
    await expect(page.get_by_text("Bước 5:")).to_be_visible()
    # The answered questions' buttons stay on the page, disabled; the person's answers are their bubbles.
    await expect(page.get_by_role("button", name="Đồng ý", exact=True)).to_be_disabled()
    await expect(page.locator(".bubble.mine").filter(has_text="Tổ dân phố 3")).to_be_visible()

    await press(page, "Menu")
    await press(page, "Video hướng dẫn (mã QR)")
    qr = page.get_by_role("img", name="Mã QR")
    await expect(qr).to_be_visible()
    assert await qr.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    await expect(page.get_by_role("link", name="https://vneid.gov.vn")).to_be_visible()

    await page.reload()
    await expect(page.get_by_text("Bước 5:")).to_be_attached()
    await expect(page.get_by_role("img", name="Mã QR")).to_be_attached()
    await expect(page.locator(".bubble.mine")).to_have_count(0)  # the person's own messages are not stored
    await expect(
        page.get_by_role("button", name="Hướng dẫn 5 bước tích hợp thẻ BHYT", disabled=False)
    ).to_be_focused()
    await press(page, "Câu hỏi thường gặp")
    await expect(page.locator(".bubble.mine").filter(has_text="Câu hỏi thường gặp")).to_be_visible()

    shot = tmp_path / "web-chat.png"  # kept by pytest's tmp_path for a person to look at
    await page.screenshot(path=shot)
    assert shot.stat().st_size > 10_000, "a real rendering, not a blank page"


async def test_typed_answer_is_shown_and_understood(page):
    await page.goto("/")
    box = page.get_by_role("textbox", name="Gõ câu trả lời")
    await expect(page.get_by_role("button", name="Không đồng ý")).to_be_enabled()
    await box.fill("2")
    await box.press("Enter")
    await expect(page.get_by_text("Bạn cần giúp gì?")).to_be_visible()
    await expect(page.locator(".bubble.mine")).to_have_text("2")
    await expect(box).to_have_value("")
    await expect(page.get_by_role("button", name="Không đồng ý")).to_be_disabled()


async def test_village_link_names_the_village_and_leaves_the_address_bar(page):
    await page.goto("/?village=nhuco-na-roong")
    await press(page, "Đồng ý")
    await expect(page.get_by_text("Bạn ở Nà Roòng, đúng không?")).to_be_visible()
    assert "village" not in page.url
    await expect(page.get_by_role("link", name="Người tiếp theo")).to_have_attribute(
        "href", "/next?village=nhuco-na-roong"
    )


async def test_next_person_starts_a_fresh_conversation(page):
    await page.goto("/")
    await press(page, "Đồng ý")
    await expect(page.get_by_text("thuộc khu vực nào?")).to_be_visible()
    await page.get_by_role("link", name="Người tiếp theo").click()
    confirm = page.get_by_role("link", name="Bấm lần nữa để bắt đầu cho người khác")
    await expect(confirm).to_be_visible()
    await expect(page.get_by_text("thuộc khu vực nào?")).to_be_visible()  # one tap changes nothing yet
    await confirm.click()
    await expect(page.get_by_text("Xin chào!")).to_be_visible()
    await expect(page.get_by_role("button", name="Không đồng ý")).to_be_enabled()
    await expect(page.get_by_text("thuộc khu vực nào?")).to_have_count(0)
    await expect(page.locator(".reply")).to_have_count(3)


async def test_accessibility_basics_on_a_small_phone(page):
    await page.set_viewport_size({"width": 360, "height": 640})
    await page.goto("/")
    await expect(page.get_by_role("button", name="Không đồng ý")).to_be_enabled()
    await expect(page.get_by_role("log")).to_have_attribute("aria-live", "polite")
    await expect(page.get_by_role("textbox", name=re.compile(r"\S"))).to_have_attribute("maxlength", "1000")
    await expect(page.get_by_role("button", name="Đồng ý", exact=True)).to_be_focused()
    await page.keyboard.press("Enter")  # the focused button works from the keyboard
    await expect(page.get_by_text("thuộc khu vực nào?")).to_be_visible()

    for button in await page.get_by_role("button").all():
        await expect(button).to_have_accessible_name(re.compile(r"\S"))
    for button in await page.get_by_role("button", disabled=False).all():
        box = await button.bounding_box()
        assert box is not None
        assert box["height"] >= 48, await button.text_content()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360


async def test_network_failure_keeps_the_text_and_a_retry_reuses_the_message_id(page):
    sent: list[dict] = []

    async def flaky(route):
        body = route.request.post_data_json
        sent.append(body)
        if "text" in body and len(sent) == 2:
            await route.abort("internetdisconnected")
        elif "text" in body and len(sent) == 3:
            await route.fulfill(
                status=429, json={"error": "Bạn gửi nhanh quá."}, headers={"Retry-After": "1"}
            )
        else:
            await route.continue_()

    await page.route("**/api/chat", flaky)
    await page.goto("/")
    box = page.get_by_role("textbox", name="Gõ câu trả lời")
    await expect(page.get_by_role("button", name="Không đồng ý")).to_be_enabled()
    await box.fill("2")
    await box.press("Enter")
    await expect(page.get_by_role("status")).to_contain_text("mất mạng")
    await expect(box).to_have_value("2")
    await expect(page.locator(".bubble.mine")).to_have_count(0)

    await page.get_by_role("button", name="Thử lại").click()
    await expect(page.get_by_role("status")).to_have_text("Bạn gửi nhanh quá.")
    await page.get_by_role("button", name="Thử lại").click()
    await expect(page.get_by_text("Bạn cần giúp gì?")).to_be_visible()
    await expect(page.get_by_role("status")).to_be_hidden()

    await press(page, "Kiểm tra số thẻ BHYT")
    await expect(page.get_by_text("Gõ số thẻ BHYT của bạn")).to_be_visible()
    ids = [body["id"] for body in sent]
    assert ids[1] == ids[2] == ids[3]
    assert len(set(ids)) == 3  # the start, the typed "2" (sent three times), the pressed button
