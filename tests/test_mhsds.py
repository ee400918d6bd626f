"""NHS England's MHSDS community mental health 4-week waits: the real April and May 2024 releases
through the contract, the lake asset, the staging and metric models, and `peerbench fetch`.
Expected figures come from Python's csv module reading the same files: a code path that shares
nothing with DuckDB, the contract or dbt.

What the real files show: the two releases share no reporting period (April's holds 01/02-30/04
and 01/04-30/04, May's 01/03-31/05 and 01/05-31/05), so "the latest release wins" is exercised
by the staging model's dbt unit test, which runs inside the build below. England's counts are
exact, but provider and ICB counts are rounded to the nearest 5 and small ones suppressed: the
providers' counts do not add up to England's, only to within rounding and suppression.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections import defaultdict
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from conftest import Publisher
from csv_edits import drop_column, rename_column, set_cell

from assets.national import nhse_mhsds_waits
from contracts.mhsds import mhsds_contract
from contracts.validation import ContractViolationError, validate_file
from orchestration.fetch import fetch
from orchestration.registry import SOURCES, partition_dir, recognise, scan_landing
from orchestration.resources import HomeResource, dbt_resource
from orchestration.settings import get_settings

RELEASES = {
    "2024-04": "MHSDS_Data_4WW_AprPerf_2024_v2.csv",
    "2024-05": "MHSDS_Data_4WW_MayPerf_2024_v2.csv",
}
APRIL = "2024-04"
KEY = [
    "REPORTING_PERIOD_START",
    "REPORTING_PERIOD_END",
    "BREAKDOWN",
    "PRIMARY_LEVEL",
    "SECONDARY_LEVEL",
    "MEASURE_ID",
]
METRICS = {"MH_4WW_CMH": ("MRS01a", "MRS01"), "MH_4WW_CYP": ("MRS08a", "MRS08")}


@pytest.fixture(scope="module")
def real_mhsds(real_data: Path) -> dict[str, Path]:
    return {month: real_data / "mhsds" / name for month, name in RELEASES.items()}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _number(text: str) -> float | None:
    return None if text == "*" else float(text)


def _sums_by_measure(rows: list[dict[str, str]]) -> dict[str, float]:
    sums: dict[str, float] = defaultdict(float)
    for row in rows:
        sums[row["MEASURE_ID"]] += _number(row["MEASURE_VALUE"]) or 0.0
    return dict(sums)


# the contract


@pytest.mark.parametrize("month", RELEASES)
def test_each_real_release_passes_whole_with_its_values(real_mhsds, month):
    frame = validate_file(real_mhsds[month], mhsds_contract(month))
    rows = _rows(real_mhsds[month])
    assert len(frame) == len(rows) == {"2024-04": 19_958, "2024-05": 19_934}[month]
    values = pd.to_numeric(frame["MEASURE_VALUE"].where(frame["MEASURE_VALUE"] != "*"))
    found = values.groupby(frame["MEASURE_ID"]).sum().to_dict()
    expected = _sums_by_measure(rows)
    assert found.keys() == expected.keys() and len(expected) == 44
    assert found == pytest.approx(expected, rel=1e-12)


def test_the_file_names_nhs_england_uses_are_recognised():
    for name, release in [
        ("MHSDS_Data_4WW_AprPerf_2024.csv", (0, ())),
        ("MHSDS_Data_4WW_AprPerf_2024_v2.csv", (0, (2,))),
        ("MHSDS_Data_4WW_AprPerf_2024_v2-1.csv", (0, (2, 1))),  # a browser's second copy
    ]:
        found = recognise(f"nhse_mhsds/{name}")
        assert found is not None and found.source.name == "nhse_mhsds_waits"
        assert (found.period, found.release) == (APRIL, release)
    assert recognise("nhse_mhsds/MHSDS_Data_4WW_AprProv_2024.csv") is None


# the lake


def _materialize(month: str = APRIL) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [nhse_mhsds_waits],
        partition_key=f"{month}-01",
        instance=dg.DagsterInstance.get(),
        resources={"home": HomeResource()},
    )


def _lake(month: str = APRIL) -> pd.DataFrame:
    folder = partition_dir(get_settings().lake, "nhse_mhsds_waits", month)
    return pd.read_parquet(folder / "data.parquet")


def _land(path: Path, name: str | None = None) -> Path:
    landing = get_settings().landing / "nhse_mhsds"
    landing.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(path, landing / (name or path.name)))


def _by_key(rows: list[dict[str, str]]) -> dict[tuple[str, ...], float | None]:
    return {tuple(row[c] for c in KEY): _number(row["MEASURE_VALUE"]) for row in rows}


def _lake_by_key(lake: pd.DataFrame) -> dict[tuple[str, ...], float | None]:
    dates = {
        column: lake[column].map(lambda day: f"{day:%d/%m/%Y}")
        for column in ("reporting_period_start", "reporting_period_end")
    }
    keys = zip(
        dates["reporting_period_start"],
        dates["reporting_period_end"],
        lake["breakdown"],
        lake["primary_level"],
        lake["secondary_level"],
        lake["measure_id"],
        strict=True,
    )
    values = [None if pd.isna(v) else float(v) for v in lake["measure_value"]]
    return dict(zip(keys, values, strict=True))


def test_the_lake_holds_every_row_with_suppressed_values_null(real_mhsds, home):
    _land(real_mhsds[APRIL])

    assert _materialize().success

    lake = _lake()
    rows = _rows(real_mhsds[APRIL])
    assert len(lake) == len(rows) and (lake["period"] == APRIL).all()
    assert _lake_by_key(lake) == _by_key(rows)
    published_stars = sum(row["MEASURE_VALUE"] == "*" for row in rows)
    assert lake["suppressed"].sum() == published_stars == 12_477
    assert (lake["suppressed"] == lake["measure_value"].isna()).all()
    assert (lake["source_file"] == f"nhse_mhsds/{RELEASES[APRIL]}").all()


def test_a_second_version_replaces_the_first_exactly(real_mhsds, home, tmp_path):
    rows = real_mhsds[APRIL].read_text().splitlines(keepends=True)
    first = tmp_path / "MHSDS_Data_4WW_AprPerf_2024.csv"
    first.write_text("".join(rows[:101]))  # an earlier, shorter version
    _land(first)
    _land(real_mhsds[APRIL])

    _materialize()

    assert len(_lake()) == 19_958
    submissions = pd.read_parquet(
        get_settings().lake / "submissions" / "dataset=nhse_mhsds_waits" / f"period={APRIL}"
    )
    assert dict(zip(submissions["source_file"], submissions["status"], strict=True)) == {
        "nhse_mhsds/MHSDS_Data_4WW_AprPerf_2024.csv": "superseded",
        f"nhse_mhsds/{RELEASES[APRIL]}": "accepted",
    }


# England against the providers


def test_england_counts_are_exact_and_the_providers_add_up_only_within_rounding(real_mhsds, home):
    """England's MRS01b is 100 x MRS01a / MRS01 of its own counts. Provider counts are rounded to
    the nearest 5 (each off by at most 2) and small ones suppressed, so their sum falls short of
    England's by what rounding and suppression hide (17 and 14 of 19,727 and 2,099 in April)."""
    _land(real_mhsds[APRIL])
    _materialize()
    lake = _lake()
    rows = _rows(real_mhsds[APRIL])
    published = {
        row["MEASURE_ID"]: float(row["MEASURE_VALUE"])
        for row in rows
        if row["BREAKDOWN"] == "England"
    }
    england = lake[lake["breakdown"] == "England"].set_index("measure_id")["measure_value"]
    providers = lake[lake["breakdown"] == "Provider"]
    gaps = {}
    for proportion, (within, total) in {"MRS01b": METRICS["MH_4WW_CMH"],
                                        "MRS08b": METRICS["MH_4WW_CYP"]}.items():  # fmt: skip
        assert 100 * england[within] / england[total] == pytest.approx(published[proportion])
        for measure in (within, total):
            shown = providers.loc[providers["measure_id"] == measure, "measure_value"]
            expected = sum(
                _number(r["MEASURE_VALUE"]) or 0
                for r in rows
                if r["BREAKDOWN"] == "Provider" and r["MEASURE_ID"] == measure
            )
            assert shown.sum() == expected
            assert (shown.dropna() % 5 == 0).all()  # rounded to 5
            hidden = shown.isna().sum()
            gap = england[measure] - shown.sum()
            assert -2 * shown.count() <= gap <= 2 * shown.count() + 7 * hidden
            gaps[measure] = gap
    assert gaps == {"MRS01a": 14, "MRS01": 17, "MRS08a": 44, "MRS08": 37}
    assert england["MRS01"] % 5 != 0  # England is not rounded


