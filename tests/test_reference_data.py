"""National reference files: NHS ODS's NHS trusts (etr, headerless), ONS's mid-2020 population by
local authority and single year of age, MHCLG's Indices of Deprivation 2019 by local authority.
The real files through their contracts and the lake assets. Expected figures come from Python's
csv module reading the same files: a code path that shares nothing with DuckDB or the contracts."""

from __future__ import annotations

import csv
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from assets.reference import mhclg_ltla_deprivation, ods_trusts, ons_ltla_population
from contracts.imd import imd_contract
from contracts.ods_etr import ods_etr_contract
from contracts.ons_population import AGES, ons_population_contract
from contracts.validation import Contract, ContractViolationError, validate_file
from orchestration.registry import SOURCES, STATIC_PERIOD, partition_dir, scan_landing
from orchestration.resources import HomeResource
from orchestration.settings import get_settings


@dataclass(frozen=True)
class Reference:
    """A real file, where it lands, and its contract."""

    source: str
    real: str  # under the real data folder
    landing: str  # under landing/
    contract: Contract
    header: bool = True


ETR = Reference("ods_trusts", "ods/etr.csv", "ods/etr.csv", ods_etr_contract, header=False)
POPULATION = Reference(
    "ons_ltla_population",
    "reference/population_mid2020_ltla21.csv",
    "ons/population_mid2020_ltla21.csv",
    ons_population_contract,
)
IMD = Reference(
    "mhclg_ltla_deprivation",
    "reference/imd2019_ltla19.csv",
    "mhclg/imd2019_ltla19.csv",
    imd_contract,
)
REFERENCES = (ETR, POPULATION, IMD)
ETR_COLUMNS = list(ods_etr_contract.headerless)


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as handle:
        return list(csv.reader(handle))


def _records(reference: Reference, real_data: Path) -> list[dict[str, str]]:
    """The file's rows by column, as the csv module reads them (the contract's names for etr)."""
    rows = _rows(real_data / reference.real)
    header = ETR_COLUMNS if not reference.header else [c.lower() for c in rows[0]]
    data = rows if not reference.header else rows[1:]
    return [dict(zip(header, row, strict=True)) for row in data]


def _sum(records: list[dict[str, str]], column: str) -> float:
    return math.fsum(float(r[column]) for r in records)  # exactly rounded, in any order


def _ymd(text: str) -> date | None:
    return datetime.strptime(text, "%Y%m%d").date() if text else None


def test_the_real_trusts_file_passes_whole(real_data):
    frame = validate_file(real_data / ETR.real, ETR.contract)
    records = _records(ETR, real_data)
    assert len(frame) == len(records) == 210
    assert frame["organisation_code"].tolist() == [r["organisation_code"] for r in records]
    closed = [r["organisation_code"] for r in records if r["close_date"]]
    assert sorted(frame.loc[frame["close_date"].notna(), "organisation_code"]) == sorted(closed)
    assert frame["national_grouping"].value_counts().to_dict()["W00"] == 3  # Welsh trusts


def test_the_real_population_file_passes_whole_and_its_ages_add_up(real_data):
    frame = validate_file(real_data / POPULATION.real, POPULATION.contract)
    records = _records(POPULATION, real_data)
    assert len(frame) == len(records) == 331
    for column in ("total_population", "0", "17", "65", "90+"):
        assert frame[column].sum() == _sum(records, column)
    assert _sum(records, "total_population") == 59_719_724
    assert all(
        math.fsum(float(r[age]) for age in AGES) == float(r["total_population"]) for r in records
    )
    assert {code[:3] for code in frame["ltla21_code"]} == {"E06", "E07", "E08", "E09", "W06"}


def test_the_real_deprivation_file_passes_whole(real_data):
    frame = validate_file(real_data / IMD.real, IMD.contract)
    records = _records(IMD, real_data)
    assert len(frame) == len(records) == 317
    for column in ("score", "extent", "income_score", "health_score"):
        assert math.fsum(frame[column]) == _sum(records, column)
    assert round(_sum(records, "score"), 3) == 6218.502


def _land(reference: Reference, real_data: Path) -> Path:
    target = get_settings().landing / reference.landing
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(real_data / reference.real, target)
    return target


def _materialize(*assets: dg.AssetsDefinition) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        list(assets), instance=dg.DagsterInstance.get(), resources={"home": HomeResource()}
    )


def _lake(reference: Reference) -> pd.DataFrame:
    folder = partition_dir(get_settings().lake, reference.source, STATIC_PERIOD)
    return pd.read_parquet(folder / "data.parquet")


def test_the_landing_paths_are_recognised_as_one_static_period(home, real_data):
    for reference in REFERENCES:
        _land(reference, real_data)
    scan = scan_landing(get_settings().landing)
    for reference in REFERENCES:
        source = SOURCES[reference.source]
        assert [f.relative for f in scan.of(source, STATIC_PERIOD)] == [reference.landing]
        assert source.cadence == "static" and source.family == "reference"
    assert not scan.unrecognised


