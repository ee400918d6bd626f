"""The whole platform in a temporary home: demo data -> assets -> mart -> publication.

Expected figures are computed here with pandas and numpy straight from the landing files, a code
path that shares nothing with the lake assets or the dbt models.
"""

import csv
import html
import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import markupsafe
import numpy as np
import openpyxl
import pandas as pd
import pypdfium2 as pdfium
import pytest
from browser import open_page
from catchments import catchment_profiles, local_authorities, nearest_neighbours
from conftest import use_home
from statsmodels.stats.proportion import proportion_confint

from assets.charts import MEAN
from assets.publications import (
    WINDOWS_ON_EVERY_CORE,
    publish_window,
    publish_windows,
    published_versions,
)
from assets.sample_trend import SAMPLE_COLUMNS, read_sample
from contracts.ae_monthly import ae_file_stem
from orchestration.calendar import window
from orchestration.cli import main
from orchestration.demo_data import DemoConfig, generate, land_reference_files
from orchestration.resources import WarehouseResource, dbt_project, dbt_resource
from orchestration.settings import Settings

CATALOGUE = Path(__file__).parents[1] / "seeds" / "metric_catalogue.csv"
DEMO = DemoConfig(
    seed=7,
    community_start="2024-03",
    mhlda_start="2024-01",  # two quarters: six months of MHLDA's national mean by June
    ae_start="2024-03",
    operational_start="2024-05",
    last_month="2024-06",
    operational_providers=5,  # the operational programme has its own tests: five suffice here
)
REAL_JUNE_AE = "Monthly-AE-June-2024.csv"
REAL_AE_HISTORY = "ae_attendances_2016_2019.csv"
# rows for a month NHS England's monthly file covers: the monthly file must win (the June 2024
# national figures are tested against its TOTAL row)
HISTORY_OVERRIDDEN = "2024-06-01,ZZZ,1,1000,999,10\n2024-06-01,ZZZ,other,50,49,0\n"
NOW = datetime(2024, 12, 1)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, real_data: Path) -> Iterator[dict]:
    """Run the platform once for the module; record the mart after a first and a second run.

    June 2024's A&E file is NHS England's real release, in place of the demo one."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        use_home(home, patch)
        generate(home / "landing", DEMO, now=NOW)
        _small_count(home / "landing" / "community_indicators" / "2024-05", "CI_MORTALITY")
        _small_count(home / "landing" / "mhlda" / "2024-25-Q1", "MH_RESTRAINT")
        shutil.copy(real_data / "ae_monthly" / REAL_JUNE_AE, home / "landing" / "nhse_ae")
        (home / "landing" / "ods").mkdir(exist_ok=True)  # the demo writes its own etr
        shutil.copy(real_data / "ods" / "etr.csv", home / "landing" / "ods")
        assert land_reference_files(home / "landing", real_data) == 2  # ONS and IMD
        history = home / "landing" / "ae_history" / REAL_AE_HISTORY
        history.parent.mkdir(parents=True)
        history.write_text(
            (real_data / "ae_history" / REAL_AE_HISTORY).read_text() + HISTORY_OVERRIDDEN
        )
        refresh = ["refresh", "--start", "2024-01", "--to", "2024-06"]
        assert main(refresh) == 0
        first = _mart(home)
        assert main(refresh) == 0
        second = _mart(home)
        assert main(["publish", "--as-of", NOW.date().isoformat()]) == 0
        yield {"home": home, "first": first, "second": second}


def _small_count(folder: Path, metric: str) -> None:
    """Make one return's numerators of a metric 3, a count disclosure control must hide."""
    first = sorted(folder.glob("*.csv"))[0].name.split("_")[0]
    path = sorted(folder.glob(f"{first}_*.csv"))[-1]  # the organisation's return that counts
    rows = pd.read_csv(path, dtype=str)
    rows.loc[rows["metric_code"] == metric, "numerator"] = "3"
    rows.to_csv(path, index=False)


