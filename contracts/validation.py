"""Contracts, judged set-wise: every landing file of a partition read and validated in one pass.

A contract is declared once, in pandera (column types, nullability, built-in checks, the key),
plus row rules written as SQL over the typed columns. pandera stays the declaration; the checks
run as SQL generated from it in DuckDB, over all of a partition's files at once (a file name
column tells them apart), so a month of two hundred returns costs one query, not two hundred
validations. `tests/test_contract_sql.py` holds the generated SQL to pandera's own verdicts.

Every violation names the file, the line, the column and the rule. A file with any violation is
quarantined whole; the other files are kept. Values of identifier columns are withheld from every
message, and any value shaped like an NHS number is masked, whichever column it sits in.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa

from contracts.layouts import Layout

HEADER_LINE = 1
WITHHELD = "<withheld: identifier>"
MASKED = "<masked: NHS number shape>"
FILE_COLUMN, LINE_COLUMN, SUBMITTER_COLUMN = "_file", "_line", "_submitter"
MAX_VIOLATIONS_PER_FILE = 200  # a file of a million bad rows is reported, not echoed whole
# Ten digits, alone or grouped 3-3-4 as people write them: masked wherever they appear.
NHS_NUMBER_SHAPE = re.compile(r"(?<![0-9])\d{3}[ -]?\d{3}[ -]?\d{4}(?![0-9])")


def mask_identifiers(text: str) -> str:
    """`text` with every NHS-number-shaped run of digits masked (for messages, logs, reports)."""
    return NHS_NUMBER_SHAPE.sub(MASKED, text)


def location(file: str, sheet: str | None, line: int | None) -> list[str]:
    """Where something is in a landing file: the file, then a workbook's sheet and row, or a
    CSV's line."""
    where = [file]
    if sheet is not None:
        where.append(f"sheet {sheet!r}")
    if line is not None:
        where.append(f"{'line' if sheet is None else 'row'} {line}")
    return where


@dataclass(frozen=True)
class Violation:
    """One broken rule. `line` is the file's own line number (its header, if it has one, is 1);
    None for the file. In a workbook, `sheet` names the sheet and `line` is the sheet's row, as
    Excel numbers it."""

    file: str
    line: int | None
    column: str | None
    rule: str
    value: str | None = None
    sheet: str | None = None

    def __str__(self) -> str:
        where = location(self.file, self.sheet, self.line)
        if self.column is not None:
            where.append(f"column {self.column!r}")
        got = "" if self.value is None else f" (value {self.value!r})"
        return mask_identifiers(f"{', '.join(where)}: {self.rule}{got}")

    def as_dict(self) -> dict[str, object]:
        return {
            key: mask_identifiers(value) if isinstance(value, str) else value
            for key, value in asdict(self).items()
        }


