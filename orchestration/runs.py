"""Running jobs in this process against a Dagster instance: single-run backfills over partition
ranges, and the publication schedules' run requests.

This is what `peerbench refresh` and `peerbench publish` do without a daemon; the runs are
recorded in the instance, so `dagster dev` on the same DAGSTER_HOME shows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from orchestration.schedules import publication_schedules

# the console shows what happened, not every engine event (those stay in the instance's logs)
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def range_tags(first_key: str, last_key: str) -> dict[str, str]:
    """Tags that make one run cover a partition range (assets with a single-run backfill policy)."""
    return {ASSET_PARTITION_RANGE_START_TAG: first_key, ASSET_PARTITION_RANGE_END_TAG: last_key}


def partition_keys_between(
    partitions_def: dg.PartitionsDefinition, first: str, last: str, now: datetime
) -> list[str]:
    """The partition keys from the period containing `first` to the one containing `last`."""
    keys = partitions_def.get_partition_keys(current_time=now)
    return [key for key in keys if first <= key <= last]


@dataclass(frozen=True)
class RunOutcome:
    job: str
    run_id: str
    partitions: str
    success: bool


def run_job(
    defs: dg.Definitions,
    job_name: str,
    instance: dg.DagsterInstance,
    *,
    partition_key: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> RunOutcome:
    job = defs.resolve_job_def(job_name)
    result = job.execute_in_process(
        run_config=QUIET_CONSOLE,
        instance=instance,
        partition_key=partition_key,
        tags=dict(tags or {}),
        raise_on_error=False,
    )
    tags = tags or {}
    covered = partition_key or (
        f"{tags[ASSET_PARTITION_RANGE_START_TAG]}...{tags[ASSET_PARTITION_RANGE_END_TAG]}"
        if ASSET_PARTITION_RANGE_START_TAG in tags
        else "-"
    )
    return RunOutcome(job_name, result.run_id, covered, result.success)


def due_publications(
    defs: dg.Definitions, instance: dg.DagsterInstance, as_of: datetime
) -> dict[str, list[dg.RunRequest]]:
    """Evaluate every publication schedule as if it ticked at `as_of`."""
    requests = {}
    repository = defs.get_repository_def()
    for schedule in publication_schedules:
        context = dg.build_schedule_context(
            instance=instance, scheduled_execution_time=as_of, repository_def=repository
        )
        result = schedule.evaluate_tick(context)
        requests[schedule.job_name] = list(result.run_requests or [])
    return requests


def publish_due(
    defs: dg.Definitions, instance: dg.DagsterInstance, as_of: datetime
) -> list[RunOutcome]:
    """Start the runs the schedules ask for. One due window runs as the schedule's own run;
    several (catching up on history) run as one single-run backfill over their range, in which
    windows already published with unchanged inputs are left as they are."""
    outcomes = []
    for job_name, requests in due_publications(defs, instance, as_of).items():
        if len(requests) == 1:
            request = requests[0]
            tags = {**request.tags, "dagster/run_key": request.run_key or ""}
            outcomes.append(
                run_job(defs, job_name, instance, partition_key=request.partition_key, tags=tags)
            )
        elif requests:
            keys = sorted(r.partition_key for r in requests if r.partition_key)
            outcomes.append(run_job(defs, job_name, instance, tags=range_tags(keys[0], keys[-1])))
    return outcomes