def _mart(home: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        return {
            table: connection.sql(f"select * from marts.{table} order by all").df()
            for table in ("fct_metric_value", "fct_benchmark", "dim_period", "dim_organisation")
        }


def _successors(home: Path) -> dict[str, str]:
    """The landed NHS ODS succ file (the demo's merger) read with the csv module: each
    predecessor's successor, whose code national values are reported under in the mart."""
    with (home / "landing" / "ods" / "succ.csv").open(newline="") as handle:
        return {row[0]: row[1] for row in csv.reader(handle)}


def _catalogue() -> dict[str, dict[str, str]]:
    with CATALOGUE.open(newline="") as handle:
        return {row["metric_code"]: row for row in csv.DictReader(handle)}


WORKBOOK_COLUMNS = {
    "Metric code": "metric_code",
    "Service line": "service_line",
    "Period": "period",
    "Numerator": "numerator",
    "Denominator": "denominator",
}


def _read_return(path: Path) -> pd.DataFrame:
    """A return's rows: the CSV as it stands, or a workbook's filled rows read cell by cell
    (each domain sheet's header on row 3), not through the platform's reader."""
    if path.suffix == ".csv":
        return pd.read_csv(path)
    frames = []
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    for sheet in workbook.worksheets[1:]:
        rows = list(sheet.iter_rows(min_row=3, values_only=True))
        frame = pd.DataFrame(rows[1:], columns=rows[0]).dropna(subset=["Numerator"])
        frames.append(
            frame[[c for c in WORKBOOK_COLUMNS if c in frame]].rename(columns=WORKBOOK_COLUMNS)
        )
    workbook.close()
    return pd.concat(frames)


def _landing_values(landing: Path, folder: str) -> pd.DataFrame:
    """Each organisation's latest return for each month in a landing folder (or folders: a
    glob), CSV or workbook, leaving out those the lake's submissions record as quarantined,
    valued as numerator over denominator times the catalogue's multiplier."""
    dataset = "community_indicator_returns" if "community" in folder else "mhlda_indicator_returns"
    submissions = pd.concat(
        pd.read_parquet(path)
        for path in landing.parent.glob(f"lake/submissions/dataset={dataset}/*")
    )
    refused = set(submissions.loc[submissions["status"] == "quarantined", "source_file"])
    frames = []
    for path in sorted(landing.glob(f"{folder}/*")):
        if path.relative_to(landing).as_posix() in refused:
            continue
        organisation, stamp = re.match(r"(\w+)_(\d{8}T\d{4})\.(csv|xlsx)", path.name).groups()[:2]
        frames.append(_read_return(path).assign(organisation_code=organisation, stamp=stamp))
    returns = pd.concat(frames, ignore_index=True)
    latest = returns.groupby(["organisation_code", "period"])["stamp"].transform("max")
    returns = returns[returns["stamp"] == latest]
    multiplier = {code: float(row["multiplier"]) for code, row in _catalogue().items()}
    returns["value"] = (
        returns["numerator"] / returns["denominator"] * returns["metric_code"].map(multiplier)
    )
    return returns


def _benchmark_rows(
    built: dict, metric: str, period: str, service_line: str = "all", peer_group: str = "all"
):
    rows = built["first"]["fct_benchmark"]
    return rows[
        (rows["metric_code"] == metric)
        & (rows["period_start"] == pd.Timestamp(f"{period}-01"))
        & (rows["service_line"] == service_line)
        & (rows["peer_group"] == peer_group)
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
    if polarity == "neutral":  # no best: a position, no rank
        assert actual["peer_rank"].isna().all()
    else:
        expected_rank = expected.rank(method="min", ascending=polarity == "lower_is_better")
        assert actual["peer_rank"].sort_index().tolist() == expected_rank.sort_index().tolist()
    below = expected.rank(method="min") - 1  # peers with a lower value
    percentile = (below / (len(expected) - 1) * 100).sort_index()
    assert actual["peer_percentile"].sort_index().to_numpy() == pytest.approx(percentile)


def test_every_dbt_unit_test_passes_against_the_built_warehouse(built, tmp_path, monkeypatch):
    """A refresh's build leaves dbt's unit tests out (they test the SQL, not the data); every
    unit test of the project runs here, against the demo's warehouse, and passes."""
    monkeypatch.setenv("PEERBENCH_HOME", str(built["home"]))
    target = tmp_path / "dbt"
    dbt_resource().cli(["test", "--resource-type", "unit_test"], target_path=target).wait()
    results = json.loads((target / "run_results.json").read_text())["results"]
    unit_tests = json.loads(dbt_project().manifest_path.read_text())["unit_tests"]
    assert len(unit_tests) >= 12
    assert {r["unique_id"]: r["status"] for r in results} == dict.fromkeys(unit_tests, "pass")


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
    # NHS ODS's record beside it (the real etr file); the demo's Z codes are no NHS trust
    assert organisations.loc["RJ1", "ods_region_code"] == "Y56"
    assert str(organisations.loc["RJ1", "ods_opened_on"])[:10] == "1993-04-01"
    assert pd.isna(organisations.loc["RJ1", "ods_closed_on"])
    assert organisations.loc[list(register["organisation_code"]), "ods_name"].isna().all()


def test_a_merged_demo_trusts_series_continues_under_its_successor(built):
    """The demo's two trusts merge in May 2024: for March and April their A&E rows, summed, are
    the successor's value; from May the successor's own row is. Expected from the landed files
    read with pandas."""
    landing = built["home"] / "landing"
    successor = _successors(built["home"])
    [merged] = set(successor.values())
    predecessors = sorted(successor)
    values = built["first"]["fct_metric_value"].query("metric_code == 'AE_4HR_ALL'")
    for month, reported in [
        ("2024-03", predecessors),
        ("2024-04", predecessors),
        ("2024-05", [merged]),
    ]:
        published = pd.read_csv(landing / "nhse_ae" / f"{ae_file_stem(month)}.csv")
        rows = published[published["Org Code"].isin(reported)]
        assert len(rows) == len(reported)
        attendances = rows.filter(like="A&E attendances").to_numpy().sum()
        within = attendances - rows.filter(like="Attendances over 4hrs").to_numpy().sum()
        [row] = values[
            (values["organisation_code"] == merged)
            & (values["period_start"] == pd.Timestamp(f"{month}-01"))
        ].itertuples()
        assert (row.numerator, row.denominator) == (within, attendances)
        assert row.value == pytest.approx(within / attendances * 100)
        assert row.reported_organisation_codes == ",".join(reported)
    assert not built["first"]["fct_metric_value"]["organisation_code"].isin(predecessors).any()
    organisations = built["first"]["dim_organisation"].set_index("organisation_code")
    assert organisations.loc[predecessors, "successor_code"].tolist() == [merged, merged]
    assert organisations.loc[merged, "predecessor_codes"] == ",".join(predecessors)
    assert organisations.loc[merged, "organisation_type"] == "acute_trust"


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
        "mhlda/2023-24-Q4/v1",
        "mhlda/2024-25-Q1/v1",
        "nhse_ae/2024-03/v1",
        "nhse_ae/2024-04/v1",
        "nhse_ae/2024-05/v1",
        "nhse_ae/2024-06/v1",
        "nhse_cwt/2024-04/v1",
        "nhse_cwt/2024-05/v1",
        "nhse_cwt/2024-06/v1",
        "nhse_mhsds/2024-04/v1",
        "nhse_mhsds/2024-05/v1",
        "nhse_mhsds/2024-06/v1",
        "nhse_rtt/2024-04/v1",
        "nhse_rtt/2024-05/v1",
        "nhse_rtt/2024-06/v1",
    ]
    folder = published / "community_indicators" / "2024-05" / "v1"
    manifest = json.loads((folder / "manifest.json").read_text())
    landing = built["home"] / "landing"
    returns = _landing_values(landing, "community_indicators/2024-05")
    assert manifest["organisations"] == returns["organisation_code"].nunique()
    for name in manifest["files"]:
        assert (folder / name).is_file()
    summary = pd.read_csv(folder / "national_summary.csv")
    community = pd.read_csv(CATALOGUE).query("collection == 'community_indicators'")
    assert len(summary) == len(community)  # one row per community metric
    assert {"organisation_code", "value"}.isdisjoint(summary.columns)
    dna = returns[returns["metric_code"] == "CI_DNA_RATE"]
    national = dna["numerator"].sum() / dna["denominator"].sum() * 100
    published_dna = summary.set_index("metric_code").loc["CI_DNA_RATE", "national_value"]
    assert published_dna == pytest.approx(national)


def _monthly_values(landing: Path, collection: str) -> pd.DataFrame:
    """Every organisation's value per metric, service line and month from all the collection's
    landing returns (`_landing_values` over every window's folder)."""
    returns = _landing_values(landing, f"{collection}/*")
    if "service_line" not in returns:
        returns["service_line"] = "all"
    return returns


def _sample_statistics(values: pd.DataFrame) -> pd.DataFrame:
    """n and quartiles per metric, service line and month: pandas' linear interpolation."""
    grouped = values.dropna(subset=["value"]).groupby(["metric_code", "service_line", "period"])
    return grouped["value"].agg(
        n="count",
        lower_quartile=lambda v: v.quantile(0.25),
        median="median",
        upper_quartile=lambda v: v.quantile(0.75),
        mean="mean",
    )


def test_the_sample_trend_extract_equals_an_independent_computation(built):
    """June 2024's community publication carries the whole sample's n and quartiles for every
    metric from the first month with returns (March 2024) to June; a few metrics and months
    against pandas over the landing returns. April's stops at April."""
    landing = built["home"] / "landing"
    expected = _sample_statistics(_monthly_values(landing, "community_indicators"))
    first = min(p.name for p in (landing / "community_indicators").iterdir())
    folder = built["home"] / "published" / "community_indicators"
    typed = pd.read_parquet(folder / "2024-06" / "v1" / "sample_trend.parquet")
    shown = pd.read_csv(folder / "2024-06" / "v1" / "sample_trend.csv")
    catalogue = _catalogue()
    community = [c for c, row in catalogue.items() if row["collection"] == "community_indicators"]
    months = [str(m) for m in pd.period_range(first, "2024-06", freq="M")]
    assert first == "2024-03"
    assert sorted(zip(typed["metric_code"], typed["period"], strict=True)) == sorted(
        (metric, month) for metric in community for month in months
    )
    pd.testing.assert_frame_equal(typed.round(2), shown, check_dtype=False)
    typed = typed.set_index(["metric_code", "service_line", "period"])
    for metric in ("CI_DNA_RATE", "CI_SICKNESS", "CI_REFERRALS", "CI_MORTALITY"):
        for month in ("2024-03", "2024-05", "2024-06"):
            key = (metric, "all", month)
            row, want = typed.loc[key], expected.loc[key]
            assert row["n"] == want["n"]
            for column in ("lower_quartile", "median", "upper_quartile"):
                assert row[column] == pytest.approx(want[column]), (key, column)
    april = pd.read_csv(folder / "2024-04" / "v1" / "sample_trend.csv")
    assert sorted(april["period"].unique()) == ["2024-03", "2024-04"]
    with duckdb.connect(str(built["home"] / "warehouse.duckdb"), read_only=True) as connection:
        sample = read_sample(connection, "community_indicators", ["2024-05"])
    assert sample.columns.tolist() == SAMPLE_COLUMNS  # as an empty sample's (test_sample_trend)


def _trend_svg(report: str, anchor: str) -> str:
    """The trend chart (a section's second SVG) of a report's section."""
    section = report[report.index(f'id="{anchor}"') :].split("</section>")[0]
    return re.findall(r"<svg.*?</svg>", section, flags=re.S)[1]


def test_a_community_reports_trend_runs_from_the_first_month_to_the_window(built):
    """Each metric's trend in June 2024's reports spans March (the first month with returns)
    to June, a month per label, against the sample's median: a dashed line through each month;
    April's reports stop at April."""
    landing = built["home"] / "landing" / "community_indicators"
    first = min(p.name for p in landing.iterdir())
    folder = built["home"] / "published" / "community_indicators"
    for window_, last in (("2024-06", "2024-06"), ("2024-04", "2024-04")):
        report = (folder / window_ / "v1" / "organisations" / "ZAY.html").read_text()
        months = pd.period_range(first, last, freq="M")
        svg = _trend_svg(report, f"CI_DNA_RATE-all-{window_}")
        labels = re.findall(r'<text x="[\d.]+" y="140"[^>]*>([^<]+)</text>', svg)
        assert labels == [m.strftime("%b %y") for m in months]
        [median] = re.findall(r'<path d="([^"]+)" fill="none" stroke="#212b32"', svg)
        assert median.count("L") == len(months) - 1  # one unbroken line, a point a month
        assert "the sample&#39;s median" in report or "the sample's median" in report
        assert f"since {pd.Period(first, freq='M').strftime('%B %Y')}" in report


def _means_table(section: str) -> pd.DataFrame:
    """A section's table of the national mean (a row per figure, a column per month), as the
    text shown in each cell: a row per month, a column per figure."""
    [table] = re.findall(r'<table class="stats means[^"]*">.*?</table>', section, flags=re.S)
    rows = {
        heading: re.findall(r"<t[dh]>(?:<strong>)?([^<]*)", cells)
        for heading, cells in re.findall(r"<tr[^>]*><th>([^<]+)</th>(.*?)</tr>", table)
    }
    return pd.DataFrame(rows).set_index("Month")


@pytest.mark.parametrize(
    ("metric", "service_line"),
    [("MH_FFT_POSITIVE", "all"), ("MH_BED_OCCUPANCY", "adult_inpatient")],
)
def test_an_mhlda_report_shows_six_months_of_the_national_mean_and_its_own_value(
    built, metric, service_line
):
    """Q1 2024-25's reports: January to June 2024 (two quarters of returns), the organisation's
    own value, the mean of every organisation's value and the national figure (counts pooled),
    from pandas over the landing returns; June's strip marks the national figure (its diamond)
    beside the own value (its dot): the position against national."""
    values = _monthly_values(built["home"] / "landing", "mhlda")
    values = values[(values["metric_code"] == metric) & (values["service_line"] == service_line)]
    means = _sample_statistics(values).loc[(metric, service_line)]
    by_month = values.groupby("period")[["numerator", "denominator"]].sum()
    multiplier = float(_catalogue()[metric]["multiplier"])
    national = by_month["numerator"] / by_month["denominator"] * multiplier
    folder = built["home"] / "published" / "mhlda" / "2024-25-Q1" / "v1" / "organisations"
    months = [str(m) for m in pd.period_range("2024-01", "2024-06", freq="M")]
    checked = 0
    june = values.loc[values["period"] == "2024-06", "organisation_code"]
    for code in sorted(june.unique())[:3]:  # each has a section for June, the window's last
        report = (folder / f"{code}.html").read_text()
        anchor = f'id="{metric}-{service_line}-2024-06"'
        section = report[report.index(anchor) :].split("</section>")[0]
        table = _means_table(section)
        assert table.index.tolist() == months
        own = values[values["organisation_code"] == code].set_index("period")["value"]
        for month, row in table.iterrows():
            assert row["National mean"] == f"{means.loc[month, 'mean']:.2f}"
            assert int(row["Organisations"]) == means.loc[month, "n"]
            assert row["National figure"] == f"{national[month]:.2f}"
            if month not in own:  # no return that month, or a partial one without the metric
                assert row["This organisation"] in ("\N{EN DASH}", "&ndash;", "")
            elif row["This organisation"] != "*":  # a value made from a small count is hidden
                assert row["This organisation"] == f"{own[month]:.2f}"
                difference = own[month] - means.loc[month, "mean"]
                assert row["Difference"] == f"{difference:+.2f}"
                checked += 1
        strip, trend = re.findall(r"<svg.*?</svg>", section, flags=re.S)
        assert f"<title>National {national['2024-06']:.2f}</title>" in strip
        # the trend draws the six months of the national mean too: one unbroken line
        [mean_line] = re.findall(rf'<path d="([^"]+)" fill="none" stroke="{MEAN}"', trend)
        assert mean_line.count("L") == len(months) - 1
        if table.loc["2024-06", "This organisation"] != "*":
            assert f"<title>You {own['2024-06']:.2f}</title>" in strip
    assert checked >= 12


def test_rtt_waiting_times_equal_an_independent_computation_from_the_extract(built):
    """Per provider and treatment function: the waiting list (Part_2, summed over commissioners),
    the share within 18 weeks and over 52 weeks, from the landed CSV read with the csv module."""
    successor = _successors(built["home"])  # a merged trust's rows are its successor's
    [path] = (built["home"] / "landing" / "nhse_rtt").glob("*-RTT-May-2024-full-extract.csv")
    with path.open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["RTT Part Type"] == "Part_2"]
    expected: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        code = row["Treatment Function Code"]
        line = "all" if code == "C_999" else "tfc_" + code.replace("C_", "").lower()
        weeks = [int(row[f"Gt {w:02d} To {w + 1:02d} Weeks SUM 1"] or 0) for w in range(104)]
        weeks.append(int(row["Gt 104 Weeks SUM 1"] or 0))
        provider = successor.get(row["Provider Org Code"], row["Provider Org Code"])
        sums = expected.setdefault((provider, line), [0, 0, 0])
        sums[0] += int(row["Total All"])
        sums[1] += sum(weeks[:18])
        sums[2] += sum(weeks[52:])
    values = built["second"]["fct_metric_value"]
    may = values[
        (values["collection"] == "nhse_rtt")
        & (values["period_start"] == pd.Timestamp("2024-05-01"))
    ].set_index(["metric_code", "organisation_code", "service_line"])
    assert len(may) == 4 * len(expected)
    for (org, line), (waiting, within_18, over_52) in expected.items():
        assert may.loc[("RTT_WAITING_LIST", org, line), "value"] == waiting
        assert may.loc[("RTT_18WK", org, line), "value"] == pytest.approx(100 * within_18 / waiting)
        assert may.loc[("RTT_52WK", org, line), "numerator"] == over_52
    benchmark = built["second"]["fct_benchmark"]
    national = benchmark[
        (benchmark["metric_code"] == "RTT_WAITING_LIST")
        & (benchmark["service_line"] == "all")
        & (benchmark["period_start"] == pd.Timestamp("2024-05-01"))
    ]
    total = sum(v[0] for (_, line), v in expected.items() if line == "all")
    assert set(national["national_value"]) == {total}