class ContractViolationError(ValueError):
    """A file broke its contract; the message lists every violation, one per line."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        shown = "\n".join(f"  {v}" for v in violations[:50])
        more = f"\n  ... and {len(violations) - 50} more" if len(violations) > 50 else ""
        super().__init__(f"{len(violations)} contract violation(s):\n{shown}{more}")


@dataclass(frozen=True)
class RowRule:
    """A rule across the columns of one row, as SQL over the typed columns (say, numerator not
    above denominator). A row breaks it when the expression is false or null. Row rules run on
    the rows whose columns passed, so one bad cell is reported once, not by every rule."""

    column: str  # the column a violation is reported against
    rule: str
    holds: str  # SQL boolean; may use the contract's lookups and `_submitter`


@dataclass(frozen=True)
class Lookup:
    """A reference table joined for row rules, such as the metric catalogue by metric code."""

    alias: str
    frame: pd.DataFrame
    on: str  # SQL join condition between `alias` and the row (`rows`)


@dataclass(frozen=True)
class Limits:
    """The most a file of this format may hold: bigger files are refused before they are read."""

    max_bytes: int
    max_rows: int


@dataclass(frozen=True)
class Contract:
    """One input format: its pandera schema, row rules, identifiers and reading conventions."""

    schema: pa.DataFrameSchema
    row_rules: tuple[RowRule, ...] = ()
    identifiers: tuple[str, ...] = ()  # their values are never shown
    lookups: tuple[Lookup, ...] = ()
    lower_case_header: bool = True  # `Organisation_Code` reads as `organisation_code`
    # a file without a header row (ODS's): its columns in order, the first line being data
    headerless: tuple[str, ...] = ()
    not_data: str | None = None  # SQL over the text columns: rows that are not data (totals)
    # count columns whose sum over the rows the publisher states in its own total row (the
    # `not_data` row): each file is reconciled against it (ValidatedFiles.reconciliation)
    reconciles: tuple[str, ...] = ()
    # columns that split a file into parts, each with its own total row (a workbook's sheets)
    reconciles_by: tuple[str, ...] = ()
    # (sheet, row) columns of a CSV read from a workbook (`Source.reader`): where each row sits
    # in the landing file, reported in its violations instead of the CSV's own line
    located_by: tuple[str, str] | None = None
    limits: Limits = Limits(max_bytes=50 << 20, max_rows=1_000_000)
    # the same format as systems export it (`contracts/layouts/`): a file whose header is not the
    # canonical one is read in the first layout whose columns it has, and its violations are
    # worded in the export's terms; `kinds` says which columns are dates, times, date-times or
    # minutes, so a layout can rewrite them
    layouts: tuple[Layout, ...] = ()
    kinds: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.schema.name or "contract"

    @property
    def key(self) -> list[str]:
        return list(self.schema.unique or [])

    @property
    def first_data_line(self) -> int:
        return HEADER_LINE if self.headerless else HEADER_LINE + 1


@dataclass
class ValidatedFiles:
    """What a set of files gave: typed rows of the accepted files in a DuckDB table, and per file
    its row count and violations (empty for an accepted file)."""

    table: str  # temporary table: the contract's columns plus `_file` and `_line`
    violations: dict[str, list[Violation]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    layouts: dict[str, str] = field(default_factory=dict)  # file -> the system layout it is in
    # file -> column -> (the rows' sum, the publisher's total row); only for files with one
    reconciliation: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)

    @property
    def accepted(self) -> list[str]:
        return [file for file, found in self.violations.items() if not found]

    @property
    def quarantined(self) -> dict[str, list[Violation]]:
        return {file: found for file, found in self.violations.items() if found}


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: object) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _sql_type(dtype: object) -> str:
    kind = str(dtype)
    if kind.startswith("float"):
        return "double"
    if kind.startswith("int"):
        return "bigint"
    if kind.startswith(("str", "object")):
        return "varchar"
    raise NotImplementedError(f"no SQL type for pandera dtype {kind}")


WHOLE_NUMBER = "[+-]?[0-9]+"
# every character a whole number's text may hold: the first pass tests a row's whole-number
# cells against it together, once, where the located pass matches each cell to WHOLE_NUMBER
WHOLE_NUMBER_CHARACTERS = "[0-9+,-]*"


def typed_expression(column: str, dtype: object, *, per_cell: bool = True) -> str:
    """The column's value in its declared type, null where the text does not convert exactly
    (an integer column refuses `1.5`, a number column refuses `nan` and `inf`). Without
    `per_cell`, an integer is DuckDB's own conversion, which also takes `1.5`, `1e3`, `0x10` and
    `1_000`: the first pass (`typed_only`) refuses those by their characters, row by row."""
    text = _quoted(column)
    kind = _sql_type(dtype)
    if kind == "bigint" and not per_cell:
        return f"try_cast({text} as bigint)"
    if kind == "bigint":
        integral = f"regexp_full_match({text}, {_literal(WHOLE_NUMBER)})"
        return f"case when {integral} then try_cast({text} as bigint) end"
    if kind == "double":
        return f"case when isfinite(try_cast({text} as double)) then try_cast({text} as double) end"
    return text


# what a cell of each type must be, in a submitter's words, after pandera's name of the rule
TYPE_WORDS = {"bigint": "not a whole number", "double": "not a number"}
TYPED_SUFFIX = "::typed"  # the typed copy of a column that is not text, beside its text
UNCONVERTED = "_unconverted"  # the first pass's flag: some cell of the row did not convert


def typed_name(column: str, dtype: object) -> str:
    """The SQL name of a column's typed value: the text column itself for text."""
    if _sql_type(dtype) == "varchar":
        return _quoted(column)
    return _quoted(column + TYPED_SUFFIX)


def with_typed_columns(schema: pa.DataFrameSchema, *, per_cell: bool = True) -> str:
    """A select list that keeps every column's text and adds each non-text column's typed value
    once, so the rules compare values instead of converting a cell again for every rule."""
    typed = [
        f"{typed_expression(name, column.dtype, per_cell=per_cell)} as "
        f"{typed_name(name, column.dtype)}"
        for name, column in schema.columns.items()
        if _sql_type(column.dtype) != "varchar"
    ]
    return ", ".join(["*", *typed])


