"""The web chat's card photo (`POST /api/photo`), over real HTTP: a generated card photo is
answered as its number typed, with the same cookie and JSON as /api/chat; anything else than a
photo in the `photo` field is a Vietnamese 4xx or the flow's kind answer, never a 500."""

import io

import aiohttp
import pytest

from bot.channels.web import COOKIE
from tests.cards import CARD_NUMBERS, Shot, card, card_qr_text, photo

CARD = CARD_NUMBERS[2]
TO_CARD = ["xin chào", "Đồng ý", "Đồng Tâm", "Tổ dân phố 3", "Kiểm tra số thẻ BHYT"]


def form(data: bytes, field: str = "photo", name: str = "the.jpg") -> aiohttp.FormData:
    body = aiohttp.FormData()
    body.add_field(field, io.BytesIO(data), filename=name, content_type="image/jpeg")
    return body


async def at_card_question(client) -> None:
    for text in TO_CARD:
        assert (await client.post("/api/chat", json={"text": text})).status == 200


async def test_a_card_photo_is_answered_as_the_number_typed_with_the_same_cookie(client, opened):
    store, _ = opened
    await at_card_question(client)
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))[COOKIE].value
    picture = card(card_qr_text(CARD), CARD)[0]
    answer = await client.post("/api/photo", data=form(photo(picture, Shot(angle=10))))
    assert answer.status == 200
    body = await answer.json()
    assert set(body) == {"replies", "erased"}
    first = body["replies"][0]["text"]
    assert first.startswith(f"Trợ lý đọc được số thẻ trong mã QR trên ảnh: {'•' * 11}{CARD[-4:]}")
    assert 'chọn "Bảo hiểm xã hội Công an nhân dân"' in first
    assert COOKIE not in answer.cookies, "the same browser: no new cookie"
    typed = await (await client.post("/api/chat", json={"text": "Kiểm tra số khác"})).json()
    assert typed["replies"]
    again = await (await client.post("/api/chat", json={"text": CARD})).json()
    assert first.partition("\n")[2] == again["replies"][0]["text"], "the same verdict as typed"
    assert client.session.cookie_jar.filter_cookies(client.make_url("/"))[COOKIE].value == cookie
    query = "SELECT data FROM events WHERE kind = 'card_checked'"
    events = store.call(lambda tx: [row[0] for row in tx.db.execute(query)])
    assert events == ['{"valid":true,"reason":"ok","source":"photo"}', '{"valid":true,"reason":"ok"}']


async def test_a_first_photo_gets_a_cookie_like_a_first_message(client):
    answer = await client.post("/api/photo", data=form(photo(card(card_qr_text(CARD), CARD)[0], Shot())))
    assert answer.status == 200
    assert COOKIE in answer.cookies
    texts = [reply["text"] for reply in (await answer.json())["replies"]]
    assert any("Số thẻ viết đúng." in text for text in texts)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "không mở được tệp này"),
        (b"%PDF-1.7 not a photo", "không mở được tệp này"),
        (photo(card(None)[0], Shot()), "chưa thấy mã QR"),
    ],
)
async def test_what_is_not_a_card_photo_gets_the_flows_kind_answer(client, data, says):
    await at_card_question(client)
    answer = await client.post("/api/photo", data=form(data))
    assert answer.status == 200
    assert says in (await answer.json())["replies"][0]["text"]


async def test_a_photo_over_10_mib_is_a_413_in_vietnamese(client):
    answer = await client.post("/api/photo", data=form(b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024 - 2)))
    assert answer.status == 413
    assert "quá lớn" in (await answer.json())["error"]


async def test_a_photo_streamed_without_a_length_over_the_cap_is_a_413(client):
    async def chunks():
        yield b'--b\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\n\r\n'
        for _ in range(11):
            yield b"\0" * (1024 * 1024)

    headers = {"Content-Type": "multipart/form-data; boundary=b"}
    answer = await client.post("/api/photo", data=chunks(), headers=headers)
    assert answer.status == 413


@pytest.mark.parametrize(
    ("data", "headers"),
    [
        (form(b"x", field="file"), {}),
        (b'{"text": "xin chao"}', {"Content-Type": "application/json"}),
        (b"--b\r\nbroken", {"Content-Type": "multipart/form-data; boundary=b"}),
        (b"", {"Content-Type": "multipart/form-data"}),
    ],
    ids=["another field", "JSON", "broken framing", "no boundary"],
)
async def test_no_photo_field_is_a_400_in_vietnamese_and_nothing_is_stored(client, opened, data, headers):
    store, _ = opened
    answer = await client.post("/api/photo", data=data, headers=headers)
    assert answer.status == 400
    assert "“Ảnh thẻ”" in (await answer.json())["error"]
    assert store.call(lambda tx: tx.count("inbox")) == 0


async def test_the_chat_keeps_its_own_small_cap(client):
    body = b'{"text": "' + b"a" * 20_000 + b'"}'
    answer = await client.post("/api/chat", data=body, headers={"Content-Type": "application/json"})
    assert answer.status == 413


async def test_a_retried_upload_with_the_same_id_is_answered_once(client, opened):
    """The page sends its message id before the photo and reuses it when it retries."""
    store, _ = opened
    await at_card_question(client)
    jpeg = photo(card(card_qr_text(CARD), CARD)[0], Shot())
    answers = []
    for _ in range(2):
        parts = aiohttp.FormData()
        parts.add_field("id", "wphotoretryabc")  # before the photo, as the page sends them
        parts.add_field("photo", io.BytesIO(jpeg), filename="the.jpg", content_type="image/jpeg")
        answer = await client.post("/api/photo", data=parts)
        assert answer.status == 200, await answer.text()
        answers.append(await answer.json())
    assert answers[0]["replies"][0]["text"] == answers[1]["replies"][0]["text"]
    query = "SELECT COUNT(*) FROM events WHERE kind = 'card_checked'"
    assert store.call(lambda tx: tx.db.execute(query).fetchone()[0]) == 1, "checked once"


async def test_a_photo_of_exactly_10_mib_is_accepted(client):
    answer = await client.post("/api/photo", data=form(b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024 - 3)))
    assert answer.status == 200
    assert any("không mở được tệp này" in reply["text"] for reply in (await answer.json())["replies"])