SUMMARY_LABEL = re.compile(r'<td><a href="#[^"]+">([^<]+)</a>')
SUMMARY_GROUP = re.compile(r'<tr class="group"><th colspan="8">([^<]+)</th></tr>')


def test_an_rtt_report_shows_the_trust_first_then_each_treatment_function_by_name(built):
    """A trust's RTT report: its four organisation-wide figures lead the summary; then one group
    per treatment function, in code order, under the name the service line list gives it (not
    `tfc_100`), its rows named by metric; each function's section is headed with the metric and
    the function's name; the extract carries the name too."""
    with (Path(__file__).parents[1] / "seeds" / "service_lines.csv").open(newline="") as handle:
        names = {r["service_line"]: r["service_line_name"] for r in csv.DictReader(handle)}
    folder = built["home"] / "published" / "nhse_rtt" / "2024-06" / "v1" / "organisations"
    report = sorted(folder.glob("*.html"))[0]
    page = report.read_text()
    summary = page.split('<table class="summary">')[1].split("</table>")[0]
    extract = pd.read_csv(report.with_suffix(".csv"))
    lines = sorted(set(extract["service_line"]) - {"all"})
    assert lines and all(line.startswith("tfc_") for line in lines)
    assert SUMMARY_GROUP.findall(summary) == [names[line] for line in lines]
    labels = SUMMARY_LABEL.findall(summary)
    metric_names = pd.read_csv(CATALOGUE).set_index("metric_code")["metric_name"]
    whole = [metric_names[m] for m in sorted(set(extract["metric_code"]))]
    assert sorted(labels[:4]) == sorted(whole)
    assert len(labels) == 4 * (1 + len(lines))
    assert set(labels[4:]) == set(whole)
    headings = set(re.findall(r"<h3>([^<]+)</h3>", page))
    assert {f"{metric_names['RTT_18WK']}: {names[line]}" for line in lines} <= headings
    assert not any("tfc" in text for text in [*labels, *headings])
    # the waiting list is a count: its definition has no denominator to name
    national = (folder.parent / "national_summary.html").read_text()
    for text in (page, national):
        assert "Incomplete referral to treatment pathways at month end" in text
        assert not re.search(r"\bnan\b", text)
    named = extract.drop_duplicates("service_line").set_index("service_line")["service_line_name"]
    assert named.to_dict() == {line: names[line] for line in named.index}


