"""Format pre-check of the thẻ BHYT number a resident types before sending the VNeID request.

VNeID only accepts a "Số thẻ BHYT" of 10 digits (mã số BHXH) or 15 characters (object code, benefit
level, province or issuer code, mã số BHXH), and it allows only a few requests a day. Checking the format
first lets the chatbot explain a mistake in plain words (letter O for zero, a CCCD typed instead, the wrong
"Đơn vị cấp thẻ BHYT"...) before the resident spends an attempt. The rules follow
shared/reference/bhyt-card-number.md §7. This is a format check only: whether the card exists is for BHXH
to say. Replies never repeat the number: they point at a position and the character typed there.
"""

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ISSUERS: tuple[str, ...] = ("vn", "cand", "bqp")
REASONS: tuple[str, ...] = (
    "ok",
    "empty",
    "no_number",
    "bad_chars",
    "bad_length",
    "looks_like_cccd",
    "looks_like_kcb_code",
    "letter_o_for_zero",
    "not_digits",
    "bad_object_code",
    "bad_level",
    "bad_province",
    "issuer_mismatch",
)
HINTS: tuple[str, ...] = ("level_digit_first", "letters_dropped", "k_code_suffix")

DATA_DIR = Path(__file__).resolve().parents[1] / "data"

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff"))
# §7.3 stage 1: two ASCII letters + 13 digits or O, separators allowed between them, nothing glued on.
_FORM15 = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][ \t.\-]*[A-Za-z](?:[ \t.\-]*[0-9Oo]){13}(?![A-Za-z0-9])")
# §7.3 stage 2: everything except ASCII letters, digits and . / _ , + - separates chunks.
_CHUNK_SEP = re.compile(r"[^A-Za-z0-9./_,+\-]+")
_CHUNK_PUNCT = "./_,+-"
_RUN_CHUNK = re.compile(r"[0-9Oo.\-]+")
_HAS_DIGIT = re.compile(r"[0-9]")
_CLEAN = re.compile(r"[ \t.\-]+")
_MESSAGE_SEP = re.compile(r"[\s.\-]+")
_BAD_CHAR = re.compile(r"[/_,+]")
_NON_DIGIT = re.compile(r"[^0-9]")
_NOT_DIGIT_OR_O = re.compile(r"[^0-9O]")
_LEVELS = "12345"
_ISSUER_CODES = {"97": "bqp", "98": "cand"}


@dataclass(frozen=True, slots=True)
class CardCheck:
    """Outcome of `check_card_number`; `reason` is one of REASONS, `hint` one of HINTS or None."""

    valid: bool
    reason: str
    normalized: str | None
    length: int
    digit_count: int
    extracted: bool
    suggested_issuer: str | None
    object_code: str | None
    level: int | None
    province_code: str | None
    position: int | None
    found: str | None
    hint: str | None

    @property
    def card_like(self) -> bool:
        """True when the candidate holds at least 9 digits, i.e. it could be a card number."""
        return self.digit_count >= 9


def _read_rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def object_code_labels() -> dict[str, tuple[str, int]]:
    """Object code -> (short Vietnamese label, default benefit level), from data/object_codes.csv."""
    return {row["code"]: (row["label"], int(row["default_level"])) for row in _read_rows("object_codes.csv")}


@cache
def province_names() -> dict[str, str]:
    """Two-digit province code -> name in the old 63-province list, from data/provinces.csv."""
    return {row["code"]: row["name"] for row in _read_rows("provinces.csv")}


@cache
def benefit_levels() -> dict[int, tuple[int, str]]:
    """Benefit level -> (percent covered, short note), from data/benefit_levels.csv."""
    return {int(row["level"]): (int(row["percent"]), row["note"]) for row in _read_rows("benefit_levels.csv")}


_OBJECT_CODES = frozenset(object_code_labels())


def _clean(candidate: str) -> str:
    """Separators removed; the case is kept so a reply can quote a character as it was typed."""
    return _CLEAN.sub("", candidate)


def _extract(text: str) -> str | None:
    """Pick the cleaned candidate number out of the message (§7.3), or None when there is none.

    The patterns only admit ASCII characters, so str.isdigit()/isalpha() on a candidate are ASCII tests.
    """
    match = _FORM15.search(text)
    if match:
        return _clean(match.group())
    candidates: list[tuple[str, bool]] = []  # (cleaned candidate, is a run)
    run: list[str] = []
    for raw in _CHUNK_SEP.split(text):
        chunk = raw.strip(_CHUNK_PUNCT)
        if not chunk:
            continue
        if _HAS_DIGIT.search(chunk) and _RUN_CHUNK.fullmatch(chunk):
            run.append(chunk)
            continue
        if run:
            candidates.append((_clean("".join(run)), True))
            run = []
        if _HAS_DIGIT.search(chunk):
            candidates.append((_clean(chunk), False))
    if run:
        candidates.append((_clean("".join(run)), True))
    if not candidates:
        return None
    for candidate, is_run in candidates:
        if is_run and len(candidate) == 10:
            return candidate
    for candidate, _ in candidates:
        if len(candidate) in (10, 15):
            return candidate
    return max(candidates, key=lambda item: _digit_count(item[0]))[0]