# staging and metrics


def _build_metrics(tmp_path: Path) -> dict:
    """`dbt build` of the MHSDS staging view and metric model (and the staging model's unit
    test); the run's results."""
    target = tmp_path / "dbt"
    dbt_resource().cli(["build", "--select", "+int_mhsds_metric_values"], target_path=target).wait()
    return json.loads((target / "run_results.json").read_text())


def _expected_metrics(rows: list[dict[str, str]]) -> dict[tuple[str, str], tuple[float, float]]:
    """(metric, provider) -> (numerator, denominator) where both are shown and some clock
    stopped, from the csv module."""
    values = {
        (r["PRIMARY_LEVEL"], r["MEASURE_ID"]): _number(r["MEASURE_VALUE"])
        for r in rows
        if r["BREAKDOWN"] == "Provider"
    }
    providers = {provider for provider, _ in values}
    expected = {}
    for metric, (within, total) in METRICS.items():
        for provider in providers:
            numerator, denominator = values[(provider, within)], values[(provider, total)]
            if numerator is not None and denominator:
                expected[(metric, provider)] = (numerator, denominator)
    return expected


def test_each_window_takes_its_own_release_and_the_metrics_match_the_files(
    real_mhsds, home, tmp_path
):
    for month, path in real_mhsds.items():
        _land(path)
        assert _materialize(month).success

    results = _build_metrics(tmp_path)

    ran = {r["unique_id"].split(".")[-1]: r["status"] for r in results["results"]}
    assert ran["the_latest_release_wins_per_reporting_period"] == "pass"
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        staging = connection.sql(
            "select period_start, release_period_start, count(*) as n "
            "from staging.stg_nhse__mhsds_waits group by all order by all"
        ).fetchall()
        values = connection.sql(
            "select metric_code, organisation_code, strftime(period_start, '%Y-%m'), numerator, "
            "denominator, service_line, source_file from intermediate.int_mhsds_metric_values"
        ).fetchall()
    april, may = (pd.Timestamp(f"{m}-01").date() for m in RELEASES)
    assert staging == [(april, april, 19_958), (may, may, 19_934)]
    expected = {
        (metric, provider, month): value
        for month, path in real_mhsds.items()
        for (metric, provider), value in _expected_metrics(_rows(path)).items()
    }
    found = {(m, o, p): (n, d) for m, o, p, n, d, _, _ in values}
    assert found == expected
    assert {(m, p) for m, _, p in expected} == {  # at least some providers in each
        (metric, month) for metric in METRICS for month in RELEASES
    }
    assert {line for *_, line, _ in values} == {"all"}
    assert {source for *_, source in values} == {f"nhse_mhsds/{n}" for n in RELEASES.values()}