def test_mhsds_waits_equal_an_independent_computation_from_the_release(built):
    """Per mental health trust: clock stops within 4 weeks of all clock stops in the quarter to
    May, where neither count is suppressed, from the landed CSV read with the csv module."""
    path = built["home"] / "landing" / "nhse_mhsds" / "MHSDS_Data_4WW_MayPerf_2024.csv"
    with path.open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["BREAKDOWN"] == "Provider"]
    counts = {(r["PRIMARY_LEVEL"], r["MEASURE_ID"]): r["MEASURE_VALUE"] for r in rows}
    expected = {}
    for metric, (within, total) in {"MH_4WW_CMH": ("MRS01a", "MRS01"),
                                    "MH_4WW_CYP": ("MRS08a", "MRS08")}.items():  # fmt: skip
        for org in {org for org, _ in counts}:
            numerator, denominator = counts[(org, within)], counts[(org, total)]
            if "*" not in (numerator, denominator) and int(denominator) > 0:
                expected[(metric, org)] = (float(numerator), float(denominator))
    values = built["second"]["fct_metric_value"]
    may = values[
        (values["collection"] == "nhse_mhsds")
        & (values["period_start"] == pd.Timestamp("2024-05-01"))
    ]
    found = {
        (row.metric_code, row.organisation_code): (row.numerator, row.denominator)
        for row in may.itertuples()
    }
    assert found == expected
    assert len({org for metric, org in expected if metric == "MH_4WW_CYP"}) < len(
        {org for metric, org in expected if metric == "MH_4WW_CMH"}
    )  # trusts without a CYP service have their counts suppressed


def test_cancer_waits_equal_an_independent_computation_from_the_workbook(built):
    """Per acute trust: people within 28, 31 and 62 days of all counted, over every route or
    stage (each sheet's first part), from the landed workbook's cells read with openpyxl."""
    path = built["home"] / "landing" / "nhse_cwt" / "MAY-2024-CWT-CRS-PROVIDER-WORKBOOK-FINAL.xlsx"
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    successor = _successors(built["home"])  # a merged trust's people are its successor's
    expected: dict[tuple[str, str], tuple[float, float]] = {}
    for metric, sheet, everyone in [
        ("CWT_28D_FDS", "28-DAY FDS (ALL ROUTES)", "ALL ROUTES"),
        ("CWT_31D", "31-DAY (ALL CANCER)", "ALL STAGES"),
        ("CWT_62D", "62-DAY (ALL CANCER)", "ALL ROUTES"),
    ]:
        ws = workbook[sheet]
        ws.reset_dimensions()
        header = next(ws.iter_rows(min_row=9, max_row=9, values_only=True))
        total = header.index("TOTAL")
        for row in ws.iter_rows(min_row=10, values_only=True):
            if len(row) > total and row[1] and row[1] != "ODS CODE (1)" and row[3] == everyone:
                key = (metric, successor.get(row[1], row[1]))
                within, counted = expected.get(key, (0.0, 0.0))
                expected[key] = (within + float(row[total + 1]), counted + float(row[total]))
    workbook.close()
    values = built["second"]["fct_metric_value"]
    may = values[
        (values["collection"] == "nhse_cwt")
        & (values["period_start"] == pd.Timestamp("2024-05-01"))
    ]
    found = {
        (row.metric_code, row.organisation_code): (row.numerator, row.denominator)
        for row in may.itertuples()
    }
    assert found == expected
    assert any(denominator % 1 == 0.5 for _, denominator in expected.values())  # shared breaches


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


