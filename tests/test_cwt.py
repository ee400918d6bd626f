"""NHS England's Cancer Waiting Times provider workbooks: the real October, November and December
2023 FINAL workbooks through the reader, the contract and the lake asset. Expected figures come
from openpyxl cells read here by fixed column letters, a code path that shares nothing with the
reader's header lookup, the CSV, DuckDB or the contract; sums are exact fractions (counts can be
halves: a breach shared by two providers counts half to each).

What the real workbooks show: every part of the three headline sheets (28-day all routes; 31-day
all stages, first and subsequent treatments; 62-day all routes and its four referral routes)
closes with an 'ALL ENGLISH PROVIDERS' row that equals the sum of the part's provider rows
exactly, halves included.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import dagster as dg
import openpyxl
import pandas as pd
import pytest
from conftest import Publisher
from openpyxl.utils import column_index_from_string

from assets.national import nhse_cancer_waits
from contracts.cwt import cwt_contract, cwt_file_name, workbook_csv
from contracts.validation import validate_file
from orchestration.fetch import fetch
from orchestration.registry import SOURCES, partition_dir, recognise, scan_landing
from orchestration.resources import HomeResource
from orchestration.settings import get_settings

MONTHS = ("2023-10", "2023-11", "2023-12")
OCTOBER = "2023-10"
# sheet -> (standard, the TOTAL column's letter: WITHIN and AFTER are the next two)
SHEETS = {
    "28-DAY FDS (ALL ROUTES)": ("28-day", "E"),
    "31-DAY (ALL CANCER)": ("31-day", "F"),
    "62-DAY (ALL CANCER)": ("62-day", "F"),
}
FDS, D31, D62 = SHEETS
ENGLAND = "ALL ENGLISH PROVIDERS"
# the rows of each part read here: 28-day 144 (December 145), 31-day 142 + 142 + 136 in October
ROWS = {
    "2023-10": {"28-day": 144, "31-day": 420, "62-day": 617},
    "2023-11": {"28-day": 144, "31-day": 416, "62-day": 612},
    "2023-12": {"28-day": 145, "31-day": 414, "62-day": 612},
}


@pytest.fixture(scope="module")
def real_cwt(real_data: Path) -> dict[str, Path]:
    return {month: real_data / "cwt" / cwt_file_name(month) for month in MONTHS}


Counts = dict[str, Fraction]


def _published(
    path: Path,
) -> tuple[dict[tuple[str, str], list[Counts]], dict[tuple[str, str], Counts]]:
    """Straight from the cells: per (standard, route or stage) its provider rows' counts, and
    England's row. A provider row has text in column B other than the header's."""
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    providers: dict[tuple[str, str], list[Counts]] = defaultdict(list)
    england: dict[tuple[str, str], Counts] = {}
    for sheet, (standard, letter) in SHEETS.items():
        ws = workbook[sheet]
        ws.reset_dimensions()
        total = column_index_from_string(letter) - 1
        for row in ws.iter_rows(min_row=10, values_only=True):
            if len(row) <= total + 2:
                continue
            counts = {
                name: Fraction(row[total + i]) if isinstance(row[total + i], int | float) else None
                for i, name in enumerate(("total", "within", "after"))
            }
            if row[2] == ENGLAND:
                england[(standard, row[3])] = counts
            elif row[1] and row[1] != "ODS CODE (1)":
                providers[(standard, row[3])].append(counts)
    workbook.close()
    return providers, england


def _sums(rows: list[Counts]) -> Counts:
    return {
        name: sum((r[name] for r in rows), Fraction(0)) for name in ("total", "within", "after")
    }


def _by_part(frame: pd.DataFrame, standard: str, route: str, within: str, total: str):
    part = frame[(frame[standard[0]] == standard[1]) & (frame[route[0]] == route[1])]
    return len(part), {
        "total": sum(map(Fraction, part[total])),
        "within": sum(map(Fraction, part[within])),
    }


# (1) each real workbook reads whole


@pytest.mark.parametrize("month", MONTHS)
def test_each_real_workbook_reads_whole_with_its_counts(real_cwt, tmp_path, month):
    frame = validate_file(workbook_csv(real_cwt[month], tmp_path), cwt_contract(month))
    providers, _ = _published(real_cwt[month])

    assert frame.groupby("STANDARD").size().to_dict() == ROWS[month]
    for (standard, route), rows in providers.items():
        part = frame[(frame["STANDARD"] == standard) & (frame["ROUTE OR STAGE"] == route)]
        assert len(part) == len(rows), (standard, route)
        expected = _sums(rows)
        assert sum(map(Fraction, part["TOTAL"])) == expected["total"], (standard, route)
        assert sum(map(Fraction, part["WITHIN"])) == expected["within"], (standard, route)
        assert sum(map(Fraction, part["AFTER"])) == expected["after"], (standard, route)


def test_halves_survive_exactly(real_cwt, tmp_path):
    frame = validate_file(workbook_csv(real_cwt[OCTOBER], tmp_path), cwt_contract(OCTOBER))
    airedale = frame[
        (frame["ODS CODE"] == "RCF")
        & (frame["STANDARD"] == "62-day")
        & (frame["ROUTE OR STAGE"] == "ALL ROUTES")
    ]
    assert airedale[["TOTAL", "WITHIN", "AFTER"]].values.tolist() == [[65.5, 47.0, 18.5]]
    assert (frame["TOTAL"] % 1 == 0.5).sum() > 0


# (2) the lake asset, and a later release


def test_the_names_nhs_england_uses_are_recognised():
    provisional = recognise(f"nhse_cwt/{cwt_file_name(OCTOBER, 'PROVISIONAL')}")
    final = recognise(f"nhse_cwt/{cwt_file_name(OCTOBER)}")
    copy = recognise("nhse_cwt/october-2023-cwt-crs-provider-workbook-final-1.xlsx")
    assert provisional and final and copy
    assert {provisional.period, final.period, copy.period} == {OCTOBER}
    assert provisional.release < final.release < copy.release
    assert recognise("nhse_cwt/OCTOBER-2023-CWT-CRS-PROVIDER-WORKBOOK-FINAL.csv") is None
    assert recognise("nhse_cwt/OCTOBER-2023-CWT-CRS-COMMISSIONER-WORKBOOK-FINAL.xlsx") is None


def _materialize(month: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [nhse_cancer_waits],
        partition_key=f"{month}-01",
        instance=dg.DagsterInstance.get(),
        resources={"home": HomeResource()},
    )


def _lake(month: str) -> pd.DataFrame:
    folder = partition_dir(get_settings().lake, "nhse_cancer_waits", month)
    return pd.read_parquet(folder / "data.parquet")


def _land(source: Path, name: str) -> Path:
    landing = get_settings().landing / "nhse_cwt"
    landing.mkdir(parents=True, exist_ok=True)
    (landing / name).write_bytes(source.read_bytes())
    return landing / name


@pytest.mark.parametrize("month", MONTHS)
def test_the_lake_holds_each_workbook_and_england_reconciles(real_cwt, home, month):
    _land(real_cwt[month], cwt_file_name(month))

    result = _materialize(month)

    assert result.success
    lake = _lake(month)
    providers, england = _published(real_cwt[month])
    assert len(lake) == sum(ROWS[month].values()) and (lake["period"] == month).all()
    assert (lake["source_file"] == f"nhse_cwt/{cwt_file_name(month)}").all()
    for (standard, route), rows in providers.items():
        expected = _sums(rows)
        found = _by_part(
            lake,
            ("standard", standard),
            ("route_or_stage", route),
            "within_standard",
            "total",
        )
        assert found == (len(rows), {k: expected[k] for k in ("total", "within")})
        # (3) England: the sum over providers is the workbook's own total row, exactly
        assert expected == england[(standard, route)], (standard, route)
    assert len(england) == 9  # 28-day: 1 part; 31-day: 3; 62-day: 5
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    reconciled = checks["reconciles_with_publisher_total"]
    assert reconciled.passed, reconciled.metadata["differences"].value
    assert reconciled.metadata["totals_compared"].value == 9 * 3


def _copy(
    source: Path,
    target: Path,
    edit: Callable[[str, int, list], None] = lambda *_: None,
    sheets: dict[str, str] | None = None,
) -> Path:
    """The workbook's three headline sheets (values; named as in `sheets`, old -> new), each row
    through `edit(sheet, row number, cells)`, written as a new workbook."""
    sheets = sheets or {name: name for name in SHEETS}
    original = openpyxl.load_workbook(source, read_only=True, data_only=True)
    copy = openpyxl.Workbook(write_only=True)
    for name, new_name in sheets.items():
        ws = original[name]
        ws.reset_dimensions()
        written = copy.create_sheet(new_name)
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = list(row)
            edit(name, number, cells)
            written.append(cells)
    original.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    copy.save(target)
    return target


def _set(sheet: str, row: int, **values: object) -> Callable[[str, int, list], None]:
    """An edit of one row's cells, by column letter: `_set(sheet, 10, E=738)`."""

    def edit(name: str, number: int, cells: list) -> None:
        if (name, number) == (sheet, row):
            for letter, value in values.items():
                cells[column_index_from_string(letter) - 1] = value

    return edit


