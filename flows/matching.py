"""Understanding typed answers: option numbers, labels, everyday words, and global words.

Every reply must work without buttons (Zalo has none, and some people prefer typing), so a typed
"1", "số 1", "1.", the label, the label without diacritics, one part of a label ("khác" for
"Khác / không rõ"), a near miss of the label, or an everyday word ("ok", "xong rồi", "ko biết")
all map back to the button id the question offered.

Global words ("menu", "huỷ", "dừng", "/start v_...") pre-empt the current question, but only when
they are the whole message and not one of the options on offer. Their ASCII spellings are listed
one by one instead of folding every word, so that an ordinary word never becomes a command
(bare "dung" could be "dùng" or "đúng"; only "dừng" and "/dung" stop reminders).
"""

import difflib
import re
import unicodedata
from collections.abc import Callable, Sequence

from flows.text import fold, normalize

_NUMBER = re.compile(r"^(?:số|so|chọn|chon|nút|nut|câu|cau)?\s*(\d{1,2})$")
_FUZZY_CUTOFF = 0.85

#: Everyday answers -> option names to try, in order of preference. Step functions name their
#: options with these names ("yes", "no", "next", "stuck", "back", "unsure", "continue").
_INTENTS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("yes", "next", "continue"),
        (
            "có",
            "co",
            "ok",
            "oke",
            "okay",
            "oki",
            "ô kê",
            "ừ",
            "ừm",
            "uh",
            "um",
            "vâng",
            "vang",
            "dạ",
            "dạ có",
            "da co",
            "được",
            "duoc",
            "đúng",
            "đúng rồi",
            "dung roi",
            "rồi",
            "roi",
            "xong",
            "xong rồi",
            "xong roi",
            "đã xong",
            "da xong",
            "làm xong rồi",
            "lam xong roi",
            "ok rồi",
            "ok roi",
            "có rồi",
            "co roi",
            "yes",
        ),
    ),
    (
        ("no", "decline"),
        (
            "không",
            "khong",
            "ko",
            "k",
            "hông",
            "chưa",
            "chua",
            "chưa có",
            "chua co",
            "không có",
            "khong co",
            "ko có",
            "ko co",
            "no",
        ),
    ),
    (
        ("unsure", "stuck", "no"),
        (
            "không biết",
            "khong biet",
            "ko biết",
            "ko biet",
            "k biết",
            "k biet",
            "hông biết",
            "chưa biết",
            "chua biet",
            "không rõ",
            "khong ro",
            "ko rõ",
            "ko ro",
            "không hiểu",
            "khong hieu",
            "ko hiểu",
            "ko hieu",
        ),
    ),
    (
        ("stuck", "unsure"),
        (
            "vướng",
            "vuong",
            "bị vướng",
            "bi vuong",
            "tôi bị vướng",
            "lỗi",
            "loi",
            "bị lỗi",
            "bi loi",
            "không được",
            "khong duoc",
            "ko được",
            "ko duoc",
            "khó quá",
            "kho qua",
            "không làm được",
            "khong lam duoc",
        ),
    ),
    (
        ("back",),
        ("quay lại", "quay lai", "trở lại", "tro lai", "lùi lại", "lui lai", "bước trước", "buoc truoc"),
    ),
    (
        ("next", "continue", "yes"),
        (
            "tiếp",
            "tiep",
            "tiếp tục",
            "tiep tuc",
            "bước tiếp",
            "buoc tiep",
            "sang bước tiếp",
            "tiếp theo",
            "tiep theo",
            "next",
        ),
    ),
)
INTENT_WORDS: dict[str, tuple[str, ...]] = {word: names for names, words in _INTENTS for word in words}

#: Global words -> command. Compared after `normalize` (diacritics kept).
_COMMANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("menu", ("menu", "/menu", "về menu", "ve menu", "menu chính", "menu chinh")),
    ("cancel", ("huỷ", "hủy", "huỷ bỏ", "hủy bỏ", "huy bo", "thoát", "thoat", "/huy")),
    ("help", ("trợ giúp", "tro giup", "/trogiup", "/help", "help")),
    ("village", ("đổi thôn", "doi thon", "đổi tổ", "doi to", "đổi thôn tổ", "/thon")),
    ("stop", ("dừng", "dừng lại", "dừng nhắc", "/dung", "stop", "/stop")),
    (
        "erase",
        (
            "xoá dữ liệu",
            "xóa dữ liệu",
            "xoa du lieu",
            "xoá dữ liệu của tôi",
            "xóa dữ liệu của tôi",
            "/xoadulieu",
        ),
    ),
    (
        "handoff",
        ("nhờ cán bộ", "nhờ cán bộ hỗ trợ", "nho can bo", "nho can bo ho tro", "gặp cán bộ", "/canbo"),
    ),
    ("guide", ("/huongdan",)),
    ("card", ("/kiemtra",)),
    ("video", ("/video",)),
    ("result", ("/ketqua",)),
    ("signature", ("/chukyso",)),
    ("faq", ("/hoidap",)),
)
COMMAND_WORDS: dict[str, str] = {word: command for command, words in _COMMANDS for word in words}
COMMANDS = (*(command for command, _ in _COMMANDS), "start")