def test_a_backfill_published_on_every_core_equals_each_window_published_alone(built, tmp_path):
    """History's windows are published by processes of their own (`publish_windows`); every
    file of every window equals what one window's publication in this process writes, bar the
    moment of publication."""
    months = ["2024-03", "2024-04", "2024-05", "2024-06"]
    windows = [window("community_indicators", f"{month}-01") for month in months]
    assert len(windows) >= WINDOWS_ON_EVERY_CORE  # the backfill path, not the schedule's
    warehouse = WarehouseResource(home=str(built["home"]))
    together = publish_windows(warehouse, tmp_path / "together", windows, b"k" * 32)
    with duckdb.connect(str(built["home"] / "warehouse.duckdb"), read_only=True) as connection:
        alone = [publish_window(connection, tmp_path / "alone", w, b"k" * 32) for w in windows]

    def files(folder: Path) -> dict[str, bytes]:
        found = {str(f.relative_to(folder)): f.read_bytes() for f in folder.rglob("*.*")}
        manifest = json.loads(found.pop("manifest.json"))
        assert manifest.pop("published_at")
        return found | {"manifest.json": json.dumps(manifest, sort_keys=True).encode()}

    for month, one, other in zip(months, together, alone, strict=True):
        assert one == tmp_path / "together" / "community_indicators" / month / "v1"
        assert other == tmp_path / "alone" / "community_indicators" / month / "v1"
        assert len(list(one.glob("organisations/*.html"))) > 30
        assert files(one) == files(other), month


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
# a number standing on its own, not ten digits inside a hex key or pseudonym, nor the decimals
# of a statistic (422.7325081804 passes the check digit by chance)
TEN_DIGITS = re.compile(r"(?<![0-9A-Za-z.])\d{10}(?![0-9A-Za-z])")


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
    operational = values[
        (values["collection"] == "operational")
        & (values["grain"] == "month")
        & (values["service_line"] == "all")
    ]
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


def test_a_and_e_goes_back_to_2016_from_the_historic_series(built, real_data):
    """Four-hour performance from April 2016 to March 2019 comes from NHS England's historic
    series: each month's national figure equals the file's own sums (read with the csv module),
    and no month after it takes anything from it."""
    with (real_data / "ae_history" / REAL_AE_HISTORY).open(newline="") as handle:
        history = list(csv.DictReader(handle))
    months = sorted({row["period"] for row in history})
    assert (months[0], months[-1], len(months)) == ("2016-04-01", "2019-03-01", 36)
    values = built["second"]["fct_metric_value"]
    ae = values[(values["metric_code"] == "AE_4HR_ALL") & (values["team_code"].isna())]
    for month in ("2016-04-01", "2017-03-01", "2019-03-01"):
        rows = [r for r in history if r["period"] == month]
        attendances = sum(int(r["attendances"]) for r in rows)
        breaches = sum(int(r["breaches"]) for r in rows)
        benchmark = _benchmark_rows(built, "AE_4HR_ALL", month[:7])
        expected = 100 * (attendances - breaches) / attendances
        assert benchmark["national_value"].to_numpy() == pytest.approx(expected, rel=1e-12)
        assert benchmark["national_denominator"].unique().tolist() == [attendances]
        month_values = ae[ae["period_start"] == pd.Timestamp(month)]
        assert set(month_values["source_file"]) == {f"ae_history/{REAL_AE_HISTORY}"}
    assert "ZZZ" not in set(ae["organisation_code"])  # June 2024 is the monthly file's


def test_every_ae_national_figure_is_computed_from_the_england_total_row(built, real_data):
    """Each A&E metric's national value for June 2024 equals the same measure computed from the
    TOTAL row of NHS England's file alone."""
    total = pd.read_csv(real_data / "ae_monthly" / REAL_JUNE_AE).set_index("Org Code").loc["TOTAL"]
    n = {
        name: int(total[name])
        for name in total.index
        if name not in ("Period", "Parent Org", "Org name")
    }
    type1 = n["A&E attendances Type 1"] + n["A&E attendances Booked Appointments Type 1"]
    type2 = n["A&E attendances Type 2"] + n["A&E attendances Booked Appointments Type 2"]
    over1 = (
        n["Attendances over 4hrs Type 1"] + n["Attendances over 4hrs Booked Appointments Type 1"]
    )
    over2 = (
        n["Attendances over 4hrs Type 2"] + n["Attendances over 4hrs Booked Appointments Type 2"]
    )
    via_ae = sum(v for k, v in n.items() if k.startswith("Emergency admissions via A&E"))
    dta = (
        n["Patients who have waited 4-12 hs from DTA to admission"]
        + n["Patients who have waited 12+ hrs from DTA to admission"]
    )
    all_admissions = via_ae + n["Other emergency admissions"]
    expected = {
        "AE_4HR_TYPE1": 100 * (type1 - over1) / type1,
        "AE_4HR_TYPE2": 100 * (type2 - over2) / type2,
        "AE_4HR_DTA": 100 * dta / via_ae,
        "AE_12HR_DTA": 100 * n["Patients who have waited 12+ hrs from DTA to admission"] / via_ae,
        "AE_ADMISSION_CONVERSION": 100 * n["Emergency admissions via A&E - Type 1"] / type1,
        "AE_EMERGENCY_ADMISSIONS": all_admissions,
        "AE_ADMISSIONS_VIA_AE": 100 * via_ae / all_admissions,
    }
    for metric, england in expected.items():
        rows = _benchmark_rows(built, metric, "2024-06")
        assert rows["national_value"].to_numpy() == pytest.approx(england, rel=1e-12), metric


def _published_csvs(built, collection: str) -> pd.DataFrame:
    folders = (built["home"] / "published" / collection).glob("*/v*/organisations")
    frames = [pd.read_csv(p, dtype=str) for folder in folders for p in folder.glob("*.csv")]
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("collection", ["community_indicators", "mhlda"])
def test_no_small_count_is_published_for_submitted_data(built, collection):
    """Every published count of submitted data is `*` or a multiple of 5, never 1 to 7, and a
    value is `*` wherever a count behind it is; the mart itself holds counts of 1 to 7."""
    mart = built["first"]["fct_benchmark"]
    mart = mart[mart["collection"] == collection]
    assert mart["numerator"].between(1, 7).any()
    published = _published_csvs(built, collection)
    for column in ("numerator", "denominator"):
        cells = published[column].dropna()
        assert (cells == "*").any() or column == "denominator"
        counts = pd.to_numeric(cells[cells != "*"])
        assert (counts % 5 == 0).all(), column
    masked = (published["numerator"] == "*") | (published["denominator"] == "*")
    assert (published.loc[masked, "value"] == "*").all()
    assert (published.loc[masked, "difference_from_median"] == "*").all()


def test_open_national_data_is_published_as_released(built):
    published = _published_csvs(built, "nhse_ae")
    assert not (published["numerator"] == "*").any()
    assert (pd.to_numeric(published["numerator"]) % 5 != 0).any()


def test_region_peer_groups_equal_an_independent_computation(built):
    """Each member benchmarked among its own region's members (from the register in landing)."""
    landing = built["home"] / "landing"
    register = pd.read_csv(landing / "reference" / "organisations.csv").set_index(
        "organisation_code"
    )
    returns = _landing_values(landing, "community_indicators/2024-05")
    dna = returns[returns["metric_code"] == "CI_DNA_RATE"].set_index("organisation_code")
    dna["region"] = register.loc[dna.index, "region_code"]
    actual = _benchmark_rows(built, "CI_DNA_RATE", "2024-05", peer_group="nhs_region")
    assert sorted(actual.index) == sorted(dna.index)
    assert actual["peer_group_value"].nunique() > 1
    for region, members in dna.groupby("region"):
        rows = actual.loc[members.index]
        assert (rows["peer_group_value"] == region).all()
        assert (rows["peer_n"] == len(members)).all()
        assert rows["peer_median"].iloc[0] == pytest.approx(np.median(members["value"]))
        expected_rank = members["value"].rank(method="min", ascending=True)  # lower is better
        assert rows["peer_rank"].sort_index().tolist() == expected_rank.sort_index().tolist()


