"""Vendor layouts: the same extract as a system exports it, mapped onto the canonical columns by
configuration (`contracts/layouts/<system>.yml`, described in `docs/operational_extracts.md`).

A layout turns into SQL: one expression per canonical column over the export's raw text columns
(renamed, dates and times re-written, codes translated, characters removed), which the contract's
checks then judge exactly as they judge a canonical file. A value a layout cannot convert is
passed through unchanged, so the check on the canonical column refuses it; `explain` then words
the violation in the export's terms: its own column name, the format or the codes it expects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from contracts.validation import Violation

LAYOUTS_DIR = Path(__file__).resolve().parent / "layouts"
# the canonical text each kind of column is written in, as strftime formats
CANONICAL_FORMATS = {"date": "%Y-%m-%d", "time": "%H:%M", "datetime": "%Y-%m-%d %H:%M"}
OPTIONS = {"column", "format", "after", "values", "remove", "value"}


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def normalised(name: str) -> str:
    """How header names are compared: trimmed, lower case."""
    return name.strip().lower()


@dataclass(frozen=True)
class ColumnMap:
    """Where one canonical column comes from in an export."""

    target: str
    column: str | None = None  # the export's column; None for a constant
    format: str | None = None  # strptime format of a date, time, date-time or H:MM duration
    # a canonical time column this one follows: a clock time earlier than it is the next day's
    # (a date-time's own date says its day)
    after: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)  # export code -> canonical code
    remove: str = ""  # characters dropped from the value
    value: str | None = None  # a constant, for a column the system does not export

    def described_format(self) -> str:
        """The format as a person reads it: `%d/%m/%Y %H:%M` -> DD/MM/YYYY HH:MM."""
        words = {"%d": "DD", "%m": "MM", "%Y": "YYYY", "%y": "YY", "%H": "HH", "%M": "MM",
                 "%S": "SS", "%b": "Mon", "%B": "Month", "%I": "hh", "%p": "AM/PM"}  # fmt: skip
        text = self.format or ""
        for code, word in words.items():
            text = text.replace(code, word)
        return text


@dataclass(frozen=True)
class Layout:
    """One system's export of one extract."""

    system: str  # file stem in contracts/layouts/: systmone
    label: str  # as people name it: SystmOne
    extract: str  # canonical extract: epr_contacts
    columns: tuple[ColumnMap, ...]

    @property
    def required(self) -> list[str]:
        """The export's columns (normalised) a file must have to be read in this layout."""
        return sorted({normalised(c.column) for c in self.columns if c.column})

    def matches(self, header: list[str]) -> bool:
        present = {normalised(name) for name in header}
        return all(column in present for column in self.required)

    def missing(self, header: list[str]) -> list[str]:
        """The export's columns the header lacks, each once (RiO's start feeds two columns)."""
        present = {normalised(name) for name in header}
        lacking = [
            c.column for c in self.columns if c.column and normalised(c.column) not in present
        ]
        return list(dict.fromkeys(lacking))

    def of(self, target: str) -> ColumnMap | None:
        return next((c for c in self.columns if c.target == target), None)

    def select(self, kinds: Mapping[str, str], raw: str = "r") -> dict[str, str]:
        """Canonical column -> SQL over the raw columns of `raw` (read as text, named by the
        normalised header). `kinds` says which canonical columns are dates, times, date-times
        or minutes (the rest are text)."""
        return {c.target: self._expression(c, kinds, raw) for c in self.columns}

    def _expression(self, column: ColumnMap, kinds: Mapping[str, str], raw: str) -> str:
        if column.column is None:
            return _literal(column.value or "")
        text = self._text(column, raw)
        kind = kinds.get(column.target)
        if column.format and kind in CANONICAL_FORMATS:
            parsed = f"try_strptime({text}, {_literal(column.format)})"
            written = f"strftime({parsed}, {_literal(CANONICAL_FORMATS[kind])})"
            if kind == "time" and column.after:
                written = self._after(column, parsed, kinds, raw)
            text = f"coalesce({written}, {text})"
        elif column.format and kind == "minutes":
            parsed = f"try_strptime({text}, {_literal(column.format)})"
            minutes = f"cast(hour({parsed}) * 60 + minute({parsed}) as varchar)"
            text = f"coalesce({minutes}, {text})"
        return text

    def _text(self, column: ColumnMap, raw: str) -> str:
        """The export's cell as text: trimmed, characters removed, its codes translated."""
        text = f"nullif(trim({raw}.{_quoted(normalised(column.column or ''))}), '')"
        for character in column.remove:
            text = f"replace({text}, {_literal(character)}, '')"
        if column.values:
            cases = " ".join(
                f"when {_literal(code.lower())} then {_literal(canonical)}"
                for code, canonical in column.values.items()
            )
            text = f"coalesce(case lower({text}) {cases} end, {text})"
        return text

    def _after(self, end: ColumnMap, parsed: str, kinds: Mapping[str, str], raw: str) -> str:
        """An end time as canonical text, counted from the start's day. A clock time earlier
        than the start is the next day's; a date-time (its start one too) carries its own day,
        so an end earlier the same day stays earlier, and one days later is that many days on."""
        assert end.after is not None
        start = self.of(end.after)
        if start is None:
            raise ValueError(f"{self.system} {self.extract}: 'after: {end.after}' names no column")
        if _dated(end.format) and start.column and _dated(start.format):
            began = f"try_strptime({self._text(start, raw)}, {_literal(start.format or '')})"
            return _since_day_of(parsed, began)
        return _next_day(parsed, self._expression(start, kinds, raw))

    def explain(self, violation: Violation) -> Violation:
        """A violation of the canonical contract in the export's terms."""
        if violation.column and ", " in violation.column:  # a key of several columns
            names = [self.of(name) for name in violation.column.split(", ")]
            shown = [
                found.column if found and found.column else name
                for found, name in zip(names, violation.column.split(", "), strict=True)
            ]
            return replace(violation, column=", ".join(shown))
        column = self.of(violation.column) if violation.column else None
        if column is None or column.column is None:
            return violation
        rule = violation.rule
        if column.format:
            rule = f"{rule} (this export writes it {column.described_format()})"
        if column.values and rule.startswith("isin("):
            rule = f"not one of {self.label}'s codes: " + ", ".join(column.values)
        return replace(violation, column=column.column, rule=rule)


