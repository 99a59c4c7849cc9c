"""The web chat page in a real browser (Debian's Chromium driven by Playwright), on a phone-sized screen.

The server is the real application on 127.0.0.1 with a fresh database (tests/bot/conftest.py); each test
gets a fresh browser context, so a fresh cookie, so a new person. The server keeps no reply text: the page
keeps the conversation in the tab's sessionStorage (key "chat"), and asks to `resume` when it has none.
"""

import json
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Locator, Page, Request, async_playwright, expect

from tests.browser import ARGS, CHROMIUM, TIMEOUT_MS, skip_without_chromium
from tests.cards import CARD_NUMBERS, Shot, card, card_qr_text, photo

skip_without_chromium()

PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 740}
NEXT = "Xong, sang bước tiếp"
GUIDE = "Hướng dẫn 5 bước tích hợp thẻ BHYT"
CARD = "Kiểm tra số thẻ BHYT"
SHOTS_FOR_PEOPLE = Path("/tmp/web-shots")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        await browser.close()


async def new_phone_page(browser: Browser, server, viewport: dict[str, int]) -> Page:
    """A page in a new context (a new cookie, so a new person) on a touch phone."""
    context = await browser.new_context(
        base_url=str(server.make_url("/")), viewport=viewport, locale="vi-VN", is_mobile=True, has_touch=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    return await context.new_page()


@pytest.fixture
async def page(browser, server) -> AsyncIterator[Page]:
    page = await new_phone_page(browser, server, PHONE)
    yield page
    await page.context.close()


async def press(page: Page, label: str) -> None:
    """Presses a button of the current question (older questions' buttons are disabled)."""
    await page.get_by_role("button", name=label, exact=True, disabled=False).click()


def option(page: Page, label: str) -> Locator:
    return page.get_by_role("button", name=label, exact=True, disabled=False)


async def send(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Gõ câu trả lời")
    await box.fill(text)
    await box.press("Enter")


async def stored_turns(page: Page) -> list[dict]:
    """The conversation the page keeps in this tab's sessionStorage (empty when it keeps none)."""
    return json.loads(await page.evaluate("sessionStorage.getItem('chat') || '[]'"))


def api_calls(page: Page) -> list[Request]:
    """Every request the page makes to the server's API from now on (appended as they are made)."""
    calls: list[Request] = []
    page.on("request", lambda request: calls.append(request) if "/api/" in request.url else None)
    return calls


async def skip_to_menu(page: Page) -> None:
    """Welcome, consent declined (nothing about the person is kept), the main menu."""
    await page.goto("/")
    await press(page, "Không đồng ý")
    await expect(option(page, GUIDE)).to_be_focused()


async def guide_to_step_one(page: Page) -> None:
    await press(page, GUIDE)
    await press(page, "Có, đã cài VNeID")
    await press(page, "Có, đã có mức 2")
    await press(page, "Có, đã có số thẻ")
    await expect(page.get_by_text("Bước 1:")).to_be_visible()


async def test_guide_to_step_five_then_video_qr_and_reload(page, tmp_path):
    await page.goto("/")
    await expect(page.get_by_text("Xin chào!")).to_be_visible()
    await expect(option(page, "Không đồng ý")).to_be_enabled()

    await press(page, "Đồng ý")
    await expect(page.get_by_text("Ông/bà ở khu vực nào?")).to_be_visible()
    await press(page, "Đồng Tâm")
    await press(page, "Tổ dân phố 3")
    await expect(page.get_by_text("Đã ghi nhận: Tổ dân phố 3.")).to_be_visible()
    await expect(option(page, GUIDE)).to_be_focused()
    await send(page, "1")  # typed: the guide, the menu's first item
    await press(page, "Có, đã cài VNeID")
    await press(page, "Có, đã có mức 2")
    await press(page, "Có, đã có số thẻ")
    for screen in [
        "Bước 1:",
        "Bước 2:",
        "Bước 3:",
        "Bước 4, việc 1/3",
        "Bước 4, việc 2/3",
        "Bước 4, việc 3/3",
    ]:
        await expect(page.get_by_text(screen)).to_be_visible()
        await expect(option(page, NEXT)).to_be_focused()
        await press(page, NEXT)
    await expect(page.get_by_text("Bước 5:")).to_be_visible()
    # The answered questions' buttons stay on the page, disabled; the person's answers are their bubbles.
    await expect(page.get_by_role("button", name="Đồng ý", exact=True)).to_be_disabled()
    await expect(page.locator(".bubble.mine").filter(has_text="Tổ dân phố 3")).to_be_visible()
    await expect(page.locator(".bubble.mine").filter(has_text=re.compile(r"^1$"))).to_be_visible()

    await press(page, "Về menu chính")
    await press(page, "Video hướng dẫn (mã QR)")
    qr = page.get_by_role("img", name="Mã QR")
    await expect(qr).to_be_visible()
    assert await qr.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    await expect(page.get_by_role("link", name="https://vneid.gov.vn")).to_be_visible()
    mine_before = await page.locator(".bubble.mine").all_text_contents()

    calls = api_calls(page)
    await page.reload()
    await expect(page.get_by_text("Bước 5:")).to_be_attached()
    await expect(page.get_by_role("img", name="Mã QR")).to_be_attached()
    current = option(page, GUIDE)
    await expect(current).to_be_focused()
    await expect(page.get_by_role("button", name="Đồng ý", exact=True)).to_be_disabled()
    # The person's own bubbles are kept, their typed "1" masked; the pressed labels as they were.
    assert mine_before[3] == "1"
    mine_before[3] = "•"
    await expect(page.locator(".bubble.mine")).to_have_text(mine_before)
    assert calls == [], "the reload is shown from this tab's copy, without asking the server"

    await current.click()
    await expect(page.get_by_text("Bước 1:")).to_have_count(2)  # prerequisites already answered
    await expect(option(page, NEXT)).to_be_focused()
    await expect(page.locator(".bubble.mine").last).to_have_text(GUIDE)
    assert [call.method for call in calls] == ["POST"]

    shot = tmp_path / "web-chat.png"  # kept by pytest's tmp_path for a person to look at
    await page.screenshot(path=shot)
    assert shot.stat().st_size > 10_000, "a real rendering, not a blank page"


async def test_typed_answer_is_shown_and_understood(page):
    await page.goto("/")
    box = page.get_by_role("textbox", name="Gõ câu trả lời")
    await expect(option(page, "Không đồng ý")).to_be_enabled()
    await send(page, "2")
    await expect(page.get_by_text("Ông/bà cần giúp việc gì?")).to_be_visible()
    await expect(page.locator(".bubble.mine")).to_have_text("2")
    await expect(box).to_have_value("")
    await expect(page.get_by_role("button", name="Không đồng ý")).to_be_disabled()


async def test_village_link_names_the_village_and_leaves_the_address_bar(page):
    await page.goto("/?village=nhuco-na-roong")
    await press(page, "Đồng ý")
    await expect(page.get_by_text("Ông/bà ở Nà Roòng, đúng không?")).to_be_visible()
    assert "village" not in page.url
    await expect(page.get_by_role("link", name="Người tiếp theo")).to_have_attribute(
        "href", "/next?village=nhuco-na-roong"
    )


async def test_next_person_starts_a_fresh_conversation_and_forgets_the_stored_one(page):
    await page.goto("/")
    await press(page, "Đồng ý")
    await expect(page.get_by_text("ở khu vực nào?")).to_be_visible()
    assert [turn["mine"] for turn in await stored_turns(page)] == [None, "Đồng ý"]

    await page.get_by_role("link", name="Người tiếp theo").click()
    confirm = page.get_by_role("link", name="Bấm lần nữa để bắt đầu cho người khác")
    await expect(confirm).to_be_visible()
    await expect(page.get_by_text("ở khu vực nào?")).to_be_visible()  # one tap changes nothing yet
    assert len(await stored_turns(page)) == 2
    await confirm.click()

    await expect(page.get_by_text("Xin chào!")).to_be_visible()
    await expect(option(page, "Không đồng ý")).to_be_enabled()
    await expect(page.get_by_text("ở khu vực nào?")).to_have_count(0)
    await expect(page.locator(".reply")).to_have_count(2)
    await expect(page.locator(".bubble.mine")).to_have_count(0)
    turns = await stored_turns(page)
    assert [turn["mine"] for turn in turns] == [None], "only the new person's welcome is kept"
    assert turns[0]["replies"][0]["text"].startswith("Xin chào!")
    assert "khu vực" not in json.dumps(turns, ensure_ascii=False)

    await page.go_back()  # "Back" on the shared phone does not bring the previous chat back either
    await expect(option(page, "Không đồng ý")).to_be_enabled()
    await expect(page.get_by_text("ở khu vực nào?")).to_have_count(0)
    await expect(page.locator(".bubble.mine")).to_have_count(0)


async def test_a_page_brought_back_from_memory_after_its_chat_was_forgotten_loads_afresh(page):
    # Chromium under Playwright keeps no back/forward cache, so its "pageshow" is played here: the
    # page of the previous person, brought back after "Người tiếp theo" forgot the stored chat.
    await page.goto("/")
    await press(page, "Đồng ý")
    await expect(option(page, "Đồng Tâm")).to_be_focused()
    await page.evaluate("sessionStorage.removeItem('chat')")
    await page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: false}))")
    await expect(page.locator(".reply")).to_have_count(4)  # an ordinary "pageshow" changes nothing
    async with page.expect_navigation():
        await page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    await expect(page.get_by_text("ở khu vực nào?")).to_have_count(1)  # resumed: the question only
    await expect(page.locator(".reply")).to_have_count(1)
    await expect(page.get_by_text("Xin chào!")).to_have_count(0)
    await expect(page.locator(".bubble.mine")).to_have_count(0)