def typed_only(schema: pa.DataFrameSchema) -> str:
    """A select list over `with_typed_columns(per_cell=False)` that drops the text of each
    non-text column and keeps, for the whole row, whether any such text did not convert
    (`_unconverted`): the first pass's shape, about half as wide, which only asks whether a
    file breaks a rule (a broken file is read again, whole, to locate its violations). Its
    whole numbers are checked once a row, by the characters of all of them together: with
    DuckDB's conversion, that refuses exactly what WHOLE_NUMBER does, at a third of the cost
    of a match per cell (test_contract_sql holds the two passes to the same verdicts)."""
    columns = schema.columns.items()
    stored = [typed_name(name, column.dtype) for name, column in columns]
    unconverted = [
        f"({_quoted(name)} is not null and {typed_name(name, column.dtype)} is null)"
        for name, column in columns
        if _sql_type(column.dtype) != "varchar"
    ]
    whole = [_quoted(name) for name, column in columns if _sql_type(column.dtype) == "bigint"]
    if whole:
        cells = f"concat_ws(',', {', '.join(whole)})"
        unconverted.append(f"not regexp_full_match({cells}, {_literal(WHOLE_NUMBER_CHARACTERS)})")
    meta = [FILE_COLUMN, LINE_COLUMN, SUBMITTER_COLUMN]
    return ", ".join([*stored, *meta, f"{' or '.join(unconverted) or 'false'} as {UNCONVERTED}"])


def typed_select(schema: pa.DataFrameSchema) -> str:
    """The typed values under the contract's own column names."""
    return ", ".join(
        f"{typed_name(name, column.dtype)} as {_quoted(name)}"
        for name, column in schema.columns.items()
    )


def check_sql(check: pa.Check, value: str) -> str:
    """A pandera built-in check as a SQL condition on `value`. A custom (Python) check cannot run
    set-wise, so it is refused here, when the contract is first used."""
    stats, name = check.statistics, check.name
    if name == "str_matches":
        pattern = stats["pattern"]
        pattern = pattern if pattern.startswith("^") else "^" + pattern  # re.match anchors
        return f"regexp_matches({value}, {_literal(pattern)})"
    if name == "isin":
        return f"{value} in ({', '.join(_literal(v) for v in stats['allowed_values'])})"
    if name == "notin":
        return f"{value} not in ({', '.join(_literal(v) for v in stats['forbidden_values'])})"
    comparisons = {
        "greater_than_or_equal_to": ">=",
        "greater_than": ">",
        "less_than_or_equal_to": "<=",
        "less_than": "<",
    }
    if name in comparisons:
        bound = stats.get("min_value", stats.get("max_value"))
        return f"{value} {comparisons[name]} {_literal(bound)}"
    if name == "equal_to":
        return f"{value} = {_literal(stats['value'])}"
    if name == "in_range":
        low = ">=" if stats["include_min"] else ">"
        high = "<=" if stats["include_max"] else "<"
        return (
            f"{value} {low} {_literal(stats['min_value'])} and "
            f"{value} {high} {_literal(stats['max_value'])}"
        )
    if name == "str_length":
        conditions = []
        if stats.get("exact_value") is not None:
            conditions.append(f"length({value}) = {stats['exact_value']}")
        if stats.get("min_value") is not None:
            conditions.append(f"length({value}) >= {stats['min_value']}")
        if stats.get("max_value") is not None:
            conditions.append(f"length({value}) <= {stats['max_value']}")
        return " and ".join(conditions) or "true"
    raise NotImplementedError(f"check {name!r} has no SQL form; declare it as a row rule")


@dataclass(frozen=True)
class _ColumnRule:
    column: str
    rule: str
    broken: str  # SQL: true where a row breaks the rule


def column_rules(schema: pa.DataFrameSchema, *, texts: bool = True) -> list[_ColumnRule]:
    """Every per-cell rule of the schema, in the order pandera applies them: presence, type,
    then the checks on the typed value (only where the type held, so a bad cell is told once).
    The rules read each column's text and its typed value (`with_typed_columns`); without
    `texts`, the typed values and the row's `_unconverted` flag (`typed_only`), where a broken
    type is told for the row, not the cell."""
    rules = []
    for name, column in schema.columns.items():
        typed = typed_name(name, column.dtype)
        text = _quoted(name) if texts else typed
        if not column.nullable:
            rules.append(_ColumnRule(name, "not_nullable", f"{text} is null"))
        if typed != _quoted(name):
            rules.append(
                _ColumnRule(
                    name,
                    f"coerce_dtype('{column.dtype}'): {TYPE_WORDS[_sql_type(column.dtype)]}",
                    f"{text} is not null and {typed} is null" if texts else UNCONVERTED,
                )
            )
        for check in column.checks:
            condition = check_sql(check, typed)
            rules.append(
                _ColumnRule(name, check.error, f"{typed} is not null and not ({condition})")
            )
    return rules


def _header(first_line: str, lower: bool) -> list[str]:
    names = next(csv.reader(io.StringIO(first_line, newline="")), [])  # a lone CR ends it too
    return [name.strip().lower() if lower else name.strip() for name in names]


