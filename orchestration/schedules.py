"""Publication schedules: each day, one run per window that has closed and is not yet published.

`build_schedule_from_partitioned_job` cannot wait for a deadline, so each schedule reads the
window calendar itself. A window is due when its deadline has passed, the lake holds data for it,
and `published/` has no version of it yet; windows still open get nothing. The run key is
`<collection>/<period>`, so a repeated tick never starts a second run for the same window.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import dagster as dg

from assets.publications import published_versions
from orchestration.calendar import Window, closed_windows
from orchestration.collections import COLLECTIONS, Collection
from orchestration.jobs import publication_job_name
from orchestration.resources import HomeResource
from orchestration.settings import Settings

PUBLICATION_CRON = "0 7 * * *"  # every morning, after overnight loads
TIMEZONE = "Europe/London"


def windows_to_publish(collection: Collection, today: date, settings: Settings) -> list[Window]:
    """Closed windows with data in the lake and no publication yet, oldest first."""
    keys = collection.partitions_def.get_partition_keys(
        current_time=datetime.combine(today, datetime.min.time())
    )
    return [
        window
        for window in closed_windows(collection.code, keys, today)
        if collection.has_data(settings.lake, window.partition_key)
        and not published_versions(settings.published, window)
    ]


def _build_publication_schedule(collection: Collection) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=f"{collection.code}_publication_schedule",
        cron_schedule=PUBLICATION_CRON,
        execution_timezone=TIMEZONE,
        job_name=publication_job_name(collection.code),
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Publish {collection.name} windows as they close.",
    )
    def _schedule(
        context: dg.ScheduleEvaluationContext, home: HomeResource
    ) -> Iterator[dg.RunRequest]:
        today = context.scheduled_execution_time.date()
        for window in windows_to_publish(collection, today, home.settings):
            yield dg.RunRequest(
                run_key=f"{collection.code}/{window.period_label}",
                partition_key=window.partition_key,
                tags={"peerbench/window_closed_on": window.closes_on.isoformat()},
            )

    return _schedule


publication_schedules = [_build_publication_schedule(c) for c in COLLECTIONS.values()]
