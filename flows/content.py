"""Loading the words the helper says, and the places it knows, from files the office can edit.

Every user-facing string lives in `content/*.toml` (Vietnamese, read with `tomllib`); the village
list and card code tables live in `data/`. Nested tables become dotted keys
("guide.step_3.text"); an array of tables whose items have an `id` keeps its order (FAQ entries,
troubleshooting entries) and its items become keys too ("faq.password.answer").

A key that does not exist is a programming error and raises `KeyError`; tests walk the whole
conversation so that this can never reach a resident.
"""

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, TypeVar

from flows.card_number import DATA_DIR
from flows.places import Places, load_villages_csv
from flows.text import fold
from flows.words import Vocabulary

#: Vietnam's time (UTC+7, no daylight saving), until the deployment names its zone.
VIETNAM = timezone(timedelta(hours=7))

T = TypeVar("T")

CONTENT_DIR = DATA_DIR.parent / "content"
#: Shown when the office has not set a guide-video link: the official VNeID site.
DEFAULT_VIDEO_URL = "https://vneid.gov.vn"
#: Days anything tied to a person is kept (the RETENTION_DAYS setting overrides it).
DEFAULT_RETENTION_DAYS = 30
#: A placeholder filled with nothing (an office field left empty) leaves no empty line behind.
_BLANK_LINES = re.compile(r"\n\s*\n")
#: Ids of FAQ and troubleshooting entries become part of button ids: short and ASCII.
_ID = re.compile(r"^[a-z0-9_]{1,30}$")


class ContentError(ValueError):
    """A content file cannot be used; the message names the file and, where known, the line."""


@dataclass(frozen=True)
class Content:
    """The texts (by dotted key), ordered groups of ids, and the places."""

    texts: Mapping[str, Any]
    groups: Mapping[str, tuple[str, ...]]
    places: Places
    fields: Mapping[str, str] = field(default_factory=dict)
    used: set[str] | None = None
    #: The commune's time zone (`BOT_TIMEZONE`): no message goes out unprompted at night there.
    zone: tzinfo = VIETNAM
    #: What is computed from the texts once (folded word lists, the vocabulary, the search
    #: index); a copy made with `replace` starts with an empty one, so it never sees stale texts.
    _derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def _get(self, key: str) -> Any:
        if self.used is not None:
            self.used.add(key)
        return self.texts[key]

    def text(self, key: str, **fields: object) -> str:
        """The text at `key` with `{placeholders}` filled from `fields` and the common fields."""
        template = self._get(key)
        if not isinstance(template, str):
            raise ContentError(f"{key} is not a text")
        return self._fill(template, fields)

    def paragraphs(self, key: str, **fields: object) -> list[str]:
        """The texts at `key` (a list, or one text), each filled like `text` (one message each)."""
        value = self._get(key)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise ContentError(f"{key} is not a list of texts")
        return [self._fill(str(template), fields) for template in value]

    def _fill(self, template: str, fields: Mapping[str, object]) -> str:
        if "{" not in template:
            return template
        filled = template.format_map({**self.fields, **fields})
        return _BLANK_LINES.sub("\n", filled).strip()

    def strings(self, key: str) -> tuple[str, ...]:
        """A list of words at `key`, as the office wrote them."""
        value = self._get(key)
        if not isinstance(value, list):
            raise ContentError(f"{key} is not a list")
        return tuple(str(v) for v in value)

    def words(self, key: str) -> tuple[str, ...]:
        """A list of words at `key`, folded (no case, no diacritics) for matching."""
        return self.derived(f"words:{key}", lambda content: tuple(map(fold, content.strings(key))))

    def derived(self, name: str, build: Callable[["Content"], T]) -> T:
        """`build(self)`, computed once per content."""
        if name not in self._derived:
            self._derived[name] = build(self)
        return self._derived[name]

    def table(self, prefix: str) -> dict[str, Any]:
        """The values under `prefix` ("words.abbreviations" -> {"ko": "không", ...})."""
        start = prefix + "."
        return {key.removeprefix(start): self._get(key) for key in self.texts if key.startswith(start)}

    @property
    def vocabulary(self) -> Vocabulary:
        """The words residents type and what they mean (content/words.toml)."""
        return self.derived(
            "vocabulary",
            lambda content: Vocabulary.build(
                meanings=content.table("words.meaning"),
                negations=content._get("words.negations"),
                particles=content._get("words.particles"),
                filler=content._get("words.filler"),
                question_words=content._get("words.question_words"),
                abbreviations=content.table("words.abbreviations"),
                commands=content.table("words.commands"),
            ),
        )

    def has(self, key: str) -> bool:
        return key in self.texts

    def ids(self, group: str) -> tuple[str, ...]:
        """The ids of an ordered group such as "faq", in file order."""
        return self.groups[group]

    @property
    def video_url(self) -> str:
        return self.fields["video_url"]

    @property
    def video_is_default(self) -> bool:
        return self.fields["video_url"] == DEFAULT_VIDEO_URL

    def unfilled(self) -> tuple[str, ...]:
        """The office fields still marked as not filled in (`office.to_fill`)."""
        return tuple(str(v) for v in self.texts.get("office.to_fill", ()))

    def configure(
        self,
        commune: str | None = None,
        video_url: str | None = None,
        retention_days: int | None = None,
        zone: tzinfo | None = None,
    ) -> "Content":
        """A copy with the deployment's settings applied over the office's content."""
        fields = dict(self.fields)
        if commune:
            fields["commune"] = commune
        if video_url:
            fields["video_url"] = video_url
        if retention_days is not None:
            fields["retention_days"] = str(retention_days)
        return replace(self, fields=fields, zone=zone or self.zone)

    def tracking(self) -> "Content":
        """A copy that records every key it is asked for (used by the content tests)."""
        return replace(self, used=set())


