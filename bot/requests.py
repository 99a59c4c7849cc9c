"""What the service fills in for the flow: the requests a reply carries (`Reply.request`), which
need the database, a secret or another chat.

- ("report", week): the week is named for good ("tuantruoc" means the week before the one the
  officer asked in); the report itself is made when the row is delivered (`bot.reports.chat`).
- ("invite", village): a one-time code making someone that village's volunteer (hash kept).
- ("ticket", step, message): a resident asks for a person; the ticket goes to the village's
  volunteers, or to the officers when it has none, on their own channels.
- ("answer", ticket, text) / ("close", ticket): a volunteer's or officer's answer goes back to the
  resident, on the resident's channel; closing empties the resident's message.

Each is done inside the message's transaction, so a ticket and its relays, or an answer and its
delivery, are committed together or not at all.
"""

import hashlib
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.reports.chat import ChatReports
from bot.reports.push import officer_chats
from bot.store import Tx, timestamp
from flows import Button, Content, FlowState, Inbound, Reply
from flows.office import INVITE_PREFIX

#: How long an invite code can be used, by default.
INVITE_DAYS = 7
#: A ticket nobody answered within this long goes to the officers too.
ESCALATE_AFTER = timedelta(hours=2)
_GUIDE_STEP = re.compile(r"^guide_(\d)")


def invite_hash(code: str) -> str:
    """Invites are kept only as this hash: a copy of the database grants no role."""
    return hashlib.sha256(code.encode()).hexdigest()


def new_invite(tx: Tx, role: str, villages: str, now: datetime, days: int = INVITE_DAYS) -> str:
    """A one-time code granting `role` (a volunteer's for `villages`, "|"-separated) for `days`;
    only its hash is stored, so the code exists only in the answer that hands it out."""
    code = secrets.token_urlsafe(12)
    tx.add_invite(invite_hash(code), role, villages, timestamp(now), timestamp(now + timedelta(days=days)))
    return code


@dataclass
class Filled:
    """What a request became: replies in its place, and rows for other chats
    ((channel, chat, reply dict))."""

    replies: list[Reply] = field(default_factory=list)
    elsewhere: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)


def text_row(text: str) -> dict[str, Any]:
    return {"text": text, "buttons": [], "image": None, "wants_text": False}


@dataclass(frozen=True)
class Requests:
    content: Content
    officers: frozenset[str] = frozenset()
    #: Channels that can send unprompted (those with a sender): where tickets can go.
    channels: Collection[str] = ()
    reports: ChatReports | None = None

    def fill(self, tx: Tx, inbound: Inbound, state: FlowState, reply: Reply, now: datetime) -> Filled:
        if reply.request is None:
            return Filled([reply])
        kind, *arguments = reply.request
        handler = {
            "report": self._report,
            "invite": self._invite,
            "ticket": self._ticket,
            "answer": self._answer,
            "close": self._close,
        }[kind]
        return handler(tx, inbound, state, now, *arguments)

    def _say(self, key: str, **fields: object) -> Filled:
        return Filled([Reply(self.content.text(key, **fields))])

    def _report(self, tx: Tx, inbound: Inbound, state: FlowState, now: datetime, week: str) -> Filled:
        if self.reports is None:
            return self._say("staff.report_failed")
        try:
            return Filled([Reply("", request=("report", self.reports.pin(week, now)))])
        except ValueError:
            return self._say("staff.report_bad_week", week=week)

    def _invite(self, tx: Tx, inbound: Inbound, state: FlowState, now: datetime, village: str) -> Filled:
        payload = INVITE_PREFIX + new_invite(tx, "volunteer", village, now)
        name = self.content.places.name(village)
        text = self.content.text("volunteer.invite_made", village=name, payload=payload)
        if not inbound.links:
            return Filled([Reply(text)])
        label = self.content.text("volunteer.invite_button")
        return Filled([Reply(text, (Button("invite:open", label, f"start:{payload}"),))])

    def helpers(self, tx: Tx, village: str) -> tuple[str, list[tuple[str, str]]]:
        """Who answers a ticket of `village`: its volunteers, else the officers."""
        volunteers = [(c, u) for c, u in tx.volunteers_of(village) if c in self.channels] if village else []
        if volunteers:
            return "volunteer", volunteers
        return "officer", officer_chats(tx, self.officers, self.channels)

    def to_helper(self, ticket: dict[str, Any], key: str = "ticket.to_helper") -> str:
        places = self.content.places
        step = _GUIDE_STEP.match(ticket["step"] or "")
        return self.content.text(
            key,
            ticket=ticket["id"],
            village=places.name(ticket["village"]) if ticket["village"] else "?",
            step=f"bước {step.group(1)}" if step else "menu",
            message=ticket["message"] or self.content.text("ticket.no_message"),
        )

    def _ticket(
        self, tx: Tx, inbound: Inbound, state: FlowState, now: datetime, step: str, message: str
    ) -> Filled:
        village = state.village or ""
        who, helpers = self.helpers(tx, village)
        if not helpers:
            return self._say("handoff.nobody")
        at = timestamp(now)
        number = tx.open_ticket(inbound.channel, inbound.chat_key, village, step, message, at)
        ticket = {"id": number, "village": village, "step": step, "message": message}
        text = self.to_helper(ticket)
        relayed = self.content.text(
            "handoff.relayed", ticket=number, who=self.content.text(f"ticket.{who}") if who else ""
        )
        return Filled([Reply(relayed)], [(channel, chat, text_row(text)) for channel, chat in helpers])

    def _open_ticket_for(self, tx: Tx, inbound: Inbound, number: str) -> dict[str, Any] | str:
        """The ticket this staff member may answer, or the content key saying why not."""
        ticket = tx.ticket(int(number))
        if ticket is None:
            return "ticket.unknown"
        if inbound.role == "volunteer" and ticket["village"] not in inbound.villages:
            return "ticket.not_yours"
        return ticket

    def _answer(
        self, tx: Tx, inbound: Inbound, state: FlowState, now: datetime, number: str, text: str
    ) -> Filled:
        ticket = self._open_ticket_for(tx, inbound, number)
        if isinstance(ticket, str):
            return self._say(ticket, ticket=number)
        tx.answer_ticket(ticket["id"], timestamp(now))
        who = self.content.text("ticket.volunteer" if inbound.role == "volunteer" else "ticket.officer")
        answer = self.content.text("handoff.answer", who=who, ticket=ticket["id"], text=text)
        elsewhere = [(ticket["channel"], ticket["chat_key"], text_row(answer))]
        return Filled([Reply(self.content.text("ticket.answer_sent", ticket=ticket["id"]))], elsewhere)

    def _close(self, tx: Tx, inbound: Inbound, state: FlowState, now: datetime, number: str) -> Filled:
        ticket = self._open_ticket_for(tx, inbound, number)
        if isinstance(ticket, str):
            return self._say(ticket, ticket=number)
        tx.close_ticket(ticket["id"], timestamp(now))
        return self._say("ticket.closed", ticket=ticket["id"])

    def escalate(self, tx: Tx, now: datetime) -> list[str]:
        """Tickets unanswered for `ESCALATE_AFTER` go to the officers; the channels to wake."""
        woken: set[str] = set()
        at = timestamp(now)
        for ticket in tx.tickets_to_escalate(timestamp(now - ESCALATE_AFTER)):
            text = self.to_helper(ticket, "ticket.escalated")
            for channel, chat in officer_chats(tx, self.officers, self.channels):
                tx.queue_replies(channel, chat, None, [text_row(text)], at)
                woken.add(channel)
            tx.escalated(ticket["id"], at)
        return sorted(woken)
