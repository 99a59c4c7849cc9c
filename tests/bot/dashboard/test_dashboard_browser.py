"""The dashboard in a real browser (Debian's Chromium driven by Playwright), on the real
application: log in, read the fixture's numbers, pick weeks, download the spreadsheet, log out;
the page fits a phone's width (the village table scrolls inside its own box) and breaks no rule
of its Content-Security-Policy. Screenshots are kept for a person to look at."""

import io
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from openpyxl import load_workbook
from playwright.async_api import Browser, Page, async_playwright, expect

from bot.app import build_app
from bot.reports.formats import FORMATS
from tests.bot.dashboard.conftest import NOW, PASSWORD, VILLAGE, dashboard_settings, filled_store, villages
from tests.bot.dashboard.test_dashboard import VILLAGE_ROW
from tests.browser import ARGS, CHROMIUM, TIMEOUT_MS, skip_without_chromium
from tests.conftest import frozen_content

skip_without_chromium()

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SHOTS_FOR_PEOPLE = Path("/tmp")


@pytest.fixture
async def server(tmp_path) -> AsyncIterator[TestServer]:
    settings = dashboard_settings(tmp_path)
    store = filled_store(settings, villages())
    server = TestServer(build_app(settings, frozen_content(), store, clock=lambda: NOW), host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()
    store.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        await browser.close()


async def new_page(browser: Browser, server: TestServer, viewport: dict[str, int], phone: bool) -> Page:
    context = await browser.new_context(
        base_url=str(server.make_url("/")),
        viewport=viewport,
        locale="vi-VN",
        is_mobile=phone,
        has_touch=phone,
        accept_downloads=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    return await context.new_page()


def csp_violations(page: Page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None)
    return found


async def log_in(page: Page, path: str = "/dashboard") -> None:
    await page.goto(path)
    await expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    await page.get_by_label("Mật khẩu").fill(PASSWORD)
    await page.get_by_role("button", name="Đăng nhập").click()


def village_cells(page: Page, name: str):
    return page.locator("table.villages tr").filter(has=page.get_by_role("rowheader", name=name, exact=True))


async def assert_fits_the_phone(page: Page) -> None:
    """The page is as wide as the phone; only the village table scrolls, its names kept in view;
    every button is big enough for a thumb."""
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = page.locator(".scroll")
    assert await box.evaluate("el => el.scrollWidth > el.clientWidth")
    await box.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    name_box = await village_cells(page, VILLAGE).get_by_role("rowheader").bounding_box()
    assert name_box is not None
    assert 0 <= name_box["x"] < 40, "the village's name stays in view while the table scrolls"
    await box.evaluate("el => { el.scrollLeft = 0; }")
    for button in await page.locator("button, a.button").all():
        height = (await button.bounding_box() or {"height": 0})["height"]
        assert height >= 44, await button.text_content()


async def keep_shot(page: Page, tmp_path: Path, name: str) -> Path:
    shot = tmp_path / name
    await page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 20_000, "a real rendering, not a blank page"
    shutil.copy(shot, SHOTS_FOR_PEOPLE / name)
    return shot


async def test_log_in_read_the_week_download_the_file_and_log_out_on_a_phone(browser, server, tmp_path):
    page = await new_page(browser, server, PHONE, phone=True)
    violations = csp_violations(page)
    try:
        await log_in(page)
        await expect(page.get_by_role("heading", name="Tuần 2025-W40 (đang diễn ra)")).to_be_visible()
        await page.get_by_role("link", name="‹ Trước").click()
        await expect(page.get_by_role("heading", name="Tuần 2025-W39")).to_be_visible()
        await expect(village_cells(page, VILLAGE).locator("td")).to_have_text(VILLAGE_ROW)
        await expect(page.locator(".stat").first).to_contain_text("4")
        funnel = page.locator(".funnel li")
        await expect(funnel).to_have_count(6)
        await expect(funnel.first).to_contain_text("Tới bước 1")
        await expect(funnel.first.locator(".value")).to_have_text("3")

        await assert_fits_the_phone(page)
        await keep_shot(page, tmp_path, "dashboard-phone.png")

        form = "xlsx" if "xlsx" in FORMATS else "csv"
        link = page.get_by_role("link", name=f".{FORMATS[form].suffix})")
        async with page.expect_download() as waiting:
            await link.click()
        download = await waiting.value
        assert download.suggested_filename == f"bao-cao-2025-W39.{FORMATS[form].suffix}"
        data = Path(await download.path()).read_bytes()
        if form == "xlsx":
            sheet = load_workbook(io.BytesIO(data)).worksheets[0]
            row = next(r for r in sheet.iter_rows(values_only=True) if r[1] == VILLAGE)
            shown = [cell.removesuffix("%") for cell in VILLAGE_ROW]
            assert [str(v) for v in row[2:]] == shown
        else:
            assert f"Đồng Tâm,{VILLAGE},3,3," in data.decode("utf-8-sig")

        # Any week, picked in the form.
        await page.get_by_label("Hoặc chọn tuần").fill("2025-W38")
        await page.get_by_role("button", name="Xem").click()
        await expect(page.get_by_role("heading", name="Tuần 2025-W38")).to_be_visible()
        await expect(village_cells(page, "Nà Roòng").locator("td").nth(0)).to_have_text("2")

        await page.get_by_role("button", name="Đăng xuất").click()
        await expect(page.get_by_role("status")).to_have_text("Đã đăng xuất.")
        await page.goto("/dashboard?week=2025-W39")
        await expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
        await expect(page.get_by_text(VILLAGE)).to_have_count(0)
    finally:
        await page.context.close()
    assert violations == []


async def test_the_week_on_a_desktop_screen_and_a_wrong_password(browser, server, tmp_path):
    page = await new_page(browser, server, DESKTOP, phone=False)
    violations = csp_violations(page)
    try:
        await page.goto("/dashboard/download/csv?week=2025-W39")
        await page.get_by_label("Mật khẩu").fill("khong-phai-mat-khau")
        await page.get_by_role("button", name="Đăng nhập").click()
        await expect(page.get_by_role("alert")).to_have_text("Mật khẩu không đúng. Xin thử lại.")
        await expect(page.get_by_label("Mật khẩu")).to_have_value("")

        await log_in(page, "/dashboard?week=2025-W39")
        await expect(page.get_by_role("heading", name="Tuần 2025-W39")).to_be_visible()
        stats = page.locator(".stat")
        first, fourth = await stats.nth(0).bounding_box(), await stats.nth(3).bounding_box()
        assert first is not None
        assert fourth is not None
        assert fourth["y"] > first["y"], "three cards a row on a wide screen"
        assert await page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
        await keep_shot(page, tmp_path, "dashboard-desktop.png")
    finally:
        await page.context.close()
    assert violations == []
