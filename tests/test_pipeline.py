"""The whole platform in a temporary home: demo data -> assets -> mart -> publication.

Expected figures are computed here with pandas and numpy straight from the landing files, a code
path that shares nothing with the lake assets or the dbt models.
"""

import csv
import json
import re
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import use_home

from assets.publications import publish_window
from orchestration.calendar import window
from orchestration.cli import main
from orchestration.demo_data import DemoConfig, generate
from orchestration.settings import Settings

CATALOGUE = Path(__file__).parents[1] / "seeds" / "metric_catalogue.csv"
DEMO = DemoConfig(
    seed=7,
    community_start="2024-03",
    mhlda_start="2024-04",
    ae_start="2024-03",
    operational_start="2024-05",
    last_month="2024-06",
)
REAL_JUNE_AE = "Monthly-AE-June-2024.csv"
NOW = datetime(2024, 12, 1)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, real_data: Path) -> Iterator[dict]:
    """Run the platform once for the module; record the mart after a first and a second run.

    June 2024's A&E file is NHS England's real release, in place of the demo one."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        use_home(home, patch)
        generate(home / "landing", DEMO, now=NOW)
        shutil.copy(real_data / "ae_monthly" / REAL_JUNE_AE, home / "landing" / "nhse_ae")
        refresh = ["refresh", "--start", "2024-03", "--to", "2024-06"]
        assert main(refresh) == 0
        first = _mart(home)
        assert main(refresh) == 0
        second = _mart(home)
        assert main(["publish", "--as-of", NOW.date().isoformat()]) == 0
        yield {"home": home, "first": first, "second": second}


def _mart(home: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        return {
            table: connection.sql(f"select * from marts.{table} order by all").df()
            for table in ("fct_metric_value", "fct_benchmark", "dim_period", "dim_organisation")
        }


def _catalogue() -> dict[str, dict[str, str]]:
    with CATALOGUE.open(newline="") as handle:
        return {row["metric_code"]: row for row in csv.DictReader(handle)}


def _landing_values(landing: Path, folder: str) -> pd.DataFrame:
    """Each organisation's latest return in a landing folder, valued from the catalogue."""
    frames = []
    for path in sorted(landing.glob(f"{folder}/*.csv")):
        organisation, stamp = re.match(r"(\w+)_(\d{8}T\d{4})\.csv", path.name).groups()
        frames.append(pd.read_csv(path).assign(file_org=organisation, stamp=stamp))
    returns = pd.concat(frames)
    latest = returns.groupby("file_org")["stamp"].transform("max")
    returns = returns[returns["stamp"] == latest]
    multiplier = {code: float(row["multiplier"]) for code, row in _catalogue().items()}
    returns["value"] = (
        returns["numerator"] / returns["denominator"] * returns["metric_code"].map(multiplier)
    )
    return returns


def _benchmark_rows(built: dict, metric: str, period: str, service_line: str = "all"):
    rows = built["first"]["fct_benchmark"]
    return rows[
        (rows["metric_code"] == metric)
        & (rows["period_start"] == pd.Timestamp(f"{period}-01"))
        & (rows["service_line"] == service_line)
    ].set_index("organisation_code")


@pytest.mark.parametrize(
    ("folder", "period", "metric", "service_line"),
    [
        ("community_indicators/2024-05", "2024-05", "CI_DNA_RATE", "all"),
        ("community_indicators/2024-06", "2024-06", "CI_SICKNESS", "all"),
        ("community_indicators/2024-04", "2024-04", "CI_LENGTH_OF_STAY", "all"),
        ("mhlda/2024-25-Q1", "2024-05", "MH_BED_OCCUPANCY", "adult_inpatient"),
        ("mhlda/2024-25-Q1", "2024-06", "MH_FFT_POSITIVE", "all"),
    ],
)
def test_benchmark_statistics_equal_an_independent_computation(
    built, folder, period, metric, service_line
):
    landing = _landing_values(built["home"] / "landing", folder)
    expected = landing[
        (landing["metric_code"] == metric)
        & (landing["period"] == period)
        & (landing.get("service_line", "all") == service_line)
    ].set_index("organisation_code")["value"]
    actual = _benchmark_rows(built, metric, period, service_line)

    assert sorted(actual.index) == sorted(expected.index)
    statistics = actual.iloc[0]
    values = expected.to_numpy()
    assert statistics["peer_n"] == len(values)
    assert statistics["peer_mean"] == pytest.approx(values.mean())
    assert statistics["peer_min"] == pytest.approx(values.min())
    assert statistics["peer_lower_quartile"] == pytest.approx(np.percentile(values, 25))
    assert statistics["peer_median"] == pytest.approx(np.median(values))
    assert statistics["peer_upper_quartile"] == pytest.approx(np.percentile(values, 75))
    assert statistics["peer_max"] == pytest.approx(values.max())
    assert actual["value"].sort_index().to_numpy() == pytest.approx(expected.sort_index())

    polarity = _catalogue()[metric]["polarity"]
    expected_rank = expected.rank(method="min", ascending=polarity == "lower_is_better")
    assert actual["peer_rank"].sort_index().tolist() == expected_rank.sort_index().tolist()