def _digit_count(candidate: str) -> int:
    return len(candidate) if candidate.isdigit() else len(_NON_DIGIT.sub("", candidate))


def _issuer_for(province: str) -> str:
    return _ISSUER_CODES.get(province, "vn")


def _length_hint(candidate: str) -> str | None:
    size = len(candidate)
    if candidate.isdigit():
        if size == 11 and candidate[0] in _LEVELS:
            return "level_digit_first"
        if size == 13:
            return "letters_dropped"
    elif size in (12, 17) and candidate[-2] == "K" and candidate[-1] in "123":
        return "k_code_suffix"
    return None


def _verdict(candidate: str, issuer: str | None) -> tuple[str, int | None, str | None, str | None]:
    """Reason, position, found and hint for a cleaned candidate, in the §7.4 check order."""
    bad = _BAD_CHAR.search(candidate)
    if bad:
        return "bad_chars", bad.start() + 1, bad.group(), None
    size = len(candidate)
    if size == 12 and candidate.isdigit():
        return "looks_like_cccd", None, None, None
    if size == 5 and candidate.isdigit():
        return "looks_like_kcb_code", None, None, None
    if size == 10:
        other = _NON_DIGIT.search(candidate)
        if other is None:
            return "ok", None, None, None
        if _NOT_DIGIT_OR_O.search(candidate) is None:
            return "letter_o_for_zero", candidate.index("O") + 1, "O", None
        return "not_digits", other.start() + 1, other.group(), None
    if size != 15:
        return "bad_length", None, None, _length_hint(candidate)
    return _verdict15(candidate, issuer)


def _verdict15(candidate: str, issuer: str | None) -> tuple[str, int | None, str | None, str | None]:
    """The §7.4 checks of a 15-character candidate."""
    letter_o = candidate.find("O", 2)
    if letter_o >= 0:
        return "letter_o_for_zero", letter_o + 1, "O", None
    other = _NON_DIGIT.search(candidate, 3)
    if other:
        return "not_digits", other.start() + 1, other.group(), None
    if candidate[:2] not in _OBJECT_CODES:
        return "bad_object_code", 1, candidate[:2], None
    if candidate[2] not in _LEVELS:
        return "bad_level", 3, candidate[2], None
    province = candidate[3:5]
    if province == "00":
        return "bad_province", 4, province, None
    if issuer is not None and _issuer_for(province) != issuer:
        return "issuer_mismatch", 4, province, None
    return "ok", None, None, None


def _decode(candidate: str) -> tuple[str | None, int | None, str | None, str | None]:
    """Object code, level, province code and suggested issuer of a 15-character candidate."""
    if len(candidate) != 15:
        return None, None, None, None
    level = int(candidate[2]) if candidate[2].isdigit() else None
    province = candidate[3:5] if candidate[3:5].isdigit() else None
    return candidate[:2], level, province, _issuer_for(province) if province and province != "00" else None


def _no_candidate(reason: str) -> CardCheck:
    return CardCheck(False, reason, None, 0, 0, False, None, None, None, None, None, None, None)


def check_card_number(text: str, issuer: str | None = None) -> CardCheck:
    """Check the message a resident typed as "Số thẻ BHYT" against VNeID's format rules.

    `issuer` is the "Đơn vị cấp thẻ BHYT" chosen so far ("vn", "cand", "bqp" or None). Anything about the
    text is reported in the result; only an unknown `issuer` raises ValueError.
    """
    if issuer is not None and issuer not in ISSUERS:
        raise ValueError(f"unknown issuer {issuer!r}; expected one of {ISSUERS} or None")
    message = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH).strip()
    if not message:
        return _no_candidate("empty")
    typed = _extract(message)
    if typed is None:
        return _no_candidate("no_number")
    candidate = typed.upper()
    reason, position, found, hint = _verdict(candidate, issuer)
    if position is not None and found is not None:
        found = typed[position - 1 : position - 1 + len(found)]
    object_code, level, province, suggested = _decode(candidate)
    size = len(candidate)
    return CardCheck(
        valid=reason == "ok",
        reason=reason,
        normalized=candidate if size in (10, 15) else None,
        length=size,
        digit_count=_digit_count(candidate),
        extracted=_MESSAGE_SEP.sub("", message).upper() != candidate,
        suggested_issuer=suggested,
        object_code=object_code,
        level=level,
        province_code=province,
        position=position,
        found=found,
        hint=hint,
    )
