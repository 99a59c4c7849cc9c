"""The web chat API through the real application on 127.0.0.1: the whole guide, retried taps,
the cookie, abuse limits (nothing stored for a rejected request), images and health."""

import io
import json
from dataclasses import replace

import png
import pytest
import zxingcpp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from bot.app import build_app
from bot.channels.web import COOKIE, render_page
from bot.media import Media
from bot.settings import load_settings


async def post(client: TestClient, body: dict | str, **headers: str) -> tuple[int, dict]:
    if isinstance(body, dict):
        response = await client.post("/api/chat", json=body, headers=headers)
    else:
        response = await client.post("/api/chat", data=body, headers=headers)
    return response.status, await response.json()


def texts(answer: dict) -> str:
    return "\n".join(reply["text"] for reply in answer["replies"])


def buttons(answer: dict) -> dict[str, str]:
    return {b["label"]: b["id"] for reply in answer["replies"] for b in reply["buttons"]}


async def count(opened, table: str) -> int:
    store, _ = opened
    return await store.run(lambda tx: tx.count(table))


async def test_the_whole_guide_over_http(client, opened):
    status, answer = await post(client, {"start": ""})
    assert status == 200
    assert "trợ lý tự động" in texts(answer)
    for label in ("Đồng ý", "Đồng Tâm", "Tổ dân phố 3", "Hướng dẫn 5 bước tích hợp thẻ BHYT"):
        _, answer = await post(client, {"choice": buttons(answer)[label]})
    for typed in ("1", "có", "ok"):
        _, answer = await post(client, {"text": typed})
    for step in ("Bước 1:", "Bước 2:", "Bước 3:", "Bước 4, việc 1/3", "Bước 4, việc 2/3", "Bước 4, việc 3/3"):
        assert step in texts(answer)
        _, answer = await post(client, {"choice": buttons(answer)["Xong, sang bước tiếp"]})
    assert 'Màn hình có hiện "Gửi yêu cầu thành công" không?' in texts(answer)
    _, answer = await post(client, {"text": "1"})
    assert "Lịch sử" in texts(answer)
    store, _ = opened
    kinds = await store.run(
        lambda tx: [r["kind"] for r in tx.db.query("SELECT kind FROM events ORDER BY id")]
    )
    assert kinds.count("step_reached") == 5
    assert kinds[-1] == "outcome"


async def test_replies_are_plain_json_with_text_buttons_and_image_url(client):
    await post(client, {"start": ""})
    await post(client, {"text": "2"})
    _, answer = await post(client, {"text": "/video"})
    (qr,) = [reply for reply in answer["replies"] if reply["image_url"]]
    assert qr["image_url"] == "/media/qr/video.png"
    assert all(isinstance(reply["text"], str) for reply in answer["replies"])
    assert all(set(b) == {"id", "label"} for reply in answer["replies"] for b in reply["buttons"])


async def test_a_retried_tap_with_the_same_id_gets_the_same_replies(client, opened):
    await post(client, {"start": ""})
    first = await post(client, {"text": "1", "id": "tap-1"})
    again = await post(client, {"text": "1", "id": "tap-1"})
    assert first == again
    assert await count(opened, "conversations") == 1
    store, _ = opened
    consents = await store.run(
        lambda tx: tx.db.execute("SELECT COUNT(*) FROM events WHERE kind = 'consent_given'")
    )
    assert consents.fetchone()[0] == 1


async def test_the_cookie_is_random_httponly_and_lax(client):
    response = await client.post("/api/chat", json={"start": ""})
    cookie = response.cookies[COOKIE]
    assert len(cookie.value) >= 22
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert not cookie["secure"]
    other = TestClient(client.server)
    await other.start_server()
    try:
        second = await other.post("/api/chat", json={"start": ""})
        assert second.cookies[COOKIE].value != cookie.value
    finally:
        await other.close()