def _read_header(path: Path, name: str, contract: Contract) -> tuple[list[str], list[Violation]]:
    """The file's normalised column names, or the file-level violations that stop it being read:
    too big, empty, not UTF-8 in its header, missing, unknown or repeated columns. A headerless
    file's columns are the contract's; its first line, as wide as any, must have as many fields.
    A header in one of the contract's system layouts is read in that layout (its other columns
    ignored); a header in none is told the columns it lacks of the layout it comes closest to."""
    size = path.stat().st_size
    if size > contract.limits.max_bytes:
        rule = f"file is {size:,} bytes, over the {contract.limits.max_bytes:,}-byte limit"
        return [], [Violation(name, None, None, rule)]
    with path.open("rb") as handle:
        first = handle.readline()
    if not first.strip():
        return [], [Violation(name, None, None, "file is empty: no header and no rows")]
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return [], [_encoding_violation(name, 1, first, error)]
    header = _header(text, contract.lower_case_header)
    if contract.headerless:
        return _headerless(name, header, contract.headerless)
    repeated = sorted({column for column in header if column and header.count(column) > 1})
    twice = [Violation(name, HEADER_LINE, c, "column appears twice") for c in repeated]
    expected = [c for c, column in contract.schema.columns.items() if column.required]
    missing = [column for column in expected if column not in header]
    if layout_for(header, contract) is not None:
        return header, twice
    if contract.layouts and missing:
        closest = min(contract.layouts, key=lambda layout: len(layout.missing(header)))
        if len(closest.missing(header)) < len(missing):
            rule = f"expected column of the {closest.label} layout is missing"
            lacking = [Violation(name, HEADER_LINE, c, rule) for c in closest.missing(header)]
            return header, lacking + twice
    violations = [
        Violation(name, HEADER_LINE, column, "expected column is missing") for column in missing
    ]
    if contract.schema.strict is True:
        violations += [
            Violation(name, HEADER_LINE, column or "(blank)", "column is not in the contract")
            for column in header
            if column not in contract.schema.columns
        ]
    return header, violations + twice


def layout_for(header: Sequence[str], contract: Contract) -> Layout | None:
    """The system layout a header is in: None for the canonical layout (or no layout at all)."""
    expected = [c for c, column in contract.schema.columns.items() if column.required]
    if not contract.layouts or all(column in header for column in expected):
        return None
    return next((layout for layout in contract.layouts if layout.matches(list(header))), None)


def _headerless(
    name: str, first: list[str], columns: tuple[str, ...]
) -> tuple[list[str], list[Violation]]:
    """The contract's columns for a file without a header row, or where its first line's fields
    fall short of them (each missing column named) or run past them."""
    violations = [
        Violation(name, HEADER_LINE, column, "expected column is missing")
        for column in columns[len(first) :]
    ]
    if len(first) > len(columns):
        rule = f"{len(first)} fields, more than the contract's {len(columns)} columns"
        violations.append(Violation(name, HEADER_LINE, None, rule))
    return list(columns), violations


def _encoding_violation(name: str, line: int, raw: bytes, error: UnicodeDecodeError) -> Violation:
    """Where undecodable bytes sit: line and character column, as an editor shows them."""
    before = raw[: error.start].decode("utf-8", errors="replace")
    column = len(before) - (before.rfind("\n") + 1) + 1
    line += before.count("\n")
    return Violation(
        name, line, None, f"not UTF-8 text: byte 0x{raw[error.start]:02x} at character {column}"
    )


def _shown_value(column: str, identifiers: Sequence[str], relation: str = "") -> str:
    if column in identifiers:
        return f"{_literal(WITHHELD)}"
    return f"cast({relation}{_quoted(column)} as varchar)"


def validate_files(
    connection: duckdb.DuckDBPyConnection,
    files: Mapping[str, Path],
    contract: Contract,
    *,
    submitters: Mapping[str, str] | None = None,
    table: str = "validated",
    numbered: bool = False,
) -> ValidatedFiles:
    """Validate `files` (message name -> path) together; keep the accepted files' typed rows in
    the temporary table `table`. `submitters` names the organisation each file claims to come
    from, which row rules may compare with the rows (`_submitter`).

    Two passes. The first reads every file once, without line numbers (numbering rows costs
    more than reading them), and only asks which files break any rule. The files that do are
    read again, numbered, and every violation located; their rows are not kept anyway.
    `numbered` numbers the first pass too, so the accepted rows keep their lines (`peerbench
    validate` names the line of a value it warns about)."""
    result = ValidatedFiles(table=table)
    by_header: dict[tuple[str, ...], list[str]] = {}
    for name, path in files.items():
        header, found = _read_header(path, name, contract)
        result.violations[name], result.rows[name] = found, 0
        if not found:
            by_header.setdefault(tuple(header), []).append(name)
    submitters = submitters or {}
    with _insertion_order(connection, preserved=numbered):
        _stage(
            connection, files, by_header, contract, submitters, result, numbered=numbered,
            texts=False,
        )  # fmt: skip
    staged = {name for group in by_header.values() for name in group}
    broken = {n for n in staged if result.violations[n]} | _broken_files(connection, contract)
    if broken:
        connection.execute("alter table _checked rename to _first_pass")
        for name in broken:
            result.violations[name] = []
        again = {h: [n for n in group if n in broken] for h, group in by_header.items()}
        _stage(connection, files, again, contract, submitters, result, numbered=True, texts=True)
        for name, found in _row_violations(connection, contract).items():
            result.violations[name] += found
        connection.execute("drop table _checked")
        connection.execute("alter table _first_pass rename to _checked")
    _keep_accepted(connection, contract, result)
    for header, group in by_header.items():
        layout = layout_for(header, contract)
        for name in group if layout else ():
            result.layouts[name] = layout.system
            result.violations[name] = [layout.explain(v) for v in result.violations[name]]
    return result