def _expected_neighbours(landing: Path) -> pd.DataFrame:
    """Every member's nearest neighbours, computed with pandas and numpy from the register and
    the reference files in landing."""
    register = pd.read_csv(landing / "reference" / "organisations.csv")
    authorities = local_authorities(
        landing / "ons" / "population_mid2020_ltla21.csv", landing / "mhclg" / "imd2019_ltla19.csv"
    )
    return nearest_neighbours(catchment_profiles(register, authorities), 10)


@pytest.mark.parametrize(
    ("folder", "period", "metric", "service_line"),
    [
        ("community_indicators/2024-05", "2024-05", "CI_DNA_RATE", "all"),
        ("mhlda/2024-25-Q1", "2024-05", "MH_BED_OCCUPANCY", "adult_inpatient"),
    ],
)
def test_nearest_neighbour_groups_equal_an_independent_computation(
    built, folder, period, metric, service_line
):
    """Each member is benchmarked among itself and its ten nearest neighbours that have a value:
    one row per member, for its own group, whose statistics, rank and band are those of the
    group's values in the landed returns."""
    landing = built["home"] / "landing"
    neighbours = _expected_neighbours(landing)
    returns = _landing_values(landing, folder)
    values = returns[
        (returns["metric_code"] == metric)
        & (returns["period"] == period)
        & (returns.get("service_line", "all") == service_line)
    ].set_index("organisation_code")["value"]
    actual = _benchmark_rows(built, metric, period, service_line, "nearest_neighbours")

    assert sorted(actual.index) == sorted(set(values.index) & set(neighbours["organisation_code"]))
    assert (actual["peer_group_value"] == actual.index).all()
    polarity = _catalogue()[metric]["polarity"]
    sizes = set()
    for focal, row in actual.iterrows():
        group = [focal, *neighbours.loc[neighbours["organisation_code"] == focal, "neighbour_code"]]
        peers = values.reindex(group).dropna()
        sizes.add(len(peers))
        assert row["peer_n"] == len(peers)
        assert row["value"] == pytest.approx(peers[focal])
        assert row["peer_mean"] == pytest.approx(peers.mean())
        assert row["peer_min"] == pytest.approx(peers.min())
        assert row["peer_max"] == pytest.approx(peers.max())
        quartiles = np.percentile(peers, [25, 50, 75])
        assert [row["peer_lower_quartile"], row["peer_median"], row["peer_upper_quartile"]] == (
            pytest.approx(quartiles)
        )
        if polarity == "neutral":  # no best: no rank
            assert pd.isna(row["peer_rank"])
        else:
            ascending = polarity == "lower_is_better"
            assert row["peer_rank"] == peers.rank(method="min", ascending=ascending)[focal]
        band = 1 + int(np.searchsorted(quartiles, peers[focal], side="left"))
        assert row["quartile_band"] == band
    assert max(sizes) == 11 and len(sizes) > 1  # some neighbours sent no return that month


def test_the_extract_and_report_show_the_nearest_neighbours(built):
    """The organisation's own extract carries its nearest-neighbour group's N, median, rank and
    band beside its type's; the report reads them out."""
    folder = built["home"] / "published" / "community_indicators" / "2024-05" / "v1"
    mart = _benchmark_rows(built, "CI_DNA_RATE", "2024-05", peer_group="nearest_neighbours")
    code = mart.index[0]
    extract = pd.read_csv(folder / "organisations" / f"{code}.csv")
    row = extract[extract["metric_code"] == "CI_DNA_RATE"].iloc[0]
    assert row["neighbours_n"] == mart.loc[code, "peer_n"]
    assert row["neighbours_median"] == round(mart.loc[code, "peer_median"], 2)
    assert row["neighbours_rank"] == mart.loc[code, "peer_rank"]
    assert row["neighbours_quartile_band"] == mart.loc[code, "quartile_band"]
    typed = pd.read_parquet(folder / "organisations" / f"{code}.parquet")
    assert typed["neighbours_n"].notna().all()
    report = (folder / "organisations" / f"{code}.html").read_text()
    assert f"most alike ({mart.loc[code, 'peer_n']} with a value, itself included" in report
    # A&E's providers declare no local authorities: no group, blank columns
    ae = built["home"] / "published" / "nhse_ae" / "2024-06" / "v1" / "organisations"
    assert pd.read_csv(ae / "RJ1.csv")["neighbours_n"].isna().all()


def test_acute_trusts_are_benchmarked_against_acute_trusts(built, real_data):
    """June 2024: a major trust's type peers are the providers with type 1 departments in
    NHS England's file and the NHS trusts (ODS etr) with single-specialty (type 2) departments
    only, such as an eye hospital: not its walk-in centres and GP practices."""
    june = pd.read_csv(real_data / "ae_monthly" / REAL_JUNE_AE).set_index("Org Code")
    june = june.drop(index="TOTAL")
    attendances = june.filter(like="A&E attendances").sum(axis=1)
    with (real_data / "ods" / "etr.csv").open(newline="") as handle:
        trusts = {row[0] for row in csv.reader(handle)}
    specialist = (june["A&E attendances Type 2"] > 0) & june.index.isin(list(trusts))
    type1 = june[((june["A&E attendances Type 1"] > 0) | specialist) & (attendances > 0)]
    assert {"RP6", "REP"} <= set(type1.index)  # Moorfields, Liverpool Women's
    rows = _benchmark_rows(built, "AE_4HR_ALL", "2024-06", peer_group="organisation_type")
    acute = rows[rows["peer_group_value"] == "acute_trust"]
    assert sorted(acute.index) == sorted(type1.index)
    assert (acute["peer_n"] == len(type1)).all()
    everyone = _benchmark_rows(built, "AE_4HR_ALL", "2024-06")
    assert everyone["peer_n"].iloc[0] == (attendances > 0).sum() > len(type1)
    report = built["home"] / "published" / "nhse_ae" / "2024-06" / "v1" / "organisations"
    assert f"of {len(type1)}</td>" in (report / "RJ1.html").read_text()


def test_a_report_draws_the_distribution_and_a_window_lists_the_peers_once(built):
    """A report carries a strip chart per metric, not every peer's value (its size does not
    grow with the number of peers); every peer's value is in the window's distribution page for
    the peer group, drawn once, under the publication's codes."""
    folder = built["home"] / "published" / "community_indicators" / "2024-05" / "v1"
    report = (folder / "organisations" / "ZAY.html").read_text()
    returns = _landing_values(built["home"] / "landing", "community_indicators/2024-05")
    submitted = (returns["organisation_code"] == "ZAY").sum()
    assert report.count("<svg") == 2 * submitted  # a strip and a trend per metric it submitted
    assert not re.search(r"P[0-9A-F]{6}", report)
    assert 'href="../distributions/community_provider.html#CI_DNA_RATE-all-2024-05"' in report
    page = (folder / "distributions" / "community_provider.html").read_text()
    members = returns.loc[returns["metric_code"] == "CI_DNA_RATE", "organisation_code"].nunique()
    dna = page[page.index('id="CI_DNA_RATE-all-2024-05"') :].split("</section>")[0]
    assert len(re.findall(r'class="bar-label">P[0-9A-F]{6}<', dna)) == members