async def test_accessibility_basics_on_a_small_phone(page):
    await page.set_viewport_size({"width": 360, "height": 640})
    await page.goto("/")
    await expect(option(page, "Không đồng ý")).to_be_enabled()
    await expect(page.get_by_role("log")).to_have_attribute("aria-live", "polite")
    await expect(page.get_by_role("textbox", name=re.compile(r"\S"))).to_have_attribute("maxlength", "1000")
    await expect(page.get_by_role("button", name="Đồng ý", exact=True)).to_be_focused()
    await page.keyboard.press("Enter")  # the focused button works from the keyboard
    await expect(page.get_by_text("ở khu vực nào?")).to_be_visible()
    await expect(option(page, "Đồng Tâm")).to_be_focused()

    for button in await page.get_by_role("button").all():
        await expect(button).to_have_accessible_name(re.compile(r"\S"))
    for button in await page.get_by_role("button", disabled=False).all():
        box = await button.bounding_box()
        assert box is not None
        assert box["height"] >= 48, await button.text_content()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    # No focus ring on a touch screen (it would look like a choice already made); one after Tab.
    focused = page.locator(":focus")
    assert await focused.evaluate("el => getComputedStyle(el).outlineStyle") == "none"
    await page.keyboard.press("Tab")
    assert await page.locator(":focus").evaluate("el => getComputedStyle(el).outlineStyle") == "solid"


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
    await expect(option(page, "Không đồng ý")).to_be_enabled()
    await send(page, "2")
    await expect(page.get_by_role("status")).to_contain_text("mất mạng")
    await expect(box).to_have_value("2")
    await expect(page.locator(".bubble.mine")).to_have_count(0)

    await page.get_by_role("button", name="Thử lại").click()
    await expect(page.get_by_role("status")).to_have_text("Bạn gửi nhanh quá.")
    await page.get_by_role("button", name="Thử lại").click()
    await expect(page.get_by_text("Ông/bà cần giúp việc gì?")).to_be_visible()
    await expect(page.get_by_role("status")).to_be_hidden()

    await press(page, CARD)
    await expect(page.get_by_text("Gõ số thẻ BHYT vào đây")).to_be_visible()
    await expect(box).to_be_focused()  # the question wants a typed card number
    assert sent[0]["resume"] is True  # a tab with no copy of the chat asks where the person is
    ids = [body["id"] for body in sent]
    assert ids[1] == ids[2] == ids[3]
    assert len(set(ids)) == 3  # the resume, the typed "2" (sent three times), the pressed button
    # A failed message leaves nothing stored; the one answered is stored once.
    assert [turn["mine"] for turn in await stored_turns(page)] == [None, "•", CARD]


