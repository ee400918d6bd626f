"""The Excel form of an indicator return: the template's layout, the rows it holds, and the reader
that turns a filled workbook back into the long CSV the return contract judges.

`peerbench template` writes the workbook (`orchestration.template`); providers fill the unlocked
numerator and denominator cells and land it beside the CSV returns (`<ORG>_<stamp>.xlsx`). The
rows a template holds are computed from the metric catalogue by `template_rows`, a pure function:
a sheet per domain of the collection's metrics, a row per metric (per service line it is collected
for, and per month of an MHLDA quarter). The reader reads those sheets back: a row whose
numerator and denominator are both blank is a metric not submitted and is skipped, so a partial
workbook is a partial return. Each row carries its sheet and row, so a violation the contract
finds names the cell's place in the workbook (`Contract.located_by`). A layout the reader cannot
trust (a sheet missing, a header moved, a locked code, name, service line or period changed, the
instructions' collection, period or organisation not the file's) is refused by the reader itself,
every problem located by sheet, row and column.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd

from contracts.cwt import UNREADABLE
from contracts.indicator_return import return_columns
from contracts.validation import ContractViolationError, Violation

INSTRUCTIONS = "Instructions"
# the instructions sheet's return details: label in column A, value in column B, on these rows
DETAILS = {"collection": (3, "Collection"), "period": (4, "Period"),
           "organisation_code": (5, "Organisation code")}  # fmt: skip
HEADER_ROW = 3  # a domain sheet: title on row 1, a hint on row 2, the header on row 3
FIRST_ROW = HEADER_ROW + 1
# (header, the CSV column it becomes or None for guidance); service line only where collected
KEY_HEADERS = {"Metric code": "metric_code", "Metric name": None, "Service line": "service_line",
               "Service line name": None, "Period": "period"}  # fmt: skip
VALUE_HEADERS = {"Numerator": "numerator", "Denominator": "denominator"}
GUIDANCE_HEADERS = (
    "Numerator definition", "Denominator definition", "Guidance", "Unit", "Plausible range"
)  # fmt: skip
LOCATION = ["sheet", "sheet_row"]  # the return contract's optional columns: where a row sits
MAX_WORKBOOK_BYTES = 5 << 20  # a return's workbook is tens of kilobytes
FILE_ORGANISATION = re.compile(r"(?P<org>[A-Z0-9]{3,5})_")


@dataclass(frozen=True)
class TemplateRow:
    """One row of a template: a metric (for a service line) in a month, with its guidance."""

    domain: str
    metric_code: str
    metric_name: str
    service_line: str | None
    period: str
    numerator_definition: str
    denominator_definition: str
    guidance: str
    unit: str
    plausible_range: str
    percent: bool  # the numerator may not exceed the denominator

    @property
    def key(self) -> tuple[str, str, str | None, str]:
        """The locked cells a filled workbook must still hold."""
        return (self.metric_code, self.metric_name, self.service_line, self.period)


def sheet_name(domain: str) -> str:
    """A domain's sheet: 'patient_safety' -> 'Patient safety' (Excel allows 31 characters)."""
    return domain.replace("_", " ").capitalize()[:31]


def headers(with_service_lines: bool) -> list[str]:
    keys = [h for h in KEY_HEADERS if with_service_lines or not h.startswith("Service line")]
    return [*keys, *VALUE_HEADERS, *GUIDANCE_HEADERS]


def _number(value: float) -> str:
    return f"{value:,.10g}"


def template_rows(
    catalogue: pd.DataFrame, collection: str, months: Sequence[str], with_service_lines: bool
) -> list[TemplateRow]:
    """The rows of a collection's template for `months`, domain by domain in catalogue order,
    then metric, service line (each the catalogue collects it for; 'all' for every one) and
    month."""
    metrics = catalogue[catalogue["collection"] == collection]
    rows = []
    for domain in metrics["domain"].drop_duplicates():
        for metric in metrics[metrics["domain"] == domain].itertuples():
            lines = str(metric.service_lines).split("|") if with_service_lines else [None]
            denominator = metric.denominator_definition
            for line in lines:
                for month in months:
                    rows.append(
                        TemplateRow(
                            domain=str(domain),
                            metric_code=str(metric.metric_code),
                            metric_name=str(metric.metric_name),
                            service_line=line,
                            period=month,
                            numerator_definition=str(metric.numerator_definition),
                            denominator_definition="" if pd.isna(denominator) else denominator,
                            guidance=str(metric.guidance),
                            unit=str(metric.unit).replace("_", " "),
                            plausible_range=(
                                f"{_number(metric.plausible_min)} to "
                                f"{_number(metric.plausible_max)} (numerator / denominator x "
                                f"{_number(metric.multiplier)})"
                            ),
                            percent=metric.unit == "percent",
                        )
                    )
    return rows


def by_sheet(rows: Sequence[TemplateRow]) -> dict[str, list[TemplateRow]]:
    """The template's rows grouped by their sheet, in order."""
    sheets: dict[str, list[TemplateRow]] = {}
    for row in rows:
        sheets.setdefault(sheet_name(row.domain), []).append(row)
    return sheets


