"""Demo NHS England Cancer Waiting Times provider workbooks for the demo's acute trusts, in the
published layout (`<MONTH>-<YYYY>-CWT-CRS-PROVIDER-WORKBOOK-FINAL.xlsx`), so the demo exercises
the same reader, contract and reconciliation as the real workbooks.

The three headline sheets as NHS England lays them out: title rows, the month on A2, group labels
on row 8, the header on row 9 (column A blank, a blank ' ' column before the day bands), data
from row 10; the 31-day and 62-day sheets in parts (all stages or routes, then each treatment
stage or referral route), each closing with an 'ALL ENGLISH PROVIDERS' row. The other sheets
(by route, by cancer, by modality, the two-week waits) are not written. Each trust has its own
volumes and performance; some 62-day breaches are shared with another provider and count half.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from contracts.cwt import (
    CWT_LANDING,
    ENGLAND,
    ODS_HEADER,
    STANDARDS,
    Standard,
    cwt_file_name,
    sheet_month,
)

TITLES = {
    "28-day": "FOUR WEEK (28 DAYS) WAIT FROM URGENT REFERRAL TO PATIENT TOLD THEY HAVE CANCER, OR "
    "CANCER IS DEFINITIVELY EXCLUDED: ALL ROUTES",
    "31-day": "ONE MONTH (31-DAY) WAIT FROM A DECISION TO TREAT/EARLIEST CLINICALLY APPROPRIATE "
    "DATE TO FIRST OR SUBSEQUENT TREATMENT OF CANCER: BY TREATMENT STAGE AND ALL CANCERS",
    "62-day": "TWO MONTH (62-DAY) WAIT FROM AN URGENT SUSPECTED CANCER OR BREAST SYMPTOMATIC "
    "REFERRAL, OR URGENT SCREENING REFERRAL, OR CONSULTANT UPGRADE TO A FIRST DEFINITIVE "
    "TREATMENT FOR CANCER: BY REFERRAL ROUTE AND ALL CANCERS",
}
# standard -> (its parts after the first: (route or stage, title, share of the people)), label
PARTS = {
    "28-day": ([], "NUMBER OF PEOPLE TOLD CANCER DIAGNOSIS OUTCOME"),
    "31-day": (
        [
            ("First Treatment", "PART B: FIRST TREATMENTS", 0.55),
            ("Subsequent Treatment", "PART C: SUBSEQUENT TREATMENTS", 0.45),
        ],
        "NUMBER OF PEOPLE RECEIVING TREATMENT FOR CANCER",
    ),
    "62-day": (
        [
            ("Urgent Suspected Cancer", "PART B: URGENT SUSPECTED CANCER", 0.65),
            ("Breast Symptomatic", "PART C: BREAST SYMPTOMATIC", 0.01),
            ("Screening", "PART D: URGENT SCREENING", 0.07),
            ("Consultant Upgrade", "PART E: CONSULTANT UPGRADE", 0.27),
        ],
        "NUMBER OF PEOPLE RECEIVING TREATMENT FOR CANCER",
    ),
}
FIRST_TITLES = {"31-day": "PART A: ALL STAGES", "62-day": "PART A: ALL ROUTES"}
# day bands within and after each standard, as the sheets head them
BANDS = {
    "28-day": (
        ["WITHIN 14 DAYS", "IN 15 TO 28 DAYS"],
        ["IN 29 TO 42 DAYS", "IN 43 TO 62 DAYS", "AFTER 62 DAYS"],
    ),
    "31-day": (
        ["WITHIN 31 DAYS "],
        ["IN 32 TO 38 DAYS", "IN 39 TO 48 DAYS", "IN 49 TO 62 DAYS", "AFTER 62 DAYS"],
    ),
    "62-day": (
        ["WITHIN 31 DAYS", "IN 32 TO 38 DAYS", "IN 39 TO 48 DAYS", "IN 49 TO 62 DAYS"],
        ["IN 63 TO 76 DAYS", "IN 77 TO 90 DAYS", "IN 91 TO 104 DAYS", "AFTER 104 DAYS"],
    ),
}
BASIS = "BASIS: PROVIDER BASED INCLUDING WELSH CROSS-BORDER PATIENTS AND 'UNKNOWNS'"
DEFINITIONS = "DEFINITIONS:  DCB0147 Amd 16/2019"
PROPORTIONS = {"28-day": "TOLD WITHIN 28 DAYS", "31-day": "TREATED WITHIN 31 DAYS",
               "62-day": "TREATED WITHIN 62 DAYS"}  # fmt: skip


def _profiles(trusts: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Each trust's monthly people per standard and its share within the standard's days."""
    size = len(trusts)
    told = trusts["type1"].to_numpy() * rng.uniform(0.08, 0.14, size)
    return pd.DataFrame(
        {
            "code": trusts["code"],
            "name": trusts["name"].str.upper(),
            "28-day": told,
            "31-day": told * rng.uniform(0.18, 0.25, size),
            "62-day": told * rng.uniform(0.08, 0.11, size),
            "28-day_within": rng.uniform(0.65, 0.85, size),
            "31-day_within": rng.uniform(0.88, 0.97, size),
            "62-day_within": rng.uniform(0.60, 0.80, size),
        }
    ).sort_values("name", ignore_index=True)


