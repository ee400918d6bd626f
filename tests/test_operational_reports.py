"""The operational programme's quarterly publication: each provider's Benchmarking report (against
the programme's providers, by department, staff band and activity type, and its named
comparators) and Insight report (its teams against each other), with their extracts and PDFs.

A small demo (five providers from April to December 2025: three NHS quarters) is refreshed and
published once for the module through the CLI, as a user would. The figures the reports and
extracts show are compared with the mart (fct_benchmark, fct_team_benchmark, whose values
tests/test_operational.py proves by hand), with the % change worked out here from the mart's
values, and with disclosure control's rule applied here to the mart's counts.
"""

import json
import re
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pypdfium2 as pdfium
import pytest
from browser import open_page
from conftest import use_home

from orchestration.cli import main
from orchestration.demo_data import DemoConfig, generate

DEMO = DemoConfig(
    seed=31,
    community_start="2025-12",
    mhlda_start="2025-10",
    ae_start="2025-12",
    rtt_start=None,
    mhsds_start=None,
    cwt_start=None,
    merger_month=None,
    operational_start="2025-04",
    last_month="2025-12",
    community_providers=6,  # the operational programme's five and one more
    mental_health_trusts=2,
    operational_providers=5,
    contacts_per_month=1_600,  # two teams each: the insight report compares them
)
NOW = datetime(2026, 3, 2)  # every 2025-26 quarter to December closed (the third on 29 January)
QUARTERS = {"2025-26-Q1": "2025-04-01", "2025-26-Q2": "2025-07-01", "2025-26-Q3": "2025-10-01"}
LATEST = "2025-26-Q3"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict:
    home = tmp_path_factory.mktemp("operational-reports")
    with pytest.MonkeyPatch.context() as patch:
        use_home(home, patch)
        generate(home / "landing", DEMO, now=NOW)
        assert main(["refresh", "--start", "2025-04", "--to", "2025-12"]) == 0
        assert main(["publish", "--as-of", NOW.date().isoformat()]) == 0
        # packs (the PDFs) go with today's recent windows: this demo's are history, added here
        assert main(["pack", "operational", LATEST]) == 0
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        mart = {
            table: connection.sql(f"select * from marts.{table}").df()
            for table in ("fct_benchmark", "fct_team_benchmark", "dim_organisation", "dim_team")
        }
        measures = connection.sql("select * from reference.operational_measures").df()
        metrics = connection.sql("select * from marts.dim_metric").df()
    providers = sorted(mart["dim_team"]["organisation_code"].unique())
    chooser = next((home / "landing" / "operational").glob("*/comparators.csv")).parent.name
    return {
        "home": home,
        "folder": home / "published" / "operational",
        "mart": mart,
        "measures": measures.set_index("measure"),
        "metrics": metrics.set_index("metric_code"),
        "providers": providers,
        "chooser": chooser,
    }


def _version(published: dict, quarter: str = LATEST) -> Path:
    return published["folder"] / quarter / "v1"


def _quarter_rows(published: dict, quarter: str, peer_group: str = "all") -> pd.DataFrame:
    benchmark = published["mart"]["fct_benchmark"]
    return benchmark[
        (benchmark["collection"] == "operational")
        & (benchmark["grain"] == "quarter")
        & (benchmark["period_start"] == pd.Timestamp(QUARTERS[quarter]))
        & (benchmark["peer_group"] == peer_group)
    ]


def test_every_closed_quarter_is_published_with_both_reports_per_provider(published):
    assert sorted(p.name for p in published["folder"].iterdir()) == sorted(QUARTERS)
    for quarter in QUARTERS:
        folder = _version(published, quarter)
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["organisations"] == len(published["providers"])
        for code in published["providers"]:
            for kind in ("organisations", "insight"):
                for suffix in ("html", "csv", "parquet"):
                    assert f"{kind}/{code}.{suffix}" in manifest["files"]
                # PDFs for the window packed only
                assert (f"{kind}/{code}.pdf" in manifest["files"]) == (quarter == LATEST)
        assert {"national_summary.html", "national_summary.csv"} <= set(manifest["files"])