async def test_the_cookie_is_secure_behind_https(tmp_path, opened):
    settings = load_settings(
        {"BOT_DB_PATH": str(tmp_path / "x.sqlite3"), "PUBLIC_URL": "https://xa.example.vn"}, None
    )
    store, content = opened
    async with TestClient(TestServer(build_app(settings, content, store), host="127.0.0.1")) as client:
        response = await client.post("/api/chat", json={"start": ""})
        assert response.cookies[COOKIE]["secure"]


async def test_resume_shows_the_question_the_person_is_at_and_changes_nothing(client, opened):
    status, answer = await post(client, {"resume": True})
    assert status == 200
    assert "Xin chào" in texts(answer), "a new person gets the welcome"
    await post(client, {"text": "Đồng ý"})
    events = await count(opened, "events")
    _, again = await post(client, {"resume": True})
    assert [r["text"] for r in again["replies"]] == ["Ông/bà ở khu vực nào? Có thể gõ tên thôn, tổ dân phố."]
    assert buttons(again)["Đồng Tâm"] == "area:dong-tam"
    assert await count(opened, "events") == events, "nothing logged"


async def test_the_server_keeps_no_reply_text_and_has_no_history_to_give(client, opened):
    await post(client, {"start": ""})
    await post(client, {"text": "Đồng ý"})
    await post(client, {"text": "Kiểm tra số thẻ BHYT"})
    assert (await client.get("/api/history")).status == 404
    assert await count(opened, "outbox") == 0


async def test_erasing_says_so_in_the_answer(client):
    await post(client, {"start": ""})
    _, kept = await post(client, {"text": "xoá dữ liệu"})
    assert kept["erased"] is False
    _, answer = await post(client, {"text": "Có, xoá dữ liệu"})
    assert answer["erased"] is True
    assert [b["label"] for b in answer["replies"][-1]["buttons"]] == ["Bắt đầu lại"]


async def test_a_village_link_starts_with_that_village(client):
    _, answer = await post(client, {"start": "v_nhuco-na-roong"})
    _, answer = await post(client, {"choice": buttons(answer)["Đồng ý"]})
    assert "Ông/bà ở Nà Roòng, đúng không?" in texts(answer)


async def test_next_person_gets_a_fresh_cookie_and_keeps_the_village_link(client):
    await post(client, {"start": ""})
    old = client.session.cookie_jar.filter_cookies(client.make_url("/"))[COOKIE].value
    response = await client.get("/next?village=ttcm-to-2", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/?village=ttcm-to-2"
    assert response.cookies[COOKIE].value != old
    assert (await client.get("/next?village=../etc", allow_redirects=False)).headers["Location"] == "/"


async def test_the_page_is_utf8_html_with_its_words_from_the_content(client, opened):
    response = await client.get("/?village=ttcm-to-1")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = await response.text()
    assert '<meta charset="utf-8">' in page
    assert "<title>Trợ lý tích hợp thẻ BHYT vào VNeID</title>" in page
    assert "{{" not in page
    _, content = opened
    texts = json.loads(page.split('<script id="texts" type="application/json">')[1].split("</script>")[0])
    assert texts["offline"] == content.text("web.page.offline")


def test_page_words_are_escaped(content):
    texts = {**content.texts, "web.page.title": '<script>alert("x")</script>', "web.page.send": "</script>"}
    page = render_page("<h1>{{web.page.title}}</h1><script>{{texts}}</script>", replace(content, texts=texts))
    assert "<h1>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</h1>" in page
    assert page.count("</script>") == 1, "the JSON cannot close the script element"


async def test_static_files_are_revalidated(client):
    response = await client.get("/static/chat.js")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-cache"


async def test_the_card_question_asks_for_typing(client):
    await post(client, {"start": ""})
    await post(client, {"text": "2"})
    _, answer = await post(client, {"text": "/kiemtra"})
    assert answer["replies"][-1]["wants_text"] is True
    assert all(reply["wants_text"] is False for reply in answer["replies"][:-1])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param("{not json", "không hợp lệ", id="malformed JSON"),
        pytest.param("[1, 2]", "không hợp lệ", id="not an object"),
        pytest.param("{}", "không hợp lệ", id="nothing to say"),
        pytest.param('{"text": 5}', "không hợp lệ", id="text not a string"),
        pytest.param('{"choice": "' + "x" * 65 + '"}', "không hợp lệ", id="button id over 64 bytes"),
        pytest.param('{"start": "v_../../x"}', "không hợp lệ", id="start payload with odd characters"),
        pytest.param('{"text": "hi", "id": "' + "i" * 65 + '"}', "không hợp lệ", id="client id too long"),
        pytest.param('{"text": "hi", "id": "w0123456789"}', "không hợp lệ", id="client id holding a number"),
        pytest.param('{"text": "' + "a" * 1001 + '"}', "dài quá", id="text over 1,000 characters"),
    ],
)
async def test_bad_requests_get_a_vietnamese_400_and_store_nothing(client, opened, body, message):
    status, answer = await post(client, body, **{"Content-Type": "application/json"})
    assert status == 400
    assert message in answer["error"]
    assert await count(opened, "inbox") == 0


