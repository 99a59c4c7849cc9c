"""Understanding typed answers: option numbers, labels, everyday words, and global words.

Every reply must work without buttons (Zalo has none, and many people prefer typing), so a typed
"1", "số 1", the label, the label without diacritics, one part of a label ("khác" for
"Khác / không rõ"), the words of exactly one label ("hướng dẫn tích hợp thẻ"), a near miss of a
label, or an everyday answer ("dạ có ạ", "xong rồi", "ko biết") all map back to the option the
question offered.

The words live in `content/words.toml` (the office adds ways of saying things); the rules live
here:

- An everyday answer has a meaning (yes, ok, done, no, unsure, stuck, back, next) when every
  word of it is a known answer word, a negation or a politeness particle. A negation anywhere
  wins ("không đồng ý", "chưa xong"); among positive words the firmest wins.
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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from flows.text import fold, normalize

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
#: When a message holds several meanings: the first of these found is its meaning.
_PRECEDENCE = ("unsure", "stuck", "no", "back", "next", "yes", "ok", "done")

#: Slash commands: the platform's command menu (Telegram wants lowercase ASCII). Typed words
#: for the same commands are in content/words.toml.
_SLASH = {
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
}
#: Commands that have typed words in the content (the others are slash commands only).
TYPED_COMMANDS = ("menu", "cancel", "help", "village", "stop", "erase", "handoff")
COMMANDS = (*dict.fromkeys(_SLASH.values()), "start")

_START = re.compile(
    r"^\s*(?:/start|bắt đầu lại|bat dau lai|bắt đầu|bat dau|start)(?:@\w+)?(?:\s+([A-Za-z0-9_-]+))?[\s!.]*$",
    re.IGNORECASE,
)
_BOT_SUFFIX = re.compile(r"^(/\w+)@\w+")


@dataclass(frozen=True)
class Vocabulary:
    """The words of `content/words.toml`, folded and indexed once per content."""

    meanings: dict[tuple[str, ...], str]
    negations: frozenset[str]
    particles: frozenset[tuple[str, ...]]
    filler: frozenset[tuple[str, ...]]
    question_words: frozenset[tuple[str, ...]]
    abbreviations: dict[str, tuple[str, ...]]
    commands: dict[str, str]
    longest: int

    @classmethod
    def build(
        cls,
        meanings: dict[str, Iterable[str]],
        negations: Iterable[str],
        particles: Iterable[str],
        filler: Iterable[str],
        question_words: Iterable[str],
        abbreviations: dict[str, str],
        commands: dict[str, Iterable[str]],
    ) -> "Vocabulary":
        """From the word lists as the office wrote them (any diacritics, any case)."""
        expanded = {fold(short): tuple(fold(full).split()) for short, full in abbreviations.items()}

        def phrase(text: str) -> tuple[str, ...]:
            return tuple(word for token in fold(text).split() for word in expanded.get(token, (token,)))

        by_phrase: dict[tuple[str, ...], str] = {}
        for meaning in _PRECEDENCE[::-1]:  # a phrase listed under two meanings takes the stronger
            for text in meanings.get(meaning, ()):
                if phrase(text):
                    by_phrase[phrase(text)] = meaning
        negation_words = frozenset(word for text in negations for word in phrase(text))
        polite = frozenset(phrase(text) for text in particles if phrase(text))
        ignored = frozenset(phrase(text) for text in filler if phrase(text))
        asking = frozenset(phrase(text) for text in question_words if phrase(text))
        longest = max((len(p) for p in [*by_phrase, *polite, *ignored, *asking]), default=1)
        command_words = {normalize(word): name for name, words in commands.items() for word in words}
        return cls(by_phrase, negation_words, polite, ignored, asking, expanded, command_words, longest)

    def words(self, text: str) -> tuple[str, ...]:
        """Folded words of `text`, abbreviations written out ("ko dc" -> "khong duoc")."""
        return tuple(word for token in fold(text).split() for word in self.abbreviations.get(token, (token,)))

    def _pairs(self, text: str) -> list[tuple[str, str]]:
        """(folded, as typed) per word; an abbreviation's words count as typed without
        diacritics. Folding keeps the words apart, so the two splits line up."""
        typed = normalize(text).split()
        folded = fold(text).split()
        if len(typed) != len(folded):  # a character that folding turns into a separator
            typed = folded
        pairs: list[tuple[str, str]] = []
        for token, raw in zip(folded, typed, strict=True):
            expansion = self.abbreviations.get(token)
            pairs.extend([(token, raw)] if expansion is None else [(word, word) for word in expansion])
        return pairs

    def _spans(self, words: Sequence[str]) -> list[tuple[str, tuple[str, ...]]]:
        """The message cut into known pieces, longest first from the left: ("meaning", phrase),
        ("particle", phrase), ("negation", word) or ("other", word)."""
        pieces: list[tuple[str, tuple[str, ...]]] = []
        at = 0
        while at < len(words):
            for size in range(min(self.longest, len(words) - at), 0, -1):
                chunk = tuple(words[at : at + size])
                if chunk in self.meanings:
                    pieces.append((self.meanings[chunk], chunk))
                elif chunk in self.particles:
                    pieces.append(("particle", chunk))
                elif size == 1 and chunk[0] in self.negations:
                    pieces.append(("no", chunk))
                else:
                    continue
                at += size
                break
            else:
                pieces.append(("other", (words[at],)))
                at += 1
        return pieces

    def meaning(self, text: str) -> str | None:
        """What an everyday answer means, or None when the message is more than an answer."""
        pieces = [kind for kind, _ in self._spans(self.words(text)) if kind != "particle"]
        if not pieces or "other" in pieces:
            return None
        return next(kind for kind in _PRECEDENCE if kind in pieces)

    def content_words(self, text: str) -> tuple[str, ...]:
        """The words that carry a question, folded: filler and question words left out."""
        return tuple(folded for folded, _ in self.content_pairs(text))

    def content_pairs(self, text: str) -> tuple[tuple[str, str], ...]:
        """`content_words` with each word also as typed (diacritics kept, lower case)."""
        pairs = self._pairs(text)
        words = [folded for folded, _ in pairs]
        kept: list[tuple[str, str]] = []
        at = 0
        while at < len(words):
            for size in range(min(self.longest, len(words) - at), 0, -1):
                chunk = tuple(words[at : at + size])
                if chunk in self.filler or chunk in self.question_words:
                    at += size
                    break
            else:
                kept.append(pairs[at])
                at += 1
        return tuple(kept)

    def negated(self, folded: str) -> bool:
        """Whether folded text holds a negation: a near miss never turns "k đồng ý" into "đồng ý"."""
        return not self.negations.isdisjoint(folded.split())

    def is_question(self, text: str) -> bool:
        """A question mark, or a question word ("sao", "ở đâu", "bao lâu", "j" ...)."""
        if "?" in text:
            return True
        words = self.words(text)
        return any(
            tuple(words[at : at + len(phrase)]) == phrase
            for phrase in self.question_words
            for at in range(len(words) - len(phrase) + 1)
        )


def command_of(text: str, vocabulary: Vocabulary) -> tuple[str, str | None] | None:
    """The global command `text` is, with the start payload if any; None for ordinary text."""
    start = _START.match(unicodedata.normalize("NFC", text))
    if start:
        return "start", start.group(1)
    word = normalize(_BOT_SUFFIX.sub(r"\1", text.strip()))
    command = _SLASH.get(word) or vocabulary.commands.get(word)
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
