"""Checking the content after the office edits it (`python -m bot content check`).

Loading catches a TOML or CSV mistake (with its line). Then the whole conversation is walked: every
question reachable by pressing every offered button, plus typed probes (everyday words, global
words, card numbers of every kind), from every question. Each reply is held to the rules a
resident's phone needs: a message with its options written out fits Zalo's 2,000 characters, a
button label fits 40 and is bare text, yes comes before no, nothing like `{commune}` is left
unfilled. Finally the transcript files are replayed. The tests run the same walk.
"""

import unicodedata
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import transcript
from flows import Content, ContentError, FlowState, Inbound, Reply, Step, handle, load_content
from flows.content import CONTENT_DIR, DATA_DIR
from flows.places import PlacesError

ZALO_LIMIT = 2000
LABEL_LIMIT = 40
NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
PROBES = (
    "xin chào", "ok", "có ạ", "ko biết", "khác", "không", "xoá dữ liệu", "trợ giúp", "dừng", "đổi thôn",
    "huỷ",
    "/start v_nhuco-na-roong", "/start", "bla bla", "quên mật khẩu", "thon 3", "quang chu", "na roong",
    "/video", "/chukyso", "nhờ cán bộ",
)  # fmt: skip
CARD_PROBES = (
    "0123456789", "DN4010123456789", "số thẻ HT 3 06 0123456789 nhé", "DNO010123456789", "001090012345",
    "01-001", "4 0123456789", "1234567890123", "0123456789K1", "QN5970123456789", "CA5980123456789",
    "0123/456789", "TE101KT12345678", "N04010123456789", "DN6010123456789", "DN4000123456789", "abc",
)  # fmt: skip
#: Moves made of several messages in a row: three misses, three wrong card numbers.
SEQUENCES = (("bla", "bla bla", "bla bla bla"), ("12345", "0l23456789", "001090012345"))


@dataclass
class Exploration:
    """What the walk saw: every reply, the steps reached, and what broke on the way."""

    replies: list[Reply] = field(default_factory=list)
    steps: set[Step] = field(default_factory=set)
    questions: int = 0
    failures: list[str] = field(default_factory=list)
    #: Office fields still marked to fill in (content/office.toml `to_fill`).
    unfilled: tuple[str, ...] = ()


def _signature(state: FlowState) -> tuple[object, ...]:
    """What the current question depends on: states that differ only elsewhere behave alike."""
    return (
        state.step,
        state.consent,
        state.pending_village is None,
        state.area if state.step is Step.VILLAGE else None,
        state.guide_step if state.step in (Step.STUCK, Step.STUCK_ANSWER) else None,
        state.card_from if state.step is Step.CARD_ASK else None,
        state.resume if state.step is Step.HANDOFF_OFFER else None,
        state.erase_from if state.step is Step.ERASE_CONFIRM else None,
    )


def _moves(state: FlowState, card_inputs: tuple[str, ...]) -> list[list[Inbound]]:
    def typed(text: str) -> Inbound:
        return Inbound("check", "u", "c", text=text)

    moves = [[Inbound("check", "u", "c", choice=option_id, kind="choice")] for option_id, _ in state.offered]
    moves += [[typed(probe)] for probe in PROBES]
    moves += [[typed(text)] for text in card_inputs[:: 1 if state.step is Step.CARD_ASK else 8]]
    moves += [
        [Inbound("check", "u", "c", kind="photo")],
        [Inbound("check", "u", "c", choice="x:y", kind="choice")],
    ]
    moves += [[typed(text) for text in sequence] for sequence in SEQUENCES]
    return moves


def explore(content: Content, card_inputs: Iterable[str] = CARD_PROBES) -> Exploration:
    """Walks the whole conversation from a first message."""
    cards = tuple(card_inputs)
    seen = Exploration()
    start = handle(None, Inbound("check", "u", "c", text="xin chào"), content, NOW)
    seen.replies.extend(start.replies)
    queue, known = deque([start.state]), {_signature(start.state)}
    while queue:
        state = queue.popleft()
        seen.steps.add(state.step)
        for move in _moves(state, cards):
            after = state
            for message in move:
                try:
                    transition = handle(after, message, content, NOW + timedelta(minutes=1))
                except Exception as error:  # a broken text must be reported, not crash the check
                    seen.failures.append(
                        f"ở bước {after.step}, tin nhắn {message.text or message.choice!r}: {error!r}"
                    )
                    break
                seen.replies.extend(transition.replies)
                after = transition.state
                if _signature(after) not in known:
                    known.add(_signature(after))
                    queue.append(after)
    seen.questions = len(known)
    return seen


def _written_out(reply: Reply) -> str:
    return reply.text + "".join(f"\n{n}. {button.label}" for n, button in enumerate(reply.buttons, 1))


def reply_problems(replies: Iterable[Reply]) -> list[str]:
    """Every way the replies break the rules a resident's phone needs."""
    found: set[str] = set()
    for reply in replies:
        start = reply.text[:50].replace("\n", " ")
        if len(_written_out(reply)) > ZALO_LIMIT:
            found.add(f"tin nhắn dài quá {ZALO_LIMIT} ký tự (kể cả các lựa chọn): {start}…")
        if "{" in reply.text or "}" in reply.text or not reply.text.strip():
            found.add(f"tin nhắn trống hoặc còn chỗ chưa điền trong ngoặc nhọn: {start}…")
        names = [button.id.partition(":")[2] for button in reply.buttons]
        for button in reply.buttons:
            label = button.label
            if len(label) > LABEL_LIMIT:
                found.add(f"nhãn nút dài quá {LABEL_LIMIT} ký tự: {label!r}")
            if not label[:1].isalpha() or any(
                ch in "•·*#" or unicodedata.category(ch) == "So" for ch in label
            ):
                found.add(f"nhãn nút phải bắt đầu bằng chữ, không có số thứ tự hay biểu tượng: {label!r}")
        if "yes" in names and "no" in names:
            yes, no = reply.buttons[names.index("yes")], reply.buttons[names.index("no")]
            if names.index("yes") > names.index("no") or not yes.label.startswith("Có"):
                found.add(f"nút đồng ý phải đứng trước và bắt đầu bằng 'Có': {yes.label!r}")
            if not no.label.startswith(("Chưa", "Không")):
                found.add(f"nút từ chối phải bắt đầu bằng 'Chưa' hoặc 'Không': {no.label!r}")
    return sorted(found)


def check(
    content_dir: Path = CONTENT_DIR, data_dir: Path = DATA_DIR, transcripts_dir: Path = transcript.DEFAULT_DIR
) -> tuple[list[str], Exploration | None]:
    """Every problem found, in plain words (empty when the content is fine), and the walk."""
    try:
        content = load_content(content_dir, data_dir)
    except (ContentError, PlacesError, OSError) as error:
        return [str(error)], None
    walked = explore(content)
    problems = walked.failures + reply_problems(walked.replies)
    for path in transcript.files(transcripts_dir):
        problems += [f"{path.name}: {problem}" for problem in transcript.replay(path, content, NOW)]
    walked.unfilled = content.unfilled()
    return problems, walked
