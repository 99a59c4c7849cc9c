"""Masking numbers and secrets wherever text leaves the flow's control: logs, dead letters,
stored delivery errors.

The flow never puts a typed number in a reply or an event; this is the second line of defence for
everything else (exception messages, library log lines, a payload kept for debugging). A run of
seven or more digits, with the spaces, dots or dashes people type between groups, could be a card,
CCCD or phone number, so it is masked whole, with the letters and digits around it ("DN4O1012..."
would otherwise keep the card's group code); so is any word holding five or more digits.

Secrets (bot tokens, webhook secrets) are masked first, whole and by their part after the colon,
because a token sits in every Bot API URL and a library may put a URL in an error message. The
composition root registers the configured secrets once at start (`hide_secrets`).
"""

import logging
import re

_DIGIT_RUN = re.compile(r"[A-Za-z0-9]*\d(?:[ .,/\-]?\d){6,}[A-Za-z0-9]*")
_WORD = re.compile(r"[A-Za-z0-9]+")
_MANY_DIGITS = 5
MASK = "•"
#: Parts of secrets shorter than this are not masked on their own (they would mask ordinary words).
_SECRET_PART = 8
_secrets: set[str] = set()


def hide_secrets(values: list[str]) -> None:
    """From now on, `redact` masks these values (and each token's part after its colon)."""
    for value in values:
        _secrets.add(value)
        part = value.partition(":")[2]
        if len(part) >= _SECRET_PART:
            _secrets.add(part)


def redact(text: str) -> str:
    """`text` with every registered secret and every long number masked."""
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, "<secret>")
    return mask_numbers(text)


def _masked(match: re.Match[str]) -> str:
    return MASK * len(match.group())


def mask_numbers(text: str) -> str:
    """'số 0123 456 789' -> 'số ••••••••••••'; short numbers (years, ports, steps) stay."""
    text = _DIGIT_RUN.sub(_masked, text)
    return _WORD.sub(
        lambda m: _masked(m) if sum(ch.isdigit() for ch in m.group()) >= _MANY_DIGITS else m.group(), text
    )


class RedactingFilter(logging.Filter):
    """Masks secrets and numbers in every log record's final message and traceback (and drops
    its arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = redact(message), None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def setup_logging(level: str) -> None:
    """Plain lines on stderr; digit runs and secrets masked; HTTP clients and python-telegram-bot
    only from WARNING (at DEBUG they log request URLs, which hold the token, and reply texts,
    which are not kept)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "telegram"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