DATE_CODES = ("%d", "%m", "%b", "%B", "%y", "%Y", "%j")


def _dated(pattern: str | None) -> bool:
    """Whether a strptime format reads a day (a date-time), not only a clock time."""
    return pattern is not None and any(code in pattern for code in DATE_CODES)


def _since_day_of(parsed: str, start: str) -> str:
    """A date-time (`parsed`) as canonical HH:MM counted from midnight of `start`'s day (past
    24:00 on later days); 00:00, no later than any start, when it is on an earlier day."""
    minutes = (
        f"(date_diff('day', cast({start} as date), cast({parsed} as date)) * 1440 "
        f"+ hour({parsed}) * 60 + minute({parsed}))"
    )
    return (
        f"case when {minutes} >= 0 then printf('%02d:%02d', {minutes} // 60, {minutes} % 60) "
        f"when {minutes} < 0 then '00:00' end"
    )


def _next_day(parsed: str, start: str) -> str:
    """A clock time (`parsed`) as canonical HH:MM, past 24:00 when no later than `start`: an
    end at the start's own clock time is a day later (a 24-hour shift), never no time at all."""
    minutes = f"(hour({parsed}) * 60 + minute({parsed}))"
    start_minutes = (
        f"(try_cast(split_part({start}, ':', 1) as integer) * 60 "
        f"+ try_cast(split_part({start}, ':', 2) as integer))"
    )
    shifted = f"{minutes} + case when {minutes} <= {start_minutes} then 1440 else 0 end"
    return (
        f"lpad(cast(({shifted}) // 60 as varchar), 2, '0') || ':' "
        f"|| lpad(cast(({shifted}) % 60 as varchar), 2, '0')"
    )


def _column_map(target: str, spec: object, where: str) -> ColumnMap:
    if isinstance(spec, str):
        return ColumnMap(target, column=spec)
    if not isinstance(spec, dict) or not set(spec) <= OPTIONS:
        raise ValueError(f"{where}: {target} must be a column name or a mapping of {OPTIONS}")
    if ("column" in spec) == ("value" in spec):
        raise ValueError(f"{where}: {target} needs either a column or a value")
    values = {str(k): str(v) for k, v in (spec.get("values") or {}).items()}
    return ColumnMap(
        target,
        column=spec.get("column"),
        format=spec.get("format"),
        after=spec.get("after"),
        values=values,
        remove=str(spec.get("remove", "")),
        value=None if spec.get("value") is None else str(spec["value"]),
    )


def read_layouts(path: Path) -> list[Layout]:
    """Every extract's layout in one system's file."""
    spec = yaml.safe_load(path.read_text())
    layouts = []
    for extract, columns in spec["extracts"].items():
        where = f"{path.name}: {extract}"
        maps = tuple(_column_map(target, c, where) for target, c in columns.items())
        layouts.append(Layout(path.stem, spec["label"], extract, maps))
    return layouts


@cache
def layouts_of(extract: str) -> tuple[Layout, ...]:
    """The layouts configured for a canonical extract, in file name order."""
    found = [
        layout
        for path in sorted(LAYOUTS_DIR.glob("*.yml"))
        for layout in read_layouts(path)
        if layout.extract == extract
    ]
    return tuple(found)
