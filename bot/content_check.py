"""Checking the content after the office edits it (`python -m bot content check`).

Loading catches a TOML or CSV mistake (with its line). Then the whole conversation is walked:
every question reachable by pressing every offered button, plus typed probes (everyday answers,
global words, questions, card numbers of every kind), from every question. Each turn is held to
the rules a resident's phone needs: the text before its first option fits one screen (400
characters), it asks at most one question, a message with its options written out fits Zalo's
2,000 characters, a button label fits 40 and is bare text, yes comes before no, nothing like
`{commune}` is left unfilled, and the person is addressed one way only. The tests run the same
walk on the shipped content; the office's edits are checked by these rules, never by wording.
"""

import re
import unicodedata
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.rendering import BOT_COMMANDS, numbered
from flows import Content, ContentError, FlowState, Inbound, Reply, Step, handle, load_content
from flows.content import CONTENT_DIR, DATA_DIR
from flows.matching import SLASH_COMMANDS
from flows.model import SIDE_STEPS
from flows.places import PlacesError
from flows.text import normalize
from flows.volunteer import TALLY_STEPS as STAFF_STEPS

ZALO_LIMIT = 2000
LABEL_LIMIT = 40
#: Bytes a button's id may take: Telegram's limit for callback data (Zalo's is larger).
BUTTON_ID_LIMIT = 64
#: What a deep link's start payload may hold (Telegram: at most 64 of these characters).
START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: Characters of one turn before its first option: about 14 lines of the web page's 20 px text
#: on a 360 px wide phone, so the first option is on the same screen as the start of the turn.
SCREEN_LIMIT = 400
#: The room an image takes on that screen, in characters (the QR code is 200 px square).
IMAGE_SIZE = 200
#: Ways of addressing a resident; a turn may use only the one the office chose (`office.you`).
ADDRESS_FORMS = ("bạn", "mình", "ông/bà", "ông bà", "bác", "anh/chị", "cô/chú", "quý khách")
NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
PROBES = (
    "xin chào", "ok", "có ạ", "vâng", "dạ", "ừ", "xong rồi", "không", "chưa xong", "ko biết", "khác",
    "5", "9", "xoá dữ liệu", "trợ giúp", "dừng", "đổi thôn", "huỷ", "/start v_nhuco-na-roong", "/start",
    "bla bla", "quên mật khẩu", "quên pass", "mất bao lâu thì được duyệt", "có mất tiền không",
    "tại sao không được", "thon 3", "quang chu", "na roong", "/video", "/chukyso", "nhờ cán bộ",
)  # fmt: skip
CARD_PROBES = (
    "0123456789", "DN4010123456789", "số thẻ HT 3 06 0123456789 nhé", "DNO010123456789", "001090012345",
    "01-001", "4 0123456789", "1234567890123", "0123456789K1", "QN5970123456789", "CA5980123456789",
    "0123/456789", "TE101KT12345678", "N04010123456789", "DN6010123456789", "DN4000123456789", "abc",
)  # fmt: skip
#: Moves made of several messages in a row: three misses, three wrong card numbers.
SEQUENCES = (("bla", "bla bla", "bla bla bla"), ("12345", "0l23456789", "001090012345"))
#: What the office's staff type (as a volunteer of two villages, and as an officer), so their
#: questions and answers are walked too: the tally with every branch, the kit, the invite.
STAFF_SEQUENCES = (
    ("/ghinhan",), ("/ghinhan", "5", "3", "1 1 0 0 0", "1"), ("/ghinhan", "4", "4", "0"), ("/tailieu",),
    ("/moi_tnv",),
)  # fmt: skip


@dataclass(frozen=True)
class SeenTurn:
    """One turn of the walk: where the person was, what they did, and what they were shown."""

    at: Step
    message: str
    replies: tuple[Reply, ...]
    #: A turn of the office's staff (a volunteer's tally, the kit, an officer's command): they are
    #: addressed as "anh/chị" and get forwardable pieces, so the residents' screen and address
    #: rules do not apply to it.
    staff: bool = False

    @property
    def where(self) -> str:
        return f"ở bước {self.at}, tin nhắn {self.message!r}"


