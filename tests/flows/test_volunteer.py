"""Volunteers in their private chat: the invite an officer asks for, the door-to-door tally in a
few typed numbers (and its same-day correction), and the material kit."""

from datetime import timedelta

import pytest

from flows import Inbound, handle
from flows.model import Step
from tests.conftest import NOW


def say(content, texts, state=None, now=NOW, **options):
    transition = None
    for text in texts:
        transition = handle(state, Inbound("telegram", "v1", "v1", text=text, **options), content, now)
        state = transition.state
    return transition


VOLUNTEER = {"role": "volunteer", "villages": ("ttcm-to-1",)}
AT_MENU = ("xin chào", "Không đồng ý")


def test_a_tally_in_four_typed_numbers_is_one_event_in_the_volunteers_village(content):
    done = say(content, [*AT_MENU, "/ghinhan", "12", "8", "1 2 1 0 0", "3"], **VOLUNTEER)
    (event,) = [e for e in done.events if e.kind == "door_tally"]
    assert event.village == "ttcm-to-1"
    assert event.data == {
        "helped": 12, "linked": 8, "no_phone": 1, "no_level2": 2, "mismatch": 1, "expired": 0, "other": 0,
        "signature": 3, "correction": False,
    }  # fmt: skip
    assert "giúp 12 người, 8 người tích hợp thành công" in done.replies[0].text
    assert done.state.step is Step.MENU


def test_all_linked_skips_the_reasons(content):
    done = say(content, [*AT_MENU, "/ghinhan", "5", "5", "0"], **VOLUNTEER)
    (event,) = [e for e in done.events if e.kind == "door_tally"]
    assert (event.data["helped"], event.data["linked"], event.data["other"]) == (5, 5, 0)


@pytest.mark.parametrize(
    ("answers", "said"),
    [
        (["không"], "Gõ một số từ 1 đến 500"),
        (["0"], "Gõ một số từ 1 đến 500"),
        (["5", "6"], "Gõ một số từ 0 đến 5"),
        (["5", "3", "1 1"], "Cần đúng 5 số, cộng lại bằng 2"),
        (["5", "3", "1 0 0 0 0"], "Cần đúng 5 số, cộng lại bằng 2"),
    ],
)
def test_a_wrong_number_is_explained_and_the_question_stays(content, answers, said):
    before = say(content, [*AT_MENU, "/ghinhan", *answers[:-1]], **VOLUNTEER)
    done = say(content, [answers[-1]], before.state, **VOLUNTEER)
    assert said in done.replies[0].text
    assert done.state.step is before.state.step
    assert not [e for e in done.events if e.kind == "door_tally"]


def test_the_days_last_entry_is_corrected_by_a_reversal_then_the_new_numbers(content):
    first = say(content, [*AT_MENU, "/ghinhan", "10", "10", "0"], **VOLUNTEER)
    again = say(content, ["/ghinhan"], first.state, **VOLUNTEER)
    assert "gõ 'sửa'" in again.replies[-1].text
    fixed = say(content, ["sửa", "7", "7", "1"], again.state, **VOLUNTEER)
    tallies = [e.data for e in fixed.events if e.kind == "door_tally"]
    assert [(t["helped"], t["signature"], t["correction"]) for t in tallies] == [
        (-10, 0, True),
        (7, 1, False),
    ]
    tomorrow = say(content, ["/ghinhan"], fixed.state, NOW + timedelta(days=1), **VOLUNTEER)
    assert "sửa" not in tomorrow.replies[-1].text, "only the same day"


def test_a_volunteer_of_two_villages_chooses_one(content):
    done = say(content, [*AT_MENU, "/ghinhan"], role="volunteer", villages=("ttcm-to-1", "ttcm-to-2"))
    assert done.state.step is Step.TALLY_VILLAGE
    assert [b.label for b in done.replies[-1].buttons] == ["Tổ dân phố 1", "Tổ dân phố 2"]


def test_residents_are_refused_the_tally_and_the_kit(content):
    for command in ("/ghinhan", "/tailieu", "/moi_tnv Tổ dân phố 1"):
        done = say(content, [*AT_MENU, command])
        assert done.state.step is Step.MENU
        assert [e.kind for e in done.events] == ["refused"], command
    assert not [r for r in done.replies if r.request]


def test_the_kit_is_forwardable_pieces(content):
    done = say(content, [*AT_MENU, "/tailieu"], **VOLUNTEER)
    guide = done.replies[1].text
    assert "5 bước" in guide
    assert len(guide) <= 2000, "one Zalo message"
    assert done.replies[2].image == "qr:video"
    assert done.replies[3].image == "poster:ttcm-to-1"


def test_an_officer_asks_for_a_volunteer_invite_by_the_villages_name(content):
    done = say(content, [*AT_MENU, "/moi_tnv Tổ dân phố 2"], role="officer")
    assert [r.request for r in done.replies if r.request] == [("invite", "ttcm-to-2")]
    unclear = say(content, ["/moi_tnv"], done.state, role="officer")
    assert "Gõ /moi_tnv và tên thôn" in unclear.replies[0].text


def test_a_granted_volunteer_invite_names_the_village(content):
    done = handle(
        None, Inbound("telegram", "v1", "v1", payload="moi_x", invite="granted", **VOLUNTEER), content, NOW
    )
    assert "tình nguyện viên thôn Tổ dân phố 1" in done.replies[0].text
    assert ("role_granted", {"role": "volunteer"}) in [(e.kind, e.data) for e in done.events]
