"""Jobs: the refreshes, and one publication job per collection.

A refresh is the register and calendar first (returns are checked against the register), then
each lake job over the partitions that changed, then the whole mart in one dbt build. A job's
assets share one partitions definition, so there is a lake job per cadence and first month
(`Source.refresh_job`); the other selections come from asset groups. A new source joins a
refresh by its registry entry, without editing this module.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from orchestration.collections import COLLECTIONS
from orchestration.registry import SOURCES

REFERENCE_GROUP = "reference"
MART_GROUP_PREFIX = "mart"
REFERENCE_REFRESH_JOB = "reference_refresh_job"
PUBLICATION_FRESHNESS_JOB = "publication_freshness_job"
FRESHNESS_CHECK = "published_within_a_day"  # the check's name on each publication asset
MART_REFRESH_JOB = "mart_refresh_job"


def publication_job_name(collection: str) -> str:
    return f"publish_{collection}_job"


def _keys(assets: Sequence[dg.AssetsDefinition], wanted) -> list[dg.AssetKey]:
    return [key for asset in assets for key in asset.keys if wanted(asset, key)]


def build_jobs(assets: Sequence[dg.AssetsDefinition]) -> list[dg.UnresolvedAssetJobDefinition]:
    def group(asset: dg.AssetsDefinition, key: dg.AssetKey) -> str:
        return asset.group_names_by_key[key]

    lake_jobs: dict[str, list[str]] = {}
    for source in SOURCES.values():
        if source.refresh_job:
            lake_jobs.setdefault(source.refresh_job, []).append(source.name)
    lake = [
        dg.define_asset_job(
            name,
            selection=dg.AssetSelection.assets(*names),
            description="Single-run refresh over a range of the lake assets that share these "
            "partitions (cadence and first month): " + ", ".join(names) + ".",
        )
        for name, names in lake_jobs.items()
    ]
    reference = dg.define_asset_job(
        REFERENCE_REFRESH_JOB,
        selection=dg.AssetSelection.assets(
            *_keys(
                assets,
                lambda a, k: (
                    group(a, k) == REFERENCE_GROUP
                    or (k.path[-1] in SOURCES and SOURCES[k.path[-1]].cadence == "static")
                ),
            )
        ),
        description="The organisation register, the window calendar and the other "
        "unpartitioned sources (national history).",
    )
    mart = dg.define_asset_job(
        MART_REFRESH_JOB,
        selection=dg.AssetSelection.assets(
            *_keys(assets, lambda a, k: group(a, k).startswith(MART_GROUP_PREFIX))
        ),
        description="The whole mart in one dbt build, incremental over the changed periods.",
    )
    publications = [
        dg.define_asset_job(
            publication_job_name(collection.code),
            selection=dg.AssetSelection.assets(f"{collection.code}_publication"),
            description=f"Publish {collection.name} benchmarks for a closed window.",
        )
        for collection in COLLECTIONS.values()
    ]
    freshness = dg.define_asset_job(
        PUBLICATION_FRESHNESS_JOB,
        selection=dg.AssetSelection.checks(
            *[
                dg.AssetCheckKey(dg.AssetKey(f"{code}_publication"), FRESHNESS_CHECK)
                for code in COLLECTIONS
            ]
        ),
        description="Flag any window with data still unpublished a day after it closed.",
    )
    return [reference, *lake, mart, *publications, freshness]