def test_published_intervals_and_significance_equal_statsmodels(built):
    """RJ1's June 2024 4-hour figure: its Wilson interval from statsmodels, and significantly
    better or worse than England when the interval excludes England's figure."""
    folder = built["home"] / "published" / "nhse_ae" / "2024-06" / "v1" / "organisations"
    rows = pd.read_csv(folder / "RJ1.csv").set_index("metric_code")
    four_hours = rows.loc["AE_4HR_ALL"]
    lower, upper = proportion_confint(
        four_hours["numerator"], four_hours["denominator"], alpha=0.05, method="wilson"
    )
    assert four_hours["interval_lower"] == pytest.approx(lower * 100, abs=0.005)  # 2 decimals
    assert four_hours["interval_upper"] == pytest.approx(upper * 100, abs=0.005)
    national = four_hours["national_value"]
    expected = (
        "better" if lower * 100 > national else "worse" if upper * 100 < national else "similar"
    )
    assert four_hours["against_national"] == expected
    length_of_stay = (
        pd.read_csv(
            built["home"]
            / "published"
            / "community_indicators"
            / "2024-05"
            / "v1"
            / "organisations"
            / "ZAY.csv"
        )
        .set_index("metric_code")
        .loc["CI_LENGTH_OF_STAY"]
    )
    assert pd.isna(length_of_stay["interval_lower"])  # days per discharge: no interval


def test_two_publishers_of_one_window_make_one_version(built, tmp_path):
    """Two publications of the same window at once: the lock makes the second wait, then find
    the first's version, so one v1 exists and neither fails."""
    published = tmp_path / "published"
    june = window("community_indicators", "2024-06-01")
    warehouse = str(built["home"] / "warehouse.duckdb")

    def publish() -> Path | None:
        with duckdb.connect(warehouse, read_only=True) as connection:
            return publish_window(connection, published, june, b"k" * 32)

    with ThreadPoolExecutor(max_workers=2) as pool:
        folders = list(pool.map(lambda _: publish(), range(2)))
    window_folder = published / "community_indicators" / "2024-06"
    assert folders == [window_folder / "v1"] * 2
    assert sorted(p.name for p in window_folder.iterdir()) == [".lock", "v1"]


def test_a_killed_publication_leaves_nothing_visible_and_the_next_clears_it(built, tmp_path):
    """A publisher killed mid-write leaves only its hidden staging folder, which no reader
    counts as a version; the next publication of the window removes it."""
    published = tmp_path / "published"
    june = window("community_indicators", "2024-06-01")
    leftover = published / "community_indicators" / "2024-06" / ".v1-killed"
    (leftover / "organisations").mkdir(parents=True)
    (leftover / "organisations" / "ZAY.csv").write_text("half written")
    assert published_versions(published, june) == []
    with duckdb.connect(str(built["home"] / "warehouse.duckdb"), read_only=True) as connection:
        folder = publish_window(connection, published, june, b"k" * 32)
    assert folder is not None and folder.name == "v1"
    assert not leftover.exists()


def test_a_report_groups_its_metrics_by_domain(built):
    """The sections follow the catalogue's domains, each under its heading, not code order."""
    catalogue = pd.read_csv(CATALOGUE)
    community = catalogue[catalogue["collection"] == "community_indicators"]
    folder = built["home"] / "published" / "community_indicators" / "2024-05" / "v1"
    report = (folder / "organisations" / "ZAY.html").read_text()
    headings = re.findall(r'<h2 class="domain">([^<]+)</h2>', report)
    domains = list(community["domain"].unique())  # in the catalogue's order, as a reader meets them
    assert headings == [d.replace("_", " ").capitalize() for d in domains]
    names = [html.unescape(n) for n in re.findall(r"<h3>([^<(,]+?)(?: \([^)]*\))?</h3>", report)]
    returns = _landing_values(built["home"] / "landing", "community_indicators/2024-05")
    community = community[
        community["metric_code"].isin(
            returns.loc[returns["organisation_code"] == "ZAY", "metric_code"]
        )
    ]
    rank = community["domain"].map({domain: i for i, domain in enumerate(domains)})
    by_domain = community.assign(rank=rank).sort_values(["rank", "metric_code"])["metric_name"]
    assert names == by_domain.tolist()
    summary = report[report.index('<table class="summary">') : report.index("</table>")]
    groups = re.findall(r'<tr class="group domain"><th colspan="8">([^<]+)</th>', summary)
    assert groups == headings  # the summary's rows fall under the same domain headings


