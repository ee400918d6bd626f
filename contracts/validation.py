"""Located contract errors: every violation names the file, the line, the column and the rule.

Files are read as text and coerced by the schema, so a bad number is reported where it stands
(`line 14, column 'numerator': coerce_dtype('float64')`) instead of failing the whole read.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

HEADER_LINES = 1  # data row with index 0 is on line 2 of a CSV with one header line
WITHHELD = "<withheld: identifier>"


@dataclass(frozen=True)
class Violation:
    """One broken rule. `line` is the file's own line number (header = 1); None for the file."""

    file: str
    line: int | None
    column: str | None
    rule: str
    value: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        got = "" if self.value is None else f" (value {self.value!r})"
        return f"{', '.join(where)}: {self.rule}{got}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class ContractViolationError(ValueError):
    """A file broke its contract; the message lists every violation, one per line."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        shown = "\n".join(f"  {v}" for v in violations[:50])
        more = f"\n  ... and {len(violations) - 50} more" if len(violations) > 50 else ""
        super().__init__(f"{len(violations)} contract violation(s):\n{shown}{more}")


def read_csv_text(path: Path, **kwargs: object) -> pd.DataFrame:
    """Read a CSV with every cell as text (blank cells missing) so the schema does the typing."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], **kwargs)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ContractViolationError(
            [Violation(path.name, None, None, f"not a readable CSV file: {exc}")]
        ) from None


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row (say, numerator not above denominator).

    pandera checks each column's type and values; row rules run afterwards on the rows that
    passed, so one bad cell is reported once, not again by every rule that reads it.
    """

    column: str  # the column a violation is reported against
    rule: str
    holds: Callable[[pd.DataFrame], pd.Series]


def validate(
    frame: pd.DataFrame,
    schema: pa.DataFrameSchema,
    source: Path,
    *,
    row_rules: Sequence[RowRule] = (),
    withheld_columns: Collection[str] = (),
) -> pd.DataFrame:
    """Return the coerced frame, or raise ContractViolationError with every located violation.

    Values of `withheld_columns` (identifiers) never appear in the error text.
    """
    try:
        coerced = schema.validate(frame, lazy=True)
        violations: list[Violation] = []
    except pa.errors.SchemaErrors as exc:
        violations = _schema_violations(exc.failure_cases, source.name, withheld_columns)
        violations = _merge_duplicate_key_cases(violations, schema.unique or [])
        failed_lines = {v.line for v in violations}
        if None in failed_lines:  # a file-level failure: row rules cannot be trusted
            raise ContractViolationError(violations) from None
        passed = frame.drop(index=[line - HEADER_LINES - 1 for line in failed_lines])
        coerced = schema.validate(passed)
    for rule in row_rules:
        broken = coerced.index[~rule.holds(coerced).fillna(False).astype(bool)]
        violations += [
            Violation(
                source.name,
                int(index) + HEADER_LINES + 1,
                rule.column,
                rule.rule,
                _shown(coerced.at[index, rule.column], rule.column, withheld_columns),
            )
            for index in broken
        ]
    if violations:
        violations.sort(key=lambda v: (v.line or 0, v.column or "", v.rule))
        raise ContractViolationError(violations)
    return coerced


def _merge_duplicate_key_cases(violations: list[Violation], key: list[str]) -> list[Violation]:
    """pandera reports a duplicate key once per key column; report it once per line."""
    merged: dict[int | None, Violation] = {}
    others = []
    for violation in violations:
        if violation.rule == "multiple_fields_uniqueness":
            merged[violation.line] = Violation(
                violation.file, violation.line, ", ".join(key), "duplicates an earlier row's key"
            )
        else:
            others.append(violation)
    return others + list(merged.values())


def _shown(value: object, column: str | None, withheld: Collection[str]) -> str | None:
    if column in withheld:
        return WITHHELD
    return None if value is None or pd.isna(value) else str(value)


def _schema_violations(
    cases: pd.DataFrame, file: str, withheld: Collection[str]
) -> list[Violation]:
    """pandera's failure cases as violations, without the echoes of a failed type coercion."""
    violations = []
    uncoercible = set(cases.loc[cases["check"].str.startswith("coerce_dtype"), "column"])
    for case in cases.to_dict("records"):
        column = None if pd.isna(case["column"]) else str(case["column"])
        if case["schema_context"] == "DataFrameSchema":
            column = None  # pandera puts the schema's name here; the case names the column
        index = case["index"]
        rule = str(case["check"])
        if column in uncoercible and not rule.startswith("coerce_dtype"):
            continue  # the column's other checks ran on text and say nothing new
        if index is None or pd.isna(index):
            # a file-level failure (say, a missing column) names the column as its case
            value = case["failure_case"]
            named = column or (None if pd.isna(value) else str(value))
            violations.append(Violation(file, None, named, rule))
        else:
            line = int(index) + HEADER_LINES + 1
            violations.append(
                Violation(file, line, column, rule, _shown(case["failure_case"], column, withheld))
            )
    return violations