def test_a_final_release_replaces_the_provisional_exactly(real_cwt, home):
    landing = get_settings().landing / "nhse_cwt"
    provisional = cwt_file_name(OCTOBER, "PROVISIONAL")
    # an earlier release: one more of Airedale's patients told after 28 days (row 10: E, G)
    _copy(real_cwt[OCTOBER], landing / provisional, _set(FDS, 10, E=738, G=255))
    _materialize(OCTOBER)
    assert (_lake(OCTOBER)["source_file"] == f"nhse_cwt/{provisional}").all()

    _land(real_cwt[OCTOBER], cwt_file_name(OCTOBER))
    _materialize(OCTOBER)

    lake = _lake(OCTOBER)
    assert (lake["source_file"] == f"nhse_cwt/{cwt_file_name(OCTOBER)}").all()
    expected = validate_file(workbook_csv(real_cwt[OCTOBER], home), cwt_contract(OCTOBER))
    assert lake["total"].tolist() == expected["TOTAL"].tolist()
    assert lake["within_standard"].tolist() == expected["WITHIN"].tolist()
    assert lake["organisation_code"].tolist() == expected["ODS CODE"].tolist()
    submissions = pd.read_parquet(
        get_settings().lake / "submissions" / "dataset=nhse_cancer_waits" / f"period={OCTOBER}"
    )
    assert dict(zip(submissions["source_file"], submissions["status"], strict=True)) == {
        f"nhse_cwt/{provisional}": "superseded",
        f"nhse_cwt/{cwt_file_name(OCTOBER)}": "accepted",
    }
    landed = landing / cwt_file_name(OCTOBER)
    final = submissions[submissions["status"] == "accepted"].iloc[0]
    assert final["source_sha256"] == hashlib.sha256(landed.read_bytes()).hexdigest()


