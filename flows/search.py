"""Answering a typed question: the FAQ entries and the menu's parts, ranked by BM25.

Residents type questions the way they talk: without diacritics, with "ko", "dc", "j", run-on,
with typos ("tôi không nhớ số thẻ bhyt", "mat bao lau thi dc duyet"). Each FAQ entry (its label,
keywords and answer) and each menu entry (its label and aliases) is a document of folded words
and word pairs (Vietnamese words are often two syllables: "mật khẩu"); a question is scored
against every document with BM25, after politeness and question words are dropped and an
unknown word is replaced by the closest known one (a small typo).

A wrong confident answer is worse than "not found", so ranking alone never answers: a document
is a candidate only when the question holds one of its keywords (label, alias) in full and that
keyword is distinctive (`Index.named`). A question that is exactly one keyword is answered by it;
one named document is answered when it clearly beats the next document of the ranking, and
offered beside it otherwise; two named documents (the question is about both) are offered side
by side; no named document is "not found". Measured on 205 questions written by two helpers who
did not see this module: tests/flows/test_search.py.
"""

import difflib
import math
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from flows.words import Vocabulary

if TYPE_CHECKING:
    from flows.content import Content

#: Menu entries a question may lead to (the FAQ list itself is one of them).
MENU_PARTS = ("guide", "card", "video", "result", "signature", "faq", "handoff")
_K1 = 1.2
_B = 0.75
#: Repetitions of a field in its document: a word of the label or keywords counts more than a
#: word of the answer.
_LABEL_WEIGHT = 3
_ANSWER_WEIGHT = 1
#: A named document is a candidate when the question's words it holds weigh at least this much
#: (about two distinctive words: one common word is not enough to be sure of anything)...
MIN_EVIDENCE = 2.5
#: ...and cover at least this share of the question's word weight (a long question about
#: something else that happens to hold a keyword covers less)...
MIN_COVERAGE = 0.1
#: ...and it is answered alone when it scores at least this many times the next document.
MIN_LEAD = 1.5
#: A keyword names its document only when one of its words or word pairs is in the keywords
#: (labels, aliases) of at most this many documents.
MAX_NAMED = 2
#: Typos are corrected only in long words ("pasword", "smatphone"): a short Vietnamese syllable
#: one letter away from a known one is usually another word ("quang" is not "quân").
_TYPO_CUTOFF = 0.8
_TYPO_MIN_LENGTH = 6


@dataclass(frozen=True, slots=True)
class Found:
    """What a question found: one document key ("faq:password", "menu:video") to answer with,
    two to offer, or none."""

    keys: tuple[str, ...]

    @property
    def answer(self) -> str | None:
        return self.keys[0] if len(self.keys) == 1 else None


def _terms(words: tuple[str, ...]) -> list[str]:
    """Words and adjacent word pairs."""
    return [*words, *(f"{a}_{b}" for a, b in pairwise(words))]


