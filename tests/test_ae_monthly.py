"""NHS England's monthly A&E files: the real releases load through the contract and add up to
their own TOTAL row, bad variants are rejected with located errors, revisions supersede, and the
demo files keep the published format."""

import csv
import re
import shutil
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest
from csv_edits import drop_column, rename_column, set_cell

from assets.lake import partition_dir
from assets.national import nhse_ae_attendances
from contracts.ae_monthly import (
    COUNT_COLUMNS,
    HEADER,
    MONTH_NAMES,
    OUTPUT_COLUMNS,
    ae_file_stem,
    read_ae_monthly,
)
from contracts.validation import ContractViolationError
from orchestration.demo_data.national import make_sites, write_ae_files
from orchestration.registry import recognise
from orchestration.resources import HomeResource
from orchestration.settings import get_settings

REAL_FILES = [
    "Monthly-AE-June-2024.csv",
    "Monthly-AE-July-2024-revised.csv",
    "Monthly-AE-August-2024.csv",
    "Monthly-AE-September-2024.csv",
    "Monthly-AE-October-2024-revised.csv",
    "Monthly-AE-November-2024-revised.csv",
    "Monthly-AE-December-2024.csv",
]
JUNE = "Monthly-AE-June-2024.csv"
ATTENDANCES = [c for c in COUNT_COLUMNS.values() if c.startswith(("attendances_", "booked_"))]
OVER_4HRS = [c for c in COUNT_COLUMNS.values() if c.startswith("over_4hrs_")]

RESOURCES = {"home": HomeResource()}  # national and reference data need no key


@pytest.fixture(scope="module")
def real_ae(real_data: Path) -> Path:
    return real_data / "ae_monthly"


def _month(name: str) -> str:
    """'Monthly-AE-June-2024[-revised].csv' -> '2024-06'."""
    match = re.match(r"Monthly-AE-(\w+?)-(\d{4})", name)
    assert match, name
    return f"{match[2]}-{MONTH_NAMES.index(match[1]) + 1:02d}"


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as handle:
        return list(csv.reader(handle))


