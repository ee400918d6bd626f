"""Publication schedules: each day, one run per window that has closed and is not yet published.

`build_schedule_from_partitioned_job` cannot wait for a deadline, so each schedule reads the
window calendar itself. A window is due when its deadline has passed, the lake holds data for it,
and `published/` has no version of it yet, or its latest version's inputs are no longer those in
the mart (a late return or a revision after publication): then v<N+1>. Windows still open get
nothing. The run key is `<collection>/<period>` (then `/v<N+1>`), so a repeated tick never starts
a second run for the same publication.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date, datetime

import dagster as dg
import duckdb

from assets.publications import mart_holds, published_versions, republication_due
from orchestration.calendar import Window, closed_windows
from orchestration.collections import COLLECTIONS, Collection
from orchestration.jobs import PUBLICATION_FRESHNESS_JOB, publication_job_name
from orchestration.resources import HomeResource, WarehouseResource
from orchestration.settings import Settings

PUBLICATION_CRON = "0 7 * * *"  # every morning, after overnight loads
TIMEZONE = "Europe/London"


def windows_to_publish(
    collection: Collection,
    today: date,
    settings: Settings,
    warehouse: duckdb.DuckDBPyConnection | None = None,
) -> list[tuple[Window, str]]:
    """Closed windows with data in the lake, oldest first, with the run key of what is due:
    `<collection>/<period>` for a first publication; for a published window whose inputs in the
    mart changed since (needs the warehouse), `<collection>/<period>/v<N>` and the changes."""
    keys = collection.partitions_def.get_partition_keys(
        current_time=datetime.combine(today, datetime.min.time())
    )
    due = []
    for window in closed_windows(collection.code, keys, today):
        if not collection.has_data(settings.lake, window.partition_key):
            continue
        if warehouse is not None and not mart_holds(warehouse, window):
            continue  # nothing to publish yet (its values are not built): not due
        if not published_versions(settings.published, window):
            due.append((window, f"{collection.code}/{window.period_label}"))
        elif warehouse is not None:
            republication = republication_due(warehouse, settings.published, window)
            if republication:
                name, _ = republication
                due.append((window, f"{collection.code}/{window.period_label}/{name}"))
    return due


def _build_publication_schedule(collection: Collection) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=f"{collection.code}_publication_schedule",
        cron_schedule=PUBLICATION_CRON,
        execution_timezone=TIMEZONE,
        job_name=publication_job_name(collection.code),
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Publish {collection.name} windows as they close, and again as v<N+1> "
        "when their inputs change after publication.",
    )
    def _schedule(
        context: dg.ScheduleEvaluationContext, home: HomeResource, warehouse: WarehouseResource
    ) -> Iterator[dg.RunRequest]:
        today = context.scheduled_execution_time.date()
        with ExitStack() as stack:
            connection = (
                stack.enter_context(warehouse.get_connection())
                if home.settings.warehouse.exists()
                else None
            )
            due = windows_to_publish(collection, today, home.settings, connection)
        for window, run_key in due:
            yield dg.RunRequest(
                run_key=run_key,
                partition_key=window.partition_key,
                tags={"peerbench/window_closed_on": window.closes_on.isoformat()},
            )

    return _schedule


publication_schedules = [_build_publication_schedule(c) for c in COLLECTIONS.values()]
freshness_schedule = dg.ScheduleDefinition(
    name="publication_freshness_schedule",
    cron_schedule="0 9 * * *",  # after the publication schedules' morning tick
    execution_timezone=TIMEZONE,
    job_name=PUBLICATION_FRESHNESS_JOB,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Each morning, flag windows still unpublished a day after they closed.",
)