async def test_a_body_over_16_kib_is_refused(client, opened):
    status, answer = await post(client, '{"text": "' + "a" * 17_000 + '"}')
    assert status == 413
    assert "quá lớn" in answer["error"]
    assert await count(opened, "inbox") == 0


async def test_text_of_exactly_1000_characters_is_fine(client):
    status, _ = await post(client, {"text": "a" * 1000})
    assert status == 200


async def _limited_client(tmp_path, opened, **values: str) -> TestClient:
    settings = load_settings({"BOT_DB_PATH": str(tmp_path / "r.sqlite3"), **values}, None)
    store, content = opened
    client = TestClient(TestServer(build_app(settings, content, store), host="127.0.0.1"))
    await client.start_server()
    return client


async def test_per_browser_rate_limit_answers_429_in_vietnamese(tmp_path, opened):
    client = await _limited_client(tmp_path, opened, WEB_RATE_PER_MINUTE="3")
    try:
        statuses = [(await client.post("/api/chat", json={"text": "hi"})).status for _ in range(3)]
        response = await client.post("/api/chat", json={"text": "hi"})
        assert statuses == [200, 200, 200]
        assert response.status == 429
        assert "nhanh quá" in (await response.json())["error"]
        assert int(response.headers["Retry-After"]) >= 1
        assert await count(opened, "inbox") == 3
    finally:
        await client.close()


async def test_resume_is_rate_limited_too(tmp_path, opened):
    client = await _limited_client(tmp_path, opened, WEB_RATE_PER_MINUTE="2")
    try:
        statuses = [(await client.post("/api/chat", json={"resume": True})).status for _ in range(3)]
        assert statuses == [200, 200, 429]
    finally:
        await client.close()


async def test_per_address_limit_counts_every_browser_of_one_address(tmp_path, opened):
    client = await _limited_client(tmp_path, opened, WEB_RATE_PER_MINUTE_PER_ADDRESS="2")
    try:
        statuses = []
        for _ in range(3):
            client.session.cookie_jar.clear()
            statuses.append((await client.post("/api/chat", json={"start": ""})).status)
        assert statuses == [200, 200, 429]
    finally:
        await client.close()


async def test_forwarded_for_counts_only_from_the_trusted_proxy(tmp_path, opened):
    untrusted = await _limited_client(tmp_path, opened, WEB_RATE_PER_MINUTE_PER_ADDRESS="1")
    try:
        first = await untrusted.post("/api/chat", json={"start": ""}, headers={"X-Forwarded-For": "10.0.0.1"})
        second = await untrusted.post(
            "/api/chat", json={"start": ""}, headers={"X-Forwarded-For": "10.0.0.2"}
        )
        assert (first.status, second.status) == (200, 429), "a forged header does not dodge the limit"
    finally:
        await untrusted.close()
    trusted = await _limited_client(
        tmp_path, opened, WEB_RATE_PER_MINUTE_PER_ADDRESS="1", TRUSTED_PROXY="127.0.0.1"
    )
    try:
        first = await trusted.post(
            "/api/chat", json={"start": ""}, headers={"X-Forwarded-For": "1.2.3.4, 10.0.0.1"}
        )
        second = await trusted.post("/api/chat", json={"start": ""}, headers={"X-Forwarded-For": "10.0.0.2"})
        third = await trusted.post("/api/chat", json={"start": ""}, headers={"X-Forwarded-For": "10.0.0.2"})
        assert (first.status, second.status, third.status) == (200, 200, 429)
    finally:
        await trusted.close()