async def assert_newest_turn_on_one_screen(
    page: Page, first_bubble: Locator, first_option: Locator, shot: Path
):
    """The start of the newest turn and the whole first option of its question are on the screen
    (above the text box, which stays at the bottom), with focus on that option; saves a screenshot."""
    await expect(first_option).to_be_focused()
    height = await page.evaluate("window.innerHeight")
    bubble = await first_bubble.bounding_box()
    button = await first_option.bounding_box()
    composer = await page.locator("#composer").bounding_box()
    assert bubble is not None
    assert button is not None
    assert composer is not None
    visible_bottom = min(height, composer["y"])
    assert 0 <= bubble["y"] < visible_bottom, (bubble, visible_bottom)
    assert button["y"] >= 0, button
    assert button["y"] + button["height"] <= visible_bottom, (button, visible_bottom)
    assert button["height"] >= 48
    # No focus ring on a touch screen: the first option must not look already chosen.
    assert await first_option.evaluate("el => getComputedStyle(el).outlineStyle") == "none"
    await page.screenshot(path=shot)
    SHOTS_FOR_PEOPLE.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SHOTS_FOR_PEOPLE / shot.name)


async def test_each_turn_starts_on_screen_with_its_first_option_on_a_360_by_740_phone(
    browser, server, tmp_path
):
    shots = tmp_path / "screens"
    shots.mkdir()
    page = await new_phone_page(browser, server, SMALL_PHONE)
    try:
        # (a) The welcome: its first bubble and "Đồng ý" on the first screen.
        await page.goto("/")
        first_reply = page.locator(".reply .bubble").first
        await expect(first_reply).to_contain_text("Xin chào!")
        await assert_newest_turn_on_one_screen(
            page, first_reply, option(page, "Đồng ý"), shots / "1-welcome.png"
        )

        # (b) Step 4's number screen, deep in the page: the turn starts with the person's tap.
        await press(page, "Không đồng ý")
        await guide_to_step_one(page)
        for screen in ["Bước 1:", "Bước 2:", "Bước 3:", "Bước 4, việc 1/3"]:
            await expect(option(page, NEXT)).to_be_focused()
            await expect(page.get_by_text(screen)).to_be_visible()
            await press(page, NEXT)
        await expect(page.get_by_text("Bước 4, việc 2/3")).to_be_visible()
        tap = page.locator(".bubble.mine").last
        await expect(tap).to_have_text(NEXT)
        await assert_newest_turn_on_one_screen(page, tap, option(page, NEXT), shots / "2-step-4-number.png")

        # (c) The answer to a typed card number.
        await press(page, "Về menu chính")
        await press(page, CARD)
        await expect(page.get_by_role("textbox", name="Gõ câu trả lời")).to_be_focused()
        await send(page, "0123456789")
        await expect(page.get_by_text("Số thẻ viết đúng.")).to_be_visible()
        typed = page.locator(".bubble.mine").last
        await expect(typed).to_have_text("0123456789")  # on the page while the person is here
        await assert_newest_turn_on_one_screen(
            page, typed, option(page, "Xem ý nghĩa số thẻ"), shots / "3-card-answer.png"
        )

        # (d) The video's QR code, then the menu again: the image counts, the first option fits.
        await press(page, "Về menu chính")
        await press(page, "Video hướng dẫn (mã QR)")
        qr = page.get_by_role("img", name="Mã QR")
        await expect(qr).to_be_visible()
        assert await qr.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
        tap = page.locator(".bubble.mine").last
        await assert_newest_turn_on_one_screen(page, tap, option(page, GUIDE), shots / "4-video-qr.png")
    finally:
        await page.context.close()
    assert sorted(path.name for path in shots.iterdir()) == [
        "1-welcome.png",
        "2-step-4-number.png",
        "3-card-answer.png",
        "4-video-qr.png",
    ]
    for shot in shots.iterdir():
        assert shot.stat().st_size > 10_000, "a real rendering, not a blank page"