# malformed files


def _write_rows(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)
    return path


@pytest.mark.parametrize(
    ("edit", "line", "column", "rule"),
    [
        (drop_column("MEASURE_VALUE"), 1, "MEASURE_VALUE", "expected column is missing"),
        (rename_column("MEASURE_ID", "METRIC_ID"), 1, "MEASURE_ID", "expected column is missing"),
        (set_cell(40, "MEASURE_VALUE", "n/a"), 40, "MEASURE_VALUE", "not a number or *"),
        (
            set_cell(9, "REPORTING_PERIOD_END", "2024-04-30"),
            9,
            "REPORTING_PERIOD_END",
            "not a date",
        ),
        (
            set_cell(12, "REPORTING_PERIOD_END", "31/05/2024"),
            12,
            "REPORTING_PERIOD_END",
            "the reporting period does not end on 30/04/2024",
        ),
        (
            set_cell(7, "REPORTING_PERIOD_START", "31/02/2024"),
            7,
            "REPORTING_PERIOD_START",
            "the reporting period starts neither on 01/04/2024",
        ),
        (
            set_cell(3, "MEASURE_ID", "MRS01"),
            3,
            ", ".join(KEY),
            "duplicates an earlier row's key",
        ),
    ],
    ids=[
        "missing column",
        "renamed header",
        "text in a value",
        "date in another format",
        "another month's period",
        "no such day",
        "repeated key",
    ],
)
def test_a_bad_variant_is_refused_with_a_located_error(
    real_mhsds, tmp_path, edit, line, column, rule
):
    with real_mhsds[APRIL].open(newline="") as handle:
        rows = list(csv.reader(handle))
    edit(rows)
    path = _write_rows(tmp_path / RELEASES[APRIL], rows)
    with pytest.raises(ContractViolationError) as refused:
        validate_file(path, mhsds_contract(APRIL))
    first = refused.value.violations[0]
    assert (first.file, first.line, first.column) == (RELEASES[APRIL], line, column)
    assert first.rule.startswith(rule)


