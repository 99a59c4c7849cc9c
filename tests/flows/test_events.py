"""The event contract the reports count by: the kinds and keys are pinned here, so renaming one
fails a test instead of silently zeroing a report column."""

import re
from pathlib import Path

import pytest

from flows import FlowState, Inbound
from flows.events import EVENT_KINDS, EventError
from flows.turn import Turn
from tests.conftest import NOW

FLOWS = Path(__file__).resolve().parents[2] / "flows"

#: The contract as the weekly report reads it (issue 9); change both together.
CONTRACT = {
    "session_started": {"source"},
    "consent_given": set(),
    "consent_declined": set(),
    "village_set": set(),
    "step_reached": {"step"},
    "stuck": {"step"},
    "card_checked": {"valid", "reason", "source"},
    "photo_unread": {"reason"},
    "outcome": {"outcome", "cause"},
    "video_shown": set(),
    "signature_interest": set(),
    "faq_viewed": {"entry"},
    "handoff_requested": {"step"},
    "data_erased": set(),
    "group_guide_shown": set(),
    "group_number_warned": set(),
    "group_photo_warned": set(),
    "group_linked": set(),
    "refused": {"command"},
    "role_granted": {"role"},
    "door_tally": {
        "helped",
        "linked",
        "no_phone",
        "no_level2",
        "mismatch",
        "expired",
        "other",
        "signature",
        "correction",
    },
}


def test_the_event_kinds_and_their_keys_are_the_contract():
    assert {kind: set(keys) for kind, keys in EVENT_KINDS.items()} == CONTRACT


def test_every_event_the_flow_logs_is_in_the_contract():
    """Read from the source, so an event on a path no test walks is checked too."""
    calls = re.findall(
        r'\.log\(\s*"(\w+)"((?:[^()]|\([^()]*\))*)\)',
        "".join(p.read_text("utf-8") for p in FLOWS.glob("*.py")),
    )
    assert len(calls) >= len(CONTRACT), "every kind is logged somewhere"
    for kind, arguments in calls:
        assert kind in CONTRACT, kind
        keys = set(re.findall(r"(\w+)=", arguments)) - {"at_village"}  # where, not what
        assert keys <= CONTRACT[kind], (kind, keys)
    assert {kind for kind, _ in calls} == set(CONTRACT), "no kind in the contract is left unused"


@pytest.mark.parametrize(("kind", "data"), [("step_done", {}), ("stuck", {"screen": 3})])
def test_a_kind_or_key_outside_the_contract_is_refused_where_it_is_logged(content, kind, data):
    turn = Turn(FlowState(person="p"), content, NOW, Inbound("web", "u", "c"))
    with pytest.raises(EventError):
        turn.log(kind, **data)
    assert turn.events == []
