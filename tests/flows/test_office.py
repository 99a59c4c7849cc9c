"""The office's commands in a private chat: `/baocao` for officers only, and invite codes."""

import pytest

from flows import Inbound, handle
from flows.model import Step
from flows.office import invite_code
from tests.conftest import NOW


def private(content, text: str = "", state=None, **options):
    inbound = Inbound("telegram", "u1", "u1", text=text, **options)
    return handle(state, inbound, content, NOW)


def at_menu(content):
    state = private(content, "xin chào").state
    state = private(content, "Không đồng ý", state).state
    assert state.step is Step.MENU
    return state


@pytest.mark.parametrize(
    ("text", "week"),
    [("/baocao", ""), ("/baocao tuantruoc", "tuantruoc"), ("/BaoCao@xa_bot  2025-W38 ", "2025-W38")],
)
def test_an_officer_gets_the_report_where_it_goes_then_the_question(content, text, week):
    done = private(content, text, at_menu(content), role="officer")
    report, *rest = done.replies
    assert report.request == ("report", week)
    assert rest, "the menu follows the report"
    assert rest[-1].buttons, "the question the officer is at is asked again"
    assert done.state.step is Step.MENU
    assert [event.kind for event in done.events] == []


def test_anyone_else_is_refused_politely_and_it_is_logged(content):
    done = private(content, "/baocao", at_menu(content), role="resident")
    assert all(reply.request is None for reply in done.replies)
    assert "chỉ dành cho cán bộ xã" in done.replies[0].text
    assert [(e.kind, e.data) for e in done.events] == [("refused", {"command": "baocao"})]


def test_a_long_argument_is_no_week_and_gets_the_how_to(content):
    done = private(content, "/baocao " + "x" * 40, at_menu(content), role="officer")
    assert all(reply.request is None for reply in done.replies)
    assert "/baocao tuantruoc" in done.replies[0].text


def test_baocao_is_not_a_word_a_resident_types_by_chance(content):
    """Only the slash command asks for the report; "báo cáo" typed is ordinary text."""
    done = private(content, "báo cáo", at_menu(content), role="officer")
    assert all(reply.request is None for reply in done.replies)


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"payload": "moi_Abc-12_x"}, "Abc-12_x"),
        ({"text": "/start moi_Abc"}, "Abc"),
        ({"text": "/start@xa_bot moi_Abc"}, "Abc"),
        ({"payload": "moi_"}, None),
        ({"payload": "v_ttcm-to-1"}, None),
        ({"text": "moi_Abc"}, None),
        ({"payload": "moi_Abc", "chat_type": "group"}, None),
    ],
)
def test_the_invite_code_a_message_carries(content, options, code):
    assert invite_code(Inbound("telegram", "u1", "c1", **options), content) == code


def test_a_granted_invite_is_said_and_logged_before_the_welcome(content):
    done = private(content, payload="moi_abc", role="officer", invite="granted")
    assert "anh/chị là cán bộ xã" in done.replies[0].text
    assert ("role_granted", {"role": "officer"}) in [(e.kind, e.data) for e in done.events]
    assert done.state.step is Step.CONSENT, "then the usual welcome and consent"


def test_a_used_invite_is_refused_and_the_welcome_goes_on(content):
    done = private(content, payload="moi_abc", invite="refused")
    assert "đã được dùng hoặc đã hết hạn" in done.replies[0].text
    assert ("refused", {"command": "invite"}) in [(e.kind, e.data) for e in done.events]
    assert done.state.step is Step.CONSENT


def test_an_officers_first_message_may_be_the_report(content):
    done = private(content, "/baocao", role="officer")
    assert done.replies[0].request == ("report", "")
    assert done.state.step is Step.CONSENT, "the welcome follows, as for anyone"
