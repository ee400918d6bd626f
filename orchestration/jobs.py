"""Jobs: the refreshes, and one publication job per collection.

A refresh is the register and calendar first (returns are checked against the register), then
the lake assets of each cadence over the partitions that changed (a job's assets share one
partitions definition), then the whole mart in one dbt build. Selections come from asset
groups, so a new source family joins its cadence's refresh without editing this module.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from orchestration.collections import COLLECTIONS
from orchestration.partitions import monthly_partition, nhs_quarter_partition

PUBLICATIONS_GROUP = "publications"
REFERENCE_GROUP = "reference"
MART_GROUP_PREFIX = "mart"
LAKE_REFRESH_JOBS = {
    "monthly_refresh_job": monthly_partition,
    "quarterly_refresh_job": nhs_quarter_partition,
}
CADENCE_JOBS = {"month": "monthly_refresh_job", "quarter": "quarterly_refresh_job"}
REFERENCE_REFRESH_JOB = "reference_refresh_job"
MART_REFRESH_JOB = "mart_refresh_job"


def publication_job_name(collection: str) -> str:
    return f"publish_{collection}_job"


def _keys(assets: Sequence[dg.AssetsDefinition], wanted) -> list[dg.AssetKey]:
    return [key for asset in assets for key in asset.keys if wanted(asset, key)]


def build_jobs(assets: Sequence[dg.AssetsDefinition]) -> list[dg.UnresolvedAssetJobDefinition]:
    def group(asset: dg.AssetsDefinition, key: dg.AssetKey) -> str:
        return asset.group_names_by_key[key]

    lake = [
        dg.define_asset_job(
            name,
            selection=dg.AssetSelection.assets(
                *_keys(
                    assets,
                    lambda a, k, p=partitions_def: (
                        a.partitions_def == p and group(a, k) != PUBLICATIONS_GROUP
                    ),
                )
            ),
            description="Single-run refresh of the lake assets of this cadence over a range.",
        )
        for name, partitions_def in LAKE_REFRESH_JOBS.items()
    ]
    reference = dg.define_asset_job(
        REFERENCE_REFRESH_JOB,
        selection=dg.AssetSelection.assets(
            *_keys(assets, lambda a, k: group(a, k) == REFERENCE_GROUP)
        ),
        description="The organisation register and the window calendar.",
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
    return [reference, *lake, mart, *publications]
