"""How returns to the indicator collections count: a quarter's months may come in one return or
month by month, a revision replaces only the months it covers, a partial return counts for what
it holds, and a month outside the window's quarter is refused; the MHLDA history from April
2020 is built by one backfill run.

Each test lands returns in a temporary home, runs the real MHLDA lake asset through Dagster and
reads the lake and the submissions table as an analyst would.
"""

from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
from conftest import land_register

from assets.indicators import mhlda_indicator_returns
from assets.reference import organisations
from orchestration.cli import main
from orchestration.demo_data import DemoConfig, generate
from orchestration.partitions import quarter_label, quarter_months
from orchestration.resources import HomeResource
from orchestration.runs import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

HEADER = "organisation_code,period,service_line,metric_code,numerator,denominator\n"
MEMBERS = {"ZMH": "mental_health_trust", "ZMI": "mental_health_trust"}
QUARTER = "2024-04-01"  # April to June 2024: quarter 1 of 2024-25
FOLDER = "2024-25-Q1"


def _return(home: Path, name: str, rows: list[tuple]) -> None:
    path = home / "landing" / "mhlda" / FOLDER / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(",".join(map(str, row)) + "\n" for row in rows))


def _bed_occupancy(org: str, month: str, occupied: int) -> tuple:
    return (org, month, "adult_inpatient", "MH_BED_OCCUPANCY", occupied, 1000)


def _ingest(home: Path) -> tuple[pd.DataFrame, pd.Series]:
    resources = {"home": HomeResource()}
    with dg.instance_for_test() as instance:
        dg.materialize([organisations], instance=instance, resources=resources)
        dg.materialize(
            [mhlda_indicator_returns], partition_key=QUARTER, instance=instance, resources=resources
        )
    lake = pd.read_parquet(home / "lake" / "mhlda_indicator_returns" / f"period={FOLDER}")
    submissions = pd.read_parquet(
        home / f"lake/submissions/dataset=mhlda_indicator_returns/period={FOLDER}"
    ).set_index("source_file")["status"]
    return lake, submissions.rename(index=lambda name: name.rsplit("/", 1)[-1])


def _numerators(lake: pd.DataFrame) -> dict[tuple[str, str], float]:
    rows = lake.set_index(["organisation_code", "period"])["numerator"]
    return {key: float(value) for key, value in rows.items()}


def test_the_quarter_folder_holds_the_three_months_of_its_financial_quarter():
    assert quarter_label(QUARTER) == FOLDER
    assert quarter_months(QUARTER) == ["2024-04", "2024-05", "2024-06"]
    assert quarter_label("2025-01-01") == "2024-25-Q4"  # January is in the last quarter
    assert quarter_months("2025-01-01") == ["2025-01", "2025-02", "2025-03"]


def test_months_uploaded_one_by_one_all_count(home):
    land_register(home, MEMBERS)
    _return(home, "ZMH_20240510T0900.csv", [_bed_occupancy("ZMH", "2024-04", 900)])
    _return(home, "ZMH_20240610T0900.csv", [_bed_occupancy("ZMH", "2024-05", 910)])
    _return(home, "ZMH_20240710T0900.csv", [_bed_occupancy("ZMH", "2024-06", 920)])
    lake, statuses = _ingest(home)
    assert _numerators(lake) == {
        ("ZMH", "2024-04"): 900.0,
        ("ZMH", "2024-05"): 910.0,
        ("ZMH", "2024-06"): 920.0,
    }
    assert set(statuses) == {"accepted"}


def test_a_revision_replaces_only_the_months_it_covers(home):
    land_register(home, MEMBERS)
    quarter = [_bed_occupancy("ZMH", month, 900) for month in ("2024-04", "2024-05", "2024-06")]
    _return(home, "ZMH_20240710T0900.csv", quarter)
    _return(home, "ZMH_20240715T0900.csv", [_bed_occupancy("ZMH", "2024-05", 955)])
    _return(home, "ZMI_20240711T0900.csv", [_bed_occupancy("ZMI", "2024-04", 800)])
    _return(home, "ZMI_20240712T0900.csv", [_bed_occupancy("ZMI", "2024-04", 810)])
    lake, statuses = _ingest(home)
    assert _numerators(lake) == {
        ("ZMH", "2024-04"): 900.0,
        ("ZMH", "2024-05"): 955.0,
        ("ZMH", "2024-06"): 900.0,
        ("ZMI", "2024-04"): 810.0,
    }
    assert statuses.to_dict() == {
        "ZMH_20240710T0900.csv": "accepted",  # still counts for April and June
        "ZMH_20240715T0900.csv": "accepted",
        "ZMI_20240711T0900.csv": "superseded",  # its only month is revised
        "ZMI_20240712T0900.csv": "accepted",
    }
    source_of_may = lake.set_index(["organisation_code", "period"]).loc[("ZMH", "2024-05")]
    assert source_of_may["source_file"].endswith("ZMH_20240715T0900.csv")