async def test_reload_shows_the_stored_conversation_without_asking_the_server_and_masks_digits(page):
    await page.goto("/")
    await send(page, "2")  # typed: "Không đồng ý"
    await press(page, CARD)
    await send(page, "0123456789")
    await expect(page.get_by_text("Số thẻ viết đúng.")).to_be_visible()
    await expect(page.locator(".bubble.mine")).to_have_text(["2", CARD, "0123456789"])

    calls = api_calls(page)
    await page.reload()
    await expect(page.get_by_text("Số thẻ viết đúng.")).to_be_visible()
    await expect(page.get_by_text("Xin chào!")).to_be_attached()
    await expect(page.locator(".bubble.mine")).to_have_text(["•", CARD, "••••••••••"])
    first = option(page, "Xem ý nghĩa số thẻ")
    await expect(first).to_be_focused()
    await expect(page.get_by_role("button", name="Đồng ý", exact=True)).to_be_disabled()
    await expect(page.get_by_role("button", name=CARD, exact=True)).to_be_disabled()
    assert calls == [], "no GET /api/history, no POST: the reload is shown from sessionStorage"

    stored = await page.evaluate("sessionStorage.getItem('chat')")
    assert "01234" not in stored
    turns = json.loads(stored)
    assert [turn["mine"] for turn in turns] == [None, "•", CARD, "••••••••••"]
    assert turns[-1]["replies"][0]["text"].startswith("Số thẻ viết đúng.")

    await page.keyboard.press("Enter")  # the focused first option of the current question works
    await expect(page.get_by_text("gõ lại số thẻ một lần nữa")).to_be_visible()
    assert [(call.method, json.loads(call.post_data or "{}").get("choice")) for call in calls] == [
        ("POST", "card_done:more")
    ]


