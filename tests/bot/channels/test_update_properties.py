"""Property tests on what arrives from outside: any JSON as a Telegram or Zalo update, any text
as a QR's content, any bytes as a photo. Each gives an answer or nothing, never an exception,
and never anything that was not in what arrived."""

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.card_photo import PhotoRead, decode, kind_of
from bot.channels.telegram.updates import received as telegram_received
from bot.channels.zalo.updates import received as zalo_received

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)
KEYS = ["update_id", "message", "callback_query", "chat", "from", "id", "type", "text", "photo",
        "document", "caption", "reply_to_message", "data", "message_id", "date", "event_name", "result",
        "ok", "chat_type", "photo_url", "is_bot", "file_id", "file_size", "mime_type",
        "username"]  # fmt: skip
#: Objects built from the keys the parsers read, so that the random values reach deep branches.
shaped = st.recursive(
    json_values,
    lambda children: st.dictionaries(st.sampled_from(KEYS), children, max_size=7),
    max_leaves=40,
)


@settings(max_examples=600)
@given(st.one_of(json_values, shaped))
def test_any_json_is_an_update_or_nothing_on_telegram(update):
    got = telegram_received(update, "xa_test_bot")
    if got is not None:
        assert got.inbound.channel == "telegram"
        assert got.photo_file is None or got.inbound.kind == "photo"


@settings(max_examples=600)
@given(st.one_of(json_values, shaped))
def test_any_json_is_an_update_or_nothing_on_zalo(update):
    got = zalo_received(update)
    if got is not None:
        assert got.inbound.channel == "zalo"
        assert got.photo_url is None or got.inbound.chat_type == "private"


@settings(max_examples=500)
@given(
    st.text(max_size=300)
    | st.lists(st.text(string.ascii_letters + string.digits, max_size=20), max_size=8).map("|".join)
)
def test_any_qr_text_is_a_reading_and_a_card_number_comes_from_its_first_field(text):
    read = kind_of(text)
    assert read.reading in {"card", "identity", "other_code"}
    if read.reading == "card":
        assert read.number == text.split("|")[0].strip()[:15]
    else:
        assert read.number == ""


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=4096) | st.binary(max_size=512).map(lambda tail: b"\xff\xd8\xff\xe0" + tail)
       | st.binary(max_size=512).map(lambda tail: b"\x89PNG\r\n\x1a\n" + tail))  # fmt: skip
def test_any_bytes_are_a_reading_never_an_exception(data):
    read = decode(data)
    assert isinstance(read, PhotoRead)
    assert read.reading in {"unreadable", "no_code", "too_big", "card", "identity", "other_code"}