def test_the_lake_holds_every_row_with_the_files_totals(home, real_data):
    for reference in REFERENCES:
        _land(reference, real_data)

    result = _materialize(ods_trusts, ons_ltla_population, mhclg_ltla_deprivation)

    assert result.success
    assert all(check.passed for check in result.get_asset_check_evaluations())

    trusts, records = _lake(ETR), _records(ETR, real_data)
    assert len(trusts) == 210 and (trusts["source_file"] == ETR.landing).all()
    by_code = trusts.set_index("organisation_code")
    for record in records:
        row = by_code.loc[record["organisation_code"]]
        assert row["organisation_name"] == record["name"]
        assert row["open_date"] == _ymd(record["open_date"])
        expected_close = _ymd(record["close_date"])
        assert (row["close_date"] if pd.notna(row["close_date"]) else None) == expected_close
    assert isinstance(by_code.loc["RAP", "close_date"], date)
    assert by_code.loc["RAP", "close_date"] == date(2024, 12, 31)

    population, records = _lake(POPULATION), _records(POPULATION, real_data)
    assert len(population) == 331 * 91
    assert population["population"].dtype == "int64"
    assert population["population"].sum() == _sum(records, "total_population") == 59_719_724
    ages = population.groupby("age")["population"].sum()
    assert (ages[0], ages[65], ages[90]) == tuple(_sum(records, c) for c in ("0", "65", "90+"))
    per_ltla = population.groupby("ltla21_code")["population"].sum().to_dict()
    assert per_ltla == {r["ltla21_code"]: float(r["total_population"]) for r in records}

    deprivation, records = _lake(IMD), _records(IMD, real_data)
    assert len(deprivation) == 317
    assert math.fsum(deprivation["imd_score"]) == _sum(records, "score")
    assert math.fsum(deprivation["environment_score"]) == _sum(records, "environment_score")


def _set(line: int, column: str, value: str) -> Callable[[list[list[str]], list[str]], None]:
    def edit(rows: list[list[str]], header: list[str]) -> None:
        rows[line - 1][header.index(column)] = value

    return edit


def _add(line: int, column: str, more: float) -> Callable[[list[list[str]], list[str]], None]:
    def edit(rows: list[list[str]], header: list[str]) -> None:
        index = header.index(column)
        rows[line - 1][index] = f"{float(rows[line - 1][index]) + more}"

    return edit


def _drop(column: str) -> Callable[[list[list[str]], list[str]], None]:
    def edit(rows: list[list[str]], header: list[str]) -> None:
        index = header.index(column)
        for row in rows:
            del row[index]

    return edit


@pytest.mark.parametrize(
    ("reference", "edit", "line", "column", "rule"),
    [
        (ETR, _drop("null_27"), 1, "null_27", "expected column is missing"),
        (ETR, _set(5, "open_date", "1994-04-01"), 5, "open_date", "not a date YYYYMMDD"),
        (ETR, _set(6, "open_date", "20230229"), 6, "open_date", "not a day of the calendar"),
        (ETR, _set(7, "close_date", "19900331"), 7, "close_date", "not a day of the calendar, or"),
        (ETR, _set(8, "national_grouping", "London"), 8, "national_grouping", "not a national"),
        (POPULATION, _drop("90+"), 1, "90+", "expected column is missing"),
        (POPULATION, _set(10, "45", "n/a"), 10, "45", "coerce_dtype('float64')"),
        (POPULATION, _set(11, "ltla21_code", "E10000002"), 11, "ltla21_code", "not a local"),
        (POPULATION, _add(12, "30", 1), 12, "total_population", "the single years of age do"),
        (POPULATION, _add(13, "30", 0.5), 13, "total_population", "a count is not a whole"),
        (IMD, _drop("extent"), 1, "extent", "expected column is missing"),
        (IMD, _set(20, "score", "high"), 20, "score", "coerce_dtype('float64')"),
        (IMD, _set(21, "ltla19_code", "W06000001"), 21, "ltla19_code", "not an English LTLA"),
        (IMD, _set(22, "income_proportion", "1.2"), 22, "income_proportion", "in_range(0, 1)"),
    ],
    ids=[
        "etr a column too few",
        "etr date with dashes",
        "etr 29 February 2023",
        "etr closed before opened",
        "etr region name for code",
        "population missing column",
        "population text in a count",
        "population county code",
        "population ages not adding up",
        "population half a person",
        "imd missing column",
        "imd text in a score",
        "imd Welsh code",
        "imd share over 1",
    ],
)
def test_a_bad_variant_is_refused_with_a_located_error(
    real_data, tmp_path, reference, edit, line, column, rule
):
    rows = _rows(real_data / reference.real)
    header = [c.lower() for c in rows[0]] if reference.header else ETR_COLUMNS
    edit(rows, header)
    name = Path(reference.real).name
    path = tmp_path / name
    with path.open("w", newline="") as handle:
        quoting = csv.QUOTE_MINIMAL if reference.header else csv.QUOTE_ALL
        csv.writer(handle, quoting=quoting, lineterminator="\r\n").writerows(rows)
    with pytest.raises(ContractViolationError) as refused:
        validate_file(path, reference.contract)
    first = refused.value.violations[0]
    assert (first.file, first.line, first.column) == (name, line, column)
    assert first.rule.startswith(rule)


def test_a_bad_file_leaves_the_previous_lake_file_in_force(home, real_data):
    landed = _land(POPULATION, real_data)
    _materialize(ons_ltla_population)
    before = _lake(POPULATION)

    rows = _rows(landed)
    rows[2][rows[0].index("65")] = "0.0"  # a year of age lost: the total no longer agrees
    with landed.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)

    result = _materialize(ons_ltla_population)

    pd.testing.assert_frame_equal(_lake(POPULATION), before)
    [check] = result.get_asset_check_evaluations()
    assert not check.passed
    [violations] = check.metadata["violations"].value.values()
    assert violations[0].startswith(
        f"{POPULATION.landing}, line 3, column 'total_population': the single years of age"
    )
