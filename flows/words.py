"""The words residents type, read from `content/words.toml` once per content.

What an everyday answer means, which words are only politeness or filler, which make a message
a question, and what the usual abbreviations stand for. The lists are the office's (they add a
way of saying things without touching code); the reading rules are here: every word is folded
(no case, no diacritics), abbreviations are written out ("ko dc" -> "không được"), and a
message is cut into known phrases, longest first.

An everyday answer has a meaning (yes, ok, done, no, unsure, stuck, back, next) when every
word of it is a known answer word, a negation or a politeness particle. A negation anywhere wins
("không đồng ý", "chưa xong"); among positive words the firmest wins.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flows.text import fold, normalize

#: When a message holds several meanings: the first of these found is its meaning.
_PRECEDENCE = ("unsure", "stuck", "no", "back", "next", "yes", "ok", "done")


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
