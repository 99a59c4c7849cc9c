"""What the commune's office does through the helper: an officer asks for the weekly report
(`/baocao`, `/baocao tuantruoc`, `/baocao 2025-W38`), and a one-time invite makes someone an
officer.

The flow cannot read the database, so both are decided with the service: the flow puts a report
request where the report goes in the conversation (`Reply.request`), and the service redeems an
invite code before the flow runs and says how it went (`Inbound.invite`). Anyone else asking for
the report is refused politely, and the attempt is logged.
"""

from flows.content import Content
from flows.matching import command_of
from flows.model import Inbound, Reply
from flows.turn import Turn

#: A start payload "moi_<code>" carries a one-time invite code (Telegram's deep link
#: https://t.me/<bot>?start=moi_<code>, or "/start moi_<code>" typed on any channel).
INVITE_PREFIX = "moi_"
#: Longer arguments are no week name; they are not passed on.
MAX_ARGUMENT = 20


def invite_code(inbound: Inbound, content: Content) -> str | None:
    """The invite code a private message carries, if any, for the service to redeem."""
    if inbound.chat_type != "private":
        return None
    payload = inbound.payload
    if payload is None and inbound.kind == "text" and inbound.text:
        command = command_of(inbound.text, content.vocabulary)
        payload = command[1] if command and command[0] == "start" else None
    if payload and payload.startswith(INVITE_PREFIX) and len(payload) > len(INVITE_PREFIX):
        return payload.removeprefix(INVITE_PREFIX)
    return None


def welcome_invited(turn: Turn) -> None:
    """Said before the usual welcome when the message carried an invite."""
    inbound = turn.inbound
    if inbound.invite == "granted":
        turn.log("role_granted", role=inbound.role)
        if inbound.role == "volunteer":
            places = turn.content.places
            turn.say("volunteer.invite_granted", villages=", ".join(places.name(v) for v in inbound.villages))
        else:
            turn.say("staff.invite_granted")
    elif turn.inbound.invite == "refused":
        turn.log("refused", command="invite")
        turn.say("staff.invite_refused")


def refused_unless_officer(turn: Turn, command: str) -> bool:
    """Every officer-only command: anyone else gets a polite no, and the attempt is logged."""
    if turn.inbound.role == "officer":
        return False
    turn.log("refused", command=command)
    turn.say("staff.officers_only")
    return True


def report(turn: Turn, argument: str | None) -> None:
    """`/baocao [week]`: the report goes here for an officer; a polite no for anyone else."""
    if refused_unless_officer(turn, "baocao"):
        return
    week = (argument or "").strip()
    if len(week) > MAX_ARGUMENT:
        turn.say("staff.report_how")
        return
    turn.replies.append(Reply("", request=("report", week)))
