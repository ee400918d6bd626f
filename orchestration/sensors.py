"""A sensor on `landing/`: a late return or a revised release is loaded, the mart rebuilt over
its periods, and every window it changes published again (v<N+1>), without waiting for the
morning schedule or anyone running `peerbench refresh`.

Each tick takes one step and returns; the next tick sees its outcome:

1. while a run the sensor started is queued or running, it waits;
2. a mart build it started that succeeded is recorded as built (one that failed stays owed);
3. landing files that differ from what their lake partitions were built from: one run per lake
   job over their range (and the mart's window is owed before the lake changes, as in a refresh);
4. a mart owed a build: one dbt build over the owed periods;
5. the mart current: the publications due, as the schedules would ask for them.

A new organisation register is loaded by `peerbench refresh` (the reference job), not here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

import dagster as dg

from orchestration.collections import COLLECTIONS
from orchestration.jobs import MART_REFRESH_JOB, publication_job_name
from orchestration.registry import SOURCES, scan_landing
from orchestration.resources import HomeResource, WarehouseResource
from orchestration.runs import (
    FULL_WINDOW,
    mart_window,
    owed_window,
    plan_refresh,
    range_tags,
    record_mart_built,
    record_mart_pending,
    reference_fingerprint,
)
from orchestration.schedules import windows_to_publish

LANDING_SENSOR = "landing_sensor"
SENSOR_TAG = "peerbench/started_by"
WINDOW_TAG = "peerbench/mart_window"
REFERENCE_TAG = "peerbench/mart_reference"
FIRST_MONTH = "1900-01"
IN_PROGRESS = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def mart_request(window: tuple[str, str], reference: str) -> dg.RunRequest:
    """One dbt build over `window`; its tags carry what to record once it succeeds."""
    config = {"min_date": window[0], "max_date": window[1], "full_refresh": window == FULL_WINDOW}
    return dg.RunRequest(
        job_name=MART_REFRESH_JOB,
        run_config={"ops": {"mart_dbt_models": {"config": config}}},
        tags={SENSOR_TAG: LANDING_SENSOR, WINDOW_TAG: ",".join(window), REFERENCE_TAG: reference},
    )


def _record_finished_build(context: dg.SensorEvaluationContext, home: HomeResource) -> None:
    """Step 2: the sensor's latest mart build, if it succeeded, is the mart's new state."""
    runs = context.instance.get_runs(
        filters=dg.RunsFilter(job_name=MART_REFRESH_JOB, tags={SENSOR_TAG: LANDING_SENSOR}),
        limit=1,
    )
    if not runs or runs[0].status != dg.DagsterRunStatus.SUCCESS:
        return
    owed = owed_window(home.settings)
    if owed and ",".join(owed) == runs[0].tags[WINDOW_TAG]:
        record_mart_built(home.settings, runs[0].tags[REFERENCE_TAG])


def landing_requests(
    context: dg.SensorEvaluationContext,
    home: HomeResource,
    warehouse: WarehouseResource,
    now: datetime,
) -> Iterator[dg.RunRequest | dg.SkipReason]:
    """The next step's run requests (or why there is none)."""
    running = context.instance.get_runs(
        filters=dg.RunsFilter(tags={SENSOR_TAG: LANDING_SENSOR}, statuses=IN_PROGRESS), limit=1
    )
    if running:
        yield dg.SkipReason(f"waiting for run {running[0].run_id}")
        return
    settings = home.settings
    _record_finished_build(context, home)
    scan = scan_landing(settings.landing)
    plan = plan_refresh(
        scan, settings.landing, settings.lake, FIRST_MONTH, now.strftime("%Y-%m"), now,
        full=False,
    )  # fmt: skip
    window = mart_window(settings, plan, full=False)
    if plan.changed:
        if window:
            record_mart_pending(settings, window)
        for job, keys in plan.partitions.items():
            if keys:
                tags = {**range_tags(keys[0], keys[-1]), SENSOR_TAG: LANDING_SENSOR}
                yield dg.RunRequest(job_name=job, tags=tags)
        return
    if window:
        record_mart_pending(settings, window)
        yield mart_request(window, reference_fingerprint(settings))
        return
    if not settings.warehouse.exists():
        yield dg.SkipReason("no mart yet")
        return
    requested = False
    with warehouse.get_connection() as connection:
        for collection in COLLECTIONS.values():
            for window_, run_key in windows_to_publish(
                collection, now.date(), settings, connection
            ):
                requested = True
                yield dg.RunRequest(
                    job_name=publication_job_name(collection.code),
                    run_key=run_key,
                    partition_key=window_.partition_key,
                    tags={SENSOR_TAG: LANDING_SENSOR},
                )
    if not requested:
        yield dg.SkipReason("landing, lake, mart and publications are up to date")


def build_landing_sensor(jobs: Sequence[dg.UnresolvedAssetJobDefinition]) -> dg.SensorDefinition:
    wanted = {MART_REFRESH_JOB, *(publication_job_name(c) for c in COLLECTIONS)}
    wanted |= {s.refresh_job for s in SOURCES.values() if s.refresh_job}

    @dg.sensor(
        name=LANDING_SENSOR,
        jobs=[job for job in jobs if job.name in wanted],
        minimum_interval_seconds=300,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="New or changed files in landing/: load them, rebuild the mart over their "
        "periods, publish the windows they change (v<N+1>).",
    )
    def _sensor(
        context: dg.SensorEvaluationContext, home: HomeResource, warehouse: WarehouseResource
    ) -> Iterator[dg.RunRequest | dg.SkipReason]:
        yield from landing_requests(context, home, warehouse, datetime.now())

    return _sensor
