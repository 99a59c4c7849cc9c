"""Understanding typed answers: option numbers, labels, everyday words, and global words.

Every reply must work without buttons (Zalo has none, and many people prefer typing), so a typed
"1", "số 1", the label, the label without diacritics, one part of a label ("khác" for
"Khác / không rõ"), the words of exactly one label ("hướng dẫn tích hợp thẻ"), a near miss of a
label, or an everyday answer ("dạ có ạ", "xong rồi", "ko biết") all map back to the option the
question offered.

The words live in `content/words.toml` (the office adds ways of saying things); the rules live
here:

- An everyday answer has a meaning (`flows.words.Vocabulary.meaning`: yes, ok, done, no,
  unsure, stuck, back, next; a negation anywhere wins).
- A meaning chooses only the options its table row names (`_NAMES`); a message that has a
  meaning is never matched to an option by spelling, so "có" is not "Như Cố".
- Questions have a strictness (`Strictness`): consent does not take "xong"; erasing and "the
  success screen appeared" take only a firm yes, never "ok"; neither takes a near miss.
- Global words ("menu", "huỷ", "dừng", "/start v_...") pre-empt the current question when they
  are the whole message, unless they name an option on offer outright (its label). They are
  compared with diacritics kept, so an ordinary word never becomes a command (bare "dung" could
  be "dùng" or "đúng"; only "dừng" and "/dung" stop reminders).
"""

import difflib
import re
import unicodedata
from collections.abc import Callable, Sequence
from enum import StrEnum

from flows.text import fold, normalize
from flows.words import Vocabulary

_NUMBER = re.compile(r"^(?:số|so|chọn|chon|nút|nut|câu|cau|mục|muc)?\s*(\d{1,2})$")
_FUZZY_CUTOFF = 0.85


class Strictness(StrEnum):
    """How much a question reads into an everyday answer."""

    NORMAL = "normal"
    CONSENT = "consent"
    FIRM = "firm"


#: Which option names each meaning may choose, in order of preference. Step functions name
#: their options with these names.
_NAMES: dict[str, tuple[str, ...]] = {
    "yes": ("yes", "agree", "next", "continue"),
    "ok": ("yes", "agree", "next", "continue"),
    "done": ("next", "continue", "yes"),
    "next": ("next", "continue", "yes"),
    "no": ("no", "decline"),
    "unsure": ("unsure", "stuck", "no"),
    "stuck": ("stuck", "unsure", "no"),
    "back": ("back",),
}
#: Meanings a strict question does not take as its answer.
_REFUSED: dict[Strictness, frozenset[str]] = {
    Strictness.NORMAL: frozenset(),
    Strictness.CONSENT: frozenset({"done", "next", "back"}),
    Strictness.FIRM: frozenset({"ok", "done", "next", "back"}),
}
#: Slash commands: the platform's command menu (Telegram wants lowercase ASCII). Typed words
#: for the same commands are in content/words.toml.
SLASH_COMMANDS = {
    "/menu": "menu",
    "/huy": "cancel",
    "/trogiup": "help",
    "/help": "help",
    "/thon": "village",
    "/dung": "stop",
    "/stop": "stop",
    "/xoadulieu": "erase",
    "/canbo": "handoff",
    "/huongdan": "guide",
    "/kiemtra": "card",
    "/video": "video",
    "/ketqua": "result",
    "/chukyso": "signature",
    "/hoidap": "faq",
    "/ghinhan": "tally",
    "/tailieu": "kit",
}
#: Slash commands that take the rest of the line as their argument ("/baocao 2025-W38"). They
#: are not in the platform's menu: they are the office's, not the residents'.
ARGUMENT_COMMANDS = {
    "/baocao": "report",
    "/moi_tnv": "invite_volunteer",
    "/traloi": "answer_ticket",
    "/xong": "close_ticket",
}
#: Commands that have typed words in the content (the others are slash commands only).
TYPED_COMMANDS = ("menu", "cancel", "help", "village", "stop", "erase", "handoff")
COMMANDS = (*dict.fromkeys(SLASH_COMMANDS.values()), *ARGUMENT_COMMANDS.values(), "start")

_START = re.compile(
    r"^\s*(?:/start|bắt đầu lại|bat dau lai|bắt đầu|bat dau|start)(?:@\w+)?(?:\s+([A-Za-z0-9_-]+))?[\s!.]*$",
    re.IGNORECASE,
)
_BOT_SUFFIX = re.compile(r"^(/\w+)@\w+")
_WITH_ARGUMENT = re.compile(r"^\s*(/[A-Za-z_]+)(?:@\w+)?(?:\s+(.*?))?\s*$", re.DOTALL)


