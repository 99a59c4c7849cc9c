"""The helper in a village's group chat: a short guide for everyone, never a card check.

A group is where a volunteer announces the campaign and where residents ask each other. The
helper answers only what is addressed to it (platforms show a bot only commands and mentions in
groups): `/huongdan` gives the five steps in one message, the video QR and a button that opens a
private chat already attributed to the group's village. Anything that looks like a card or
identity number is answered with a request to delete it and to use the private chat, because
everyone in the group can read it; so is any photo, which the helper never reads in a group. An
officer links the group to its village with `/lienket_thon <village>`; nobody else can.

The group's state holds only the village it is linked to; its events carry no person.
"""

import re
from datetime import datetime

from flows.card_number import check_card_number
from flows.content import Content
from flows.matching import command_of
from flows.menu import VIDEO_QR
from flows.model import Button, FlowState, Inbound, Reply, Step, Transition
from flows.office import refused_unless_officer
from flows.turn import Turn

_LINK = re.compile(r"^\s*/lienket_thon(?:@\w+)?(?:\s+(.*))?$", re.IGNORECASE | re.DOTALL)
#: Commands answered in a group with the compact guide (every other one gets the short help).
_GUIDE_COMMANDS = frozenset({"guide", "start", "help", "menu", "video"})


def handle_group(state: FlowState | None, inbound: Inbound, content: Content, now: datetime) -> Transition:
    """Answer one message addressed to the helper in a group chat."""
    state = FlowState(step=Step.MENU) if state is None else state.copy()
    turn = Turn(state, content, now, inbound)
    text = inbound.text if inbound.kind == "text" else ""
    linking = _LINK.match(text)
    sensitive = bool(text) and not linking and check_card_number(text).card_like
    if inbound.kind == "photo":  # never read in a group: it may be a card anyone can see
        turn.log("group_photo_warned")
        _with_private_link(turn, "group.photo_warning")
    elif sensitive:
        turn.log("group_number_warned")
        _with_private_link(turn, "group.number_warning")
    elif linking:
        _link(turn, (linking.group(1) or "").strip())
    elif (command := command_of(text, content.vocabulary)) and command[0] in _GUIDE_COMMANDS:
        turn.log("group_guide_shown")
        _with_private_link(turn, "group.guide")
        turn.say("video.site" if content.video_is_default else "video.official", image=VIDEO_QR)
    else:
        _with_private_link(turn, "group.help")
    state.last_at = now.isoformat()
    return Transition(state, tuple(turn.replies), tuple(turn.events), sensitive=sensitive)


def private_payload(village: str | None) -> str:
    """The start payload of the private chat a group's button opens (see `onboarding`)."""
    return f"v_{village}" if village else "nhom"


def _with_private_link(turn: Turn, key: str) -> None:
    """The message, then the way to a private chat: a button where the platform has one, else
    how to open the chat by hand."""
    text = turn.content.text(key)
    if not turn.inbound.links:
        how = turn.content.text("group.private_how")
        turn.replies.append(Reply(f"{text}\n{how}"))
        return
    link = f"start:{private_payload(turn.state.village)}"
    button = Button("group:private", turn.label("group.private"), link)
    press = turn.content.text("group.private_button")
    turn.replies.append(Reply(f"{text}\n{press}", (button,)))


def _link(turn: Turn, name: str) -> None:
    """`/lienket_thon <village>`: officers only; the village by its code or its name."""
    if refused_unless_officer(turn, "lienket_thon"):
        return
    places = turn.content.places
    found = places.named(name)
    if len(found) == 1:
        turn.state.village = found[0].code
        turn.log("group_linked")
        turn.say("group.linked", village=places.name(found[0].code))
    elif found:
        turn.say("group.link_several", names=", ".join(places.name(v.code) for v in found))
    else:
        example = next((v.name for v in places.villages if not v.is_other), "")
        turn.say("group.link_how", example=example)