async def test_erasing_the_data_leaves_only_the_erase_answer_on_the_page_and_stored(page):
    await page.goto("/")
    await press(page, "Đồng ý")
    await press(page, "Đồng Tâm")
    await press(page, "Tổ dân phố 3")
    await expect(option(page, GUIDE)).to_be_focused()
    await send(page, "xoá dữ liệu")
    await press(page, "Có, xoá dữ liệu")

    await expect(page.get_by_text("Đã xoá thông tin về ông/bà.")).to_be_visible()
    await expect(page.locator(".reply")).to_have_count(1)
    await expect(page.locator(".bubble")).to_have_count(1)
    await expect(page.locator(".choice")).to_have_count(1)
    restart = option(page, "Bắt đầu lại")
    await expect(restart).to_be_focused()
    turns = await stored_turns(page)
    assert len(turns) == 1
    assert turns[0]["mine"] is None
    assert [reply["text"] for reply in turns[0]["replies"]] == [
        "Đã xoá thông tin về ông/bà. Khi cần giúp, ông/bà nhắn tin bất cứ lúc nào."
    ]

    await restart.click()
    await expect(page.get_by_text("Xin chào!")).to_be_visible()
    await expect(option(page, "Đồng ý")).to_be_focused()
    await expect(page.get_by_text("Tổ dân phố 3")).to_have_count(0)
    assert [turn["mine"] for turn in await stored_turns(page)] == [None, "Bắt đầu lại"]


async def test_a_new_tab_resumes_at_the_guide_step_the_person_is_at(page):
    await skip_to_menu(page)
    await guide_to_step_one(page)
    await press(page, NEXT)
    await expect(page.get_by_text("Bước 2:")).to_be_visible()

    tab = await page.context.new_page()  # same cookie, so same person; an empty sessionStorage
    calls = api_calls(tab)
    await tab.goto("/")
    await expect(tab.get_by_text("Bước 2:")).to_be_visible()
    await expect(option(tab, NEXT)).to_be_focused()
    await expect(tab.get_by_text("Xin chào!")).to_have_count(0)
    await expect(tab.locator(".reply")).to_have_count(1)
    assert [call.method for call in calls] == ["POST"]
    assert set(calls[0].post_data_json) == {"resume", "id"}
    assert calls[0].post_data_json["resume"] is True
    assert [turn["mine"] for turn in await stored_turns(tab)] == [None]

    await press(tab, NEXT)  # the person goes on from the new tab
    await expect(tab.get_by_text("Bước 3:")).to_be_visible()


async def test_a_card_photo_chosen_with_the_photo_button_is_read_on_a_phone(browser, server, tmp_path):
    """The button opens the camera (`capture`), the photo goes to /api/photo, and the reading is
    shown like any answer; the stored copy of the chat holds no number and no photo."""
    picture = tmp_path / "the.jpg"
    picture.write_bytes(photo(card(card_qr_text(CARD_NUMBERS[1]), CARD_NUMBERS[1])[0], Shot(angle=8)))
    page = await new_phone_page(browser, server, {"width": 390, "height": 844})
    try:
        await skip_to_menu(page)
        await press(page, CARD)
        await expect(page.get_by_text("chụp ảnh mặt thẻ có mã QR")).to_be_visible()
        chooser = page.locator("#photo")
        await expect(chooser).to_have_attribute("accept", "image/*")
        await expect(chooser).to_have_attribute("capture", "environment")
        button = page.locator("#photo-button")
        box = await button.bounding_box()
        assert box is not None
        assert box["height"] >= 44
        assert box["x"] + box["width"] <= 390
        await page.screenshot(path=str(tmp_path / "photo-button.png"))
        calls = api_calls(page)
        await chooser.set_input_files(str(picture))
        await expect(page.get_by_text("Trợ lý đọc được số thẻ trong mã QR trên ảnh")).to_be_visible()
        await expect(page.get_by_text("Số thẻ viết đúng.")).to_be_visible()
        assert [call.url.rsplit("/", 1)[1] for call in calls] == ["photo"]
        stored = json.dumps(await stored_turns(page), ensure_ascii=False)
        assert "(Đã gửi ảnh thẻ)" in stored
        assert CARD_NUMBERS[1] not in stored
    finally:
        await page.close()


async def test_a_photo_over_10_mib_is_refused_before_it_is_sent(page, tmp_path):
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024 + 10))
    await skip_to_menu(page)
    calls = api_calls(page)
    await page.locator("#photo").set_input_files(str(big))
    await expect(page.get_by_text("Ảnh quá lớn (trên 10 MB)")).to_be_visible()
    assert calls == []
