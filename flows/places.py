"""The commune's places (areas and thôn / tổ dân phố) and how a typed name finds one.

Places are data, not code: the office keeps `data/villages.csv`. Each area has a
"Khác / không rõ" row (code ending in `-khac`), so the "other" choice is offered in every area and
counted per area in reports; `UNKNOWN` is the choice for a person who does not know the area.

Typed names are matched forgivingly: no case, no diacritics, the office's aliases, generic words
such as "thôn" / "tổ dân phố" / "xóm" ignored, and small typos tolerated (difflib).
"""

import csv
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flows.text import fold, slug

#: Code of the commune-wide "I don't know my area" choice.
UNKNOWN = "khac"
OTHER_SUFFIX = "-khac"
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
REQUIRED_COLUMNS = ("code", "name", "area", "commune", "province", "aliases")
_GENERIC_WORDS = re.compile(r"^(?:(?:thon|to dan pho|tdp|to|xom|khu pho|khu|ban|ap|lang)\s+)?(?:so\s+)?")
_FUZZY_CUTOFF = 0.8
_COUNT = re.compile(r"^\d{1,3}(?:([.,])\d{3}(?:\1\d{3})*)?$|^\d+$")


class PlacesError(ValueError):
    """The village list has a problem; the message names the line."""


@dataclass(frozen=True, slots=True)
class Village:
    code: str
    name: str
    area: str
    commune: str
    province: str
    aliases: tuple[str, ...] = ()
    population: int | None = None
    target: int | None = None

    @property
    def is_other(self) -> bool:
        return self.code.endswith(OTHER_SUFFIX)


def _core(name: str) -> str:
    """The distinctive part of a folded place name: "to dan pho 3" -> "3"."""
    return _GENERIC_WORDS.sub("", name)


class Places:
    """Lookup and matching over the commune's villages."""

    def __init__(self, villages: Iterable[Village]) -> None:
        self.villages = tuple(villages)
        self.by_code = {v.code: v for v in self.villages}
        self.areas = tuple(dict.fromkeys(v.area for v in self.villages))
        self._area_keys = {fold(a): a for a in self.areas} | {_core(fold(a)): a for a in self.areas}
        self._names: dict[str, set[str]] = {}
        for v in self.villages:
            if v.is_other:
                continue
            for name in (v.name, *v.aliases):
                for key in {fold(name), _core(fold(name))}:
                    if key:
                        self._names.setdefault(key, set()).add(v.code)

    def in_area(self, area: str) -> tuple[Village, ...]:
        """The area's villages in file order, its "Khác / không rõ" row last."""
        rows = [v for v in self.villages if v.area == area]
        return tuple(sorted(rows, key=lambda v: v.is_other))

    def other_in(self, area: str) -> str:
        return f"{slug(area)}{OTHER_SUFFIX}"

    def area_of_slug(self, area_slug: str) -> str | None:
        return next((a for a in self.areas if slug(a) == area_slug), None)

    def name(self, code: str | None) -> str:
        village = self.by_code.get(code or "")
        if village is None:
            return ""
        return f"{village.name} ({village.area})" if village.is_other else village.name

    def match_area(self, text: str) -> str | None:
        key = fold(text)
        return self._area_keys.get(key) or self._area_keys.get(_core(key))

    def named(self, text: str) -> tuple[Village, ...]:
        """What an officer typed after a command: a village's code exactly, else `match`."""
        text = text.strip()
        if text in self.by_code:
            return (self.by_code[text],)
        return self.match(text) if text else ()

    def match(self, text: str) -> tuple[Village, ...]:
        """Villages whose name or alias fits `text`: exact (folded) first, then near misses."""
        key = fold(text)
        for candidate in (key, _core(key)):
            if candidate in self._names:
                return self._villages(self._names[candidate])
        close = difflib.get_close_matches(_core(key), self._names, n=3, cutoff=_FUZZY_CUTOFF)
        if not close:
            return ()
        best = difflib.SequenceMatcher(None, _core(key), close[0]).ratio()
        tied = [c for c in close if difflib.SequenceMatcher(None, _core(key), c).ratio() == best]
        return self._villages(set().union(*(self._names[c] for c in tied)))

    def _villages(self, codes: set[str]) -> tuple[Village, ...]:
        return tuple(v for v in self.villages if v.code in codes)


def _count(row: dict[str, str], column: str, line: int, problems: list[str]) -> int | None:
    """An optional whole number column ("1.200" as Vietnamese write it is 1200); a problem is
    recorded, not raised."""
    value = (row.get(column) or "").strip()
    if not value:
        return None
    if not _COUNT.match(value):
        problems.append(f"dòng {line}: cột {column} phải là số nguyên không âm, đang là {value!r}")
        return None
    return int(value.replace(".", "").replace(",", ""))


def parse_villages(
    rows: Iterable[dict[str, str]], first_line: int = 2, known: Iterable[Village] = ()
) -> list[Village]:
    """Validate CSV rows (as dicts) into villages; every problem is reported with its line.

    `known` are villages kept already (an import adds to them): an area's "Khác / không rõ" row
    may be among them instead of in the rows."""
    villages: list[Village] = []
    problems: list[str] = []
    seen: set[str] = set()
    for line, row in enumerate(rows, start=first_line):
        code = (row.get("code") or "").strip()
        name = (row.get("name") or "").strip()
        area = (row.get("area") or "").strip()
        if not CODE_PATTERN.match(code):
            problems.append(
                f"dòng {line}: mã {code!r} chỉ gồm chữ thường không dấu, số và '-', tối đa 40 ký tự"
            )
        elif code in seen:
            problems.append(f"dòng {line}: mã {code!r} bị trùng")
        seen.add(code)
        if not name or not area:
            problems.append(f"dòng {line}: thiếu tên hoặc khu vực")
        population = _count(row, "population", line, problems)
        target = _count(row, "target", line, problems)
        aliases = tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip())
        commune = (row.get("commune") or "").strip()
        province = (row.get("province") or "").strip()
        villages.append(Village(code, name, area, commune, province, aliases, population, target))
    every = [*known, *villages]
    for area in dict.fromkeys(v.area for v in villages if v.area):
        other = f"{slug(area)}{OTHER_SUFFIX}"
        if not any(v.code == other and v.area == area for v in every):
            problems.append(f"khu vực {area!r} thiếu dòng 'Khác / không rõ' với mã {other}")
    if problems:
        raise PlacesError("\n".join(problems))
    return villages


def load_villages_csv(path: Path) -> Places:
    """Read the office's village list; raises `PlacesError` naming each bad line."""
    with path.open(encoding="utf-8-sig", newline="") as handle:  # Excel adds a byte-order mark
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise PlacesError(f"{path.name}: thiếu cột {', '.join(missing)}")
        try:
            return Places(parse_villages(reader))
        except PlacesError as error:
            raise PlacesError(f"{path.name}:\n{error}") from None
