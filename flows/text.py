"""Normalising what people type, so that matching is forgiving in the same way everywhere.

Residents type on cheap phones, often without Vietnamese diacritics ("dong tam" for "Đồng Tâm"),
with stray punctuation or emoji. Every comparison of typed text against a label, an alias or a
keyword goes through these two functions, so a rule such as "diacritics do not matter here" is
decided once.
"""

import re
import unicodedata
from functools import lru_cache

_NON_WORD = re.compile(r"[^\w/]+")
_SPACES = re.compile(r"\s+")
_EXTRA_LETTERS = str.maketrans({"đ": "d", "Đ": "d"})


def normalize(text: str) -> str:
    """Lower-case, NFC, punctuation and emoji removed, spaces collapsed; diacritics are kept.

    Used where diacritics carry meaning ("dừng" is a command, "dung" is not).
    """
    text = unicodedata.normalize("NFC", text).lower()
    return _SPACES.sub(" ", _NON_WORD.sub(" ", text)).strip()


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """`normalize`, then diacritics stripped and đ turned into d: "Đồng Tâm!" -> "dong tam".

    Cached: button labels and keywords are folded again on every message.
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA_LETTERS))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return normalize(bare)


def slug(text: str) -> str:
    """An ASCII identifier from a name: "Đồng Tâm" -> "dong-tam" (used for stable codes)."""
    return "-".join(fold(text).replace("/", " ").split())