def command_of(text: str, vocabulary: Vocabulary) -> tuple[str, str | None] | None:
    """The global command `text` is, with the start payload or the argument if any; None for
    ordinary text."""
    start = _START.match(unicodedata.normalize("NFC", text))
    if start:
        return "start", start.group(1)
    argued = _WITH_ARGUMENT.match(text)
    if argued and argued.group(1).lower() in ARGUMENT_COMMANDS:
        return ARGUMENT_COMMANDS[argued.group(1).lower()], argued.group(2) or ""
    word = normalize(_BOT_SUFFIX.sub(r"\1", text.strip()))
    command = SLASH_COMMANDS.get(word) or vocabulary.commands.get(word)
    return (command, None) if command else None


def number_of(text: str) -> int | None:
    """The option number a message is ("2", "số 2", "2." -> 2), or None."""
    found = _NUMBER.match(normalize(text))
    return int(found.group(1)) if found else None


def _label_parts(offered: Sequence[Sequence[str]]) -> dict[str, list[str]]:
    """Each part of each label ("Khác / không rõ" -> "khac", "khong ro") -> the option ids."""
    parts: dict[str, list[str]] = {}
    for option_id, label in offered:
        for part in re.split(r"[/,]", label):
            key = fold(part)
            if key:
                parts.setdefault(key, []).append(option_id)
    return parts


def _by_meaning(meaning: str, offered: Sequence[Sequence[str]], strictness: Strictness) -> str | None:
    if meaning in _REFUSED[strictness]:
        return None
    names = {option_id.partition(":")[2]: option_id for option_id, _ in offered}
    return next((names[name] for name in _NAMES[meaning] if name in names), None)


def _by_words(words: tuple[str, ...], offered: Sequence[Sequence[str]], vocabulary: Vocabulary) -> str | None:
    """The one option whose label holds every word typed ("tich hop the" -> the guide), or else
    the one whose label's words are all in what was typed ("chưa cài vneid" -> "Chưa cài"); a
    negated text never picks a label that is not negated."""
    if not words:
        return None
    typed = set(words)
    negated = vocabulary.negated(" ".join(words))
    labels = [
        (option_id, set(fold(label).split()) - {"/"})
        for option_id, label in offered
        if vocabulary.negated(fold(label)) == negated
    ]
    for fits in (lambda label: typed <= label, lambda label: label <= typed):
        holding = [option_id for option_id, label in labels if fits(label)]
        if holding:
            return holding[0] if len(holding) == 1 else None
    return None


def named_option(
    text: str, offered: Sequence[Sequence[str]], aliases: Callable[[str], tuple[str, ...]]
) -> str | None:
    """The offered option `text` names outright: its number, its label (diacritics optional), an
    alias, or one part of its label ("khác" for "Khác / không rõ")."""
    if not offered:
        return None
    number = number_of(text)
    if number is not None:
        return offered[number - 1][0] if 0 < number <= len(offered) else None
    folded = fold(text)
    labels = {fold(label): option_id for option_id, label in offered}
    if folded in labels:
        return labels[folded]
    for option_id, _ in offered:
        if folded in aliases(option_id):
            return option_id
    by_part = _label_parts(offered)
    return by_part[folded][0] if len(by_part.get(folded, ())) == 1 else None


def option_of(
    text: str,
    offered: Sequence[Sequence[str]],
    vocabulary: Vocabulary,
    aliases: Callable[[str], tuple[str, ...]],
    strictness: Strictness = Strictness.NORMAL,
) -> str | None:
    """The id of the offered option that `text` means, or None.

    `offered` holds [id, label] pairs; `aliases(id)` gives extra folded words for an option.
    Tried in order: the option named outright (`named_option`); an everyday answer (by its
    meaning only); then, except on strict questions, the words of exactly one label and a near
    miss of a label.
    """
    named = named_option(text, offered, aliases)
    if named is not None or not offered or number_of(text) is not None:
        return named
    folded = " ".join(vocabulary.words(text))
    if not folded:
        return None
    meaning = vocabulary.meaning(text)
    if meaning is not None:
        return _by_meaning(meaning, offered, strictness)
    if strictness is not Strictness.NORMAL:
        return None
    found = _by_words(vocabulary.content_words(text), offered, vocabulary)
    if found is not None:
        return found
    labels = {fold(label): option_id for option_id, label in offered}
    negated = vocabulary.negated(folded)
    close = [
        label
        for label in difflib.get_close_matches(folded, labels, n=2, cutoff=_FUZZY_CUTOFF)
        if vocabulary.negated(label) == negated
    ]
    return labels[close[0]] if len(close) == 1 else None
