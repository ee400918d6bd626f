"""The code location loads, and its asset graph matches the snapshot.

A deliberate change of lineage, groups or partitions is accepted with `make snapshot`; any other
difference fails here before it reaches the UI.
"""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

ROOT = Path(__file__).parents[1]


def _partitions(partitions_def: dg.PartitionsDefinition | None) -> str:
    if partitions_def is None:
        return "-"
    if isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
        return f"{partitions_def.cron_schedule} from {partitions_def.start:%Y-%m-%d}"
    return type(partitions_def).__name__


def graph_summary(defs: dg.Definitions) -> dict:
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "partitions": _partitions(node.partitions_def),
            "checks": sorted(check.name for check in node.check_keys),
        }
    jobs = {
        job.name: sorted(k.to_user_string() for k in job.asset_layer.executable_asset_keys)
        for job in defs.resolve_all_job_defs()
        if not job.name.startswith("__")
    }
    schedules = {
        schedule.name: [schedule.cron_schedule, schedule.job_name]
        for schedule in defs.schedules or []
    }
    sensors = {
        sensor.name: sorted(job.name for job in sensor.jobs) for sensor in defs.sensors or []
    }
    return {"assets": assets, "jobs": jobs, "schedules": schedules, "sensors": sensors}


def test_definitions_load(home):
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    assert graph.get_all_asset_keys()
    assert defs.resolve_job_def("monthly_from_2016_04_refresh_job")


def test_each_source_is_partitioned_from_its_first_month_and_refreshed_by_its_job(home):
    from orchestration.definitions import defs
    from orchestration.registry import SOURCES

    graph = defs.resolve_asset_graph()
    for source in SOURCES.values():
        partitions_def = graph.get(dg.AssetKey(source.name)).partitions_def
        if source.cadence == "static":
            assert partitions_def is None
            continue
        assert partitions_def.get_first_partition_key() == f"{source.first_month}-01"
        job = defs.resolve_job_def(source.refresh_job)
        assert dg.AssetKey(source.name) in job.asset_layer.executable_asset_keys


def test_the_workspace_loads_as_dagster_dev_loads_it(home):
    """`dagster dev -w workspace.yaml` loads the module in its own process and refuses, for one,
    a module holding two Definitions objects: validate it the same way."""
    dagster = Path(sys.executable).parent / "dagster"
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        env=os.environ,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_asset_graph_matches_snapshot(home, snapshot):
    from orchestration.definitions import defs

    assert graph_summary(defs) == snapshot
