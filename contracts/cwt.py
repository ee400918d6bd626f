"""Contract of NHS England's Cancer Waiting Times (CWT) provider workbook, one a month
(`<MONTH>-<YYYY>-CWT-CRS-PROVIDER-WORKBOOK-<PROVISIONAL|FINAL>.xlsx`).

A workbook is not CSV, so it is read into one: `workbook_csv` takes the sheets of the three
headline standards (28-day Faster Diagnosis, 31-day and 62-day, all cancers) and writes their
rows, one per sheet, part and provider, to a CSV that this contract judges like any other file.
Each row carries its sheet and its row number, so a violation names the sheet and row of the
cell (`Contract.located_by`), never the CSV's own line. What cannot become rows at all (no
workbook, a missing sheet, a changed header on row 9) the reader refuses itself, located alike.

Each sheet: a title, the month on A2 ('Oct-23'), group labels on row 8, the header on row 9
(column A blank, a blank ' ' column between the counts and the day bands), data from row 10.
The 31-day and 62-day sheets come in parts (all stages or all routes first, then one part per
treatment stage or referral route), each under its own title and repeated header, and every part
closes with an 'ALL ENGLISH PROVIDERS' row without an ODS code: England's total of the part,
which the contract reconciles with the sum of the part's rows. Counts can be halves: a breach
shared by two providers counts half to each. Only TOTAL, WITHIN and AFTER are read; the
published proportion is derived from them and the day bands are not used.
"""

from __future__ import annotations

import csv
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

import openpyxl
import pandera.pandas as pa
from openpyxl.utils.exceptions import InvalidFileException

from contracts.validation import Contract, ContractViolationError, Limits, RowRule, Violation

CWT_LANDING = "nhse_cwt"  # the landing folder NHS England's workbooks are dropped into
PERIOD_CELL_ROW, HEADER_ROW = 2, 9  # the month is on A2, the column header on row 9
ODS_HEADER = "ODS CODE (1)"  # the first header cell, also of each part's repeated header
ENGLAND = "ALL ENGLISH PROVIDERS"  # a part's total row, without an ODS code
ORGANISATION_CODE = r"^[A-Z0-9]{3,5}$"  # trusts have 3 characters, independent sites up to 5
MAX_WORKBOOK_BYTES = 50 << 20  # a month's workbook is about 1 MB


@dataclass(frozen=True)
class Standard:
    """One headline standard's sheet: its days and the header of its breakdown column."""

    code: str  # the lake's `standard`
    sheet: str
    days: int
    breakdown: str  # REFERRAL ROUTE or TREATMENT STAGE: each part of the sheet is one
    everyone: str  # the part over every route or stage: what the metrics read
    cancer_type: bool  # whether the sheet has a CANCER TYPE column (always ALL CANCERS)

    @property
    def header(self) -> dict[str, str]:
        """The row-9 headers read -> the CSV's columns."""
        return {
            ODS_HEADER: "ODS CODE",
            "ACCOUNTABLE PROVIDER": "ACCOUNTABLE PROVIDER",
            self.breakdown: "ROUTE OR STAGE",
            **({"CANCER TYPE": "CANCER TYPE"} if self.cancer_type else {}),
            "TOTAL": "TOTAL",
            f"WITHIN {self.days} DAYS": "WITHIN",
            f"AFTER {self.days} DAYS": "AFTER",
        }


STANDARDS = (
    Standard("28-day", "28-DAY FDS (ALL ROUTES)", 28, "REFERRAL ROUTE", "ALL ROUTES", False),
    Standard("31-day", "31-DAY (ALL CANCER)", 31, "TREATMENT STAGE", "ALL STAGES", True),
    Standard("62-day", "62-DAY (ALL CANCER)", 62, "REFERRAL ROUTE", "ALL ROUTES", True),
)
STAGES = ("ALL STAGES", "First Treatment", "Subsequent Treatment")
ROUTES = ("ALL ROUTES", "Urgent Suspected Cancer", "Breast Symptomatic", "Screening",
          "Consultant Upgrade")  # fmt: skip
COUNTS = ("TOTAL", "WITHIN", "AFTER")  # WITHIN and AFTER the standard's days, as the sheet says

# the CSV's columns (the reader's) -> the lake's
COLUMNS = {
    "SHEET": "sheet",
    "SHEET ROW": "sheet_row",
    "PERIOD": "period",  # the sheet's A2, checked, then replaced by the lake's label (YYYY-MM)
    "STANDARD": "standard",
    "ODS CODE": "organisation_code",
    "ACCOUNTABLE PROVIDER": "organisation_name",
    "ROUTE OR STAGE": "route_or_stage",
    "CANCER TYPE": "cancer_type",
    "TOTAL": "total",
    "WITHIN": "within_standard",
    "AFTER": "after_standard",
}
READ = list(COLUMNS)[4:]  # the columns read from a row's cells; the first four say where from


def cwt_file_name(month: str, release: str = "FINAL") -> str:
    """NHS England's name for a month's workbook: '2023-10' ->
    'OCTOBER-2023-CWT-CRS-PROVIDER-WORKBOOK-FINAL.xlsx'."""
    day = datetime.strptime(month, "%Y-%m")
    return f"{day:%B-%Y}".upper() + f"-CWT-CRS-PROVIDER-WORKBOOK-{release}.xlsx"


def sheet_month(month: str) -> str:
    """The month as the sheets show it on A2: '2023-10' -> 'Oct-23'."""
    return f"{datetime.strptime(month, '%Y-%m'):%b-%y}"