def test_england_june_2024_four_hour_performance_is_the_published_figure(built):
    values = built["first"]["fct_metric_value"]
    june = values[
        (values["metric_code"] == "AE_4HR_ALL") & (values["period_start"] == "2024-06-01")
    ]
    assert (june["source_file"] == f"nhse_ae/{REAL_JUNE_AE}").all()
    assert round(june["numerator"].sum() / june["denominator"].sum() * 100, 1) == 74.6


def test_dim_organisation_names_members_and_national_providers(built):
    organisations = built["first"]["dim_organisation"].set_index("organisation_code")
    register = pd.read_csv(built["home"] / "landing" / "reference" / "organisations.csv")
    assert set(register["organisation_code"]) <= set(organisations.index)
    # a real trust from the June release, its region from the file's parent organisation
    assert (
        organisations.loc["RJ1", "organisation_name"] == "GUY'S AND ST THOMAS' NHS FOUNDATION TRUST"
    )
    assert organisations.loc["RJ1", "region_name"] == "London"
    assert organisations.loc["RJ1", "organisation_type"] == "acute_trust"


def test_previous_value_and_change_come_from_the_month_before(built):
    landing = built["home"] / "landing"
    may = _landing_values(landing, "community_indicators/2024-05")
    may = may[may["metric_code"] == "CI_SICKNESS"].set_index("organisation_code")["value"]
    june = _benchmark_rows(built, "CI_SICKNESS", "2024-06")
    both = june.index.intersection(may.index)
    assert len(both) > 25
    assert june.loc[both, "previous_value"].to_numpy() == pytest.approx(may[both].to_numpy())
    change = june.loc[both, "value"] - june.loc[both, "previous_value"]
    assert june.loc[both, "change_from_previous"].to_numpy() == pytest.approx(change.to_numpy())
    missing_in_may = june.index.difference(may.index)
    assert june.loc[missing_in_may, "previous_value"].isna().all()


def test_returns_that_arrived_after_their_window_closed_are_flagged(built):
    values = built["first"]["fct_metric_value"]
    community = values[values["collection"] == "community_indicators"]
    files = community.drop_duplicates("source_file")
    stamps = files["source_file"].str.extract(r"_(\d{8})T")[0]
    arrived = pd.to_datetime(stamps, format="%Y%m%d").dt.date
    closes = [
        window("community_indicators", f"{period:%Y-%m-01}").closes_on
        for period in files["period_start"]
    ]
    expected = [day > close for day, close in zip(arrived, closes, strict=True)]
    assert files["submitted_late"].tolist() == expected
    assert any(expected)


def test_rerunning_the_same_partitions_leaves_the_mart_identical(built):
    for table, first in built["first"].items():
        pd.testing.assert_frame_equal(first, built["second"][table], obj=table)
    values = built["first"]["fct_metric_value"]
    assert not values["metric_value_id"].duplicated().any()


def test_dim_period_carries_the_nhs_financial_year(built):
    periods = built["first"]["dim_period"].set_index("period_label")
    assert periods.loc["2024-03", "financial_year"] == "2023-24"
    assert periods.loc["2024-03", "financial_quarter"] == 4
    assert periods.loc["2024-04", "financial_quarter_label"] == "2024-25-Q1"