def _write_rows(path: Path, rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


# (a) the real releases


def test_month_labels_map_to_nhs_england_file_names():
    assert ae_file_stem("2024-06") == "Monthly-AE-June-2024"
    assert ae_file_stem("2016-12") == "Monthly-AE-December-2016"


@pytest.mark.parametrize("name", REAL_FILES)
def test_a_real_release_loads_and_adds_up_to_its_total_row(real_ae, name):
    path = real_ae / name
    frame = read_ae_monthly(path, _month(name))

    rows = _rows(path)
    header = [column.strip() for column in rows[0]]
    [total] = [row for row in rows[1:] if row[0].strip().upper() == "TOTAL"]
    assert list(frame.columns) == OUTPUT_COLUMNS
    assert len(frame) == len(rows) - 2  # header and TOTAL row
    assert not frame["organisation_code"].str.upper().eq("TOTAL").any()
    assert (frame["period"] == _month(name)).all()
    for published, column in COUNT_COLUMNS.items():
        assert frame[column].sum() == int(total[header.index(published)]), published
    for column in ("organisation_code", "parent_org", "organisation_name"):
        assert frame[column].eq(frame[column].str.strip()).all(), column


def test_september_stray_columns_are_dropped(real_ae):
    header = _rows(real_ae / "Monthly-AE-September-2024.csv")[0]
    assert len(header) > len(HEADER)  # the blank columns and the stray 'a' are really there
    frame = read_ae_monthly(real_ae / "Monthly-AE-September-2024.csv", "2024-09")
    assert list(frame.columns) == OUTPUT_COLUMNS


# (b) the published headline figure


def test_june_england_four_hour_performance_is_the_published_figure(real_ae):
    frame = read_ae_monthly(real_ae / JUNE, "2024-06")
    performance = 1 - frame[OVER_4HRS].to_numpy().sum() / frame[ATTENDANCES].to_numpy().sum()
    assert round(performance * 100, 1) == 74.6


# (c) bad variants, each located by file, line, column and rule


@pytest.mark.parametrize(
    ("edit", "month", "line", "column", "rule"),
    [
        (
            drop_column("A&E attendances Type 2"),
            "2024-06",
            1,
            "A&E attendances Type 2",
            "expected column is missing",
        ),
        (
            rename_column("Org Code", "Organisation Code"),
            "2024-06",
            1,
            "Org Code",
            "expected column is missing",
        ),
        (
            set_cell(3, "A&E attendances Type 1", "lots"),
            "2024-06",
            3,
            "A&E attendances Type 1",
            "coerce_dtype('int64')",
        ),
        (
            set_cell(4, "Other emergency admissions", "-3"),
            "2024-06",
            4,
            "Other emergency admissions",
            "greater_than_or_equal_to(0)",
        ),
        (
            set_cell(5, "Org Code", "r-1"),
            "2024-06",
            5,
            "Org Code",
            "not an ODS organisation code",
        ),
        (
            set_cell(6, "Attendances over 4hrs Type 1", "99999999"),
            "2024-06",
            6,
            "Attendances over 4hrs Type 1",
            "more attendances over 4 hours than 'A&E attendances Type 1'",
        ),
        (lambda rows: None, "2024-07", 2, "Period", "period is not MSitAE-JULY-2024"),
    ],
    ids=[
        "missing column",
        "renamed header",
        "text in a count",
        "negative count",
        "bad org code",
        "over 4hrs above attendances",
        "wrong period",
    ],
)
def test_a_bad_variant_is_rejected_with_a_located_error(
    real_ae, tmp_path, edit, month, line, column, rule
):
    rows = _rows(real_ae / JUNE)
    edit(rows)
    path = _write_rows(tmp_path / JUNE, rows)
    with pytest.raises(ContractViolationError) as excinfo:
        read_ae_monthly(path, month)
    first = excinfo.value.violations[0]
    assert (first.file, first.line, first.column) == (JUNE, line, column)
    assert first.rule.startswith(rule)
    assert f"{JUNE}, line {line}, column {column!r}: {rule}" in str(excinfo.value)


# (d) revisions


@pytest.mark.parametrize(
    ("name", "month", "release"),
    [
        ("Monthly-AE-July-2024.csv", "2024-07", (0, ())),
        ("Monthly-AE-July-2024-revised.csv", "2024-07", (1, ())),
        ("Monthly-AE-June-2025-1-1.csv", "2025-06", (0, (1, 1))),  # a browser's repeat download
        ("Monthly-AE-june-2025-revised-1.csv", "2025-06", (1, (1,))),
    ],
)
def test_nhs_england_download_names_are_recognised(name, month, release):
    found = recognise(f"nhse_ae/{name}")
    assert found is not None and found.source.name == "nhse_ae_attendances"
    assert (found.period, found.release) == (month, release)


@pytest.mark.parametrize(
    "name", ["Monthly-AE-Juin-2024.csv", "AE-June-2024.csv", "Monthly-AE-June-2024.xlsx"]
)
def test_other_names_are_not_taken_for_an_ae_file(name):
    assert recognise(f"nhse_ae/{name}") is None


def _materialize(partition_key: str) -> dg.ExecuteInProcessResult:
    """The A&E asset alone, in the test home's own Dagster instance."""
    return dg.materialize(
        [nhse_ae_attendances],
        partition_key=partition_key,
        instance=dg.DagsterInstance.get(),
        resources=RESOURCES,
    )


def test_the_lake_holds_the_revised_release_only(real_ae, home):
    revised = "Monthly-AE-July-2024-revised.csv"
    landing = get_settings().landing / "nhse_ae"
    landing.mkdir(parents=True)
    shutil.copy(real_ae / revised, landing / revised)
    original = _rows(real_ae / revised)
    set_cell(2, "A&E attendances Type 1", "0")(original)  # an earlier, different release
    _write_rows(landing / "Monthly-AE-July-2024.csv", original)

    result = _materialize("2024-07-01")

    lake = pd.read_parquet(partition_dir(get_settings().lake, "nhse_ae_attendances", "2024-07"))
    expected = read_ae_monthly(real_ae / revised, "2024-07")
    assert (lake["source_file"] == f"nhse_ae/{revised}").all()
    pd.testing.assert_frame_equal(lake[OUTPUT_COLUMNS], expected, check_dtype=False)
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["contract"].passed and checks["reconciles_with_publisher_total"].passed
    assert checks["contract"].metadata["files_accepted"].value == 1


def test_a_bad_release_is_quarantined_and_leaves_no_lake_file(real_ae, home):
    landing = get_settings().landing / "nhse_ae"
    landing.mkdir(parents=True)
    rows = _rows(real_ae / JUNE)
    set_cell(3, "A&E attendances Type 1", "lots")(rows)
    _write_rows(landing / JUNE, rows)

    result = _materialize("2024-06-01")

    assert not (partition_dir(get_settings().lake, "nhse_ae_attendances", "2024-06")).exists()
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert not checks["contract"].passed
    report = get_settings().quarantine / "nhse_ae_attendances" / "period=2024-06"
    assert (report / f"nhse_ae__{JUNE}.violations.json").is_file()


# the demo files


def test_demo_files_keep_the_published_format_and_are_deterministic(tmp_path):
    months = ["2024-06", "2024-07"]
    for folder in ("a", "b"):
        rng = np.random.default_rng(7)
        assert write_ae_files(tmp_path / folder, make_sites(rng), months, rng) == 2
    june = tmp_path / "a" / "nhse_ae" / "Monthly-AE-June-2024.csv"
    assert june.read_bytes() == (tmp_path / "b" / "nhse_ae" / june.name).read_bytes()

    rows = _rows(june)
    assert rows[0] == HEADER
    assert rows[1][0] == "MSitAE-JUNE-2024" and rows[1][2].endswith(" ")
    assert rows[-1][:4] == ["TOTAL"] * 4
    frames = [
        read_ae_monthly(tmp_path / "a" / "nhse_ae" / f"{ae_file_stem(m)}.csv", m) for m in months
    ]
    assert frames[0]["organisation_code"].tolist() == frames[1]["organisation_code"].tolist()

    june_frame = frames[0]
    trusts = june_frame[june_frame["attendances_type1"] > 0]
    assert len(trusts) == 20
    assert trusts["organisation_code"].str.fullmatch(r"Z\d[A-Z]").all()
    assert trusts["attendances_type1"].between(5_000, 21_000).all()
    performance = 1 - trusts[OVER_4HRS].sum(axis=1) / trusts[ATTENDANCES].sum(axis=1)
    assert performance.between(0.60, 0.90).all()
    walk_ins = june_frame[june_frame["attendances_type1"] == 0]
    assert len(walk_ins) > 0
    others = [c for c in ATTENDANCES if c != "attendances_other"]
    assert (walk_ins[others] == 0).all().all()
    assert (walk_ins["attendances_other"] > 0).all()
    totals = june_frame[list(COUNT_COLUMNS.values())].sum()
    assert [int(value) for value in rows[-1][4:]] == totals.tolist()


# (e) each load reconciles itself against NHS England's TOTAL row


@pytest.mark.parametrize("name", REAL_FILES)
def test_every_real_release_reconciles_with_its_total_row(real_ae, home, name):
    landing = get_settings().landing / "nhse_ae"
    landing.mkdir(parents=True)
    shutil.copy(real_ae / name, landing / name)

    result = _materialize(f"{_month(name)}-01")

    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    reconciled = checks["reconciles_with_publisher_total"]
    assert reconciled.passed, reconciled.metadata["differences"].value
    assert reconciled.metadata["totals_compared"].value == len(COUNT_COLUMNS)


def test_a_file_whose_rows_do_not_add_up_to_england_fails_the_check_and_is_kept(real_ae, home):
    landing = get_settings().landing / "nhse_ae"
    rows = _rows(real_ae / JUNE)
    column = "A&E attendances Type 1"
    published = int(rows[3][rows[0].index(column)])
    set_cell(4, column, str(published + 5))(rows)  # a provider's row, not the TOTAL row
    _write_rows(landing / JUNE, rows)

    result = _materialize("2024-06-01")

    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    reconciled = checks["reconciles_with_publisher_total"]
    assert not reconciled.passed
    [difference] = reconciled.metadata["differences"].value
    total = int(next(r for r in rows if r[0].strip() == "TOTAL")[rows[0].index(column)])
    assert f"'{column}' sums to {total + 5:,}" in difference
    assert f"the total row says {total:,}" in difference
    lake = pd.read_parquet(partition_dir(get_settings().lake, "nhse_ae_attendances", "2024-06"))
    assert lake["attendances_type1"].sum() == total + 5  # kept: the check says, it does not drop


# (f) the historic series, April 2016 - March 2019


def test_the_historic_series_loads_whole_with_its_column_totals(real_data, home):
    from assets.national import nhse_ae_history

    source = real_data / "ae_history" / "ae_attendances_2016_2019.csv"
    landing = get_settings().landing / "ae_history"
    landing.mkdir(parents=True)
    shutil.copy(source, landing / source.name)

    result = dg.materialize(
        [nhse_ae_history], instance=dg.DagsterInstance.get(), resources=RESOURCES
    )

    assert result.success
    lake = pd.read_parquet(get_settings().lake / "nhse_ae_history" / "data.parquet")
    rows = _rows(source)
    header = rows[0]
    assert len(lake) == len(rows) - 1
    for column in ("attendances", "breaches", "admissions"):
        expected = sum(int(r[header.index(column)]) for r in rows[1:])
        assert lake[column].sum() == expected, column
    assert str(lake["period_start"].min())[:10] == "2016-04-01"
    assert str(lake["period_start"].max())[:10] == "2019-03-01"
