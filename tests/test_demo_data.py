"""The demo generator: deterministic per seed, realistic in shape, with gaps and late returns."""

import hashlib
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from contracts.metric_catalogue import CATALOGUE_PATH
from contracts.validation import validate_files
from orchestration.calendar import window
from orchestration.demo_data import DemoConfig, generate
from orchestration.registry import recognise

CONFIG = DemoConfig(seed=11, community_start="2023-04", mhlda_start="2023-04", last_month="2024-03")
NOW = datetime(2024, 12, 1)


def _digest(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("landing")
    generate(folder, CONFIG, now=NOW)
    return folder


def test_the_same_seed_gives_the_same_files(landing, tmp_path):
    generate(tmp_path, CONFIG, now=NOW)
    assert _digest(tmp_path) == _digest(landing)


def test_another_seed_gives_other_files(landing, tmp_path):
    other = DemoConfig(
        seed=12, community_start="2023-04", mhlda_start="2023-04", last_month="2023-06"
    )
    generate(tmp_path, other, now=NOW)
    assert _digest(tmp_path) != _digest(landing)


def test_the_register_has_enough_providers_with_ods_style_codes(landing):
    register = pd.read_csv(landing / "reference" / "organisations.csv")
    counts = register["organisation_type"].value_counts()
    assert counts["community_provider"] >= 30
    assert counts["mental_health_trust"] >= 40
    assert register["organisation_code"].str.fullmatch(r"Z[A-Z]{2}").all()
    assert register["region_name"].nunique() == 7


def test_community_returns_cover_every_month_with_some_gaps(landing):
    register = pd.read_csv(landing / "reference" / "organisations.csv")
    providers = set(register.query("organisation_type == 'community_provider'").organisation_code)
    months = sorted(p.name for p in (landing / "community_indicators").iterdir())
    assert months[0] == "2023-04" and months[-1] == "2024-03" and len(months) == 12
    submitted = {
        (month, path.name[:3])
        for month in months
        for path in (landing / "community_indicators" / month).glob("*")  # CSV and workbooks
    }
    expected = {(month, code) for month in months for code in providers}
    missing = expected - submitted
    assert 0 < len(missing) < 0.1 * len(expected)


def test_some_returns_arrive_after_their_window_closes(landing):
    late = total = 0
    for path in (landing / "community_indicators").glob("*/*.csv"):
        submitted = datetime.strptime(path.stem.split("_")[1], "%Y%m%dT%H%M").date()
        total += 1
        late += submitted > window("community_indicators", f"{path.parent.name}-01").closes_on
    assert 0 < late < 0.1 * total


def test_mhlda_returns_hold_three_months_by_service_line(landing):
    returns = [pd.read_csv(path) for path in (landing / "mhlda" / "2023-24-Q1").glob("*.csv")]
    frame = next(frame for frame in returns if frame["period"].nunique() == 3)
    assert sorted(frame["period"].unique()) == ["2023-04", "2023-05", "2023-06"]
    assert {"adult_inpatient", "adult_community", "all"} <= set(frame["service_line"])


def test_returns_not_yet_submitted_are_not_written(tmp_path):
    # at 5 July 2024 no June return can be in yet (the earliest arrive 4 days after month end)
    config = DemoConfig(seed=3, community_start="2024-05", mhlda_start="2024-04",
                        ae_start="2024-05", rtt_start=None, mhsds_start=None, cwt_start=None,
                        last_month="2024-06")  # fmt: skip
    generate(tmp_path, config, now=datetime(2024, 7, 4))
    assert not list((tmp_path / "community_indicators" / "2024-06").glob("*.csv"))
    assert list((tmp_path / "community_indicators" / "2024-05").glob("*.csv"))


def test_counts_scale_for_the_national_benchmark(tmp_path):
    # more organisations than place names, and one large operational provider
    config = DemoConfig(seed=5, community_start="2024-04", mhlda_start="2024-04",
                        operational_start="2024-04", last_month="2024-05", community_providers=60,
                        mental_health_trusts=40, operational_providers=1,
                        contacts_per_month=12_000)  # fmt: skip
    generate(tmp_path, config, now=NOW)
    register = pd.read_csv(tmp_path / "reference" / "organisations.csv")
    assert register["organisation_type"].value_counts().to_dict() == {
        "community_provider": 60,
        "mental_health_trust": 40,
    }
    assert register["organisation_name"].is_unique and register["organisation_code"].is_unique
    extracts = list((tmp_path / "operational").glob("*/*/epr_contacts.csv"))
    assert len(extracts) == 2
    for path in extracts:
        assert 10_000 < len(pd.read_csv(path)) < 14_000


def _returns(landing: Path) -> list[Path]:
    return sorted(
        path
        for collection in ("community_indicators", "mhlda")
        for path in (landing / collection).glob("*/*")
    )


def test_providers_submit_a_realistic_mix_of_returns(landing):
    returns = _returns(landing)
    workbooks = [p for p in returns if p.suffix == ".xlsx"]
    assert 0.05 * len(returns) < len(workbooks) < 0.2 * len(returns)
    # partial: a community CSV return with fewer rows than the collection's metrics
    community = pd.read_csv(CATALOGUE_PATH).query("collection == 'community_indicators'")
    sizes = [len(pd.read_csv(p)) for p in returns if p.suffix == ".csv" and "community" in str(p)]
    assert max(sizes) == len(community)
    assert 0 < sum(size < len(community) for size in sizes) < 0.15 * len(sizes)
    # a few are refused by the collection's contract, as ingest would refuse them (a window's
    # CSV returns judged together, as ingest judges them)
    refused = []
    for folder in sorted({path.parent for path in returns}):
        found = [recognise(p.relative_to(landing).as_posix()) for p in folder.glob("*.csv")]
        contract = found[0].source.contract(found[0].period)
        with duckdb.connect() as connection:
            judged = validate_files(
                connection,
                {f.relative: landing / f.relative for f in found},
                contract,
                submitters={f.relative: f.submitter or "" for f in found},
            )
        refused += [name for name, violations in judged.violations.items() if violations]
    assert 0 < len(refused) < 0.03 * len(returns)


def test_some_mhlda_trusts_upload_month_by_month(landing):
    quarter = landing / "mhlda" / "2023-24-Q2"
    months_by_file = {path.name: set(pd.read_csv(path)["period"]) for path in quarter.glob("*.csv")}
    single = {name[:3] for name, months in months_by_file.items() if len(months) == 1}
    whole = {name[:3] for name, months in months_by_file.items() if len(months) == 3}
    assert single and whole and not single & whole