@contextmanager
def _insertion_order(connection: duckdb.DuckDBPyConnection, *, preserved: bool) -> Iterator[None]:
    """DuckDB's `preserve_insertion_order` set for the statements inside, then restored. The
    first pass needs no order (no line numbers: a file's rows are told apart by its name), and
    keeping it, under a memory limit, costs the reading of a wide file about half its speed
    (RTT's 121 columns, 185,000 rows, 1GB limit: 2.4 s with it, 1.3 s without)."""
    [(before,)] = connection.execute(
        "select current_setting('preserve_insertion_order')"
    ).fetchall()
    connection.execute(f"set preserve_insertion_order = {_literal(preserved)}")
    try:
        yield
    finally:
        connection.execute(f"set preserve_insertion_order = {_literal(bool(before))}")


def _stage(
    connection: duckdb.DuckDBPyConnection,
    files: Mapping[str, Path],
    by_header: dict[tuple[str, ...], list[str]],
    contract: Contract,
    submitters: Mapping[str, str],
    result: ValidatedFiles,
    *,
    numbered: bool,
    texts: bool,
) -> None:
    """Read the files into the temporary table `_checked`: each contract column's trimmed text
    and, beside it, its typed value (`with_typed_columns`), or, without `texts`, only the typed
    values and whether any did not convert (`typed_only`); with the row's file and submitter,
    and, when `numbered`, its line; record unreadable lines (bad bytes, wrong field counts)."""
    schema = contract.schema
    columns = list(schema.columns)
    empty = ", ".join(f"cast(null as varchar) as {_quoted(c)}" for c in columns)
    connection.execute(
        "create or replace temporary table _checked as "
        + staged_select(
            schema,
            f"(select {empty}, '' as {FILE_COLUMN}, cast(0 as bigint) as {LINE_COLUMN}, "
            f"cast(null as varchar) as {SUBMITTER_COLUMN} where false)",
            texts=texts,
        )
    )
    for header, group in by_header.items():
        if not group:
            continue
        read = partial(
            _read, connection, files, result=result, header=header, contract=contract,
            submitters=submitters, numbered=numbered, texts=texts,
        )  # fmt: skip
        try:
            read(group)
        except duckdb.InvalidInputException:  # the reader gave up on a file: find which
            _drop_rejects(connection)
            for name in group:
                try:
                    read([name])
                except duckdb.InvalidInputException:  # mixed line endings, a stray CR
                    _drop_rejects(connection)
                    result.violations[name].append(_unreadable(name, files[name]))
    if contract.not_data:
        if contract.reconciles and not numbered:
            result.reconciliation = _reconcile(connection, contract)
        connection.execute(f"delete from _checked where {contract.not_data}")
    stored = [_quoted(c) if texts else typed_name(c, schema.columns[c].dtype) for c in columns]
    blank = [f"{c} is null" for c in stored] + ([] if texts else [f"not {UNCONVERTED}"])
    present = " and ".join(blank)
    connection.execute(f"delete from _checked where {present}")  # blank lines are not rows
    for name, rows in connection.execute(
        f"select {FILE_COLUMN}, count(*) from _checked group by all"
    ).fetchall():
        result.rows[name] = rows
    for name in [n for group in by_header.values() for n in group]:
        rows = result.rows[name]
        if rows == 0 and not result.violations[name]:
            rule = "file has a header but no data rows: nothing to accept"
            result.violations[name].append(Violation(name, None, None, rule))
        elif rows > contract.limits.max_rows:
            rule = f"file has {rows:,} rows, over the {contract.limits.max_rows:,}-row limit"
            result.violations[name].append(Violation(name, None, None, rule))


