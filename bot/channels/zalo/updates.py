"""A Zalo Bot Platform update as an `Inbound`, or nothing when there is nobody to answer.

The platform's own documents and its live traffic disagree (zalo-bot-platform.md §1.5), so both
shapes are read: the documented `{"ok": true, "result": {...}}` wrapper and the flat update; the
image as `photo_url` or `photo`; `date` in milliseconds or seconds. Unknown event kinds and partial
shapes give an "other" message or None, never an exception. Messages from bots are dropped (two
bots answering each other would never stop). In a group the helper sees only messages that
mention it: a command after the mention is read as the command.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flows import Inbound

CHANNEL = "zalo"
#: What each event carries, as the flow names it; any other event is "other".
_KINDS = {
    "message.text.received": "text",
    "message.image.received": "photo",
    "message.sticker.received": "sticker",
    "message.voice.received": "voice",
    "message.unsupported.received": "other",
}
#: A `date` above this is in milliseconds (1e11 seconds is the year 5138).
_MILLISECONDS = 10**11


@dataclass(frozen=True, slots=True)
class Received:
    """One update for the flow: the `Inbound`, Zalo's `message_id` it is deduplicated by, and
    the address of the photo to read (private chats only)."""

    inbound: Inbound
    message_id: str | None
    photo_url: str | None = None


def unwrap(body: Any) -> dict[str, Any] | None:
    """The update inside the documented wrapper, or the flat update itself."""
    if not isinstance(body, dict):
        return None
    if body.get("ok") is True and isinstance(body.get("result"), dict):
        return body["result"]
    return body


def received(body: Any) -> Received | None:
    update = unwrap(body)
    if update is None or not isinstance(update.get("event_name"), str):
        return None
    message = update.get("message")
    if not isinstance(message, dict):
        return None  # an unsupported event may come without its message: nobody to answer
    chat, sender = message.get("chat"), message.get("from")
    if not isinstance(chat, dict) or not _id(chat.get("id")):
        return None
    if isinstance(sender, dict) and sender.get("is_bot") is True:
        return None
    chat_key = _id(chat["id"])
    user = _id(sender.get("id")) if isinstance(sender, dict) else None
    kind = _KINDS.get(update["event_name"], "other")
    text = message.get("text") if kind == "text" else None
    if kind == "text" and not isinstance(text, str):
        kind = "other"
    if kind == "other" and (message.get("photo_url") or message.get("photo")):
        kind = "photo"  # real traffic names the image `photo_url`, the documents `photo`
    chat_type = "group" if str(chat.get("chat_type", "")).upper() == "GROUP" else "private"
    text = text.strip() if isinstance(text, str) else ""
    if chat_type == "group" and (slash := text.find("/")) > 0:
        text = text[slash:]  # "@Bot Trợ lý /huongdan": the mention, then the command
    inbound = Inbound(
        CHANNEL,
        user or chat_key,
        chat_key,
        text=text,
        kind=kind,
        received_at=_when(message.get("date")),
        chat_type=chat_type,
        links=False,  # Zalo has no button that opens a private chat
    )
    photo = message.get("photo_url") or message.get("photo")
    readable = kind == "photo" and chat_type == "private" and isinstance(photo, str)
    return Received(inbound, _id(message.get("message_id")), photo if readable else None)


def _id(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value) or None


def _when(date: Any) -> datetime | None:
    if isinstance(date, bool) or not isinstance(date, int | float) or date <= 0:
        return None
    seconds = date / 1000 if date > _MILLISECONDS else date
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None