@dataclass(frozen=True)
class Index:
    """Term counts per document, and what BM25 needs about the whole collection."""

    documents: dict[str, Counter[str]]
    phrases: dict[tuple[str, ...], frozenset[str]]
    keyword_df: dict[str, int]
    spelled: frozenset[str]
    lengths: dict[str, int]
    average: float
    idf: dict[str, float]
    known: tuple[str, ...]
    unknown_weight: float

    @classmethod
    def build(cls, fields: dict[str, list[tuple[str, int, bool]]], vocabulary: Vocabulary) -> "Index":
        """`fields`: document key -> (text, weight, is a keyword) triples."""
        documents: dict[str, Counter[str]] = {}
        phrases: dict[tuple[str, ...], set[str]] = {}
        spelled: set[str] = set()
        for key, texts in fields.items():
            counts: Counter[str] = Counter()
            for text, weight, keyword in texts:
                pairs = vocabulary.content_pairs(text)
                spelled.update(typed for _, typed in pairs)
                words = tuple(folded for folded, _ in pairs)
                for term in _terms(words):
                    counts[term] += weight
                if keyword and words:
                    phrases.setdefault(words, set()).add(key)
            documents[key] = counts
        lengths = {key: sum(counts.values()) for key, counts in documents.items()}
        size = len(documents)
        holding = Counter(term for counts in documents.values() for term in counts)
        idf = {term: math.log(1 + (size - n + 0.5) / (n + 0.5)) for term, n in holding.items()}
        known = tuple(sorted({term for term in holding if "_" not in term}))
        in_keywords = Counter(
            term
            for key in fields
            for term in {t for words, keys in phrases.items() if key in keys for t in _terms(words)}
        )
        return cls(
            documents,
            {words: frozenset(keys) for words, keys in phrases.items()},
            dict(in_keywords),
            frozenset(spelled),
            lengths,
            sum(lengths.values()) / max(size, 1),
            idf,
            known,
            math.log(1 + (size + 0.5) / 0.5),
        )

    def corrected(self, word: str, typed: str) -> str | None:
        """A known word for `word` (folded; `typed` as typed): itself, or its closest known
        spelling (a small typo). A word typed with diacritics that no document spells that way is
        another word ("lúa" is not "lừa"), so it is unknown."""
        if typed != word and typed not in self.spelled:
            return None
        if word in self.idf:
            return word
        if len(word) < _TYPO_MIN_LENGTH:
            return None
        close = difflib.get_close_matches(word, self.known, n=1, cutoff=_TYPO_CUTOFF)
        return close[0] if close else None

    def named(self, words: tuple[str, ...]) -> set[str]:
        """Documents one of whose keywords (or label, or alias) the question holds in full, when
        that keyword is distinctive: it has a word or word pair rare in the collection (an alias
        such as "tích hợp" is in almost every question, so it names nothing). A keyword found
        only inside a longer one of another document ("số thẻ" in "không nhớ số thẻ") names
        nothing either."""
        spans: dict[str, list[tuple[int, int]]] = {}
        for size in range(1, len(words) + 1):
            for at in range(len(words) - size + 1):
                if self._distinctive(words[at : at + size]):
                    for key in self.phrases[words[at : at + size]]:
                        spans.setdefault(key, []).append((at, at + size))

        def inside_another(key: str) -> bool:
            return all(
                any(a <= start and end <= b and b - a > end - start for k, other in spans.items() if k != key
                    for a, b in other)
                for start, end in spans[key]
            )  # fmt: skip

        return {key for key in spans if not inside_another(key)}

    def _distinctive(self, phrase: tuple[str, ...]) -> bool:
        """A word or word pair of the phrase is in the keywords of at most `MAX_NAMED` documents."""
        return phrase in self.phrases and min(self.keyword_df.get(t, 0) for t in _terms(phrase)) <= MAX_NAMED

    def rank(self, pairs: tuple[tuple[str, str], ...]) -> list[tuple[float, float, float, str]]:
        """(score, coverage, evidence, key) per document that shares a term with the question,
        best first. Evidence is the weight of the question's terms the document holds.

        Coverage is the share of the question's single-word weight the document holds; a word no
        document knows weighs as much as the rarest known word, so an off-topic question
        ("giá vàng hôm nay") covers almost nothing anywhere."""
        corrected = {pair: self.corrected(*pair) for pair in dict.fromkeys(pairs)}
        known_words = tuple(dict.fromkeys(word for word in corrected.values() if word))
        total = sum(self.idf[word] for word in known_words) + self.unknown_weight * sum(
            1 for word in corrected.values() if word is None
        )
        query = set(_terms(tuple(word for word in (corrected[pair] for pair in pairs) if word)))
        ranked = []
        for key, counts in self.documents.items():
            shared = [term for term in query if term in counts]
            if not shared:
                continue
            norm = _K1 * (1 - _B + _B * self.lengths[key] / self.average)
            score = sum(self.idf[term] * counts[term] * (_K1 + 1) / (counts[term] + norm) for term in shared)
            covered = sum(self.idf[word] for word in known_words if word in counts)
            evidence = sum(self.idf[term] for term in shared)
            ranked.append((score, covered / total if total else 0.0, evidence, key))
        return sorted(ranked, reverse=True)


def _fields(content: "Content") -> dict[str, list[tuple[str, int, bool]]]:
    """Each document's texts, with their weight and whether they are a keyword (the label, a
    keyword or an alias: a question that is exactly one of these is answered at once)."""
    fields: dict[str, list[tuple[str, int, bool]]] = {}
    for entry in content.ids("faq"):
        key = f"faq.{entry}"
        texts = [(content.text(f"{key}.label"), _LABEL_WEIGHT, True)]
        texts += [(word, _LABEL_WEIGHT, True) for word in content.strings(f"{key}.keywords")]
        texts += [(text, _ANSWER_WEIGHT, False) for text in content.paragraphs(f"{key}.answer")]
        fields[f"faq:{entry}"] = texts
    for part in MENU_PARTS:
        texts = [(content.text(f"menu.items.{part}.label"), _LABEL_WEIGHT, True)]
        texts += [(word, _LABEL_WEIGHT, True) for word in content.strings(f"aliases.menu.{part}")]
        fields[f"menu:{part}"] = texts
    return fields


def index_of(content: "Content") -> Index:
    """The index of this content, built once."""
    return content.derived("search", lambda c: Index.build(_fields(c), c.vocabulary))


def find(content: "Content", text: str) -> Found:
    """What a typed question is about: one confident document, two close ones, or none."""
    pairs = content.vocabulary.content_pairs(text)
    if not pairs:
        return Found(())
    index = index_of(content)
    words = tuple(folded for folded, _ in pairs)
    exact = index.phrases.get(words, frozenset())
    if len(exact) == 1:
        return Found(tuple(exact))
    corrected = tuple(index.corrected(*pair) or folded for pair, folded in zip(pairs, words, strict=True))
    named = index.named(corrected)
    ranked = [row for row in index.rank(pairs) if row[1] >= MIN_COVERAGE and row[2] >= MIN_EVIDENCE]
    candidates = [row for row in ranked if row[3] in named]
    if not candidates:
        return Found(())
    if len(candidates) > 1:  # the question names two entries: it is about both
        return Found((candidates[0][3], candidates[1][3]))
    best = candidates[0]
    rival = next((row for row in ranked if row is not best), None)
    if rival is None or best[0] >= MIN_LEAD * rival[0]:
        return Found((best[3],))
    return Found((best[3], rival[3]))
