"""Zalo updates as the flow sees them, in every shape the platform is known to send
(zalo-bot-platform.md §1.5 and §5), and the client's reading of Zalo's answers."""

from datetime import UTC, datetime

import pytest
from aiohttp import ClientSession

from bot.channels.zalo.client import ZaloApi, ZaloError
from bot.channels.zalo.updates import received
from tests.fakes.zalo import TOKEN, FakeZalo, message_event


def test_an_older_getupdates_shape_with_first_name_and_no_is_bot_is_read():
    b3 = {
        "ok": True,
        "result": {
            "message": {
                "chat": {"id": "e4ea2cd5189df1c3a88c", "chat_type": "PRIVATE"},
                "text": "Xin chào",
                "message_id": "16f6366b3f02645a3d15",
                "date": 1766619597466,
                "from": {"id": "e4ea2cd5189df1c3a88c", "first_name": "Nguyen Van A"},
            }
        },
    }
    got = received(b3)
    assert got is None, "no event_name: not an update the platform documents"
    b3["result"]["event_name"] = "message.text.received"
    got = received(b3)
    assert got is not None
    assert (got.inbound.chat_key, got.inbound.text, got.message_id) == (
        "e4ea2cd5189df1c3a88c",
        "Xin chào",
        "16f6366b3f02645a3d15",
    )
    assert got.inbound.received_at == datetime.fromtimestamp(1766619597.466, UTC)


def test_a_date_in_seconds_and_an_image_under_either_name():
    b5 = message_event("message.image.received", "chat-1", date=1700000000, photo_url="https://x/a.jpg")
    got = received(b5)
    assert got is not None
    assert got.inbound.kind == "photo"
    assert got.inbound.received_at == datetime.fromtimestamp(1700000000, UTC)
    documented = message_event("message.something.new", "chat-1", photo="https://x/a.jpg")
    assert received(documented).inbound.kind == "photo"


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        ("message.sticker.received", "sticker"),
        ("message.unsupported.received", "other"),
        ("message.reaction.received", "other"),
        ("message.voice.received", "voice"),
    ],
)
def test_every_event_kind_has_a_flow_kind(event, kind):
    assert received(message_event(event, "c")).inbound.kind == kind


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"ok": True, "result": {"event_name": "message.unsupported.received"}},
        {"event_name": "message.text.received", "message": {"text": "x"}},
        {"event_name": "message.text.received", "message": {"chat": {"id": True}, "text": "x"}},
        {"event_name": 5, "message": {}},
    ],
)
def test_shapes_with_nobody_to_answer_give_nothing(body):
    assert received(body) is None


def test_messages_from_bots_are_dropped_and_groups_are_groups():
    from_bot = message_event("message.text.received", "c", text="hi")
    from_bot["message"]["from"]["is_bot"] = True
    assert received(from_bot) is None
    in_group = message_event("message.text.received", "g", chat_type="GROUP", text="@Bot hỏi")
    assert received(in_group).inbound.chat_type == "group"
    command = received(
        message_event("message.text.received", "g", chat_type="GROUP", text="@Bot Trợ lý /huongdan")
    )
    assert command.inbound.text == "/huongdan", "the mention before a command is dropped"
    assert command.inbound.links is False, "Zalo shows no button that opens a chat"


@pytest.fixture
async def fake():
    platform = FakeZalo()
    await platform.start()
    yield platform
    await platform.stop()


async def test_the_client_reads_408_404_and_an_error_inside_a_200(fake):
    async with ClientSession() as session:
        api = ZaloApi(session, fake.base_url, TOKEN)
        assert await api.get_updates() is None, "an empty poll (408) is no update"
        assert await api.webhook_url() is None, "no webhook (404) is none"
        fake.add_fault("getMe", status=200, description="strange")
        with pytest.raises(ZaloError):
            await api.call("getMe")
        fake.clear_faults()
        fake.add_fault("sendMessage", status=500, description="boom")
        with pytest.raises(ZaloError) as caught:
            await api.call("sendMessage", chat_id="c", text="x")
        assert (caught.value.status, caught.value.description) == (500, "boom")
        assert TOKEN not in str(caught.value)