def _text(value: object) -> str:
    """A cell as the CSV's text: numbers exactly, blanks empty; a date stays a date (and so is
    not a number)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _details(
    workbook: openpyxl.Workbook,
    name: str,
    collection: str,
    organisation: str | None,
    months_of: Callable[[str], list[str]],
) -> tuple[str, list[str], list[Violation]]:
    """The instructions sheet's organisation code and the months of its period, or why not:
    each label in its place, the collection the file's, the period one of the collection's,
    the organisation code the one the file name names."""
    if INSTRUCTIONS not in workbook.sheetnames:
        return "", [], [Violation(name, None, None, "the sheet is missing", sheet=INSTRUCTIONS)]
    last = max(row for row, _ in DETAILS.values())
    cells = [
        [_text(v) for v in values] + ["", ""]
        for values in workbook[INSTRUCTIONS].iter_rows(max_row=last, max_col=2, values_only=True)
    ]
    cells += [["", ""]] * (last - len(cells))
    found, violations = {}, []
    for field, (row, label) in DETAILS.items():
        shown, found[field] = cells[row - 1][:2]
        if shown != label:
            rule = f"expected the label {label!r} here: the instructions sheet was changed"
            violations.append(Violation(name, row, "A", rule, shown or None, INSTRUCTIONS))
    if violations:
        return "", [], violations

    def wrong(field: str, rule: str) -> Violation:
        return Violation(name, DETAILS[field][0], "B", rule, found[field] or None, INSTRUCTIONS)

    if found["collection"] != collection:
        violations.append(wrong("collection", f"not a {collection} return: the file's folder"))
    if not found["organisation_code"]:
        violations.append(wrong("organisation_code", "the organisation code is blank"))
    elif organisation is not None and found["organisation_code"] != organisation:
        rule = f"the organisation code is not the file's ({organisation})"
        violations.append(wrong("organisation_code", rule))
    try:
        months = months_of(found["period"])
    except ValueError as error:
        months = []
        violations.append(wrong("period", f"the period is not {collection}'s: {error}"))
    return found["organisation_code"], months, violations


def _sheet_rows(
    workbook: openpyxl.Workbook,
    name: str,
    sheet: str,
    expected: list[TemplateRow],
    with_service_lines: bool,
) -> tuple[list[dict[str, str]], list[Violation]]:
    """A domain sheet's filled rows (key and value columns, with their sheet row), or the
    violations of its layout."""
    if sheet not in workbook.sheetnames:
        return [], [Violation(name, None, None, "the sheet is missing", sheet=sheet)]
    layout = headers(with_service_lines)
    keys = {row.key for row in expected}
    found, violations = [], []
    rows = workbook[sheet].iter_rows(min_row=HEADER_ROW, max_col=len(layout), values_only=True)
    for number, values in enumerate(rows, start=HEADER_ROW):
        cells = [_text(v) for v in values] + [""] * (len(layout) - len(values))
        cell = dict(zip(layout, cells, strict=True))
        if number == HEADER_ROW:
            rule = "expected column is missing"
            violations += [
                Violation(name, number, column, rule, cell[column] or None, sheet)
                for column in layout
                if cell[column] != column
            ]
            if violations:
                return [], violations
            continue
        read = [*KEY_HEADERS, *VALUE_HEADERS]
        if not any(cell.get(h) for h in read):
            continue  # a blank row
        key = (
            cell["Metric code"],
            cell["Metric name"],
            cell["Service line"] if with_service_lines else None,
            cell["Period"],
        )
        if key not in keys:
            rule = "not a row of the template: a locked cell (code, name, service line or period) "
            rule += "was changed"
            violations.append(
                Violation(name, number, "Metric code", rule, cell["Metric code"], sheet)
            )
            continue
        if not (cell["Numerator"] or cell["Denominator"]):
            continue  # not submitted
        row = {"sheet": sheet, "sheet_row": str(number)}
        row |= {column: cell[h] for h, column in KEY_HEADERS.items() if column and h in cell}
        row |= {column: cell[h] for h, column in VALUE_HEADERS.items()}
        found.append(row)
    return found, violations


def workbook_reader(
    collection: str,
    with_service_lines: bool,
    months_of: Callable[[str], list[str]],
    catalogue: Callable[[], pd.DataFrame],
) -> Callable[[Path, Path], Path]:
    """A collection's reader (`Source.reader`): a CSV return is read as it stands; a workbook
    (`.xlsx`) becomes the long CSV of its filled rows in `folder`, or ContractViolationError
    when its layout is not the template's. `months_of` turns a period label into its months
    (ValueError for a label that is none)."""

    def read(path: Path, folder: Path) -> Path:
        if path.suffix.lower() != ".xlsx":
            return path
        name = path.name
        if path.stat().st_size > MAX_WORKBOOK_BYTES:
            rule = f"workbook is over the {MAX_WORKBOOK_BYTES:,}-byte limit"
            raise ContractViolationError([Violation(name, None, None, rule)])
        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except UNREADABLE as error:
            rule = f"not a readable Excel workbook (.xlsx): {type(error).__name__}"
            raise ContractViolationError([Violation(name, None, None, rule)]) from None
        rows: list[dict[str, str]] = []
        try:
            named = FILE_ORGANISATION.match(name)
            code, months, violations = _details(
                workbook, name, collection, named["org"] if named else None, months_of
            )
            expected = template_rows(catalogue(), collection, months, with_service_lines)
            for sheet, its_rows in by_sheet(expected).items():
                found, refused = _sheet_rows(workbook, name, sheet, its_rows, with_service_lines)
                rows += found
                violations += refused
        finally:
            workbook.close()
        if violations:
            raise ContractViolationError(violations)
        columns = [*LOCATION, *return_columns(with_service_lines)]
        target = folder / f"{path.stem}.csv"
        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, columns)
            writer.writeheader()
            for row in rows:
                writer.writerow(row | {"organisation_code": code})
        return target

    return read