@dataclass
class Exploration:
    """What the walk saw: every turn, the steps reached, and what broke on the way."""

    turns: list[SeenTurn] = field(default_factory=list)
    steps: set[Step] = field(default_factory=set)
    questions: int = 0
    failures: list[str] = field(default_factory=list)
    #: Office fields still marked to fill in (content/office.toml `to_fill`).
    unfilled: tuple[str, ...] = ()

    @property
    def replies(self) -> list[Reply]:
        return [reply for turn in self.turns for reply in turn.replies]


def _signature(state: FlowState) -> tuple[object, ...]:
    """What the current question depends on: states that differ only elsewhere behave alike."""
    return (
        state.step,
        state.consent,
        state.pending_village is None,
        state.area if state.step is Step.VILLAGE else None,
        state.guide_at if state.step in (Step.STUCK, Step.STUCK_ANSWER) else None,
        (state.card_from, state.card_explain) if state.step is Step.CARD_ASK else None,
        state.resume if state.step in SIDE_STEPS else None,
        tuple(state.pick) if state.step is Step.FAQ_PICK else None,
        state.erase_from if state.step is Step.ERASE_CONFIRM else None,
        state.prerequisites_done if state.step in (Step.MENU, Step.CARD_DONE) else None,
    )


def _moves(state: FlowState, card_inputs: tuple[str, ...], villages: tuple[str, ...]) -> list[list[Inbound]]:
    def typed(text: str) -> Inbound:
        return Inbound("check", "u", "c", text=text)

    def staff(text: str) -> Inbound:
        return Inbound("check", "u", "c", text=text, role="volunteer", villages=villages)

    moves = [[Inbound("check", "u", "c", choice=option_id, kind="choice")] for option_id, _ in state.offered]
    moves += [[typed(probe)] for probe in PROBES]
    moves += [[typed(text)] for text in card_inputs[:: 1 if state.step is Step.CARD_ASK else 8]]
    moves += [
        [Inbound("check", "u", "c", kind="photo")],
        [Inbound("check", "u", "c", kind="resume")],
        [Inbound("check", "u", "c", text="dừng", push=False)],
        [Inbound("check", "u", "c", choice="x:y", kind="choice")],
    ]
    moves += [[typed(text) for text in sequence] for sequence in SEQUENCES]
    moves += [[staff(text) for text in sequence] for sequence in STAFF_SEQUENCES]
    moves += [[replace(staff(text), role="officer") for text in ("/baocao", "/moi_tnv x", "/ghinhan")]]
    return moves


def explore(content: Content, card_inputs: Iterable[str] = CARD_PROBES) -> Exploration:
    """Walks the whole conversation from a first message."""
    cards = tuple(card_inputs)
    villages = tuple(v.code for v in content.places.villages if not v.is_other)[:2]
    seen = Exploration()
    start = handle(None, Inbound("check", "u", "c", text="xin chào"), content, NOW)
    seen.turns.append(SeenTurn(Step.NEW, "xin chào", start.replies))
    queue, known = deque([start.state]), {_signature(start.state)}
    while queue:
        state = queue.popleft()
        seen.steps.add(state.step)
        for move in _moves(state, cards, villages):
            after = state
            for message in move:
                said = message.text or message.choice or f"[{message.kind}]"
                try:
                    transition = handle(after, message, content, NOW + timedelta(minutes=1))
                except Exception as error:  # a broken text must be reported, not crash the check
                    seen.failures.append(f"ở bước {after.step}, tin nhắn {said!r}: {error!r}")
                    break
                staff = message.role != "resident" or {after.step, transition.state.step} & STAFF_STEPS
                seen.turns.append(SeenTurn(after.step, said, transition.replies, bool(staff)))
                after = transition.state
                if not transition.erased and _signature(after) not in known:
                    known.add(_signature(after))
                    queue.append(after)
    seen.questions = len(known)
    return seen


