"""Jobs: the refreshes by cadence, and one publication job per collection.

A job's assets share one partitions definition, so the refreshes split by cadence: the monthly
sources with the monthly dbt models, the quarterly MHLDA return with its models, and then the
unpartitioned register, seeds and marts. Selections are derived from the assets themselves, so
a new source family joins its cadence's refresh without editing this module.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from orchestration.collections import COLLECTIONS
from orchestration.partitions import monthly_partition, nhs_quarter_partition

PUBLICATIONS_GROUP = "publications"
REFRESH_JOBS = {
    "monthly_refresh_job": monthly_partition,
    "quarterly_refresh_job": nhs_quarter_partition,
    "mart_refresh_job": None,
}


def publication_job_name(collection: str) -> str:
    return f"publish_{collection}_job"


def _refresh_keys(
    assets: Sequence[dg.AssetsDefinition], partitions_def: dg.PartitionsDefinition | None
) -> list[dg.AssetKey]:
    return [
        key
        for asset in assets
        for key in asset.keys
        if asset.partitions_def == partitions_def
        and asset.group_names_by_key[key] != PUBLICATIONS_GROUP
    ]


def build_jobs(assets: Sequence[dg.AssetsDefinition]) -> list[dg.UnresolvedAssetJobDefinition]:
    refreshes = [
        dg.define_asset_job(
            name,
            selection=dg.AssetSelection.assets(*_refresh_keys(assets, partitions_def)),
            partitions_def=partitions_def,
            description="Single-run refresh of every asset of this cadence over a partition range.",
        )
        for name, partitions_def in REFRESH_JOBS.items()
    ]
    publications = [
        dg.define_asset_job(
            publication_job_name(collection.code),
            selection=dg.AssetSelection.assets(f"{collection.code}_publication"),
            partitions_def=collection.partitions_def,
            description=f"Publish {collection.name} benchmarks for a closed window.",
        )
        for collection in COLLECTIONS.values()
    ]
    return refreshes + publications