# (4) malformed workbooks: refused, located, and the lake stays as it was

HEADLINE = {name: name for name in SHEETS}


@pytest.mark.parametrize(
    ("edit", "sheets", "sheet", "row", "column", "rule"),
    [
        (None, {FDS: FDS, D62: D62}, D31, None, None, "the sheet is missing"),
        (
            _set(D62, 9, G="WITHIN 62 DAYS (%)"),
            HEADLINE,
            D62,
            9,
            "WITHIN 62 DAYS",
            "expected column is missing",
        ),
        (None, {D31: FDS, D62: D62, FDS: D31}, FDS, 9, "REFERRAL ROUTE", "expected column"),
        (_set(D31, 12, F="n/a"), HEADLINE, D31, 12, "TOTAL", "coerce_dtype"),
        (_set(D62, 11, H=-1), HEADLINE, D62, 11, "AFTER", "greater_than_or_equal_to(0)"),
        (_set(FDS, 10, F=800), HEADLINE, FDS, 10, "WITHIN", "more people within"),
        (_set(D62, 12, F=156.25), HEADLINE, D62, 12, "TOTAL", "not a whole or half count"),
        (_set(D31, 2, A="Sep-23"), HEADLINE, D31, 10, "PERIOD", "the sheet's month is not"),
    ],
    ids=[
        "missing sheet",
        "renamed header",
        "wrong sheet",
        "text in a count",
        "negative count",
        "within over total",
        "quarter count",
        "another month",
    ],
)
def test_a_malformed_workbook_is_refused_with_a_located_error(
    real_cwt, home, edit, sheets, sheet, row, column, rule
):
    landing = get_settings().landing / "nhse_cwt"
    provisional = cwt_file_name(OCTOBER, "PROVISIONAL")
    _copy(real_cwt[OCTOBER], landing / provisional)
    _materialize(OCTOBER)
    before = _lake(OCTOBER)
    final = cwt_file_name(OCTOBER)
    _copy(real_cwt[OCTOBER], landing / final, edit or (lambda *_: None), sheets)

    result = _materialize(OCTOBER)

    pd.testing.assert_frame_equal(_lake(OCTOBER), before)
    report = (
        partition_dir(get_settings().quarantine, "nhse_cancer_waits", OCTOBER)
        / f"nhse_cwt__{final}.violations.json"
    )
    violations = json.loads(report.read_text())["violations"]
    located = [
        v
        for v in violations
        if (v["file"], v["sheet"], v["line"], v["column"])
        == (f"nhse_cwt/{final}", sheet, row, column)
        and v["rule"].startswith(rule)
    ]
    assert located, violations
    [contract] = [c for c in result.get_asset_check_evaluations() if c.check_name == "contract"]
    [messages] = contract.metadata["violations"].value.values()
    where = ", ".join(
        [f"nhse_cwt/{final}", f"sheet {sheet!r}"]
        + ([f"row {row}"] if row else [])
        + ([f"column {column!r}"] if column else [])
    )
    assert any(m.startswith(f"{where}: {rule}") for m in messages), messages