_START = re.compile(
    r"^\s*(?:/start|bắt đầu lại|bat dau lai|bắt đầu|bat dau|start)(?:@\w+)?(?:\s+([A-Za-z0-9_-]+))?[\s!.]*$",
    re.IGNORECASE,
)
_NEGATIONS = frozenset({"khong", "ko", "k", "kh", "chua", "hong", "chang", "cha"})
_PARTICLES_AFTER = frozenset({"ạ", "a", "nhé", "nhe", "nha", "ha", "à", "ơi", "oi", "ah", "ak"})
_PARTICLES_BEFORE = frozenset({"dạ", "da", "vâng", "vang", "thưa", "thua"})
#: Option names an everyday "ok" may choose, except on strict questions.
_AFFIRMATIVE = frozenset({"yes", "next", "continue"})
_BOT_SUFFIX = re.compile(r"^(/\w+)@\w+")


def command_of(text: str) -> tuple[str, str | None] | None:
    """The global command `text` is, with the start payload if any; None for ordinary text."""
    start = _START.match(unicodedata.normalize("NFC", text))
    if start:
        return "start", start.group(1)
    word = normalize(_BOT_SUFFIX.sub(r"\1", text.strip()))
    command = COMMAND_WORDS.get(word)
    return (command, None) if command else None


def _label_parts(offered: Sequence[Sequence[str]]) -> dict[str, list[str]]:
    """Each part of each label ("Khác / không rõ" -> "khac", "khong ro") -> the option ids."""
    parts: dict[str, list[str]] = {}
    for option_id, label in offered:
        for part in re.split(r"[/,]", label):
            key = fold(part)
            if key:
                parts.setdefault(key, []).append(option_id)
    return parts


def _without_particles(word: str) -> str:
    """Politeness around an answer does not change it: "dạ có ạ" -> "có"."""
    tokens = word.split()
    while len(tokens) > 1 and tokens[-1] in _PARTICLES_AFTER:
        tokens.pop()
    while len(tokens) > 1 and tokens[0] in _PARTICLES_BEFORE:
        tokens.pop(0)
    return " ".join(tokens)


def option_of(
    text: str,
    offered: Sequence[Sequence[str]],
    aliases: Callable[[str], tuple[str, ...]],
    strict: bool = False,
) -> str | None:
    """The id of the offered option that `text` means, or None.

    `offered` holds [id, label] pairs; `aliases(id)` gives extra folded words for an option.
    Tried in order: the number; the label (diacritics optional); an alias; one part of a label
    ("khác" for "Khác / không rõ"); words found in exactly one label ("từ chối" for "Bị từ chối");
    an everyday word ("ok", "ko biết"); a near miss of a label. A `strict` question never takes an
    affirmative everyday word or a near miss: "ok" does not consent, erase, or report success.
    """
    if not offered:
        return None
    word = _without_particles(normalize(text))
    number = _NUMBER.match(word)
    if number:
        index = int(number.group(1)) - 1
        return offered[index][0] if 0 <= index < len(offered) else None
    folded = fold(word)
    if not folded:
        return None
    labels = {fold(label): option_id for option_id, label in offered}
    if folded in labels:
        return labels[folded]
    for option_id, _ in offered:
        if folded in aliases(option_id):
            return option_id
    by_part = _label_parts(offered)
    if len(by_part.get(folded, ())) == 1:
        return by_part[folded][0]
    containing = [option_id for label, option_id in labels.items() if f" {folded} " in f" {label} "]
    if len(folded) > 1 and len(containing) == 1:
        return containing[0]
    names = {option_id.partition(":")[2]: option_id for option_id, _ in offered}
    for name in INTENT_WORDS.get(word, ()):
        if name in names and not (strict and name in _AFFIRMATIVE):
            return names[name]
    if strict:
        return None
    negated = _negated(folded)
    close = [
        c
        for c in difflib.get_close_matches(folded, labels, n=2, cutoff=_FUZZY_CUTOFF)
        if _negated(c) == negated
    ]
    return labels[close[0]] if len(close) == 1 else None


def _negated(folded: str) -> bool:
    """Whether folded text says "no": a near miss never turns "k đồng ý" into "đồng ý"."""
    return not _NEGATIONS.isdisjoint(folded.split())
