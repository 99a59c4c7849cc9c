"""A Telegram update (the Bot API's JSON) as an `Inbound`, or nothing when it is not for the flow.

Read from the plain dict rather than through `telegram.Update.de_json`: the flow needs six
fields, and the full object model costs about 90 µs per update (telegram-notes.md §13), a tenth
of the whole path. Unknown or partial shapes give None, never an exception.

In a group the helper sees (with Telegram's privacy mode) only commands, mentions and replies to
it; if it is an admin it sees everything, so plain group chatter is left alone unless it holds
something that looks like a card or identity number, which the flow then asks to delete.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flows import Inbound
from flows.card_number import check_card_number

CHANNEL = "telegram"
#: How the helper's message about a resident's request says how to answer it (content/staff.toml
#: ticket.to_helper and ticket.escalated keep this command in them).
_TICKET = re.compile(r"/traloi (\d+)")
#: What a message carries besides text, as the flow names it.
_KINDS = (
    ("photo", "photo"),
    ("sticker", "sticker"),
    ("voice", "voice"),
    ("audio", "voice"),
    ("video_note", "voice"),
    ("document", "file"),
    ("video", "file"),
    ("location", "location"),
    ("contact", "other"),
)


@dataclass(frozen=True, slots=True)
class Received:
    """One update for the flow: the `Inbound`, the id it is deduplicated by, the callback query
    to answer (a button press) if any, and the photo to read (private chats only): its Bot API
    file id and the size Telegram reported, if it did."""

    inbound: Inbound
    update_id: str
    callback_id: str | None = None
    photo_file: str | None = None
    photo_size: int | None = None


def received(update: Any, username: str) -> Received | None:
    """The update as the flow sees it; None for updates it has nothing to say to (a member
    joining, an edited message, group chatter not addressed to the helper)."""
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        return None
    update_id = str(update["update_id"])
    if isinstance(update.get("message"), dict):
        message = update["message"]
        inbound = _message(message, username)
        if inbound is None:
            return None
        photo = _photo(message) if inbound.kind == "photo" and inbound.chat_type == "private" else None
        return Received(inbound, update_id, None, *(photo or (None, None)))
    if isinstance(update.get("callback_query"), dict):
        return _press(update["callback_query"], update_id)
    return None


def _chat(message: dict[str, Any]) -> tuple[str, str] | None:
    chat = message.get("chat")
    if not isinstance(chat, dict) or not isinstance(chat.get("id"), int):
        return None
    return str(chat["id"]), "private" if chat.get("type") == "private" else "group"


def _sender(data: dict[str, Any]) -> str | None:
    user = data.get("from")
    return str(user["id"]) if isinstance(user, dict) and isinstance(user.get("id"), int) else None


def _when(message: dict[str, Any]) -> datetime | None:
    date = message.get("date")
    return datetime.fromtimestamp(date, UTC) if isinstance(date, int) and date > 0 else None


def _photo(message: dict[str, Any]) -> tuple[str, int | None] | None:
    """The file id of the largest size of a photo (or of an image sent as a file) and its size
    in bytes when Telegram gave it."""
    sizes = message.get("photo")
    if isinstance(sizes, list):
        shaped = [size for size in sizes if isinstance(size, dict) and isinstance(size.get("file_id"), str)]
        if not shaped:
            return None
        largest = max(shaped, key=lambda size: (size.get("width") or 0) * (size.get("height") or 0))
    else:
        largest = message.get("document")
        if not isinstance(largest, dict) or not isinstance(largest.get("file_id"), str):
            return None
    size = largest.get("file_size")
    return largest["file_id"], size if isinstance(size, int) else None


def _kind(message: dict[str, Any]) -> str:
    """What the message carries, as the flow names it; an image sent as a file is a photo."""
    if isinstance(message.get("text"), str):
        return "text"
    document = message.get("document")
    if isinstance(document, dict) and str(document.get("mime_type", "")).startswith("image/"):
        return "photo"
    return next((kind for key, kind in _KINDS if key in message), "other")


def _message(message: dict[str, Any], username: str) -> Inbound | None:
    chat, user = _chat(message), _sender(message)
    if chat is None or user is None:
        return None
    chat_key, chat_type = chat
    text = message.get("text")
    kind = _kind(message)
    text = text if isinstance(text, str) else ""
    if chat_type == "group":
        mention = f"@{username}"
        caption = message.get("caption") if isinstance(message.get("caption"), str) else ""
        addressed = (
            text.startswith("/")
            or mention.lower() in f"{text} {caption}".lower()
            or _replies_to_bot(message, username)
        )
        if not addressed and not (text and check_card_number(text).card_like):
            return None
        if not text.startswith("/"):
            text = _without(text, mention)
    elif kind == "text" and not text.startswith("/"):
        text = _answering_ticket(message, text)
    return Inbound(
        CHANNEL,
        user,
        chat_key,
        text=text.strip() if kind == "text" else "",
        kind=kind,
        received_at=_when(message),
        chat_type=chat_type,
        message_ref=str(message["message_id"]) if isinstance(message.get("message_id"), int) else None,
    )


def _replies_to_bot(message: dict[str, Any], username: str) -> bool:
    original = message.get("reply_to_message")
    if not isinstance(original, dict) or not isinstance(original.get("from"), dict):
        return False
    return str(original["from"].get("username", "")).lower() == username.lower()


def _answering_ticket(message: dict[str, Any], text: str) -> str:
    """A reply, in a private chat, to the helper's message about a resident's request (which says
    "/traloi 12 ...") is the answer to it: `/traloi 12 <text>`, as a volunteer would type it."""
    original = message.get("reply_to_message")
    quoted = original.get("text") if isinstance(original, dict) else None
    found = _TICKET.search(quoted) if isinstance(quoted, str) else None
    return f"/traloi {found.group(1)} {text}" if found else text


def _without(text: str, mention: str) -> str:
    """The text with the helper's @name taken out, whatever its case."""
    at = text.lower().find(mention.lower())
    return text if at < 0 else (text[:at] + text[at + len(mention) :]).strip()


def _press(query: dict[str, Any], update_id: str) -> Received | None:
    message = query.get("message")
    data, user = query.get("data"), _sender(query)
    if not isinstance(message, dict) or not isinstance(data, str) or user is None:
        return None
    chat = _chat(message)
    if chat is None:
        return None
    chat_key, chat_type = chat
    inbound = Inbound(
        CHANNEL,
        user,
        chat_key,
        choice=data,
        kind="choice",
        chat_type=chat_type,
        message_ref=str(message["message_id"]) if isinstance(message.get("message_id"), int) else None,
    )
    return Received(inbound, update_id, str(query.get("id", "")) or None)