def test_the_benchmarking_extract_is_the_marts_quarter_with_its_change(published):
    own = published["providers"][0]
    extract = pd.read_csv(_version(published) / "organisations" / f"{own}.csv", dtype=str)
    mart = _quarter_rows(published, LATEST)
    mart = mart[mart["organisation_code"] == own].set_index(["metric_code", "service_line"])
    shown = extract[extract["peer_group"] == "all"].set_index(["metric_code", "service_line"])
    assert set(shown.index) == set(mart.index)
    compared = 0
    for key, row in shown.iterrows():
        expected = mart.loc[key]
        if row["value"] == "*":  # a suppressed figure: one of its counts is 1 to 7 people
            continue
        assert float(row["peer_median"]) == pytest.approx(expected["peer_median"], abs=0.005)
        assert int(row["peer_n"]) == expected["peer_n"]
        metric = published["metrics"].loc[key[0]]
        if metric["aggregation"] == "ratio":
            assert float(row["value"]) == pytest.approx(expected["value"], abs=0.005)
            before, now = expected["previous_value"], expected["value"]
            if row["percent_change"] == "*":  # made of a count of people of 1 to 7
                pass
            elif pd.notna(before) and before > 0 and now >= 0:
                change = (now - before) / before * 100
                assert float(row["percent_change"]) == pytest.approx(change, abs=0.005)
            else:  # no previous, or a growth rate below 0: its change is no percentage
                assert pd.isna(row["percent_change"])
        compared += 1
    assert compared > 100


def test_the_benchmarking_report_names_only_its_own_provider(published):
    names = published["mart"]["dim_organisation"].set_index("organisation_code")
    for own in published["providers"]:
        html = (_version(published) / "organisations" / f"{own}.html").read_text()
        assert own in html and names.loc[own, "organisation_name"] in html
        for other in set(published["providers"]) - {own}:
            assert other not in html and names.loc[other, "organisation_name"] not in html
        # the other providers, by the publication's anonymous codes, in the summary table
        peers = set(re.findall(r"<td>(P[0-9A-F]{6})</td>", html))
        assert len(peers) == len(published["providers"]) - 1


def test_only_the_provider_that_named_comparators_is_ranked_among_them(published):
    chooser = published["chooser"]
    named = _quarter_rows(published, LATEST, "comparators")
    assert set(named["organisation_code"]) == {chooser}
    # itself and the three it named
    assert (named["peer_n"] <= 4).all() and (named["peer_n"] >= 3).any()
    for own in published["providers"]:
        html = (_version(published) / "organisations" / f"{own}.html").read_text()
        assert ("Comparators' median" in html) == (own == chooser)
    row = named[
        (named["metric_code"] == "OP_CLINICAL_SHIFT_PCT") & (named["service_line"] == "all")
    ]
    html = (_version(published) / "organisations" / f"{chooser}.html").read_text()
    rank = int(row["peer_rank"].iloc[0])
    assert f"{rank} of {int(row['peer_n'].iloc[0])}" in html


def test_the_insight_extract_is_each_team_against_its_providers_others(published):
    teams = published["mart"]["fct_team_benchmark"]
    names = published["mart"]["dim_team"].set_index(["organisation_code", "team_code"])
    for own in published["providers"]:
        extract = pd.read_csv(_version(published) / "insight" / f"{own}.csv", dtype=str)
        mart = teams[
            (teams["organisation_code"] == own)
            & (teams["grain"] == "quarter")
            & (teams["period_start"] == pd.Timestamp(QUARTERS[LATEST]))
        ].set_index(["team_code", "metric_code"])
        quarter = extract[
            (extract["grain"] == "quarter") & (extract["period_start"] == QUARTERS[LATEST])
        ].set_index(["team_code", "metric_code"])
        assert set(quarter.index) == set(mart.index)
        for key, row in quarter.iterrows():
            expected = mart.loc[key]
            assert row["team_name"] == names.loc[(own, key[0]), "team_name"]
            assert int(row["teams_n"]) == expected["teams_n"]
            if row["value"] != "*":
                assert float(row["value"]) == pytest.approx(expected["value"], abs=0.005)
                gap = expected["value"] - expected["teams_median"]
                assert float(row["gap_to_median"]) == pytest.approx(gap, abs=0.01)
        html = (_version(published) / "insight" / f"{own}.html").read_text()
        for code in {code for code, _ in quarter.index}:
            assert names.loc[(own, code), "team_name"] in html