def test_a_truncated_download_is_refused_where_it_breaks_off(real_mhsds, tmp_path):
    text = real_mhsds[APRIL].read_bytes()
    path = tmp_path / RELEASES[APRIL]
    path.write_bytes(text[: len(text) // 2])  # cut off mid-line
    lines = path.read_bytes().count(b"\n") + 1
    with pytest.raises(ContractViolationError) as refused:
        validate_file(path, mhsds_contract(APRIL))
    violations = refused.value.violations
    assert {(v.file, v.line, v.rule) for v in violations} == {
        (RELEASES[APRIL], lines, "fewer fields than the header has columns")
    }
    assert violations[0].column == "MEASURE_NAME"  # the first column the cut line lacks


# fetch

PAGE = (
    "/data-and-information/publications/statistical/mental-health-services-monthly-statistics/"
    "performance-april-2024"
)
FILES = "https://files.digital.nhs.uk/A4/1B2C3D/"  # NHS Digital's file host, not the page's


def test_fetch_finds_the_latest_version_on_nhs_digitals_page(
    mirrored: Path, publisher: Publisher, real_mhsds: dict[str, Path]
) -> None:
    names = ["MHSDS_Data_4WW_AprPerf_2024_v2.csv", "MHSDS_Data_4WW_AprPerf_2024.csv"]
    links = "".join(f'<li><a href="{FILES}{name}">{name}</a></li>' for name in names)
    publisher.files[PAGE] = f"<html><body><ul>{links}</ul></body></html>".encode()
    publisher.files["/A4/1B2C3D/" + names[0]] = real_mhsds[APRIL].read_bytes()
    publisher.files["/A4/1B2C3D/" + names[1]] = b"the first version"

    got = fetch(SOURCES["nhse_mhsds_waits"], APRIL, get_settings())

    assert got.landed == f"nhse_mhsds/{names[0]}"
    assert (mirrored / "landing" / got.landed).read_bytes() == real_mhsds[APRIL].read_bytes()
    scan = scan_landing(mirrored / "landing")
    [landed] = scan.of(SOURCES["nhse_mhsds_waits"], APRIL)
    assert landed.relative == got.landed and not scan.unrecognised