@pytest.fixture(scope="module")
def packed(built) -> Path:
    """May 2024's community window was published without packs (history): `peerbench pack`
    adds them to its v1, in a later session (another key: packs show no peer codes)."""
    folder = built["home"] / "published" / "community_indicators" / "2024-05" / "v1"
    before = {p.name: p.read_bytes() for p in (folder / "organisations").glob("*.html")}
    assert not list(folder.rglob("*.pdf"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PEERBENCH_HOME", str(built["home"]))
        patch.setenv("PEERBENCH_PSEUDONYM_KEY", "the key of a later session, not the publisher")
        named = ["--organisation", "ZAY", "--organisation", "ZBJ", "--organisation", "ZDM"]
        assert main(["pack", "community_indicators", "2024-05", *named]) == 0
        assert main(["pack", "community_indicators", "2024-07"]) == 1  # not published
        unknown = ["--organisation", "ZZQ"]
        assert main(["pack", "community_indicators", "2024-05", *unknown]) == 1  # no report
    after = {p.name: p.read_bytes() for p in (folder / "organisations").glob("*.html")}
    assert after == before  # the pages stay as published
    packs = sorted(p.stem for p in (folder / "organisations").glob("*.pdf"))
    assert packs == ["ZAY", "ZBJ", "ZDM"]  # only the organisations named
    return folder


def test_a_report_opens_with_a_one_page_summary_of_every_metric(built):
    """The summary table comes first: one row per community metric, each with its value, the
    quartile read in words, significance against national and the SPC reading; then each metric
    with its reading, strip, trend, definition (the catalogue's own words) and a methods footer."""
    catalogue = pd.read_csv(CATALOGUE)
    community = catalogue[catalogue["collection"] == "community_indicators"]
    returns = _landing_values(built["home"] / "landing", "community_indicators/2024-05")
    submitted = returns.loc[returns["organisation_code"] == "ZAY", "metric_code"]
    community = community[community["metric_code"].isin(submitted)]
    folder = built["home"] / "published" / "community_indicators" / "2024-05" / "v1"
    report = (folder / "organisations" / "ZAY.html").read_text()
    summary = report[report.index('<table class="summary">') : report.index("</table>")]
    assert summary.count("<tr>") == len(community) + 1  # a header and a row per metric
    for definition in (*community["numerator_definition"], *community["guidance"]):
        assert str(markupsafe.escape(definition)) in report  # as the page escapes it
    assert report.index('class="summary-page"') < report.index('<h2 class="domain">')
    assert 'id="methods"' in report and "Making Data Count" in report
    assert "too few months" in summary  # four months of history: no SPC reading yet


def test_the_csv_extract_is_rounded_and_names_the_organisation(built):
    """Two decimals at most, the unit and the organisation's name on every row."""
    register = pd.read_csv(built["home"] / "landing" / "reference" / "organisations.csv")
    folder = built["home"] / "published" / "community_indicators" / "2024-05" / "v1"
    text = (folder / "organisations" / "ZAY.csv").read_text()
    assert not re.search(r"\d\.\d{3,}", text)
    rows = pd.read_csv(folder / "organisations" / "ZAY.csv")
    name = register.set_index("organisation_code").loc["ZAY", "organisation_name"]
    assert (rows["organisation_name"] == name).all()
    catalogue = pd.read_csv(CATALOGUE).query("collection == 'community_indicators'")
    assert set(rows["unit"]) <= set(catalogue["unit"])


def test_the_parquet_extract_has_nulls_where_the_csv_has_a_mask(built):
    folder = built["home"] / "published" / "community_indicators" / "2024-05" / "v1"
    for csv_path in sorted((folder / "organisations").glob("*.csv")):
        shown = pd.read_csv(csv_path, dtype=str)
        typed = pd.read_parquet(csv_path.with_suffix(".parquet"))
        assert len(typed) == len(shown)
        masked = shown["value"] == "*"
        assert typed.loc[masked.to_numpy(), "value"].isna().all()
        assert typed.loc[masked.to_numpy(), "suppressed"].str.contains("value").all()
        assert typed["value"].dtype.kind == "f"
        for column in ("numerator", "denominator"):  # no small count escapes through Parquet
            counts = typed[column].dropna()
            assert (counts % 5 == 0).all(), (csv_path.name, column)


def test_funnel_positions_equal_limits_computed_by_hand(built):
    """Every published A&E 4-hour row: its position against p -/+ z sqrt(p(1-p)/n) around the
    national proportion, for z 1.96 and 3.09."""
    folder = built["home"] / "published" / "nhse_ae" / "2024-06" / "v1" / "organisations"
    rows = pd.concat(pd.read_csv(p) for p in folder.glob("*.csv"))
    rows = rows[rows["metric_code"] == "AE_4HR_ALL"]
    p, n = rows["national_value"] / 100, rows["denominator"]
    value = rows["numerator"] / n
    expected = []
    for v, centre, size in zip(value, p, n, strict=True):
        inner, outer = (z * np.sqrt(centre * (1 - centre) / size) for z in (1.96, 3.09))
        side = "above" if v > centre else "below"
        distance = abs(v - centre)
        expected.append(
            f"{side} 99.8%" if distance > outer else f"{side} 95%" if distance > inner else "within"
        )
    near = [abs(abs(v - c) - z * np.sqrt(c * (1 - c) / s)) < 1e-4 for v, c, s, z in
            zip(value, p, n, [1.96] * len(p), strict=True)]  # fmt: skip
    actual = rows["funnel_position"].tolist()
    assert [a for a, e, close in zip(actual, expected, near, strict=True) if not close] == [
        e for e, close in zip(expected, near, strict=True) if not close
    ]
    assert {"within", "above 99.8%", "below 99.8%"} <= set(actual)


def test_a_pack_is_an_a4_pdf_a_deck_a_workbook_and_every_chart(packed):
    from pptx import Presentation

    organisations = packed / "organisations"
    extract = pd.read_csv(organisations / "ZAY.csv", dtype=str).set_index("metric_code")
    metrics = len(extract)
    pdf = pdfium.PdfDocument(organisations / "ZAY.pdf")
    # the summary, then two metrics to a page, then the methods
    assert metrics // 2 + 2 <= len(pdf) <= metrics // 2 + 5
    for page in pdf:
        assert page.get_size() == pytest.approx((595.28, 841.89), abs=0.01)  # A4 in points
    pages = [page.get_textpage().get_text_range().replace("\r\n", " ") for page in pdf]
    assert "Summary" in pages[0] and "Referrals received per 10000 population" in pages[0]
    pdf.close()
    for metric in ("CI_DNA_RATE", "CI_WAIT_18WK"):  # the PDF shows the published figures
        assert extract.loc[metric, "value"] in " ".join(pages)
    manifest = json.loads((packed / "manifest.json").read_text())
    assert "organisations/ZAY.pdf" in manifest["files"] and manifest["packs_added_at"]
    deck = Presentation(str(organisations / "ZAY.pptx"))
    slides = list(deck.slides)
    assert "Community Indicators" in slides[0].shapes.title.text
    assert slides[1].shapes.title.text == "Summary"
    assert any(shape.shape_type == 13 for slide in slides[2:] for shape in slide.shapes)  # pictures
    charts = sorted((organisations / "ZAY" / "charts").iterdir())
    assert len(charts) == metrics * 2 * 2  # a distribution and a trend per metric, SVG and PNG
    for chart in charts:
        head = chart.read_bytes()[:8]
        assert head == b"\x89PNG\r\n\x1a\n" if chart.suffix == ".png" else head.startswith(b"<svg")
    with zipfile.ZipFile(organisations / "ZAY.xlsx") as book:
        workbook = book.read("xl/workbook.xml").decode()
        sheets = re.findall(r'<sheet name="([^"]+)"', workbook)
    catalogue = pd.read_csv(CATALOGUE)
    domains = catalogue.loc[catalogue["collection"] == "community_indicators", "domain"].unique()
    assert sheets == [
        "Summary",
        *sorted(d.replace("_", " ").capitalize() for d in domains),
        "Notes",
    ]


def test_no_pack_names_a_peer(built, packed):
    """The PDF, the deck and the workbook (their XML, where the text is) name the organisation
    and no other member, by name or code."""
    register = pd.read_csv(built["home"] / "landing" / "reference" / "organisations.csv")
    for own in sorted(p.stem for p in (packed / "organisations").glob("*.pdf"))[:3]:
        pdf = pdfium.PdfDocument(packed / "organisations" / f"{own}.pdf")
        text = "".join(page.get_textpage().get_text_range() for page in pdf)
        pdf.close()
        for suffix in ("pptx", "xlsx"):
            with zipfile.ZipFile(packed / "organisations" / f"{own}.{suffix}") as archive:
                text += "".join(
                    archive.read(name).decode() for name in archive.namelist()
                    if name.endswith(".xml")
                )  # fmt: skip
        names = register.set_index("organisation_code")["organisation_name"]
        assert names[own].replace("&", "&amp;") in text
        for code, name in names.items():
            if code != own:
                assert name.replace("&", "&amp;") not in text
                assert not re.search(rf"\b{code}\b", text), code


def test_the_browser_check_catches_a_console_error_and_a_missing_file(tmp_path):
    """The check itself: a page with a script error and a missing image fails it."""
    (tmp_path / "bad.html").write_text(
        '<html><head><link rel="icon" href="data:,"></head><body><img src="missing.png">'
        "<script>undefinedFunction()</script></body></html>"
    )
    load = open_page(tmp_path, "bad.html", "self-check")
    assert any("undefinedFunction" in message for message in load.console)
    assert load.failed == ["404 /missing.png"]


@pytest.mark.parametrize(
    ("page", "name"),
    [
        ("organisations/ZAY.html", "organisation-report"),
        ("distributions/community_provider.html", "distribution"),
        ("national_summary.html", "national-summary"),
    ],
)
def test_each_report_type_opens_in_a_browser_without_errors(built, page, name):
    """Each report type of a community window in headless chromium: no console message, no
    request the server could not answer, and a screenshot kept in artefacts/screenshots/."""
    folder = built["home"] / "published" / "community_indicators" / "2024-05" / "v1"
    load = open_page(folder, page, name)
    assert load.console == []
    assert load.failed == []
    assert load.requested == [f"/{page}"]  # self-contained: nothing else to fetch
    assert load.screenshot.stat().st_size > 20_000  # a page drawn, not a blank
