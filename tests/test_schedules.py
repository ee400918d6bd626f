"""Publication schedules start runs for closed, unpublished windows with data, and nothing else."""

from datetime import date, datetime
from pathlib import Path

import dagster as dg
import pytest

from orchestration.resources import HomeResource, WarehouseResource


def _lake_period(home: Path, dataset: str, period: str) -> None:
    folder = home / "lake" / dataset / f"period={period}"
    folder.mkdir(parents=True)
    (folder / "data.parquet").write_bytes(b"")


def _tick(name: str, at: datetime) -> list[str]:
    from orchestration.definitions import defs

    schedule = defs.resolve_schedule_def(name)
    with (
        dg.instance_for_test() as instance,
        dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=at,
            repository_def=defs.get_repository_def(),
            resources={"home": HomeResource(), "warehouse": WarehouseResource()},
        ) as context,
    ):
        result = schedule.evaluate_tick(context)
    return [request.run_key for request in result.run_requests or []]


@pytest.fixture
def community_lake(home: Path) -> Path:
    # data for May, June and July 2024; May is already published
    for period in ("2024-05", "2024-06", "2024-07"):
        _lake_period(home, "community_indicator_returns", period)
    (home / "published" / "community_indicators" / "2024-05" / "v1").mkdir(parents=True)
    return home


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # June closes on Fri 19 July 2024 (15th working day): not yet on the deadline day
        (datetime(2024, 7, 19, 7), []),
        (datetime(2024, 7, 20, 7), ["community_indicators/2024-06"]),
        # July closes on Wed 21 Aug 2024 (Mon 26 Aug is after it): only June by the 21st
        (datetime(2024, 8, 21, 7), ["community_indicators/2024-06"]),
        (
            datetime(2024, 8, 22, 7),
            ["community_indicators/2024-06", "community_indicators/2024-07"],
        ),
    ],
)
def test_community_schedule_publishes_closed_unpublished_windows_with_data(
    community_lake, at, expected
):
    assert _tick("community_indicators_publication_schedule", at) == expected


def test_mhlda_schedule_waits_for_the_quarter_deadline(home):
    _lake_period(home, "mhlda_indicator_returns", "2024-25-Q1")
    # Q1 2024-25 closes Fri 26 July 2024 (20 working days after 30 June)
    assert _tick("mhlda_publication_schedule", datetime(2024, 7, 26, 7)) == []
    assert _tick("mhlda_publication_schedule", datetime(2024, 7, 27, 7)) == ["mhlda/2024-25-Q1"]


def test_ae_schedule_publishes_after_the_second_thursday(home):
    _lake_period(home, "nhse_ae_attendances", "2024-06")
    assert _tick("nhse_ae_publication_schedule", datetime(2024, 7, 11, 7)) == []
    assert _tick("nhse_ae_publication_schedule", datetime(2024, 7, 12, 7)) == ["nhse_ae/2024-06"]


def test_a_window_without_data_is_not_published(home):
    assert _tick("community_indicators_publication_schedule", datetime(2024, 12, 1, 7)) == []


def test_a_window_unpublished_a_day_after_closing_is_overdue(community_lake):
    """June 2024 closes on Fri 19 July: closed but not overdue on the 20th, overdue on the 21st;
    May is published and July has not closed, so neither is ever overdue here."""
    from assets.publications import overdue_windows
    from orchestration.collections import COLLECTIONS
    from orchestration.settings import get_settings

    community = COLLECTIONS["community_indicators"]

    def overdue(day: date) -> list[str]:
        return [w.period_label for w in overdue_windows(community, day, get_settings())]

    assert overdue(date(2024, 7, 20)) == []
    assert overdue(date(2024, 7, 21)) == ["2024-06"]


def test_the_freshness_job_flags_overdue_windows_in_dagster(community_lake):
    from orchestration.definitions import defs

    job = defs.resolve_job_def("publication_freshness_job")
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(instance=instance)
    evaluations = {e.asset_key.path[0]: e for e in result.get_asset_check_evaluations()}
    community = evaluations["community_indicators_publication"]
    assert not community.passed
    overdue = community.metadata["overdue_windows"].value
    assert [w["period"] for w in overdue] == ["2024-06", "2024-07"]  # May is published
    assert evaluations["mhlda_publication"].passed  # no MHLDA data at all