def _read(
    connection: duckdb.DuckDBPyConnection,
    files: Mapping[str, Path],
    group: list[str],
    *,
    result: ValidatedFiles,
    header: tuple[str, ...],
    contract: Contract,
    submitters: Mapping[str, str],
    numbered: bool,
    texts: bool,
) -> None:
    """Insert the rows of files sharing one header into `_checked`; record their unreadable
    lines. One statement: when the reader gives up on a file, nothing of the group is kept."""
    schema = contract.schema
    columns = list(schema.columns)
    paths = [str(files[name]) for name in group]
    source = (
        f"read_csv(?, header = {_literal(not contract.headerless)}, all_varchar = true, "
        "delim = ',', quote = '\"', escape = '\"', filename = true, store_rejects = true, "
        "rejects_scan = '_reject_scans', rejects_table = '_reject_errors', "
        f"names = [{', '.join(_literal(h or f'_blank_{i}') for i, h in enumerate(header))}])"
    )
    if numbered:
        source = f"""(
            with raw as (select *, row_number() over () as _ordinal from {source})
            select *,
                _ordinal - min(_ordinal) over (partition by filename)
                    + {contract.first_data_line} as _line
            from raw
        )"""
    name_of = dict(zip(paths, group, strict=True))
    # a map, not a join: a join on the reader's output may reorder a file's rows
    file_names = _sql_map(name_of)
    file_submitters = _sql_map({path: submitters.get(name) for path, name in name_of.items()})
    layout = layout_for(header, contract)
    mapped = layout.select(contract.kinds, "r") if layout else {}
    # a cell's text is trimmed, and blank is null; but the first pass converts a number with
    # DuckDB's own conversion, which ignores the spaces around it (a blank number is flagged
    # and read again, trimmed, in the located pass, which finds it empty)
    untrimmed = {
        c for c in columns if not texts and _sql_type(schema.columns[c].dtype) != "varchar"
    }
    selected = ", ".join(  # an optional column the file lacks is null
        f"{mapped[c]} as {_quoted(c)}"
        if c in mapped
        else f"r.{_quoted(c)}"
        if c in header and layout is None and c in untrimmed
        else f"nullif(trim(r.{_quoted(c)}), '') as {_quoted(c)}"
        if c in header and layout is None
        else f"cast(null as varchar) as {_quoted(c)}"
        for c in columns
    )
    line = "r._line" if numbered else "cast(null as bigint)"
    rows = f"""(
        select {selected},
               map_extract_value({file_names}, r.filename) as {FILE_COLUMN},
               {line} as {LINE_COLUMN},
               map_extract_value({file_submitters}, r.filename) as {SUBMITTER_COLUMN}
        from {source} as r
    )"""
    connection.execute(
        f"insert into _checked by name {staged_select(schema, rows, texts=texts)}",
        [paths],
    )
    for path, line_number, column, kind in connection.execute(
        """
        select s.file_path, e.line, e.column_name, e.error_type
        from _reject_errors as e join _reject_scans as s using (scan_id, file_id)
        order by s.file_path, e.line
        """
    ).fetchall():
        rule = _reject_rule(kind)
        shown_column = None if column is None or column.startswith("_blank_") else column
        result.violations[name_of[path]].append(
            Violation(name_of[path], int(line_number), shown_column, rule)
        )
    _drop_rejects(connection)  # the next read's own


def staged_select(schema: pa.DataFrameSchema, relation: str, *, texts: bool) -> str:
    """The rows of `relation` (the contract's columns as text, and the row's file, line and
    submitter) as `_checked` holds them: in the located pass (`texts`), each column's text and
    typed value; in the first pass, the typed values and the row's `_unconverted`."""
    if texts:
        return f"select {with_typed_columns(schema)} from {relation}"
    query = f"select {with_typed_columns(schema, per_cell=False)} from {relation}"
    return f"select {typed_only(schema)} from ({query})"