def reply_problems(replies: Iterable[Reply]) -> list[str]:
    """Every way single replies break the rules a resident's phone needs."""
    found: set[str] = set()
    for reply in replies:
        if reply.request is not None:
            continue  # the service fills it in (bot/requests.py)
        start = reply.text[:50].replace("\n", " ")
        if len(numbered(reply, indent="")) > ZALO_LIMIT:
            found.add(f"tin nhắn dài quá {ZALO_LIMIT} ký tự (kể cả các lựa chọn): {start}…")
        if "{" in reply.text or "}" in reply.text or not reply.text.strip():
            found.add(f"tin nhắn trống hoặc còn chỗ chưa điền trong ngoặc nhọn: {start}…")
        names = [button.id.partition(":")[2] for button in reply.buttons]
        for button in reply.buttons:
            if len(button.id.encode()) > BUTTON_ID_LIMIT:
                found.add(f"mã nút dài quá {BUTTON_ID_LIMIT} byte (giới hạn của Telegram): {button.id!r}")
            link = button.link or ""
            if link.startswith("start:") and not START_PAYLOAD.fullmatch(link.removeprefix("start:")):
                found.add(f"liên kết mở trò chuyện chỉ được có chữ không dấu, số, _, -, tối đa 64: {link!r}")
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


def _spaced(text: str) -> str:
    """Normalized with diacritics kept ("bạn" is not "Bản Quất") and "/" as its own word."""
    return f" {normalize(text).replace('/', ' / ')} "


def _address_forms(text: str) -> set[str]:
    padded = _spaced(text)
    return {form for form in ADDRESS_FORMS if _spaced(form) in padded}


def before_first_option(replies: Iterable[Reply]) -> str:
    """The text a turn shows before its first option (all of it when it offers none), with an
    image counted as `IMAGE_SIZE` characters of room."""
    texts = []
    for reply in replies:
        texts.append(reply.text + ("\n" + "▣" * IMAGE_SIZE if reply.image else ""))
        if reply.buttons:
            break
    return "\n".join(texts)


def turn_problems(turns: Iterable[SeenTurn], content: Content) -> list[str]:
    """Every turn that does not fit one screen, asks two questions, or mixes forms of address;
    each problem names the turn (the first one found of its kind and size)."""
    chosen = _spaced(content.fields.get("you", ""))
    found: dict[str, str] = {}
    for turn in turns:
        shown = before_first_option(turn.replies)
        if len(shown) > SCREEN_LIMIT and not turn.staff:
            first_line = shown.splitlines()[0][:50]
            found.setdefault(
                f"screen:{first_line}",
                f"{turn.where}: lượt trả lời dài {len(shown)} ký tự trước lựa chọn đầu tiên "
                f"(tối đa {SCREEN_LIMIT}), bắt đầu bằng {first_line!r}",
            )
        if sum(bool(reply.buttons) for reply in turn.replies) > 1:
            found.setdefault(f"questions:{turn.at}", f"{turn.where}: lượt trả lời hỏi hơn một câu")
        other = {form for r in turn.replies for form in _address_forms(r.text)} - {
            form for form in ADDRESS_FORMS if _spaced(form) == chosen
        }
        if other and not turn.staff:
            found.setdefault(
                f"address:{sorted(other)}",
                f"{turn.where}: gọi người dân là {', '.join(sorted(other))}, khác với office.you",
            )
    return list(found.values())


#: Telegram's limit for a command's description in the command menu.
COMMAND_DESCRIPTION_LIMIT = 256


def command_problems(content: Content) -> list[str]:
    """`[bot_commands]` may only describe commands the helper knows, briefly."""
    found = []
    for key, text in content.texts.items():
        if not key.startswith(BOT_COMMANDS):
            continue
        name = key.removeprefix(BOT_COMMANDS)
        if f"/{name}" not in SLASH_COMMANDS:
            found.append(f"[bot_commands] {name}: không phải lệnh trợ lý biết (ví dụ: huongdan, kiemtra)")
        if not 3 <= len(text) <= COMMAND_DESCRIPTION_LIMIT:
            found.append(
                f"[bot_commands] {name}: lời giải thích phải dài 3-{COMMAND_DESCRIPTION_LIMIT} ký tự"
            )
    return found


def check(content_dir: Path = CONTENT_DIR, data_dir: Path = DATA_DIR) -> tuple[list[str], Exploration | None]:
    """Every problem found, in plain words (empty when the content is fine), and the walk."""
    try:
        content = load_content(content_dir, data_dir)
    except (ContentError, PlacesError, OSError) as error:
        return [str(error)], None
    walked = explore(content)
    problems = walked.failures + reply_problems(walked.replies) + turn_problems(walked.turns, content)
    problems += command_problems(content)
    walked.unfilled = content.unfilled()
    return problems, walked