def test_disclosure_masks_small_counts_of_people_and_not_hours(published):
    """The rule worked here on the mart's team rows: a count of people (a metric whose
    numerator or denominator measure is `disclosive`) of 1 to 7 shows as `*`, with its value;
    hours and WTE show as they are, however small."""
    measures, metrics = published["measures"], published["metrics"]
    teams = published["mart"]["fct_team_benchmark"]
    masked = kept = 0
    for own in published["providers"]:
        extract = pd.read_csv(_version(published) / "insight" / f"{own}.csv", dtype=str)
        extract = extract.set_index(["team_code", "metric_code", "grain", "period_start"])
        rows = teams[teams["organisation_code"] == own]
        for row in rows.itertuples():
            key = (row.team_code, row.metric_code, row.grain, f"{row.period_start:%Y-%m-%d}")
            if key not in extract.index:
                continue
            shown = extract.loc[key]
            metric = metrics.loc[row.metric_code]
            of_people = measures.loc[metric["numerator_measure"], "disclosive"] == "yes"
            if of_people and 0 < row.numerator < 7.5:
                assert shown["numerator"] == "*" and shown["value"] == "*", key
                masked += 1
            if not of_people and 0 < row.numerator < 7.5:
                denominator = metric["denominator_measure"]
                if pd.isna(denominator) or measures.loc[denominator, "disclosive"] == "no":
                    assert float(shown["numerator"]) == pytest.approx(row.numerator, abs=0.005)
                    kept += 1
    assert masked > 0 and kept > 0


def test_the_pdfs_are_a4_and_carry_the_reports(published):
    own = published["providers"][0]
    for kind, heading in (("organisations", "Provider metrics summary"), ("insight", "Teams")):
        pdf = pdfium.PdfDocument(_version(published) / kind / f"{own}.pdf")
        assert len(pdf) > 2
        for page in pdf:
            assert page.get_size() == pytest.approx((595.28, 841.89), abs=0.01)  # A4
        first = pdf[0].get_textpage().get_text_range()
        assert heading in first and own in first
        pdf.close()


@pytest.mark.parametrize(
    ("page", "name"),
    [
        ("organisations/{own}.html", "operational-benchmarking-report"),
        ("insight/{own}.html", "operational-insight-report"),
        ("national_summary.html", "operational-programme-summary"),
    ],
)
def test_each_operational_report_opens_in_a_browser_without_errors(published, page, name):
    load = open_page(_version(published), page.format(own=published["chooser"]), name)
    assert load.console == [] and load.failed == []
    assert load.screenshot.stat().st_size > 20_000


def test_status_shows_each_quarter_published_with_every_enrolled_provider(published, capsys):
    """`peerbench status`: a quarter's expected submitters are the providers with a team
    register (the programme's, not every community provider of the register), and a published
    quarter is up to date (its inputs are the mart's digests of the extracts, not the files)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PEERBENCH_HOME", str(published["home"]))
        patch.setenv("DAGSTER_HOME", str(published["home"] / "dagster"))
        capsys.readouterr()
        assert main(["status", "--collection", "operational", "--as-of", "2026-03-02"]) == 0
    lines = capsys.readouterr().out.splitlines()
    providers = len(published["providers"])
    for quarter in QUARTERS:
        (row,) = [line.split() for line in lines if line.strip().startswith(quarter)]
        assert row[2:5] == ["published", "v1", f"{providers}/{providers}"], row