CWT_RULES = (
    RowRule(
        "WITHIN",
        "more people within the standard than in TOTAL",
        'rows."WITHIN" <= rows."TOTAL"',
    ),
    RowRule(
        "AFTER",
        "WITHIN and AFTER do not add up to TOTAL",
        'rows."WITHIN" + rows."AFTER" = rows."TOTAL"',
    ),
    *(
        RowRule(
            count, "not a whole or half count", f'rows."{count}" * 2 = floor(rows."{count}" * 2)'
        )
        for count in COUNTS
    ),
)


@cache
def cwt_contract(month: str) -> Contract:
    """The contract of the CSV read from one month's workbook (`workbook_csv`)."""
    label = sheet_month(month)
    schema = pa.DataFrameSchema(
        {
            "SHEET": pa.Column(str, pa.Check.isin([s.sheet for s in STANDARDS])),
            "SHEET ROW": pa.Column("int64", pa.Check.gt(HEADER_ROW)),
            "PERIOD": pa.Column(str, pa.Check.eq(label, error=f"the sheet's month is not {label}")),
            "STANDARD": pa.Column(str, pa.Check.isin([s.code for s in STANDARDS])),
            "ODS CODE": pa.Column(
                str, pa.Check.str_matches(ORGANISATION_CODE, error="not an ODS organisation code")
            ),
            "ACCOUNTABLE PROVIDER": pa.Column(str, pa.Check.str_length(min_value=1)),
            "ROUTE OR STAGE": pa.Column(
                str, pa.Check.isin(STAGES + ROUTES, error="not a referral route or stage")
            ),
            "CANCER TYPE": pa.Column(str, pa.Check.isin(["ALL CANCERS"]), nullable=True),
            **{count: pa.Column("float64", pa.Check.ge(0)) for count in COUNTS},
        },
        unique=["SHEET", "ROUTE OR STAGE", "ODS CODE"],
        strict=True,
        name="NHS England Cancer Waiting Times provider workbook",
    )
    return Contract(
        schema=schema,
        row_rules=CWT_RULES,
        lower_case_header=False,
        not_data=f'"ODS CODE" is null and "ACCOUNTABLE PROVIDER" = \'{ENGLAND}\'',
        reconciles=COUNTS,  # each part's England row, every count
        reconciles_by=("SHEET", "ROUTE OR STAGE"),
        located_by=("SHEET", "SHEET ROW"),
        limits=Limits(max_bytes=20 << 20, max_rows=20_000),
    )


def _text(value: object) -> str:
    """A cell as the CSV's text: numbers exactly (a half stays 0.5), dates as the sheets show
    months, blanks empty."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return f"{value:%b-%y}"
    if isinstance(value, float):
        return repr(value)
    return str(value).strip()


def _sheet_rows(
    workbook: openpyxl.Workbook, standard: Standard, name: str
) -> tuple[list[list[str]], list[Violation]]:
    """The CSV rows of one standard's sheet, or the violations that stop it being read: the
    sheet is missing, or row 9 (or a part's repeated header) lacks a header this reads."""
    if standard.sheet not in workbook.sheetnames:
        return [], [Violation(name, None, None, "the sheet is missing", sheet=standard.sheet)]
    sheet = workbook[standard.sheet]
    sheet.reset_dimensions()  # NHS England's files state wrong dimensions
    found: list[list[str]] = []
    month, read = "", None
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [_text(v) for v in values]
        if number == PERIOD_CELL_ROW:
            month = cells[0] if cells else ""
        if number < HEADER_ROW:
            continue
        if number == HEADER_ROW:
            missing = [h for h in standard.header if h not in cells]
            if missing:
                return [], [
                    Violation(name, number, h, "expected column is missing", sheet=standard.sheet)
                    for h in missing
                ]
            read = {cells.index(h): h for h in standard.header}  # position -> header
            continue
        cells += [""] * (max(read) + 1 - len(cells))
        if not any(cells[1:]):
            continue  # a blank row, or a part's title (in column A)
        if cells[1] == ODS_HEADER:  # a part's own header: the same columns in the same places
            changed = [h for i, h in read.items() if cells[i] != h]
            if changed:
                rule = "the part's header differs from row 9's"
                return [], [Violation(name, number, h, rule, sheet=standard.sheet) for h in changed]
            continue
        cell = {standard.header[h]: cells[i] for i, h in read.items()}
        found.append(
            [standard.sheet, str(number), month, standard.code]
            + [cell.get(column, "") for column in READ]
        )
    if read is None:
        rule = "no header on row 9"
        return [], [Violation(name, HEADER_ROW, None, rule, sheet=standard.sheet)]
    return found, []


UNREADABLE = (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError)


def workbook_csv(path: Path, folder: Path) -> Path:
    """The workbook's three headline sheets as one CSV in `folder` (COLUMNS; a row per sheet
    row that is not blank, a part's title or its header). ContractViolationError when the file is
    no workbook, a sheet is missing or a header is not the one expected."""
    if path.stat().st_size > MAX_WORKBOOK_BYTES:
        rule = f"workbook is over the {MAX_WORKBOOK_BYTES:,}-byte limit"
        raise ContractViolationError([Violation(path.name, None, None, rule)])
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except UNREADABLE as error:
        rule = f"not a readable Excel workbook (.xlsx): {type(error).__name__}"
        raise ContractViolationError([Violation(path.name, None, None, rule)]) from None
    rows, violations = [], []
    try:
        for standard in STANDARDS:
            found, refused = _sheet_rows(workbook, standard, path.name)
            rows += found
            violations += refused
    finally:
        workbook.close()
    if violations:
        raise ContractViolationError(violations)
    target = folder / f"{path.stem}.csv"
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return target