def _counts(
    profiles: pd.DataFrame, standard: str, share: float, rng: np.random.Generator
) -> pd.DataFrame:
    """One part's people per trust: total, within and after, and the day bands; a 62-day
    breach shared with another provider counts half (to total, after and the first band after)."""
    total = rng.poisson(profiles[standard].to_numpy() * share).astype(float)
    within = rng.binomial(total.astype(int), profiles[f"{standard}_within"].to_numpy())
    within_bands, after_bands = BANDS[standard]
    split_within = rng.multinomial(within, np.ones(len(within_bands)) / len(within_bands))
    after = total - within
    split_after = rng.multinomial(after.astype(int), np.ones(len(after_bands)) / len(after_bands))
    frame = pd.DataFrame(
        np.hstack([split_within, split_after]).astype(float), columns=within_bands + after_bands
    )
    if standard == "62-day":
        shared = (rng.random(len(total)) < 0.3) * 0.5
        total, after = total + shared, after + shared
        frame[after_bands[0]] += shared
    frame.insert(0, "AFTER", after)
    frame.insert(0, "WITHIN", within.astype(float))
    frame.insert(0, "TOTAL", total)
    frame.insert(0, "name", profiles["name"])
    frame.insert(0, "code", profiles["code"])
    return frame


def _number(value: float) -> int | float:
    """A count as the workbooks hold it: whole numbers as integers, halves as decimals."""
    return int(value) if float(value).is_integer() else float(value)


def _rows(standard: Standard, route: str, counts: pd.DataFrame) -> list[list[object]]:
    """A part's provider rows (those with anyone counted), a blank row and England's row."""
    cancer = ["ALL CANCERS"] if standard.cancer_type else []
    bands = [c for c in counts.columns if c not in ("code", "name", "TOTAL", "WITHIN", "AFTER")]
    england = counts[["TOTAL", "WITHIN", "AFTER", *bands]].sum()
    rows = []
    for row in counts[counts["TOTAL"] > 0].itertuples(index=False):
        line = dict(zip(counts.columns, row, strict=True))
        rows.append(
            [None, line["code"], line["name"], route, *cancer]
            + [_number(line[c]) for c in ("TOTAL", "WITHIN", "AFTER")]
            + [line["WITHIN"] / line["TOTAL"], ""]
            + [_number(line[c]) for c in bands]
        )
    proportion = england["WITHIN"] / england["TOTAL"] if england["TOTAL"] else None
    return [
        *rows,
        [],
        [None, "", ENGLAND, route, *cancer]
        + [_number(england[c]) for c in ("TOTAL", "WITHIN", "AFTER")]
        + [proportion, ""]
        + [_number(england[c]) for c in bands],
    ]


def _header(standard: Standard) -> list[object]:
    within, after = BANDS[standard.code]
    cancer = ["CANCER TYPE"] if standard.cancer_type else []
    return [
        None,
        ODS_HEADER,
        "ACCOUNTABLE PROVIDER",
        standard.breakdown,
        *cancer,
        "TOTAL",
        f"WITHIN {standard.days} DAYS",
        f"AFTER {standard.days} DAYS",
        PROPORTIONS[standard.code],
        " ",
        *within,
        *after,
    ]


def _write_sheet(
    workbook: openpyxl.Workbook,
    standard: Standard,
    label: str,
    profiles: pd.DataFrame,
    rng: np.random.Generator,
) -> None:
    parts, group = PARTS[standard.code]
    header = _header(standard)
    groups = [None] * len(header)
    total_at, proportion_at = header.index("TOTAL"), header.index(PROPORTIONS[standard.code])
    groups[total_at], groups[proportion_at], groups[proportion_at + 2] = group, "PERCENTAGE", group
    counts = {route: _counts(profiles, standard.code, share, rng) for route, _, share in parts}
    if counts:  # the first part is the sum of the others
        first = next(iter(counts.values())).copy()
        numbers = first.columns[2:]
        first[numbers] = sum(c[numbers] for c in counts.values())
    else:
        first = _counts(profiles, standard.code, 1.0, rng)
    sheet = workbook.create_sheet(standard.sheet)
    for line in [[TITLES[standard.code]], [label], [BASIS], [DEFINITIONS], [], []]:
        sheet.append(line)
    sheet.append([FIRST_TITLES.get(standard.code)])
    sheet.append(groups)
    sheet.append(header)
    for row in _rows(standard, standard.everyone, first):
        sheet.append(row)
    for route, title, _ in parts:
        for row in [[], [], [], [title], [], header, *_rows(standard, route, counts[route])]:
            sheet.append(row)
    sheet.append([])


def write_cwt_files(
    landing: Path, trusts: pd.DataFrame, months: list[str], rng: np.random.Generator
) -> int:
    """One `<MONTH>-<YYYY>-CWT-CRS-PROVIDER-WORKBOOK-FINAL.xlsx` per month, for `trusts`."""
    profiles = _profiles(trusts, rng)
    folder = landing / CWT_LANDING
    folder.mkdir(parents=True, exist_ok=True)
    for month in months:
        workbook = openpyxl.Workbook(write_only=True)
        front = workbook.create_sheet("Frontpage")
        for line in ["Status: Final Official Statistics", "Cancer Waiting Times statistics: "
                     "Provider Based", f"{pd.Timestamp(month):%B %Y}", "Demo data"]:  # fmt: skip
            front.append([line])
        for standard in STANDARDS:
            _write_sheet(workbook, standard, sheet_month(month), profiles, rng)
        workbook.save(folder / cwt_file_name(month))
        _without_save_time(folder / cwt_file_name(month))
    return len(months)


def _without_save_time(path: Path) -> None:
    """The workbook with the time it was saved taken out (openpyxl stamps it in the document's
    properties and on every zip entry), so a seed gives the same bytes, as for the CSV files."""
    with zipfile.ZipFile(path) as archive:
        entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2000-01-01T00:00:00Z", data)
            entry = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            archive.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED)