def _flatten(prefix: str, value: Any, texts: dict[str, Any], groups: dict[str, tuple[str, ...]]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else key, inner, texts, groups)
    elif isinstance(value, list) and value and all(isinstance(v, dict) and "id" in v for v in value):
        ids = tuple(str(item["id"]) for item in value)
        if len(set(ids)) != len(ids):
            raise ContentError(f"{prefix}: một id bị dùng hai lần")
        for bad in (i for i in ids if not _ID.match(i)):
            raise ContentError(
                f"{prefix}: id {bad!r} chỉ gồm chữ thường không dấu, số và '_', tối đa 30 ký tự"
            )
        groups[prefix] = ids
        for item in value:
            _flatten(f"{prefix}.{item['id']}", {k: v for k, v in item.items() if k != "id"}, texts, groups)
    else:
        if prefix in texts:
            raise ContentError(f"{prefix}: defined twice")
        texts[prefix] = value


def _common_fields(texts: Mapping[str, Any]) -> dict[str, str]:
    """Placeholders every text may use, from the office's section of the content.

    `phone_line` is empty while the office has not given a phone number, so no text ever shows
    an empty "Điện thoại:" line.
    """
    office = {k.removeprefix("office."): v for k, v in texts.items() if k.startswith("office.")}
    fields = {k: str(v) for k, v in office.items() if isinstance(v, str | int)}
    fields["video_url"] = fields.get("video_url") or DEFAULT_VIDEO_URL
    fields["retention_days"] = str(DEFAULT_RETENTION_DAYS)
    phone = fields.get("phone", "")
    fields["phone_line"] = fields.get("phone_line", "").format(phone=phone) if phone else ""
    return fields


def load_content(content_dir: Path = CONTENT_DIR, data_dir: Path = DATA_DIR) -> Content:
    """Read every `*.toml` in `content_dir` and the village list in `data_dir`."""
    texts: dict[str, Any] = {}
    groups: dict[str, tuple[str, ...]] = {}
    files = sorted(content_dir.glob("*.toml"))
    if not files:
        raise ContentError(f"{content_dir}: no content files")
    for path in files:
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
            _flatten("", document, texts, groups)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, ContentError) as error:
            raise ContentError(f"{path.name}: {error}") from error
    return Content(texts, groups, load_villages_csv(data_dir / "villages.csv"), _common_fields(texts))
