"""Property tests: whatever a person sends, in whatever order, the flow answers and never raises,
and its state always survives a JSON round trip."""

from datetime import timedelta
from typing import get_args

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows import FlowState, Inbound, handle
from flows.model import PhotoReading
from tests.conftest import NOW

WORDS = [
    "1", "2", "9", "ok", "xong", "ko biết", "menu", "huỷ", "dừng", "dung", "xoá dữ liệu", "đổi thôn",
    "bắt đầu", "nhờ cán bộ", "/start v_ttcm-to-1", "/start v_", "trợ giúp", "0123456789", "DN4O10123456789",
    "quên mật khẩu", "thon 3", "khác", "Có", "Không", "", " ", "🙂", "/video", "số 1", "1.",
]  # fmt: skip

actions = st.one_of(
    st.tuples(st.just("text"), st.text(max_size=80)),
    st.tuples(st.just("text"), st.sampled_from(WORDS)),
    st.tuples(st.just("pick"), st.integers(min_value=0, max_value=12)),
    st.tuples(st.just("press"), st.text(max_size=70)),
    st.tuples(st.just("kind"), st.sampled_from(["photo", "sticker", "voice", "file", "location", "other"])),
    st.tuples(st.just("payload"), st.text(max_size=70)),
    st.tuples(st.just("wait"), st.integers(min_value=0, max_value=60)),
    st.tuples(
        st.just("photo"),
        st.tuples(
            st.sampled_from(get_args(PhotoReading)), st.one_of(st.text(max_size=20), st.sampled_from(WORDS))
        ),
    ),
)


def _inbound(action: tuple[str, object], state: FlowState | None) -> Inbound | None:
    kind, value = action
    if kind == "text":
        return Inbound("p", "u", "c", text=str(value))
    if kind == "pick":
        offered = state.offered if state else []
        choice = offered[int(value) % len(offered)][0] if offered else "none:none"  # type: ignore[call-overload]
        return Inbound("p", "u", "c", choice=choice, kind="choice")
    if kind == "press":
        return Inbound("p", "u", "c", choice=str(value), kind="choice")
    if kind == "payload":
        return Inbound("p", "u", "c", text="/start", payload=str(value))
    if kind == "kind":
        return Inbound("p", "u", "c", kind=str(value))
    if kind == "photo":  # what a channel read from a photo: any reading, any card-number field
        reading, number = value  # type: ignore[misc]
        return Inbound("p", "u", "c", text=number, kind="photo", photo=reading)
    return None


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(actions, max_size=40))
def test_any_sequence_gets_answers_and_a_storable_state(content, sequence):
    state: FlowState | None = None
    now = NOW
    for action in sequence:
        if action[0] == "wait":
            now += timedelta(hours=int(action[1]))  # type: ignore[call-overload]
            continue
        inbound = _inbound(action, state)
        assert inbound is not None
        now += timedelta(minutes=1)
        transition = handle(state, inbound, content, now)
        assert transition.replies, f"no reply to {action!r}"
        assert all(reply.text.strip() or reply.request for reply in transition.replies)
        restored = FlowState.from_json(transition.state.to_json())
        assert restored == transition.state
        state = restored
