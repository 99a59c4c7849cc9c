"""The helper in a village's group chat: a compact guide with a private link, a warning (and a
deletion) for a number posted there, and the village link only an officer may set."""

from datetime import datetime

import pytest

from flows import Inbound, handle
from tests.conftest import NOW

CARD = "DN4010123456789"


def group(content, text: str, role: str = "resident", state=None):
    inbound = Inbound("telegram", "42", "-100", text=text, chat_type="group", role=role)
    return handle(state, inbound, content, NOW)


def test_the_guide_has_five_steps_a_private_link_and_the_video_qr(content):
    transition = group(content, "/huongdan")
    guide, video = transition.replies
    assert guide.text.count("\n") >= 5
    (link,) = guide.buttons
    assert link.link == "start:nhom"
    assert video.image == "qr:video"
    assert [event.kind for event in transition.events] == ["group_guide_shown"]
    assert transition.events[0].person is None
    assert not transition.sensitive


def test_a_number_in_a_group_is_never_checked_only_warned_about(content):
    transition = group(content, f"giúp tôi kiểm tra {CARD}")
    (warning,) = transition.replies
    assert "Xin đừng gửi số thẻ" in warning.text
    assert CARD[-10:] not in warning.text
    assert transition.sensitive, "the channel deletes the message where it may"
    assert [event.kind for event in transition.events] == ["group_number_warned"]


def test_only_an_officer_links_the_group_to_a_village(content):
    village = content.places.villages[0]
    refused = group(content, f"/lienket_thon {village.name}")
    assert "chỉ dành cho cán bộ" in refused.replies[0].text
    assert refused.state.village is None
    assert [event.kind for event in refused.events] == ["refused"]
    linked = group(content, f"/lienket_thon {village.name}", role="officer")
    assert linked.state.village == village.code
    guide = group(content, "/huongdan", state=linked.state)
    assert guide.replies[0].buttons[0].link == f"start:v_{village.code}"
    assert guide.events[0].village == village.code
    by_code = group(content, f"/lienket_thon {village.code}", role="officer")
    assert by_code.state.village == village.code


def test_linking_without_a_clear_village_explains_how(content):
    unclear = group(content, "/lienket_thon", role="officer")
    assert "/lienket_thon" in unclear.replies[0].text
    assert unclear.state.village is None


def test_anything_else_gets_the_short_help_with_the_private_link(content):
    (reply,) = group(content, "trợ lý ơi").replies
    assert "/huongdan" in reply.text
    assert reply.buttons[0].link == "start:nhom"


def test_the_flow_refuses_a_time_without_a_zone(content):
    with pytest.raises(ValueError, match="timezone"):
        handle(None, Inbound("test", "u", "c", text="xin chào"), content, datetime(2026, 12, 1, 8, 0))


@pytest.mark.parametrize("text", ["/huongdan", "giúp với", f"số thẻ {CARD}"])
def test_without_link_buttons_a_group_is_told_how_to_open_the_private_chat(content, text):
    """On a platform with no button that opens a chat (Zalo), the way there is said in words."""
    inbound = Inbound("zalo", "42", "g1", text=text, chat_type="group", links=False)
    first = handle(None, inbound, content, NOW).replies[0]
    assert first.buttons == ()
    assert first.text.endswith(content.text("group.private_how"))
    assert "nút" not in first.text
