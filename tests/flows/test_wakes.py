"""The helper's own messages: the follow-up a day after a request, the reminder to someone who
stopped halfway, and their manners (no nights, one a day, never after "dừng")."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flows import Inbound, handle
from flows.model import Step
from tests.conftest import NOW

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
TO_MENU = ("xin chào", "Đồng ý", "Đồng Tâm", "Tổ dân phố 3")
TO_GUIDE = (*TO_MENU, "Hướng dẫn 5 bước tích hợp thẻ BHYT", "có", "có", "có")
SUBMITTED = (*TO_GUIDE, *["xong"] * 6, "1")


def walk(content, texts, now=NOW, state=None, push=True):
    transition = None
    for text in texts:
        transition = handle(state, Inbound("telegram", "u", "u", text=text, push=push), content, now)
        state = transition.state
    return transition


def woken(content, state, at):
    return handle(state, Inbound("telegram", "u", "u", kind="wake"), content, at)


def test_a_request_sent_is_followed_up_a_day_later(content):
    sent = walk(content, SUBMITTED)
    assert ("outcome", {"outcome": "submitted"}) in [(e.kind, e.data) for e in sent.events]
    assert sent.state.wake_for == "followup"
    assert datetime.fromisoformat(sent.state.wake_at) == NOW + timedelta(hours=24)
    asked = woken(content, sent.state, NOW + timedelta(hours=24))
    assert "đã được duyệt chưa" in asked.replies[0].text
    assert asked.state.step is Step.RESULT
    labels = [b.label for b in asked.replies[-1].buttons]
    assert labels[:3] == ["Đã được duyệt", "Bị từ chối", "Vẫn đang chờ duyệt"]
    assert asked.state.wake_at is None, "asked once"
    assert asked.state.last_at == sent.state.last_at, "the person's last message stays theirs"


def test_the_answer_to_a_follow_up_is_understood_even_after_a_day(content):
    sent = walk(content, SUBMITTED)
    asked = woken(content, sent.state, NOW + timedelta(hours=24))
    answer = walk(content, ["Đã được duyệt"], NOW + timedelta(hours=26), asked.state)
    assert ("outcome", {"outcome": "approved"}) in [(e.kind, e.data) for e in answer.events]


def test_still_pending_is_asked_once_more_in_three_days_then_never(content):
    sent = walk(content, SUBMITTED)
    first = woken(content, sent.state, NOW + timedelta(hours=24))
    pending = walk(content, ["Vẫn đang chờ duyệt"], NOW + timedelta(hours=25), first.state)
    assert "sau 3 ngày" in " ".join(r.text for r in pending.replies)
    assert pending.state.wake_for == "followup_again"
    assert datetime.fromisoformat(pending.state.wake_at) == NOW + timedelta(hours=25, days=3)
    second = woken(content, pending.state, NOW + timedelta(hours=25, days=3))
    assert "Mấy hôm trước" in second.replies[0].text
    again = walk(content, ["Vẫn đang chờ duyệt"], NOW + timedelta(hours=26, days=3), second.state)
    assert again.state.wake_at is None, "no third follow-up"


def test_never_at_night_the_wake_moves_to_seven_in_the_morning(content):
    sent = walk(content, SUBMITTED)
    night = datetime(2026, 11, 24, 22, 30, tzinfo=HCM)
    quiet = woken(content, sent.state, night)
    assert quiet.replies == ()
    assert datetime.fromisoformat(quiet.state.wake_at) == datetime(2026, 11, 25, 7, 0, tzinfo=HCM)
    early = woken(content, sent.state, datetime(2026, 11, 25, 6, 59, tzinfo=HCM))
    assert datetime.fromisoformat(early.state.wake_at) == datetime(2026, 11, 25, 7, 0, tzinfo=HCM)
    morning = woken(content, quiet.state, datetime(2026, 11, 25, 7, 0, tzinfo=HCM))
    assert "đã được duyệt chưa" in morning.replies[0].text


def test_never_after_dung(content):
    sent = walk(content, SUBMITTED)
    stopped = walk(content, ["dừng"], NOW + timedelta(hours=1), sent.state)
    assert stopped.state.reminders_off
    assert stopped.state.wake_at is None
    assert woken(content, stopped.state, NOW + timedelta(hours=24)).replies == ()


def test_halfway_through_the_guide_one_reminder_offers_to_go_on(content):
    halfway = walk(content, [*TO_GUIDE, "xong"])
    step = halfway.state.step
    assert step is Step.GUIDE_2
    assert halfway.state.wake_for == "reminder"
    later = walk(content, ["xong"], NOW + timedelta(hours=3), halfway.state)
    assert datetime.fromisoformat(later.state.wake_at) == NOW + timedelta(hours=27), "from the last message"
    reminded = woken(content, later.state, NOW + timedelta(hours=27))
    assert "làm dở" in reminded.replies[0].text
    assert reminded.state.step is later.state.step, "where the person left off"
    assert reminded.replies[-1].buttons, "its question is asked again"
    went_on = walk(content, ["xong"], NOW + timedelta(hours=30), reminded.state)
    assert went_on.state.step is not Step.MENU, "answering the reminder is no return after a silence"
    assert "Bước" in went_on.replies[-1].text


def test_at_most_one_nudge_a_day(content):
    halfway = walk(content, [*TO_GUIDE, "xong"])
    reminded = woken(content, halfway.state, NOW + timedelta(hours=24))
    submitted = walk(content, [*["xong"] * 5, "1"], NOW + timedelta(hours=25), reminded.state)
    early = datetime.fromisoformat(submitted.state.wake_at) - timedelta(hours=23)
    moved = woken(content, submitted.state, early)
    assert moved.replies == ()
    assert datetime.fromisoformat(moved.state.wake_at) == NOW + timedelta(hours=48), "a day after the nudge"


def test_no_timer_without_consent_or_on_a_channel_that_cannot_push(content):
    declined = walk(content, ["xin chào", "Không đồng ý", "Hướng dẫn 5 bước tích hợp thẻ BHYT", "có"])
    assert declined.state.wake_at is None
    web = walk(content, [*TO_GUIDE, "xong"], push=False)
    assert web.state.wake_at is None