def test_every_closed_window_is_published_with_a_report_per_organisation(built):
    published = built["home"] / "published"
    windows = sorted(p.relative_to(published).as_posix() for p in published.glob("*/*/v1"))
    assert windows == [
        "community_indicators/2024-03/v1",
        "community_indicators/2024-04/v1",
        "community_indicators/2024-05/v1",
        "community_indicators/2024-06/v1",
        "mhlda/2024-25-Q1/v1",
        "nhse_ae/2024-03/v1",
        "nhse_ae/2024-04/v1",
        "nhse_ae/2024-05/v1",
        "nhse_ae/2024-06/v1",
    ]
    folder = published / "community_indicators" / "2024-05" / "v1"
    manifest = json.loads((folder / "manifest.json").read_text())
    landing = built["home"] / "landing"
    submitted = _landing_values(landing, "community_indicators/2024-05")["file_org"].unique()
    assert manifest["organisations"] == len(submitted)
    for name in manifest["files"]:
        assert (folder / name).is_file()
    summary = pd.read_csv(folder / "national_summary.csv")
    assert len(summary) == 12  # one row per community metric
    assert {"organisation_code", "value"}.isdisjoint(summary.columns)
    returns = _landing_values(landing, "community_indicators/2024-05")
    dna = returns[returns["metric_code"] == "CI_DNA_RATE"]
    national = dna["numerator"].sum() / dna["denominator"].sum() * 100
    published_dna = summary.set_index("metric_code").loc["CI_DNA_RATE", "national_value"]
    assert published_dna == pytest.approx(national)


def test_publishing_unchanged_inputs_again_writes_no_new_version(built):

    settings = Settings(home=built["home"], real_data_dir=Path("."))
    june = window("community_indicators", "2024-06-01")
    first = (built["home"] / "published" / "community_indicators" / "2024-06" / "v1").stat()
    with duckdb.connect(str(settings.warehouse), read_only=True) as warehouse:
        folder = publish_window(warehouse, settings.published, june, b"k" * 32)
    assert folder == settings.published / "community_indicators" / "2024-06" / "v1"
    assert folder.stat().st_mtime_ns == first.st_mtime_ns
    assert not (folder.parent / "v2").exists()


def test_changed_inputs_make_the_next_version_and_keep_the_last(built, tmp_path):
    published = tmp_path / "published"
    shutil.copytree(
        built["home"] / "published" / "community_indicators", published / "community_indicators"
    )
    v1 = published / "community_indicators" / "2024-06" / "v1"
    manifest = json.loads((v1 / "manifest.json").read_text())
    manifest["input_digest"] = "inputs as they were before a late return"
    (v1 / "manifest.json").write_text(json.dumps(manifest))

    june = window("community_indicators", "2024-06-01")
    with duckdb.connect(str(built["home"] / "warehouse.duckdb"), read_only=True) as warehouse:
        folder = publish_window(warehouse, published, june, b"k" * 32)

    assert folder == v1.parent / "v2"
    assert json.loads((folder / "manifest.json").read_text())["version"] == 2
    assert json.loads((v1 / "manifest.json").read_text()) == manifest


def test_a_report_names_its_own_organisation_and_no_peer(built):
    register = pd.read_csv(built["home"] / "landing" / "reference" / "organisations.csv")
    folder = built["home"] / "published" / "community_indicators" / "2024-06" / "v1"
    reports = sorted((folder / "organisations").glob("*.html"))
    assert len(reports) > 30
    for report in reports[:5]:
        own = report.stem
        text = report.read_text() + (folder / "organisations" / f"{own}.csv").read_text()
        own_name = register.set_index("organisation_code").loc[own, "organisation_name"]
        assert own_name in text
        for peer in register.itertuples():
            if peer.organisation_code != own:
                assert peer.organisation_name not in text
                assert not re.search(rf"\b{peer.organisation_code}\b", text), peer


DIGIT_RUNS = re.compile(r"(?<!\d)\d{10}(?!\d)")
# a number standing on its own, not ten digits inside a hex key or pseudonym
TEN_DIGITS = re.compile(r"(?<![0-9A-Za-z])\d{10}(?![0-9A-Za-z])")


def _nhs_numbers(text: str) -> set[str]:
    """10-digit numbers whose modulus 11 check digit is right (weights 10..2 on digits 1..9)."""
    found = set()
    for number in TEN_DIGITS.findall(text):
        remainder = sum(int(d) * w for d, w in zip(number[:9], range(10, 1, -1), strict=True)) % 11
        check = (11 - remainder) % 11
        if check != 10 and check == int(number[9]):
            found.add(number)
    return found