# fetch

PAGE = (
    "/statistics/statistical-work-areas/cancer-waiting-times/monthly-data-and-summaries/"
    "2023-24-monthly-cancer-waiting-times-statistics/"
)
UPLOADS = "/statistics/wp-content/uploads/sites/2/2024/02/"


def test_fetch_lands_the_final_workbook_from_the_financial_years_page(
    mirrored: Path, publisher: Publisher, real_cwt: dict[str, Path]
) -> None:
    names = [
        cwt_file_name(OCTOBER, "FINAL"),
        cwt_file_name(OCTOBER, "PROVISIONAL"),
        cwt_file_name("2023-11", "PROVISIONAL"),
    ]
    links = "".join(f'<li><a href="{UPLOADS}{name}">{name}</a></li>' for name in names)
    publisher.files[PAGE] = f"<html><body><ul>{links}</ul></body></html>".encode()
    publisher.files[UPLOADS + names[0]] = real_cwt[OCTOBER].read_bytes()
    publisher.files[UPLOADS + names[1]] = b"the provisional release"

    got = fetch(SOURCES["nhse_cancer_waits"], OCTOBER, get_settings())

    assert got.landed == f"nhse_cwt/{names[0]}"
    assert (mirrored / "landing" / got.landed).read_bytes() == real_cwt[OCTOBER].read_bytes()
    scan = scan_landing(mirrored / "landing")
    [landed] = scan.of(SOURCES["nhse_cancer_waits"], OCTOBER)
    assert landed.relative == got.landed and not scan.unrecognised
