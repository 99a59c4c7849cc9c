"""Masking digit runs wherever text leaves the flow's control: logs and dead letters.

The flow never puts a typed number in a reply or an event; this is the second line of defence for
everything else (exception messages, library log lines, a payload kept for debugging). A run of
seven or more digits, with the spaces, dots or dashes people type between groups, could be a card,
CCCD or phone number, so it is masked whole.
"""

import logging
import re

_DIGIT_RUN = re.compile(r"\d(?:[ .,/\-]?\d){6,}")
MASK = "•"


def mask_digits(text: str) -> str:
    """'số 0123 456 789' -> 'số ••••••••••••'; short numbers (years, ports, steps) stay."""
    return _DIGIT_RUN.sub(lambda match: MASK * len(match.group()), text)


class RedactingFilter(logging.Filter):
    """Masks digit runs in every log record's final message (and drops its arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = mask_digits(message), None
        if record.exc_text:
            record.exc_text = mask_digits(record.exc_text)
        return True


def setup_logging(level: str) -> None:
    """Plain lines on stderr; digit runs masked; request URLs of HTTP clients kept out."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