def test_a_partial_return_counts_for_what_it_holds_and_a_revision_replaces_its_month(home):
    land_register(home, MEMBERS)
    fft = ("ZMH", "2024-04", "all", "MH_FFT_POSITIVE", 80, 100)
    _return(home, "ZMH_20240710T0900.csv", [_bed_occupancy("ZMH", "2024-04", 900), fft])
    _return(home, "ZMI_20240710T0900.csv", [_bed_occupancy("ZMI", "2024-05", 800)])  # partial
    _return(home, "ZMH_20240712T0900.csv", [_bed_occupancy("ZMH", "2024-04", 905)])
    lake, _ = _ingest(home)
    counted = lake.set_index(["organisation_code", "period", "metric_code"])["numerator"]
    # the revision of April holds no FFT row: April is the revision's, whole
    assert counted.to_dict() == {
        ("ZMH", "2024-04", "MH_BED_OCCUPANCY"): 905.0,
        ("ZMI", "2024-05", "MH_BED_OCCUPANCY"): 800.0,
    }


def test_a_month_outside_the_quarter_is_refused_and_the_others_kept(home):
    land_register(home, MEMBERS)
    _return(home, "ZMH_20240710T0900.csv", [_bed_occupancy("ZMH", "2024-07", 900)])
    _return(home, "ZMI_20240710T0900.csv", [_bed_occupancy("ZMI", "2024-06", 800)])
    lake, statuses = _ingest(home)
    assert _numerators(lake) == {("ZMI", "2024-06"): 800.0}
    assert statuses["ZMH_20240710T0900.csv"] == "quarantined"
    report = next((home / "quarantine" / "mhlda_indicator_returns").rglob("*ZMH*.json"))
    assert "period is not one of this window's" in report.read_text()


# the MHLDA history, from the collection's first quarter, in one backfill run

HISTORY = DemoConfig(
    seed=13,
    community_start="2021-03",
    mhlda_start="2020-04",  # the collection's first month: Q1 2020-21
    ae_start="2021-03",
    rtt_start=None,
    mhsds_start=None,
    cwt_start=None,
    merger_month=None,
    operational_start="2021-03",
    last_month="2021-03",
    community_providers=6,
    mental_health_trusts=6,
    operational_providers=1,
    contacts_per_month=200,
)


def test_the_mhlda_history_from_april_2020_is_built_in_one_backfill_run(home):
    generate(home / "landing", HISTORY, now=datetime(2021, 6, 1))
    assert main(["refresh", "--start", "2020-04", "--to", "2021-03"]) == 0
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs(dg.RunsFilter(job_name="quarterly_from_2020_04_refresh_job"))
    [run] = runs  # the four quarters in one run
    assert (run.tags[ASSET_PARTITION_RANGE_START_TAG], run.tags[ASSET_PARTITION_RANGE_END_TAG]) == (
        "2020-04-01",
        "2021-01-01",
    )
    assert run.status == dg.DagsterRunStatus.SUCCESS
    lake = home / "lake" / "mhlda_indicator_returns"
    quarters = sorted(p.name for p in lake.iterdir())
    assert quarters == [f"period=2020-21-Q{n}" for n in (1, 2, 3, 4)]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        months = connection.execute(
            "select distinct strftime(period_start, '%Y-%m') from marts.fct_metric_value "
            "where collection = 'mhlda' order by 1"
        ).fetchall()
    expected = pd.period_range("2020-04", "2021-03", freq="M")
    assert [m for (m,) in months] == [str(p) for p in expected]
