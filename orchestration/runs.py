"""Running jobs in this process against a Dagster instance: single-run backfills over partition
ranges, and the publication schedules' run requests.

This is what `peerbench refresh` and `peerbench publish` do without a daemon; the runs are
recorded in the instance, so `dagster dev` on the same DAGSTER_HOME shows them.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import dagster as dg

from orchestration.registry import (
    SOURCES,
    STATIC_PERIOD,
    LandingScan,
    partition_dir,
    partition_key_of,
)
from orchestration.schedules import publication_schedules
from orchestration.settings import DBT_PROJECT_DIR, SEEDS_DIR, Settings

# Dagster's tags for a run that covers a range of partitions (single-run backfill)
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
PID_TAG = "peerbench/pid"

# the console shows what happened, not every engine event (those stay in the instance's logs)
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def range_tags(first_key: str, last_key: str) -> dict[str, str]:
    """Tags that make one run cover a partition range (assets with a single-run backfill policy)."""
    return {ASSET_PARTITION_RANGE_START_TAG: first_key, ASSET_PARTITION_RANGE_END_TAG: last_key}


FULL_WINDOW = ("1900-01-01", "2999-12-31")  # the dbt project's defaults: every period


@dataclass(frozen=True)
class RefreshPlan:
    """What a refresh must run: per lake job the partition keys whose landing files changed,
    and the date range (end exclusive) the mart rebuilds."""

    partitions: dict[str, list[str]]  # lake job -> partition keys, oldest first
    min_date: str
    max_date: str

    @property
    def changed(self) -> bool:
        return any(self.partitions.values())


def plan_refresh(
    scan: LandingScan,
    landing: Path,
    lake: Path,
    first_month: str,
    last_month: str,
    now: datetime,
    *,
    full: bool,
) -> RefreshPlan:
    """The partitions in [first_month, last_month] whose landing files differ from those their
    lake partition was built from (all of them when `full`), and the months they cover."""
    from assets.lake import current_fingerprints, recorded_fingerprints

    partitions: dict[str, set[str]] = {
        s.refresh_job: set() for s in SOURCES.values() if s.refresh_job
    }
    months: set[str] = set()
    for name, period in scan.files:
        source = SOURCES[name]
        if source.partitions_def is None:
            continue
        key = partition_key_of(source, period)
        covered = source.months(key)
        if covered[-1] < first_month or covered[0] > last_month:
            continue
        if key > now.date().isoformat():
            continue
        recorded = recorded_fingerprints(lake, name, period)
        if full or recorded != current_fingerprints(landing, scan.of(source, period)):
            partitions[source.refresh_job].add(key)
            months.update(covered)
    sorted_partitions = {job: sorted(keys) for job, keys in partitions.items()}
    if not months:
        return RefreshPlan(sorted_partitions, "1900-01-01", "1900-01-01")
    year, number = int(max(months)[:4]), int(max(months)[5:7])
    after = f"{year + number // 12}-{number % 12 + 1:02d}-01"
    return RefreshPlan(sorted_partitions, f"{min(months)}-01", after)


def reference_fingerprint(settings: Settings) -> str:
    """What every period of the mart depends on besides its own lake partitions: the dbt
    project's models and macros, the seeds (metric catalogue, calendar, service lines, regions)
    and the register in the lake. When it changes, an incremental mart is rebuilt whole."""
    digest = hashlib.sha256()
    static = [
        partition_dir(settings.lake, s.name, STATIC_PERIOD)
        for s in SOURCES.values()
        if s.partitions_def is None
    ]
    code = [
        DBT_PROJECT_DIR / "dbt_project.yml",
        *sorted(
            path
            for folder in ("models", "macros")
            for path in (DBT_PROJECT_DIR / folder).rglob("*")
            if path.suffix in {".sql", ".yml"}
        ),
    ]
    register = sorted(
        file for folder in static if folder.exists() for file in folder.glob("*.parquet")
    )
    for path in code + sorted(SEEDS_DIR.glob("*.csv")) + register:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def mart_record(settings: Settings) -> Path:
    """What the refresh records about the mart (the warehouse itself is dbt's alone): the reference
    fingerprint it was last built from, and the window of a build that has not yet succeeded."""
    return settings.home / "mart_inputs.json"


def _read_record(settings: Settings) -> dict:
    record = mart_record(settings)
    return json.loads(record.read_text()) if record.exists() else {}


def mart_window(settings: Settings, plan: RefreshPlan, *, full: bool) -> tuple[str, str] | None:
    """The periods [start, end) the mart build must cover: everything when asked, when the mart
    is missing or when its reference data changed; otherwise the changed periods together with
    those of an earlier build that failed or was killed (the lake already holds their rows, so
    no partition looks changed any more). None: the mart is up to date."""
    record = _read_record(settings)
    if (
        full
        or not settings.warehouse.exists()
        or (record.get("reference") != reference_fingerprint(settings))
    ):
        return FULL_WINDOW
    windows = [tuple(record["pending"])] if record.get("pending") else []
    if plan.changed:
        windows.append((plan.min_date, plan.max_date))
    if not windows:
        return None
    return min(w[0] for w in windows), max(w[1] for w in windows)


def owed_window(settings: Settings) -> tuple[str, str] | None:
    """The window of a build that has not yet succeeded, if any."""
    pending = _read_record(settings).get("pending")
    return (pending[0], pending[1]) if pending else None


def record_mart_pending(settings: Settings, window: tuple[str, str]) -> None:
    """Before the build: the window stays owed until a build covering it succeeds."""
    record = _read_record(settings)
    _write_record(settings, {**record, "pending": list(window)})


def record_mart_built(settings: Settings, reference: str) -> None:
    """After a successful build: the reference data it was built from (taken before the build)."""
    _write_record(settings, {"reference": reference, "pending": None})


def _write_record(settings: Settings, record: dict) -> None:
    path = mart_record(settings)
    staging = path.with_suffix(".tmp")
    staging.write_text(json.dumps(record) + "\n")
    staging.replace(path)


@dataclass(frozen=True)
class RunOutcome:
    job: str
    run_id: str
    partitions: str
    success: bool


@contextmanager
def _steps_output_to_compute_logs_only() -> Iterator[None]:
    """What the steps print (dbt's page of output, a line per model and test) goes to the run's
    compute logs, where Dagster's UI shows it, and not to the console, which shows each run's
    outcome and Dagster's own INFO events (on stderr). Dagster captures a step's output from
    file descriptor 1 and mirrors it to whatever that was when the step began: here, nowhere."""
    sys.stdout.flush()
    console = os.dup(1)
    nowhere = os.open(os.devnull, os.O_WRONLY)
    os.dup2(nowhere, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(console, 1)
        os.close(console)
        os.close(nowhere)


def run_job(
    defs: dg.Definitions,
    job_name: str,
    instance: dg.DagsterInstance,
    *,
    partition_key: str | None = None,
    tags: Mapping[str, str] | None = None,
    run_config: Mapping[str, object] | None = None,
) -> RunOutcome:
    job = defs.resolve_job_def(job_name)
    with _steps_output_to_compute_logs_only():
        result = job.execute_in_process(
            run_config={**QUIET_CONSOLE, **(run_config or {})},
            instance=instance,
            partition_key=partition_key,
            tags={**(tags or {}), PID_TAG: str(os.getpid())},
            raise_on_error=False,
        )
    tags = tags or {}
    covered = partition_key or (
        f"{tags[ASSET_PARTITION_RANGE_START_TAG]}...{tags[ASSET_PARTITION_RANGE_END_TAG]}"
        if ASSET_PARTITION_RANGE_START_TAG in tags
        else "-"
    )
    return RunOutcome(job_name, result.run_id, covered, result.success)


def fail_abandoned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark as failed the runs left STARTED by a `peerbench` process that no longer exists (a
    killed refresh), so the UI and `status` do not show them running for ever."""
    abandoned = []
    statuses = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING]
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=statuses)):
        pid = run.tags.get(PID_TAG)
        if pid and pid.isdigit() and not _alive(int(pid)):
            instance.report_run_failed(run, message=f"the process running it ({pid}) is gone")
            abandoned.append(run.run_id)
    return abandoned


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def due_publications(
    defs: dg.Definitions, instance: dg.DagsterInstance, as_of: datetime
) -> dict[str, list[dg.RunRequest]]:
    """Evaluate every publication schedule as if it ticked at `as_of`."""
    requests = {}
    repository = defs.get_repository_def()
    for schedule in publication_schedules:
        with dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=as_of,
            repository_def=repository,
            resources=dict(defs.resources or {}),
        ) as context:
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