def _png_size(body: bytes) -> tuple[int, int]:
    width, height, _, _ = png.Reader(file=io.BytesIO(body)).read()
    return width, height


async def test_qr_images_are_pngs_and_unknown_names_are_404(client):
    video = await client.get("/media/qr/video.png")
    assert (video.status, video.headers["Content-Type"]) == (200, "image/png")
    assert min(_png_size(await video.read())) >= 200
    village = await client.get("/media/qr/village/ttcm-to-1.png")
    assert village.status == 200
    assert await village.read() != await (await client.get("/media/qr/village/ttcm-to-2.png")).read()
    for path in (
        "/media/qr/village/no-such-place.png",
        "/media/qr/other.png",
        "/media/content/..%2f..%2fpyproject.toml",
    ):
        assert (await client.get(path)).status == 404, path


async def test_a_village_poster_is_served_as_png_and_only_for_a_known_village(client, opened):
    """The code is looked up in the village list; a traversal attempt is just an unknown code."""
    _, content = opened
    response = await client.get("/media/poster/ttcm-to-1.png")
    assert (response.status, response.headers["Content-Type"]) == (200, "image/png")
    body = await response.read()
    assert _png_size(body) == (2480, 3508)
    assert "http://127.0.0.1:8080/?village=ttcm-to-1" in {
        code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(body)))
    }, "the village link from the same base as the village QR codes"
    for path in ("/media/poster/no-such-place.png", "/media/poster/..%2F..%2Fetc.png"):
        refused = await client.get(path)
        assert refused.status == 404, path
        assert await refused.text() == content.text("web.not_found"), path


async def test_a_served_poster_carries_the_telegram_deep_link_once_the_bot_is_known(opened):
    """Zalo sends posters by URL, so the page served here is the one a Zalo volunteer forwards:
    with Telegram running beside it, it carries that bot's QR too."""
    _, content = opened
    username: list[str | None] = [None]
    app = web.Application()
    app.add_routes(Media(content, "https://xa.example.vn", telegram_bot=lambda: username[0]).routes())
    async with TestClient(TestServer(app)) as media:
        before = await (await media.get("/media/poster/ttcm-to-1.png")).read()
        username[0] = "xa_bot"
        after = await (await media.get("/media/poster/ttcm-to-1.png")).read()
    links = [
        {code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))} for png in (before, after)
    ]
    assert not any("t.me" in link for link in links[0]), "no Telegram QR before the bot answered"
    assert "https://t.me/xa_bot?start=v_ttcm-to-1" in links[1]
    assert "https://xa.example.vn/?village=ttcm-to-1" in links[0] & links[1]


async def test_office_screenshots_are_served_from_their_folder_only(client):
    response = await client.get("/media/content/README.md")
    assert response.status == 404, "only images"
    assert (await client.get("/media/content/%2e%2e/guide.toml")).status == 404


async def test_healthz(client):
    response = await client.get("/healthz")
    assert (response.status, await response.json()) == (200, {"ok": True})


async def test_the_report_command_is_refused_in_the_web_chat_and_logged(client, opened):
    """Web visitors are anonymous: the office's numbers are on the dashboard, behind a login."""
    await post(client, {"start": ""})
    status, answer = await post(client, {"text": "/baocao"})
    assert status == 200
    assert "chỉ dành cho cán bộ xã" in texts(answer)
    assert "Báo cáo tuần" not in texts(answer)
    store, _ = opened
    refused = await store.run(lambda tx: list(tx.db.query("SELECT data FROM events WHERE kind = 'refused'")))
    assert refused == [{"data": '{"command":"baocao"}'}]