def _drop_rejects(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("drop table if exists _reject_errors")
    connection.execute("drop table if exists _reject_scans")


LINE_ENDINGS = {b"\r\n": "CR LF", b"\n": "LF"}


def _unreadable(name: str, path: Path) -> Violation:
    """Why the CSV reader gave up on a file, located where it can be: a line ending unlike the
    lines' before it (CR LF and LF mixed), or a carriage return inside a line; the reader tells
    lines apart by one kind of ending. Never the reader's own message (it may quote the file)."""
    first = b""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            ending = next((e for e in LINE_ENDINGS if line.endswith(e)), b"")
            if b"\r" in line[: len(line) - len(ending)]:
                rule = (
                    "a carriage return (CR) inside the line: lines end with one kind of line "
                    "ending (save the file again as CSV)"
                )
                return Violation(name, number, None, rule)
            first = first or ending
            if ending and ending != first:
                rule = (
                    f"line ends with {LINE_ENDINGS[ending]}, the lines before with "
                    f"{LINE_ENDINGS[first]}: one kind of line ending throughout (save the file "
                    "again as CSV)"
                )
                return Violation(name, number, None, rule)
    return Violation(name, None, None, "not readable as CSV (save the file again as CSV)")


def _reconcile(
    connection: duckdb.DuckDBPyConnection, contract: Contract
) -> dict[str, dict[str, tuple[float, float]]]:
    """Per file with a total row: each reconciled column's sum over the data rows beside the
    value the publisher's total row states. A file in parts (`reconciles_by`) is reconciled part
    by part, each column named with its part: `TOTAL (62-DAY (ALL CANCER) / Screening)`."""
    assert contract.not_data
    schema = contract.schema.columns
    typed = {c: typed_name(c, schema[c].dtype) for c in contract.reconciles}
    sums = ", ".join(
        f"sum({t}) filter (where not ({contract.not_data})), "
        f"any_value({t}) filter (where {contract.not_data})"
        for t in typed.values()
    )
    parts = ", ".join(_quoted(c) for c in contract.reconciles_by)
    part = f"concat_ws(' / ', {parts})" if parts else "''"
    found: dict[str, dict[str, tuple[float, float]]] = {}
    rows = connection.execute(
        f"select {FILE_COLUMN}, {part}, {sums} from _checked group by all "
        f"having count(*) filter (where {contract.not_data}) = 1"
    ).fetchall()
    for file, label, *values in rows:
        pairs = zip(values[::2], values[1::2], strict=True)
        found.setdefault(file, {}).update(
            {
                f"{column} ({label})" if label else column: (float(computed or 0), float(published))
                for column, (computed, published) in zip(typed, pairs, strict=True)
                if published is not None
            }
        )
    return found


def _sql_map(values: Mapping[str, str | None]) -> str:
    """A SQL MAP literal from text keys to text values (or nulls)."""
    pairs = ", ".join(
        f"{_literal(k)}: {'null' if v is None else _literal(v)}" for k, v in values.items()
    )
    return f"cast(map {{{pairs}}} as map(varchar, varchar))"


def _reject_rule(kind: str) -> str:
    """DuckDB's reason for an unreadable line, in words; never the line itself (it may hold
    identifiers)."""
    if kind in ("INVALID ENCODING", "INVALID UNICODE"):
        return "not UTF-8 text (save the file as UTF-8)"
    if kind == "TOO MANY COLUMNS":
        return "more fields than the header has columns"
    if kind == "MISSING COLUMNS":
        return "fewer fields than the header has columns"
    if kind == "LINE SIZE OVER MAXIMUM":
        return "line is longer than the reader's limit"
    if kind == "UNQUOTED VALUE":
        return "a quote inside an unquoted field"
    return f"unreadable line ({kind.lower()})"


def _cells_broken(contract: Contract, *, texts: bool) -> str:
    rules = column_rules(contract.schema, texts=texts)
    return " or ".join(f"({r.broken})" for r in rules) or "false"


def _typed_rows(contract: Contract, *, texts: bool) -> str:
    """Every row, typed, with whether its cells all passed (`_cells_pass`), joined to the
    contract's lookups: what row rules read (as `rows`, through `_rule_broken`)."""
    joins = " ".join(f"left join {lk.alias} on {lk.on}" for lk in contract.lookups)
    return (
        f"(select {typed_select(contract.schema)}, {FILE_COLUMN}, {LINE_COLUMN}, "
        f"{SUBMITTER_COLUMN}, not ({_cells_broken(contract, texts=texts)}) as _cells_pass "
        "from _checked) "
        f"as rows {joins}"
    )


def _rule_broken(rule: RowRule) -> str:
    """SQL: true where a row whose cells all passed breaks the rule. The rule is evaluated on
    those rows only, inside a CASE: a filter on them first would not do, since the optimiser may
    evaluate the rule before it, and a rule may cast text its checks have vouched for (an NHS
    number's digits), which would fail on a bad cell and stop the whole partition."""
    return f"case when rows._cells_pass then not coalesce(({rule.holds}), false) else false end"


def _repeated_keys(contract: Contract) -> str:
    """Files of the first pass (`typed_only`) that repeat a key."""
    columns = contract.schema.columns
    key = ", ".join(typed_name(c, columns[c].dtype) for c in contract.key)
    return f"select {FILE_COLUMN} from _checked group by {FILE_COLUMN}, {key} having count(*) > 1"


def _broken_files(connection: duckdb.DuckDBPyConnection, contract: Contract) -> set[str]:
    """The files of the first pass's `_checked` (`typed_only`) with any broken cell, repeated key
    or broken row rule, without locations: one scan for the cells and row rules together, one
    for the key."""
    if contract.row_rules:
        broken = " or ".join(_rule_broken(r) for r in contract.row_rules)
        rows = _typed_rows(contract, texts=False)
        queries = [f"select {FILE_COLUMN} from {rows} where not rows._cells_pass or {broken}"]
    else:
        cells = _cells_broken(contract, texts=False)
        queries = [f"select {FILE_COLUMN} from _checked where {cells}"]
    if contract.key:
        queries.append(_repeated_keys(contract))
    for lookup in contract.lookups:
        connection.register(lookup.alias, lookup.frame)
    found = connection.execute(
        f"select distinct {FILE_COLUMN} from ({' union all '.join(queries)})"
    ).fetchall()
    for lookup in contract.lookups:
        connection.unregister(lookup.alias)
    return {name for (name,) in found}


def _location(contract: Contract) -> str:
    """A row's place as (`_sheet`, `_row`): its line in the file, or, for a CSV read from a
    workbook, the sheet and row it came from (`Contract.located_by`; its line where a contract
    takes both, CSV files and workbooks, and the row has no sheet row)."""
    if contract.located_by is None:
        return f"cast(null as varchar) as _sheet, {LINE_COLUMN} as _row"
    sheet, row = (_quoted(c) for c in contract.located_by)
    return f"{sheet} as _sheet, coalesce(try_cast({row} as bigint), {LINE_COLUMN}) as _row"


def _row_violations(
    connection: duckdb.DuckDBPyConnection, contract: Contract
) -> dict[str, list[Violation]]:
    """Every broken cell, repeated key and broken row rule of `_checked`, located (file, line,
    column, rule), at most MAX_VIOLATIONS_PER_FILE a file. Row rules judge the rows whose
    cells all passed, so one bad cell is reported once."""
    identifiers = contract.identifiers
    where = f"{FILE_COLUMN}, {LINE_COLUMN}, {_location(contract)}"
    parts = [
        f"select {where}, {_literal(r.column)} as col, {_literal(r.rule)} "
        f"as rule, {_shown_value(r.column, identifiers)} as shown from _checked "
        f"where {r.broken}"
        for r in column_rules(contract.schema, texts=True)
    ]
    if contract.key:
        key = ", ".join(_quoted(c) for c in contract.key)
        parts.append(
            f"select {where}, {_literal(', '.join(contract.key))} as col, "
            "'duplicates an earlier row''s key' as rule, null as shown from _checked "
            f"qualify row_number() over (partition by {FILE_COLUMN}, {key} "
            f"order by {LINE_COLUMN}) > 1"
        )
    rows = _typed_rows(contract, texts=True)
    parts += [
        f"select {where}, {_literal(r.column)} as col, {_literal(r.rule)} "
        f"as rule, {_shown_value(r.column, identifiers, 'rows.')} as shown from {rows} "
        f"where {_rule_broken(r)}"
        for r in contract.row_rules
    ]
    if not parts:
        return {}
    for lookup in contract.lookups:
        connection.register(lookup.alias, lookup.frame)
    query = (
        f"select * from ({' union all '.join(parts)}) "
        f"qualify row_number() over (partition by {FILE_COLUMN} order by {LINE_COLUMN}, col, "
        f"rule) <= {MAX_VIOLATIONS_PER_FILE} order by {FILE_COLUMN}, {LINE_COLUMN}, col, rule"
    )
    found: dict[str, list[Violation]] = {}
    for file, _, sheet, row, column, rule, shown in connection.execute(query).fetchall():
        found.setdefault(file, []).append(Violation(file, int(row), column, rule, shown, sheet))
    for lookup in contract.lookups:
        connection.unregister(lookup.alias)
    return found


def _keep_accepted(
    connection: duckdb.DuckDBPyConnection, contract: Contract, result: ValidatedFiles
) -> None:
    """The first pass's `_checked` becomes `result.table`: the accepted files' rows (in no
    particular order, unless `numbered`), each typed value under its column's name. Done in
    place (a delete, then renames, which DuckDB does without copying rows)."""
    connection.execute(
        f"delete from _checked where not list_contains(?::varchar[], {FILE_COLUMN})",
        [result.accepted],
    )
    connection.execute(f"alter table _checked drop column {UNCONVERTED}")
    for name, column in contract.schema.columns.items():
        if typed_name(name, column.dtype) != _quoted(name):
            connection.execute(
                f"alter table _checked rename column {typed_name(name, column.dtype)} "
                f"to {_quoted(name)}"
            )
    connection.execute(f"drop table if exists {result.table}")
    connection.execute(f"alter table _checked rename to {result.table}")


def validate_file(
    path: Path,
    contract: Contract,
    *,
    submitter: str | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> pd.DataFrame:
    """One file through its contract: its typed rows in the file's order, or
    ContractViolationError. The same code path as a partition's ingest (a set of one)."""
    own = connection or duckdb.connect()
    try:
        result = validate_files(
            own, {path.name: path}, contract, submitters={path.name: submitter or ""},
            numbered=True,
        )  # fmt: skip
        if result.quarantined:
            raise ContractViolationError(result.quarantined[path.name])
        frame = own.execute(f"select * from {result.table} order by {LINE_COLUMN}").df()
        return frame.drop(columns=[FILE_COLUMN, LINE_COLUMN, SUBMITTER_COLUMN])
    finally:
        if connection is None:
            own.close()