def _text_of(path: Path) -> str:
    if path.suffix == ".parquet":
        return pd.read_parquet(path).astype(str).to_csv()
    if path.suffix == ".duckdb":
        with duckdb.connect(str(path), read_only=True) as connection:
            tables = connection.sql(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
            return "".join(
                connection.sql(f'select * from "{schema}"."{table}"').df().astype(str).to_csv()
                for schema, table in tables
            )
    return path.read_bytes().decode("latin-1")


def test_no_nhs_number_appears_anywhere_in_the_home_but_landing(built):
    """Two scans. Every file outside landing/ (lake, quarantine, mart, publications, Dagster's
    run storage and logs) must hold none of the NHS numbers the extracts carried. The data
    outputs must hold no 10-digit number passing the check digit at all; run storage is spared
    that second scan because epoch timestamps are 10-digit numbers too."""
    home = built["home"]
    submitted = set().union(
        *(_nhs_numbers(p.read_text()) for p in (home / "landing" / "operational").rglob("*.csv"))
    )
    assert len(submitted) > 100  # the scan finds them where they are allowed
    data_outputs = ("lake", "quarantine", "published", "warehouse.duckdb")
    scanned = 0
    for path in home.rglob("*"):
        parts = path.relative_to(home).parts
        if not path.is_file() or parts[0] == "landing":
            continue
        text = _text_of(path)
        assert not submitted & set(DIGIT_RUNS.findall(text)), f"{path.relative_to(home)} leaks"
        if parts[0] in data_outputs:
            assert not _nhs_numbers(text), f"{path.relative_to(home)} holds NHS numbers"
        scanned += 1
    assert scanned > 100


def test_operational_metrics_exist_per_team_and_per_provider(built):
    values = built["first"]["fct_metric_value"]
    operational = values[values["collection"] == "operational"]
    for metric in ("OP_DNA_RATE", "OP_CONTACTS_PER_SHIFT_DAY", "OP_HOME_VISIT_SHARE"):
        rows = operational[operational["metric_code"] == metric]
        providers = rows[rows["team_code"].isna()]
        teams = rows[rows["team_code"].notna()]
        assert providers["organisation_code"].nunique() >= 5, metric
        assert len(teams) > len(providers), metric
        summed = teams.groupby(["organisation_code", "period_start"])[["numerator", "denominator"]]
        by_provider = providers.set_index(["organisation_code", "period_start"])
        totals = summed.sum().loc[by_provider.index]
        assert by_provider["numerator"].to_numpy() == pytest.approx(totals["numerator"].to_numpy())


def test_each_lake_partition_records_its_own_rows(built):
    """A range runs as one run; each month's observation carries that month's rows (the latest
    return of each organisation, counted from landing), not the run's total."""
    instance = dg.DagsterInstance.from_config(str(built["home"] / "dagster"))
    records = instance.fetch_observations(
        dg.AssetKey("community_indicator_returns"), limit=100
    ).records
    rows = {}
    for record in sorted(records, key=lambda r: r.storage_id):  # the latest run's figure wins
        observation = record.asset_observation
        rows[observation.partition] = observation.metadata["rows"].value
    landing = built["home"] / "landing"
    expected = {
        f"{month}-01": len(_landing_values(landing, f"community_indicators/{month}"))
        for month in ("2024-03", "2024-04", "2024-05", "2024-06")
    }
    assert rows == expected


def test_the_national_figure_is_the_england_total_row_of_the_real_file(built, real_data):
    """June 2024's national 4-hour figure beside every A&E row equals the TOTAL row NHS England
    puts in its file (all attendances, booked included, less those over 4 hours), 74.6%."""
    total = pd.read_csv(real_data / "ae_monthly" / REAL_JUNE_AE).set_index("Org Code").loc["TOTAL"]
    attendances = total.filter(like="A&E attendances").astype(int).sum()
    over_four_hours = total.filter(like="Attendances over 4hrs").astype(int).sum()
    england = (attendances - over_four_hours) / attendances * 100
    rows = _benchmark_rows(built, "AE_4HR_ALL", "2024-06")
    assert rows["national_value"].to_numpy() == pytest.approx(england, abs=1e-9)
    assert rows["national_denominator"].unique().tolist() == [attendances]
    assert round(england, 1) == 74.6
    assert not (rows["national_value"] == rows["peer_mean"]).any()
