"""The dashboard over HTTP: off without a password; the login, its brake on guessing and the
session; the week's numbers on the page and in the files; escaping; bad weeks."""

import csv
import io
import json
import logging
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest

from bot.app import build_app
from bot.dashboard import COOKIE
from bot.dashboard.auth import FAILURE_WINDOW, LOCKOUT_AFTER, SESSION_SECONDS
from bot.reports.counts import KEYS
from bot.reports.formats import FORMATS
from bot.reports.render import TABLE_HEADINGS
from tests.bot.dashboard.conftest import (
    PASSWORD,
    VILLAGE,
    dashboard_app,
    dashboard_settings,
    filled_store,
    started,
    villages,
)
from tests.conftest import frozen_content

W39 = "/dashboard?week=2025-W39"


class Cells(HTMLParser):
    """The text of every table row's cells, and every `<li>`'s text, in page order."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.items: list[str] = []
        self._cell: list[str] | None = None
        self._item: list[str] | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("th", "td"):
            self._cell = []
        elif tag == "li":
            self._item = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self._cell is not None:
            self.rows[-1].append(" ".join(" ".join(self._cell).split()))
            self._cell = None
        elif tag == "li" and self._item is not None:
            self.items.append(" ".join(" ".join(self._item).split()))
            self._item = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._item is not None:
            self._item.append(data)

    def row(self, first: str) -> list[str]:
        found = [row for row in self.rows if row and row[0] == first]
        assert len(found) == 1, (first, found)
        return found[0][1:]


def expected_row(
    week: dict[str, int], last: tuple[int, int], goals: list[str], campaign: list[str]
) -> list[str]:
    """A table row as the page writes it: the week's counts, last week's, the goals, the campaign."""
    return [str(week.get(key, 0)) for key in KEYS] + [str(n) for n in last] + goals + campaign


#: Tổ dân phố 1 in 2025-W39, by hand (see conftest.py).
VILLAGE_WEEK = {
    "people": 3, "sessions": 3, "step_1": 3, "step_2": 2, "step_3": 2, "step_4": 1, "step_5": 1,
    "submitted": 1, "stuck_3": 1, "cards_valid": 1, "cards_invalid": 3,
}  # fmt: skip
VILLAGE_ROW = expected_row(VILLAGE_WEEK, (1, 1), ["40", "4", "25%"], ["2", "5%"])
#: The commune: Bản Quất's anonymous session and handoff added; 3 of the 40 accounts (7.5 %).
TOTAL_WEEK = VILLAGE_WEEK | {"people": 4, "sessions": 4, "handoffs": 1}
TOTAL_ROW = expected_row(TOTAL_WEEK, (3, 2), ["40", "4", "25%"], ["3", "8%"])


async def log_in(client, password: str = PASSWORD, next_path: str = ""):
    return await client.post(
        "/dashboard/login", data={"password": password, "next": next_path}, allow_redirects=False
    )


async def test_without_a_password_the_dashboard_is_off(client):
    for path in ("/dashboard", "/dashboard/login", "/dashboard/download/csv?week=2025-W39"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 404, path
        assert "chưa bật" in await response.text()
    response = await client.post("/dashboard/login", data={"password": "x" * 12})
    assert response.status == 404


async def test_the_real_application_mounts_it_when_the_password_is_set(tmp_path):
    settings = dashboard_settings(tmp_path)
    store = filled_store(settings, villages())
    client = await started(build_app(settings, frozen_content(), store))
    try:
        response = await client.get("/dashboard", allow_redirects=False)
        assert response.status == 303
        assert unquote(response.headers["Location"]) == "/dashboard/login?next=/dashboard"
        form = await client.get("/dashboard/login")
        assert "Mật khẩu" in await form.text()
        assert "Đăng nhập" in await form.text()
        assert (await client.get("/")).status == 200  # the web chat is still there
    finally:
        await client.close()
        store.close()


async def test_wrong_passwords_wait_longer_each_time_and_leak_nothing_then_the_right_one_opens(
    dash, sleeps, caplog
):
    caplog.set_level(logging.DEBUG)
    for n in range(3):
        guess = f"doan-thu-{n}-abcdef"
        response = await log_in(dash, guess)
        assert response.status == 401
        page = await response.text()
        assert "Mật khẩu không đúng" in page
        assert guess not in page
        assert PASSWORD not in page
        assert VILLAGE not in page
        assert "Set-Cookie" not in response.headers
    assert sleeps.asked == [0.5, 1.0, 2.0]

    response = await log_in(dash)
    assert response.status == 303
    assert response.headers["Location"] == "/dashboard"
    cookie = response.cookies[COOKIE]
    assert len(cookie.value) >= 40
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/dashboard"
    assert cookie["max-age"] == str(SESSION_SECONDS)
    assert not cookie["secure"]  # no https PUBLIC_URL here
    assert sleeps.asked == [0.5, 1.0, 2.0], "a right password does not wait"

    assert (await log_in(dash, "sai-lan-nua-abc")).status == 401
    assert sleeps.asked[-1] == 0.5, "the count starts again after a right password"
    assert PASSWORD not in caplog.text
    assert "doan-thu" not in caplog.text


async def test_the_cookie_is_secure_behind_https(tmp_path, sleeps, clock):
    settings = dashboard_settings(tmp_path, PUBLIC_URL="https://xa.example.vn")
    store = filled_store(settings, villages())
    client = await started(dashboard_app(store, settings, sleeps, clock))
    try:
        response = await log_in(client)
        assert response.cookies[COOKIE]["secure"] is True
    finally:
        await client.close()
        store.close()


async def test_many_wrong_passwords_lock_the_address_out_even_for_the_right_one(dash, sleeps, clock):
    for _ in range(LOCKOUT_AFTER):
        assert (await log_in(dash, "doan-mat-khau-sai")).status == 401
    assert sleeps.asked == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0]

    response = await log_in(dash)
    assert response.status == 429
    assert int(response.headers["Retry-After"]) == FAILURE_WINDOW
    assert "thử lại sau 15 phút" in await response.text()
    assert COOKIE not in response.cookies
    assert len(sleeps.asked) == LOCKOUT_AFTER, "a locked-out guess is not even checked"

    clock.advance(FAILURE_WINDOW)
    assert (await log_in(dash)).status == 303


async def test_an_address_behind_the_trusted_proxy_is_braked_on_its_own(tmp_path, sleeps, clock):
    settings = dashboard_settings(tmp_path, TRUSTED_PROXY="127.0.0.1")
    store = filled_store(settings, villages())
    client = await started(dashboard_app(store, settings, sleeps, clock))
    try:
        for address in ("10.0.0.1", "10.0.0.1", "10.0.0.2"):
            response = await client.post(
                "/dashboard/login",
                data={"password": "sai-mat-khau-abc"},
                headers={"X-Forwarded-For": address},
            )
            assert response.status == 401
        assert sleeps.asked == [0.5, 1.0, 0.5]
    finally:
        await client.close()
        store.close()


async def test_a_session_shows_the_weeks_numbers(dash):
    await log_in(dash)
    response = await dash.get(W39)
    assert response.status == 200
    page = await response.text()
    cells = Cells(page)
    assert "Tuần 2025-W39" in page
    assert "07:00 17/09 – 07:00 24/09/2025" in page
    assert cells.rows[0] == ["Thôn, tổ dân phố", *TABLE_HEADINGS]
    assert cells.row(VILLAGE) == VILLAGE_ROW
    assert cells.row("Bản Quất")[KEYS.index("handoffs")] == "1"
    assert cells.row("Nà Roòng")[: len(KEYS)] == ["0"] * len(KEYS)
    assert cells.row("Cộng Đồng Tâm") == VILLAGE_ROW
    assert cells.row("Cộng Như Cố")[KEYS.index("people")] == "1"
    assert cells.row("Toàn xã") == TOTAL_ROW
    # Each area's villages come before its subtotal.
    names = [row[0] for row in cells.rows if row]
    assert (
        names.index("Đồng Tâm") < names.index(VILLAGE) < names.index("Cộng Đồng Tâm") < names.index("Như Cố")
    )
    assert (
        names.index("Như Cố") < names.index("Bản Quất") < names.index("Cộng Như Cố") < names.index("Toàn xã")
    )

    # The funnel, the trend (newest first) and the invalid card reasons.
    for item in (
        "Tới bước 1 3",
        "Tới bước 2 2",
        "Tới bước 3 2",
        "Tới bước 4 1",
        "Tới bước 5 1",
        "Đã gửi yêu cầu 1",
    ):
        assert item in cells.items
    assert cells.row("2025-W39 24/09") == ["4", "1"]
    assert cells.row("2025-W38 17/09") == ["3", "2"]
    trend = [row[0] for row in cells.rows if row and row[0].startswith("2025-W")]
    assert trend == [f"2025-W{n} {day}" for n, day in zip(range(39, 31, -1), (
        "24/09", "17/09", "10/09", "03/09", "27/08", "20/08", "13/08", "06/08"), strict=True)]  # fmt: skip
    assert cells.items.index("Sai số ký tự 2 lần") < cells.items.index("Gõ nhầm số CCCD 1 lần")

    # The summary, and a link to every file the reports come in.
    assert 'Người được hỗ trợ</p><p class="value">4</p><p class="sub">+1 so với tuần trước' in page
    assert 'Đã gửi yêu cầu</p><p class="value">1</p><p class="sub">−1 so với tuần trước' in page
    assert "1/4 yêu cầu" in page
    for name in FORMATS:
        assert f'href="/dashboard/download/{name}?week=2025-W39"' in page
    assert 'href="/dashboard?week=2025-W38"' in page
    assert 'href="/dashboard?week=2025-W40">Sau ›</a>' in page  # the week after: this week


async def test_this_week_is_the_default_and_says_it_is_running(dash):
    await log_in(dash)
    page = await (await dash.get("/dashboard")).text()
    assert "Tuần 2025-W40 (đang diễn ra)" in page
    assert Cells(page).row(VILLAGE)[0] == "0"
    assert "Sau ›" not in page  # no week after the running one
    assert "Tuần này chưa có số thẻ gõ sai." in page


async def test_dashboard_answers_carry_the_security_headers(dash):
    pages = [await dash.get("/dashboard/login"), await log_in(dash), await dash.get(W39)]
    for response in pages:
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "script-src" not in headers["Content-Security-Policy"]  # default-src 'none': no script
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Cache-Control"] == "no-store"
    page = await pages[-1].text()
    assert "<script" not in page
    assert " style=" not in page
    css = await dash.get("/dashboard/static/dashboard.css")
    assert css.status == 200, "the login page needs it before any session"
    assert css.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard",
        W39,
        "/dashboard/download/csv?week=2025-W39",
        "/dashboard/download/json?week=2025-W39",
        "/dashboard/download/xlsx",
        "/dashboard/download/nope",
    ],
)
async def test_without_a_session_pages_and_downloads_go_to_the_login(dash, path):
    dash.session.cookie_jar.update_cookies({COOKIE: "made-up-token-" + "x" * 30})
    response = await dash.get(path, allow_redirects=False)
    assert response.status == 303
    location = response.headers["Location"]
    assert location.startswith("/dashboard/login?next=")
    assert unquote(location.removeprefix("/dashboard/login?next=")) == path
    body = await response.read()
    assert VILLAGE.encode() not in body
    assert "Toàn xã".encode() not in body


async def test_the_login_goes_back_to_the_download_asked_for(dash):
    path = "/dashboard/download/csv?week=2025-W39"
    response = await dash.get(path)  # follows the redirect to the login form
    assert 'name="next" value="/dashboard/download/csv?week=2025-W39"' in await response.text()
    response = await log_in(dash, next_path=path)
    assert response.headers["Location"] == path


@pytest.mark.parametrize(
    "next_path", ["https://evil.example/", "//evil.example/dashboard", "/dashboard/../x"]
)
async def test_the_login_goes_nowhere_but_the_dashboard(dash, next_path):
    response = await log_in(dash, next_path=next_path)
    assert response.headers["Location"] == "/dashboard"


async def test_logout_needs_the_sessions_token_and_ends_the_session(dash):
    response = await log_in(dash)
    token = response.cookies[COOKIE].value
    page = await (await dash.get("/dashboard")).text()
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]

    refused = await dash.post("/dashboard/logout", data={"csrf": "not-the-token"}, allow_redirects=False)
    assert refused.status == 403
    assert (await dash.get("/dashboard", allow_redirects=False)).status == 200, "still logged in"

    response = await dash.post("/dashboard/logout", data={"csrf": csrf}, allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/dashboard/login?out"
    assert response.cookies[COOKIE].value == ""
    assert "Đã đăng xuất." in await (await dash.get("/dashboard/login?out")).text()
    dash.session.cookie_jar.update_cookies({COOKIE: token})  # the old cookie, kept by someone
    response = await dash.get("/dashboard", allow_redirects=False)
    assert response.status == 303
    assert (await dash.get("/dashboard/download/csv", allow_redirects=False)).status == 303


async def test_a_session_ends_after_twelve_hours(dash, clock):
    await log_in(dash)
    clock.advance(SESSION_SECONDS - 1)
    assert (await dash.get("/dashboard", allow_redirects=False)).status == 200
    clock.advance(1)
    assert (await dash.get("/dashboard", allow_redirects=False)).status == 303


async def test_csv_and_json_downloads_hold_the_weeks_numbers(dash):
    await log_in(dash)
    response = await dash.get("/dashboard/download/csv?week=2025-W39")
    assert response.status == 200
    assert response.headers["Content-Type"] == FORMATS["csv"].media_type
    assert response.headers["Content-Disposition"] == 'attachment; filename="bao-cao-2025-W39.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    assert rows[0] == ["Khu vực", "Thôn, tổ dân phố", *TABLE_HEADINGS]
    village = next(row for row in rows if row[1] == VILLAGE)
    assert village == ["Đồng Tâm", VILLAGE, *(cell.removesuffix("%") for cell in VILLAGE_ROW)]

    response = await dash.get("/dashboard/download/json?week=tuantruoc")
    assert response.headers["Content-Disposition"] == 'attachment; filename="bao-cao-2025-W39.json"'
    report = json.loads(await response.read())
    row = next(r for r in report["villages"] if r["code"] == "ttcm-to-1")
    assert {key: row[key] for key in VILLAGE_WEEK} == VILLAGE_WEEK
    assert (row["week_share"], row["campaign_share"]) == (25, 5)
    assert report["total"]["people"] == 4
    assert report["invalid_reasons"] == [
        {"reason": "bad_length", "count": 2},
        {"reason": "looks_like_cccd", "count": 1},
    ]


async def test_every_format_downloads_with_its_media_type(dash):
    await log_in(dash)
    for name, form in FORMATS.items():
        response = await dash.get(f"/dashboard/download/{name}?week=2025-W39")
        assert response.status == 200, name
        assert response.headers["Content-Type"] == form.media_type
        assert response.headers["Content-Disposition"].endswith(f'filename="bao-cao-2025-W39.{form.suffix}"')
        assert len(await response.read()) > 0
    assert (await dash.get("/dashboard/download/exe?week=2025-W39")).status == 404


async def test_village_names_are_escaped(tmp_path, sleeps, clock):
    settings = dashboard_settings(tmp_path)
    evil = '<script>alert("x")</script> & <b>'
    store = filled_store(settings, villages(**{"ttcm-to-1": evil}))
    client = await started(dashboard_app(store, settings, sleeps, clock))
    try:
        await log_in(client)
        page = await (await client.get(W39)).text()
        assert "<script" not in page
        assert "<b>" not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in page
        assert Cells(page).row(evil) == VILLAGE_ROW
    finally:
        await client.close()
        store.close()


@pytest.mark.parametrize("week", ["abc", "2025-W60", "2025-W3", "<script>x</script>", "9" * 500])
async def test_a_bad_week_is_a_vietnamese_error_not_a_server_error(dash, week):
    await log_in(dash)
    response = await dash.get("/dashboard", params={"week": week})
    assert response.status == 400
    page = await response.text()
    assert "Không xem được tuần này" in page
    assert "<script>x" not in page
    assert "9" * 50 not in page
    assert 'name="week" type="week" value=""' in page, "the week can be picked again"
    assert 'href="/dashboard?week=2025-W40">Tuần này</a>' in page
    assert "Đăng xuất" in page
    download = await dash.get("/dashboard/download/csv", params={"week": week})
    assert download.status == 400
    assert "Không xem được tuần này" in await download.text()
